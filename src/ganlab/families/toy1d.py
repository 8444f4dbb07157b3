"""The course's toy 1-D GAN: generator x = z + theta, discriminator D(x) = sig(phi0 + phi1*x).

Follows the course notebook: real data N(7.5, 1); theta starts at 3.0, (phi0, phi1) at
(-2, 1); training alternates rounds of many discriminator steps (gradient descent, step 0.01,
on the summed binary cross-entropy) with a few generator steps (step 0.02, on the minimax
loss sum log(1 - D(x_syn))). One training "step" here is one such round. At the fixed point
theta equals the data mean and D is flat (phi1 = 0): the discriminator is at chance.

Measured here: theta does reach the data mean and phi1 does go to ~0, but D's *level* does not
settle at 0.5. On x ~ 7.5 (not centred) a step of 0.01 on the summed loss of 10 samples moves
the logit by about 0.01 * (1 + 7.5^2) * 10 * D(1 - D) * 2 per unit of error, a gain near 2.9 at
D = 0.5, past gradient descent's stability limit of 2, so the level cycles (e.g. D = 0.88 then
0.12) while D still cannot tell real from generated. The evaluation therefore reports D's
accuracy (chance = 0.5) beside its mean outputs; `lr_end` < 0.7 damps the cycle.

`notebook_initial_losses()` recomputes the notebook's printed starting losses on its own
sample (numpy seeds 0 and 1), so anyone can compare them with the notebook. Losses after each
round are reported on one fresh batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ganlab import distributed, losses
from ganlab.config import RunConfig, param
from ganlab.families.base import Family, Problem


@dataclass
class Toy1dConfig(RunConfig):
    steps: int = param(30, "rounds (each: d_steps discriminator then g_steps generator updates)", ge=1)
    batch_size: int = param(10, "real and generated samples per update (the notebook uses 10)", ge=1, le=65_536)
    log_every: int = param(1, "rounds between logged points", ge=1)
    w_every: int = param(1, "rounds between Wasserstein estimates", ge=1)
    checkpoint_every: int = param(10, "rounds between checkpoints", ge=1)
    snapshots: int = param(5, "evenly spaced rounds kept for the course figure (plus round 0)", ge=1, le=1000)
    theta: float = param(3.0, "initial generator offset theta")
    phi0: float = param(-2.0, "initial discriminator bias phi0")
    phi1: float = param(1.0, "initial discriminator slope phi1")
    lr_d: float = param(0.01, "discriminator step size", gt=0)
    lr_g: float = param(0.02, "generator step size", gt=0)
    d_steps: int = param(1000, "discriminator steps per round", ge=1, le=100_000)
    g_steps: int = param(10, "generator steps per round", ge=1, le=100_000)


def notebook_initial_losses(theta: float = 3.0, phi0: float = -2.0, phi1: float = 1.0) -> dict[str, float]:
    """The notebook's first printed losses: summed BCE for D, -sum log(1 - D(x_syn)) for G."""
    np.random.seed(0)
    x_real = np.random.normal(size=(1, 10)) + 7.5
    np.random.seed(1)
    z = np.random.normal(size=(1, 10))
    x_syn = z + theta

    def d(x):
        return 1.0 / (1.0 + np.exp(-(phi0 + phi1 * x)))

    d_loss = -np.sum(np.log(d(x_real))) - np.sum(np.log(1.0 - d(x_syn)))
    g_loss = -np.sum(np.log(1.0 - d(x_syn)))
    return {"notebook_initial_d_loss": float(d_loss), "notebook_initial_g_loss": float(g_loss)}


class Toy1d(Family):
    name = "toy1d"
    Config = Toy1dConfig
    final_units = {"theta": "the generator's offset (G(z) = z + theta)"}

    @classmethod
    def check_dataset(cls, desc: dict, cfg=None) -> Problem | None:
        if desc["kind"] != "points" or desc["dim"] != 1:
            return Problem(
                "dataset",
                f"family toy1d needs 1-D point data (recipe toy1d or a 1-D mixture), not {desc['kind']} of dim "
                f"{desc.get('dim')}",
            )
        return None

    def __init__(self, cfg, meta, device):
        super().__init__(cfg, meta, device)
        S = self.n_seeds
        self.theta = nn.Parameter(torch.full((S,), cfg.theta, device=device))
        self.phi = nn.Parameter(torch.tensor([[cfg.phi0, cfg.phi1]] * S, device=device))

    def make_optimizers(self):
        # Plain gradient descent, as in the notebook; the SGD objects hold the step sizes (so the
        # loop's lr schedule applies) and make checkpoints uniform across families.
        return {
            "g": torch.optim.SGD([self.theta], lr=self.cfg.lr_g),
            "d": torch.optim.SGD([self.phi], lr=self.cfg.lr_d),
        }

    def generator_params(self):
        return [self.theta]

    def latent(self, n, rng):
        return rng.randn(n, 1)

    def generate(self, z):
        return z + self.theta.view(-1, 1, 1)

    def logit(self, x):
        return self.phi[:, :1, None] + self.phi[:, 1:, None] * x  # (S, N, 1)

    def d_display(self, x, condition=None):
        return torch.sigmoid(self.logit(x)).squeeze(-1)

    # The course derives these gradients by hand; so do we (autograd on 10-sample tensors costs
    # ~10x more per step here). tests/test_families.py checks them against autograd of
    # losses.d_bce / losses.g_saturating with reduction="sum".
    def d_grad(self, x_real: torch.Tensor, x_syn: torch.Tensor) -> torch.Tensor:
        """Gradient of the summed BCE w.r.t. (phi0, phi1); x_* of shape (S, B). Returns (S, 2)."""
        p_real = torch.sigmoid(self.phi[:, :1] + self.phi[:, 1:] * x_real)
        p_syn = torch.sigmoid(self.phi[:, :1] + self.phi[:, 1:] * x_syn)
        return torch.stack(
            [(p_syn.sum(1) - (1 - p_real).sum(1)), ((p_syn * x_syn).sum(1) - ((1 - p_real) * x_real).sum(1))], dim=1
        )

    def g_grad(self, z: torch.Tensor) -> torch.Tensor:
        """Gradient of sum log(1 - D(z + theta)) w.r.t. theta: -phi1 * sum D(x_syn). Shape (S,)."""
        p_syn = torch.sigmoid(self.phi[:, :1] + self.phi[:, 1:] * (z + self.theta[:, None]))
        return -self.phi[:, 1] * p_syn.sum(1)

    @torch.no_grad()
    def train_step(self, real, rng):
        B, c = self.cfg.batch_size, self.cfg
        opts = self.optimizers()
        lr_d, lr_g = opts["d"].param_groups[0]["lr"], opts["g"].param_groups[0]["lr"]
        # One round's randomness drawn at once: (S, steps, B).
        x_real = real(c.d_steps * B).view(self.n_seeds, c.d_steps, B)
        z_d = rng.randn(c.d_steps, B)
        for i in range(c.d_steps):
            grad_d = distributed.sum_(
                self.d_grad(x_real[:, i], z_d[:, i] + self.theta[:, None])
            )  # summed loss: sum over ranks
            self.phi.sub_(lr_d * grad_d)
        z_g = rng.randn(c.g_steps, B)
        for i in range(c.g_steps):
            grad_g = distributed.sum_(self.g_grad(z_g[:, i]))
            self.theta.sub_(lr_g * grad_g)
        x = real(B)[..., 0]
        xs = z_g[:, -1] + self.theta[:, None]
        logits = lambda v: self.phi[:, :1] + self.phi[:, 1:] * v
        loss_d = losses.d_bce(logits(x), logits(xs), reduction="sum")
        loss_g = losses.g_saturating(logits(xs), reduction="sum")
        return {
            "loss_d": loss_d,
            "loss_g": loss_g,
            "d_real": torch.sigmoid(logits(x)).mean(1),
            "d_fake": torch.sigmoid(logits(xs)).mean(1),
            "theta": self.theta.clone(),
            "grad_d": grad_d.norm(dim=1),
            "grad_g": grad_g.abs(),
        }

    def final_metrics(self):
        return {
            "theta": self.theta.tolist(),
            "phi0": self.phi[:, 0].tolist(),
            "phi1": self.phi[:, 1].tolist(),
            **notebook_initial_losses(self.cfg.theta, self.cfg.phi0, self.cfg.phi1),
        }


FAMILY = Toy1d
