"""What every family provides to the shared training loop, evaluation and CLI.

The loop (ganlab.training.loop) only calls the methods below, so it never needs a branch
per family. All tensors carry a leading seed dimension S (see ganlab.nn.seeded).

`PointGAN` is the shared body of the 2-D families (gan, wgan, wgan_gp): seed-batched MLP
generator and discriminator, Gaussian latents, and the discriminator options (minibatch
discrimination, minibatch std); each of those families only writes its update step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import torch
from torch import nn

from ganlab.config import RunConfig, param
from ganlab.nn.seeded import SeedMLP, SeedRNG

RealFn = Callable[[int], torch.Tensor]   # n -> a real batch of shape (S, n, ...)


def seed_grad_norm(module: nn.Module) -> torch.Tensor:
    """Per-seed L2 norm of the gradients of a seed-batched module: shape (S,). No sync."""
    sq = [p.grad.pow(2).flatten(1).sum(1) for p in module.parameters() if p.grad is not None]
    return torch.stack(sq).sum(0).sqrt()


class Family(nn.Module):
    name = ""
    Config = RunConfig
    d_is_probability = True   # d_display returns D(x) in [0, 1]; False for Wasserstein critics

    @classmethod
    def check_dataset(cls, desc: dict) -> str | None:
        """None if this family can train on a dataset described by `desc`, else why not."""
        return None

    def __init__(self, cfg, meta: dict, device: torch.device):
        super().__init__()
        self.cfg, self.meta, self.device = cfg, meta, device
        self.n_seeds = len(cfg.seeds)

    def latent(self, n: int, rng: SeedRNG) -> torch.Tensor:
        raise NotImplementedError

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def d_display(self, x: torch.Tensor) -> torch.Tensor:
        """Discriminator output people read: a probability for logistic D, the raw critic value
        for Wasserstein critics. Shape (S, N)."""
        raise NotImplementedError

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def train_step(self, real: RealFn, rng: SeedRNG) -> dict[str, torch.Tensor]:
        """One step of the family's schedule; returns per-seed (S,) tensors to log."""
        raise NotImplementedError

    def final_metrics(self) -> dict[str, list[float]]:
        """Family-specific numbers for metrics.json (per seed). Default: none."""
        return {}


@dataclass
class PointConfig(RunConfig):
    z_dim: int = param(2, "latent dimension", ge=1)
    g_hidden: list[int] = param([128, 128, 128], "generator hidden widths", ge=1)
    d_hidden: list[int] = param([128, 128, 128], "discriminator hidden widths", ge=1)
    minibatch: Literal["none", "mbd", "mbstd"] = param(
        "none", "discriminator option: minibatch discrimination (Salimans et al. 2016) or minibatch std (Karras et al. 2018)")
    mbd_kernels: int = param(8, "minibatch discrimination: number of kernels B (Salimans et al. use 100 for images)", ge=1)
    mbd_dim: int = param(4, "minibatch discrimination: kernel dimension C", ge=1)
    lr_g: float = param(1e-3, "generator learning rate", gt=0)
    lr_d: float = param(1e-3, "discriminator learning rate", gt=0)
    beta1: float = param(0.5, "Adam beta1", ge=0, lt=1)
    beta2: float = param(0.999, "Adam beta2", ge=0, lt=1)
    d_steps: int = param(1, "discriminator (critic) updates per generator update", ge=1)


class PointGAN(Family):
    Config = PointConfig

    @classmethod
    def check_dataset(cls, desc: dict) -> str | None:
        if desc["kind"] != "points":
            return f"family {cls.name} trains on point datasets (toy1d, ring, grid, mixture), not {desc['kind']}"
        return None

    def __init__(self, cfg, meta: dict, device: torch.device):
        super().__init__(cfg, meta, device)
        dim = meta["dim"]
        init = SeedRNG(cfg.seeds)  # per-seed init: a seed's weights do not depend on the others
        self.G = SeedMLP(cfg.z_dim, cfg.g_hidden, dim, init, act="relu")
        self.D = SeedMLP(dim, cfg.d_hidden, 1, init, act="leaky_relu", minibatch=cfg.minibatch,
                         mbd_kernels=cfg.mbd_kernels, mbd_dim=cfg.mbd_dim)
        self.to(device)
        self.opt_g, self.opt_d = self.make_optimizers()

    def make_optimizers(self):
        c = self.cfg
        return (torch.optim.Adam(self.G.parameters(), lr=c.lr_g, betas=(c.beta1, c.beta2)),
                torch.optim.Adam(self.D.parameters(), lr=c.lr_d, betas=(c.beta1, c.beta2)))

    def optimizers(self):
        return {"g": self.opt_g, "d": self.opt_d}

    def latent(self, n: int, rng: SeedRNG) -> torch.Tensor:
        return rng.randn(n, self.cfg.z_dim)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        return self.G(z)

    def critic(self, x: torch.Tensor) -> torch.Tensor:
        return self.D(x).squeeze(-1)

    def d_display(self, x: torch.Tensor) -> torch.Tensor:
        # A minibatch layer makes D(x) depend on the rest of its batch, so D is evaluated on
        # batches of the training size (and never on one huge batch of grid points).
        out = torch.cat([self.critic(c) for c in x.split(self.cfg.batch_size, dim=1)], dim=1)
        return torch.sigmoid(out) if self.d_is_probability else out

    def d_batch(self, real: RealFn, rng: SeedRNG):
        """For a discriminator step: a real batch, a generated batch (no generator graph), and
        the critic's outputs on both. Returns (x_real, x_fake, d_real, d_fake)."""
        B = self.cfg.batch_size
        with torch.no_grad():
            fake = self.G(self.latent(B, rng))
        x = real(B)
        return x, fake, self.critic(x), self.critic(fake)

    def g_out(self, rng: SeedRNG) -> torch.Tensor:
        """For a generator step: the critic's output on a fresh generated batch (with graph)."""
        return self.critic(self.G(self.latent(self.cfg.batch_size, rng)))

    def update(self, opt: torch.optim.Optimizer, module: nn.Module, loss: torch.Tensor) -> torch.Tensor:
        """Backward the per-seed losses, step, and return the per-seed gradient norm."""
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        norm = seed_grad_norm(module)
        opt.step()
        return norm
