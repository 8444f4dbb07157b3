"""ACGAN (Odena et al., 2017): the generator is given the class; the discriminator is not,
and has two heads on its shared trunk: real/fake (L_S) and the class (L_C). D maximises
L_S + L_C, G maximises L_C - L_S (here with the non-saturating form of L_S). Networks,
optimiser and widths as in `dcgan`. `fake_class_weight` scales L_C on generated images in D's
loss (1 in the paper). At 0, D's class head learns from real images only, so G is rewarded
only for images that a real-data classifier recognises; with 1, D's head also learns the
classes G *intends*, and G can satisfy it with images an independent classifier does not
recognise (measured on glyphs: docs/results.md, "Image runs"). The class head's accuracy on real and generated batches
is logged (`cls_real`, `cls_fake`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganlab import losses
from ganlab.config import param
from ganlab.families._adversarial import Conditional, ConditionalConfig


@dataclass
class ACGANConfig(ConditionalConfig):
    fake_class_weight: float = param(
        1.0,
        "weight of the class loss on generated images in D's loss (1 = Odena et al.; 0 = D's class head learns from "
        "real images only)",
        ge=0,
    )


class ACGAN(Conditional):
    name = "acgan"
    Config = ACGANConfig
    needs_labels = True
    conditioning = "class"
    d_aux_class = True

    def train_step(self, real, rng):
        B = self.cfg.batch_size
        for _ in range(self.cfg.d_steps):
            x, y = real.labeled(B)
            z = self.latent(B, rng)
            y_fake = self.latent_labels(z)
            out_real, _ = self.discriminate(x)
            out_fake, _ = self.discriminate(self.G(z).detach())
            loss_d = (
                losses.d_bce(out_real[..., 0], out_fake[..., 0], real_label=self.cfg.real_label)
                + losses.class_ce(out_real[..., 1:], y)
                + self.cfg.fake_class_weight * losses.class_ce(out_fake[..., 1:], y_fake)
            )
            grad_d = self.update("d", self.D, loss_d)
        z = self.latent(B, rng)
        out, _ = self.discriminate(self.G(z))
        loss_g = losses.g_non_saturating(out[..., 0]) + losses.class_ce(out[..., 1:], self.latent_labels(z))
        grad_g = self.update("g", self.G, loss_g)
        with torch.no_grad():
            cls_real = (out_real[..., 1:].argmax(-1) == y).float().mean(1)
            cls_fake = (out[..., 1:].argmax(-1) == self.latent_labels(z)).float().mean(1)
        return {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "d_real": out_real[..., 0].sigmoid().mean(1).detach(),
            "d_fake": out_fake[..., 0].sigmoid().mean(1).detach(),
            "cls_real": cls_real,
            "cls_fake": cls_fake,
            "grad_d": grad_d,
            "grad_g": grad_g,
        }


FAMILY = ACGAN
