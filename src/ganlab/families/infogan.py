"""InfoGAN (Chen et al., 2016): a GAN whose latent has codes c besides the noise, and a
network Q that recovers c from the generated image; maximising a variational lower bound of
the mutual information I(c; G(z, c)) makes the codes interpretable without labels.

As in the paper's MNIST setting: one 10-way categorical code and two continuous codes
uniform in [-1, 1]; Q shares every convolution with D and adds one hidden layer (128) with
outputs for the categorical logits and the continuous codes' means. L_I is the
cross-entropy of the categorical code plus the Gaussian negative log-likelihood of the
continuous codes with unit variance (0.5 * squared error; the authors' code fixes the
std), weighted by `info_weight` (lambda = 1, the paper's value for discrete codes) and
`cont_weight` times that for the continuous ones. As in the authors' code, L_I is added to
both players' losses: D's step trains the shared trunk and Q's head on generated batches,
G's step trains G. Networks and widths as in `dcgan` (the paper: noise 62-d, 28x28).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ganlab import losses
from ganlab.config import param
from ganlab.families._adversarial import Conditional, ConditionalConfig
from ganlab.nn.seeded import SeedStack


@dataclass
class InfoGANConfig(ConditionalConfig):
    n_cat: int = param(10, "categories of the categorical code (the paper: 10 on MNIST)", ge=2, le=1000)
    n_cont: int = param(2, "continuous codes, each uniform in [-1, 1] (the paper: 2 on MNIST)", ge=0, le=100)
    info_weight: float = param(1.0, "lambda: weight of the mutual-information term L_I", ge=0)
    cont_weight: float = param(1.0, "relative weight of the continuous codes' part of L_I", ge=0)
    q_hidden: int = param(128, "width of Q's hidden layer on D's trunk", ge=1, le=8192)
    q_batch_norm: bool = param(False, "batch norm in Q's hidden layer (the authors' code)")


class InfoGAN(Conditional):
    name = "infogan"
    conditioning = "code"
    Config = InfoGANConfig

    def latent_codes(self, cfg, meta):
        return cfg.n_cat, cfg.n_cont

    def build_extra(self):
        n_in, n_out, hidden = self.D.nets[0].n_features, self.n_cat + self.n_cont, self.cfg.q_hidden
        norm = [nn.BatchNorm1d(hidden)] if self.cfg.q_batch_norm else []
        self.Q = SeedStack(
            lambda: nn.Sequential(nn.Linear(n_in, hidden), *norm, nn.LeakyReLU(0.2, True), nn.Linear(hidden, n_out)),
            self.cfg.seeds,
            offset=9_000_003,
        )

    def make_optimizers(self):
        c = self.cfg
        return {
            "g": torch.optim.Adam(self.G.parameters(), lr=c.lr_g, betas=(c.beta1, c.beta2)),
            "d": torch.optim.Adam([*self.D.parameters(), *self.Q.parameters()], lr=c.lr_d, betas=(c.beta1, c.beta2)),
        }

    def q_codes(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Q's categorical logits (S, N, n_cat) and continuous means (S, N, n_cont)."""
        out = self.Q(features)
        return out[..., : self.n_cat], out[..., self.n_cat :]

    def info_loss(self, features: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """L_I per seed (S,), and Q's accuracy on the categorical code (S,)."""
        logits, mean = self.q_codes(features)
        cat = self.latent_labels(z)
        ce = losses.class_ce(logits, cat)
        nll = 0.5 * (mean - self.latent_cont(z)).pow(2).sum(-1).mean(1) if self.n_cont else torch.zeros_like(ce)
        acc = (logits.argmax(-1) == cat).float().mean(1).detach()
        return self.cfg.info_weight * (ce + self.cfg.cont_weight * nll), acc

    def train_step(self, real, rng):
        B = self.cfg.batch_size
        for _ in range(self.cfg.d_steps):
            x = real(B)
            z = self.latent(B, rng)
            d_real, _ = self.discriminate(x)
            d_fake, f_fake = self.discriminate(self.G(z).detach())
            info_d, _ = self.info_loss(f_fake, z)
            loss_d = losses.d_bce(d_real[..., 0], d_fake[..., 0], real_label=self.cfg.real_label) + info_d
            grad_d = self.update("d", (self.D, self.Q), loss_d)
        z = self.latent(B, rng)
        out, f = self.discriminate(self.G(z))
        info_g, q_acc = self.info_loss(f, z)
        loss_g = losses.g_non_saturating(out[..., 0]) + info_g
        grad_g = self.update("g", self.G, loss_g)
        return {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "loss_info": info_g.detach(),
            "d_real": d_real[..., 0].sigmoid().mean(1).detach(),
            "d_fake": d_fake[..., 0].sigmoid().mean(1).detach(),
            "q_cat_accuracy": q_acc,
            "grad_d": grad_d,
            "grad_g": grad_g,
        }


FAMILY = InfoGAN
