"""WGAN (Arjovsky et al., 2017): a critic kept Lipschitz by clipping its weights to
[-clip, clip], trained with RMSprop for several critic steps per generator step (Algorithm 1:
n_critic = 5, c = 0.01, lr = 5e-5). The negative critic loss estimates W1 up to the
Lipschitz constant; it is logged as `w_critic`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganlab import losses
from ganlab.config import param
from ganlab.families._adversarial import Adversarial, AdversarialConfig


@dataclass
class WGANConfig(AdversarialConfig):
    clip: float = param(0.01, "critic weights are clipped to [-clip, clip] after every update", gt=0)
    lr_g: float = param(5e-5, "generator learning rate (RMSprop)", gt=0)
    lr_d: float = param(5e-5, "critic learning rate (RMSprop)", gt=0)
    d_steps: int = param(5, "critic updates per generator update (n_critic)", ge=1, le=1000)


class WGAN(Adversarial):
    name = "wgan"
    Config = WGANConfig
    d_is_probability = False

    def make_optimizers(self):
        return {
            "g": torch.optim.RMSprop(self.G.parameters(), lr=self.cfg.lr_g),
            "d": torch.optim.RMSprop(self.D.parameters(), lr=self.cfg.lr_d),
        }

    def train_step(self, real, rng):
        for _ in range(self.cfg.d_steps):
            _, _, d_real, d_fake = self.d_batch(real, rng)
            loss_d = losses.d_wasserstein(d_real, d_fake)
            grad_d = self.update("d", self.D, loss_d)
            with torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-self.cfg.clip, self.cfg.clip)
        loss_g = losses.g_wasserstein(self.g_out(rng))
        grad_g = self.update("g", self.G, loss_g)
        return {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "d_real": d_real.mean(1).detach(),
            "d_fake": d_fake.mean(1).detach(),
            "w_critic": -loss_d.detach(),
            "grad_d": grad_d,
            "grad_g": grad_g,
        }


FAMILY = WGAN
