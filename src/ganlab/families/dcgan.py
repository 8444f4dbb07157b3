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

from ganlab.families._adversarial import DCGANSettings
from ganlab.families.gan import GAN, GANConfig


@dataclass
class DCGANConfig(DCGANSettings, GANConfig):
    """gan's options on DCGAN's settings (field order: AdversarialConfig's, then gan's)."""


class DCGAN(GAN):
    name = "dcgan"
    Config = DCGANConfig
    kinds = ("images",)


FAMILY = DCGAN
