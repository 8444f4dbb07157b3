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
from ganlab.config import fixed, param
from ganlab.families._adversarial import Adversarial, AdversarialConfig, real_label_param
from ganlab.families.base import Problem, seed_norm


@dataclass
class GANConfig(AdversarialConfig):
    loss: Literal["non_saturating", "saturating", "rpgan", "hinge"] = param(
        "non_saturating",
        "non_saturating: D's BCE and G's -log D(G(z)); saturating: G's minimax log(1 - D(G(z))); rpgan: the "
        "relativistic pairing loss of both (Huang et al. 2024), softplus(D(fake) - D(real)) for D; hinge: "
        "D's max(0, 1 - D(x)) + max(0, 1 + D(G(z))) and G's -D(G(z)) (SNGAN, BigGAN)",
    )
    r1_gamma: float = param(
        0.0, "R1: gamma / 2 x E ||grad D(x)||^2 on real samples added to D's loss, every D step (0 = off)", ge=0
    )
    r2_gamma: float = param(
        0.0,
        "R2: gamma / 2 x E ||grad D(x)||^2 on generated samples added to D's loss, every D step (R3GAN: same gamma as "
        "R1; 0 = off)",
        ge=0,
    )
    feature_matching: bool = param(
        False,
        "feature matching (Salimans et al. 2016, sec. 3.1): G minimises the squared distance between the means of D's "
        "last hidden features on real and on generated samples instead of its adversarial loss; D is trained as usual",
    )
    real_label: float = real_label_param()


_POINTS_ONLY = "it sets the convolutional networks of images, and this family trains on point data only"


@dataclass
class PointsOnly:
    """Over AdversarialConfig: the families that train on point data only do not take the image options."""

    channels_last: bool = fixed(True, _POINTS_ONLY)
    width: int = fixed(32, _POINTS_ONLY)
    fc_hidden: int = fixed(0, _POINTS_ONLY)


@dataclass
class GANPointsConfig(PointsOnly, GANConfig):
    """gan's own Config: gan's options (GANConfig, which dcgan takes too) without the image networks' options."""


class GAN(Adversarial):
    name = "gan"
    variant_options = (
        "loss",
        "minibatch",
        "pack",
        "r1_gamma",
        "r2_gamma",
        "d_act",
        "feature_matching",
        "real_label",
        "ema_kimg",
    )
    Config = GANPointsConfig
    kinds = ("points",)  # on images this update step is `dcgan`

    @classmethod
    def check_dataset(cls, desc: dict, cfg=None) -> Problem | None:
        if cfg is not None:
            if cfg.feature_matching and cfg.loss == "saturating":
                return Problem(
                    "feature_matching",
                    "replaces the generator's loss, which is all that loss: saturating changes; use "
                    "loss non_saturating or rpgan",
                )
            if cfg.real_label != 1.0 and cfg.loss in ("rpgan", "hinge"):
                return Problem(
                    "real_label",
                    f"label smoothing sets the BCE target of real samples; loss {cfg.loss} has no targets "
                    "(use 1.0, or loss non_saturating / saturating)",
                )
        return super().check_dataset(desc, cfg)

    def train_step(self, real, rng):
        c = self.cfg
        out = {}
        for _ in range(c.d_steps):
            x, fake, d_real, d_fake = self.d_batch(real, rng, grad_real=c.r1_gamma > 0, grad_fake=c.r2_gamma > 0)
            if c.loss == "rpgan":
                loss_d = losses.d_rpgan(d_real, d_fake)
            elif c.loss == "hinge":
                loss_d = losses.d_hinge(d_real, d_fake)
            else:
                loss_d = losses.d_bce(d_real, d_fake, real_label=c.real_label)
            penalty = 0
            if c.r1_gamma > 0:
                out["r1"] = losses.zero_centred_penalty(d_real, x, c.pack)
                penalty = penalty + c.r1_gamma / 2 * out["r1"]
            if c.r2_gamma > 0:
                out["r2"] = losses.zero_centred_penalty(d_fake, fake, c.pack)
                penalty = penalty + c.r2_gamma / 2 * out["r2"]
            grad_d = self.update("d", self.D, loss_d + penalty)  # loss_d is logged without them
        out = {k: v.detach() for k, v in out.items()}
        if c.feature_matching:  # the means of D's features on a fresh real and generated batch
            B = c.batch_size * c.pack
            with torch.no_grad():
                f_real = self.features(real(B))
            loss_g = losses.g_feature_matching(f_real, self.features(self.G(self.latent(B, rng))))
        elif c.loss == "rpgan":  # pairs of a fresh generated batch and a fresh real one
            x = real(c.batch_size * c.pack)
            g_out = self.g_out(rng)
            with torch.no_grad():
                real_out = self.critic(x)
            loss_g = losses.g_rpgan(real_out, g_out)
        elif c.loss == "saturating":
            g_out = self.g_out(rng)
            loss_g = losses.g_saturating(g_out)
            # The non-saturating loss's gradient at the very same (G, D, z): the controlled
            # evidence for "the saturating loss starves G when D rejects its samples".
            alt = torch.autograd.grad(
                losses.g_non_saturating(g_out).sum(), list(self.G.parameters()), retain_graph=True
            )
            out["grad_g_nonsat"] = seed_norm(self.G, list(alt))
        elif c.loss == "hinge":
            loss_g = losses.g_hinge(self.g_out(rng))
        else:
            loss_g = losses.g_non_saturating(self.g_out(rng))
        grad_g = self.update("g", self.G, loss_g)
        return {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "d_real": torch.sigmoid(d_real).mean(1).detach(),
            "d_fake": torch.sigmoid(d_fake).mean(1).detach(),
            "grad_d": grad_d,
            "grad_g": grad_g,
            **out,
        }


FAMILY = GAN
