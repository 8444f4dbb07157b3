"""Conditional GAN (Mirza & Osindero, 2014) on DCGAN's networks: the class is given to both
players. The generator gets the one-hot class concatenated to z. The discriminator gets it in
the way `d_condition` says: `concat`, the paper's concatenation in convolutional form (the
one-hot vector as extra input channels); `projection` (Miyato & Koyama, 2018: an inner
product of a class embedding with D's features, added to its logit); or `both` (default).
Measured here on glyphs (16x16, 2,000 steps), `concat` alone conditioned only some classes
(samples of most rows looked alike); the projection term gives D a direct per-class signal.
Losses, optimiser and widths as in `dcgan`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ganlab import losses
from ganlab.config import param
from ganlab.families._adversarial import Conditional, ConditionalConfig


@dataclass
class CGANConfig(ConditionalConfig):
    d_condition: Literal["concat", "projection", "both"] = param(
        "both", "how D sees the class: input channels (Mirza & Osindero), projection (Miyato & Koyama 2018), or both"
    )


class CGAN(Conditional):
    name = "cgan"
    Config = CGANConfig
    needs_labels = True
    conditioning = "class"

    def __init__(self, cfg, meta, device):
        self.d_in_class = cfg.d_condition  # read by Adversarial when it builds D
        super().__init__(cfg, meta, device)

    def train_step(self, real, rng):
        B = self.cfg.batch_size
        for _ in range(self.cfg.d_steps):
            x, y = real.labeled(B)
            z = self.latent(B, rng)
            fake = self.G(z).detach()
            d_real, d_fake = self.critic(x, y), self.critic(fake, self.latent_labels(z))
            loss_d = losses.d_bce(d_real, d_fake, real_label=self.cfg.real_label)
            grad_d = self.update("d", self.D, loss_d)
        z = self.latent(B, rng)
        loss_g = losses.g_non_saturating(self.critic(self.G(z), self.latent_labels(z)))
        grad_g = self.update("g", self.G, loss_g)
        return {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "d_real": d_real.sigmoid().mean(1).detach(),
            "d_fake": d_fake.sigmoid().mean(1).detach(),
            "grad_d": grad_d,
            "grad_g": grad_g,
        }


FAMILY = CGAN
