"""The GAN of Goodfellow et al. (2014) on point data: MLP generator and discriminator.

`loss: saturating` is the minimax game as written in the course, the generator minimising
E log(1 - D(G(z))); early on, when D rejects every sample, its gradient vanishes. A saturating
run also logs `grad_g_nonsat`, the non-saturating loss's gradient norm at the same state, so the
report's claim compares the two losses on identical (G, D, z). `loss: non_saturating` minimises
-E log D(G(z)) instead.
Width reduced from PacGAN's 2-D setting (G 4x400, D 3x200 maxout) to 3x128 ReLU / LeakyReLU.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from ganlab import losses
from ganlab.config import param
from ganlab.families.base import Adversarial, AdversarialConfig, seed_norm


@dataclass
class GANConfig(AdversarialConfig):
    loss: Literal["non_saturating", "saturating"] = param(
        "non_saturating", "generator loss: -log D(G(z)) or the minimax log(1 - D(G(z)))")


class GAN(Adversarial):
    name = "gan"
    variant_options = ("loss", "minibatch")
    Config = GANConfig
    kinds = ("points",)        # on images this update step is `dcgan`

    def train_step(self, real, rng):
        for _ in range(self.cfg.d_steps):
            _, _, d_real, d_fake = self.d_batch(real, rng)
            loss_d = losses.d_bce(d_real, d_fake)
            grad_d = self.update(self.opt_d, self.D, loss_d)
        out = {}
        g_out = self.g_out(rng)
        if self.cfg.loss == "saturating":
            loss_g = losses.g_saturating(g_out)
            # The non-saturating loss's gradient at the very same (G, D, z): the controlled
            # evidence for "the saturating loss starves G when D rejects its samples".
            alt = torch.autograd.grad(losses.g_non_saturating(g_out).sum(), list(self.G.parameters()), retain_graph=True)
            out["grad_g_nonsat"] = seed_norm(self.G, list(alt))
        else:
            loss_g = losses.g_non_saturating(g_out)
        grad_g = self.update(self.opt_g, self.G, loss_g)
        return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(),
                "d_real": torch.sigmoid(d_real).mean(1).detach(), "d_fake": torch.sigmoid(d_fake).mean(1).detach(),
                "grad_d": grad_d, "grad_g": grad_g, **out}


FAMILY = GAN
