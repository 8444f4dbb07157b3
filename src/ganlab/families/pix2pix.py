"""Pix2Pix (Isola et al., 2017): a conditional GAN for paired image-to-image translation.

As in the paper: a U-Net generator G(x); a PatchGAN discriminator that sees the input and an
output together (channel concatenation) and classifies each overlapping patch as real or
generated; the objective G* = arg min_G max_D L_cGAN(G, D) + lambda L1(G) with lambda = 100,
the non-saturating generator loss, D's loss halved, Adam lr 2e-4, beta1 0.5.
Scaled down (ganlab.nn.translation): width 16 instead of 64, patches of 16x16 at 32x32, batch
32 instead of 1 (so batch norm is batch norm, not instance norm), no dropout (see there).

The L1-only baseline (the paper's Table 1 "L1" row) is this family with `adv_weight: 0`: the
same U-Net trained with the L1 loss alone; D is then neither built into the loss nor trained.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganlab import losses
from ganlab.config import param
from ganlab.families._translation import Translation, TranslationConfig, l1
from ganlab.families.base import Problem
from ganlab.nn.seeded import SeedStack
from ganlab.nn.translation import PatchGAN, UNet, patchgan_problem, unet_levels


@dataclass
class Pix2PixConfig(TranslationConfig):
    l1_weight: float = param(100.0, "lambda: weight of the L1 distance to the target (Isola et al.: 100)", ge=0)
    adv_weight: float = param(1.0, "weight of the adversarial loss; 0 = the L1-only baseline (D unused)", ge=0)
    d_layers: int = param(
        1,
        "PatchGAN: stride-2 layers before the stride-1 ones (1: 16x16 patches; the paper's 70x70 is 3 at 256x256)",
        ge=1,
        le=4,
    )


class Pix2Pix(Translation):
    name = "pix2pix"
    Config = Pix2PixConfig
    d_in_class = "input"  # D is conditional: it sees the input beside the image (d_display needs it)

    @classmethod
    def variant(cls, cfg) -> str:
        return "pix2pix (L1 only)" if cfg.adv_weight == 0 else "pix2pix (cGAN + L1)"

    @classmethod
    def check_dataset(cls, desc: dict, cfg=None) -> Problem | None:
        problem = super().check_dataset(desc, cfg)
        if problem is None and desc["input_shape"][1:] != desc["shape"][1:]:
            return Problem(
                "dataset",
                f"family pix2pix needs inputs of the target's size {desc['shape'][1:]}, got {desc['input_shape'][1:]} "
                "(use srgan)",
            )
        if problem is None:
            h, w = desc["shape"][1:]
            try:
                unet_levels(h)
                assert h == w
            except (ValueError, AssertionError):
                return Problem(
                    "dataset",
                    f"family pix2pix (its U-Net) needs square images of a power-of-two side >= 4, got {h}x{w}",
                )
            if cfg is not None and (why := patchgan_problem(h, cfg.d_layers, "batch")):
                return Problem("dataset", f"family pix2pix: {why}")
        return problem

    def build_networks(self, cfg, meta):
        (ci, side, _), c = self.in_shape, self.shape[0]
        self.G = SeedStack(lambda: UNet(ci, c, side, cfg.width), cfg.seeds, channels_last=cfg.channels_last)
        self.D = SeedStack(
            lambda: PatchGAN(ci + c, cfg.width, cfg.d_layers, "batch"),
            cfg.seeds,
            offset=8_000_003,
            channels_last=cfg.channels_last,
        )

    def critic(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Patch logits (S, N, P) of D on input x and image y, concatenated along channels."""
        return self.D(torch.cat([x, y], 2))

    def d_display(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """D's mean patch probability of targets x given their input images (`condition`)."""
        if condition is None:
            raise ValueError("pix2pix's discriminator is conditional: pass the input images as the condition")
        return torch.sigmoid(self.critic(condition, x)).mean(-1)

    def train_step(self, real, rng):
        c = self.cfg
        x, y = real.paired(c.batch_size)
        fake = self.G(x)
        out = {}
        if c.adv_weight > 0:
            d_real, d_fake = self.critic(x, y), self.critic(x, fake.detach())
            loss_d = 0.5 * losses.d_bce(d_real, d_fake)  # "we divide the objective by 2 while optimizing D"
            out.update(
                {
                    "loss_d": loss_d.detach(),
                    "grad_d": self.update("d", (self.D,), loss_d),
                    "d_real": d_real.sigmoid().mean((1, 2)).detach(),
                    "d_fake": d_fake.sigmoid().mean((1, 2)).detach(),
                }
            )
        loss_l1 = l1(fake, y)
        loss_g = c.l1_weight * loss_l1
        if c.adv_weight > 0:
            loss_adv = losses.g_non_saturating(self.critic(x, fake))
            loss_g = loss_g + c.adv_weight * loss_adv
            out["loss_g_adv"] = loss_adv.detach()
        out.update({"loss_g": loss_g.detach(), "l1": loss_l1.detach(), "grad_g": self.update("g", (self.G,), loss_g)})
        return out


FAMILY = Pix2Pix
