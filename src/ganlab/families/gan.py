"""The GAN of Goodfellow et al. (2014) on point data: MLP generator and discriminator.

`loss: saturating` is the minimax game as written in the course, the generator minimising
E log(1 - D(G(z))); early on, when D rejects every sample, its gradient vanishes (the report's
claim compares gradient norms). `loss: non_saturating` minimises -E log D(G(z)) instead.
Width reduced from PacGAN's 2-D setting (G 4x400, D 3x200 maxout) to 3x128 ReLU / LeakyReLU.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from ganlab import losses
from ganlab.config import param
from ganlab.families.base import PointConfig, PointGAN


@dataclass
class GANConfig(PointConfig):
    loss: Literal["non_saturating", "saturating"] = param(
        "non_saturating", "generator loss: -log D(G(z)) or the minimax log(1 - D(G(z)))")


class GAN(PointGAN):
    name = "gan"
    Config = GANConfig

    def train_step(self, real, rng):
        for _ in range(self.cfg.d_steps):
            _, _, d_real, d_fake = self.d_batch(real, rng)
            loss_d = losses.d_bce(d_real, d_fake)
            grad_d = self.update(self.opt_d, self.D, loss_d)
        g_loss_fn = losses.g_saturating if self.cfg.loss == "saturating" else losses.g_non_saturating
        loss_g = g_loss_fn(self.g_out(rng))
        grad_g = self.update(self.opt_g, self.G, loss_g)
        return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(),
                "d_real": torch.sigmoid(d_real).mean(1).detach(), "d_fake": torch.sigmoid(d_fake).mean(1).detach(),
                "grad_d": grad_d, "grad_g": grad_g}


FAMILY = GAN
