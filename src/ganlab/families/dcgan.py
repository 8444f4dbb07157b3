"""DCGAN (Radford et al., 2016): the GAN of Goodfellow et al. with convolutional networks.

As in the paper: z ~ U[-1, 1]^100; the generator projects z to a 4x4 map and doubles the
resolution with fractionally strided convolutions, batch norm and ReLU, tanh output; the
discriminator is strided convolutions with LeakyReLU(0.2) and batch norm (none on its first
layer) ending in one logit; Adam with lr 2e-4 and beta1 0.5; weights from N(0, 0.02);
the non-saturating generator loss. Scaled down: width 32 instead of 128 (G 64-32 channels and
D 32-64 at 16x16), batch 64 instead of 128. Networks: ganlab.nn.dcgan.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ganlab.config import param
from ganlab.families.gan import GAN, GANConfig


@dataclass
class DCGANConfig(GANConfig):
    z_dist: Literal["normal", "uniform"] = param("uniform", "latent distribution: N(0, I) or U[-1, 1] per component (DCGAN)")
    batch_size: int = param(64, "samples per batch", ge=1, le=65_536)
    lr_g: float = param(2e-4, "generator learning rate", gt=0)
    lr_d: float = param(2e-4, "discriminator learning rate", gt=0)


class DCGAN(GAN):
    name = "dcgan"
    Config = DCGANConfig
    kinds = ("images",)


FAMILY = DCGAN
