"""The generator's weights averaged over training (option `ema_kimg` of every family with a
generator network).

An exponential moving average of the generator's parameters (Karras et al. 2018, appendix;
Yazici et al. 2019, "The unusual effectiveness of averaging in GAN training"; StyleGAN2-ADA's
G_ema and R3GAN keep one) as StyleGAN2-ADA's training loop computes it: after every step,
average <- lerp(weights, average, beta) with beta = 0.5 ** (batch_size / n) and the half-life
n = min(ema_kimg * 1000, ema_rampup * samples seen), samples seen = step * batch_size (a
ramp-up: early on, the average follows the weights closely instead of dragging their random
start along). Buffers (batch-norm statistics) are not averaged: the live ones serve, as
StyleGAN2-ADA copies them. Parameters carry the seed in their first dimension or belong to one
seed's network, so the average is per seed elementwise.

The average is a list of tensors beside the model, not a module: the training loop swaps it into
the generator for snapshots, in-loop estimates and the saved weights.pt (`swapped`), so that
everything downstream (evaluation, sampling, studies) reads the averaged generator without
knowing there was one; checkpoints store it (`state` / `load`), so a resumed run is exact.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn


def beta(step: int, batch_size: int, kimg: float, rampup: float) -> float:
    """The weight of the old average after `step` steps of `batch_size` samples."""
    n = kimg * 1000.0
    if rampup > 0:
        n = min(n, rampup * step * batch_size)
    return 0.5 ** (batch_size / max(n, 1e-8))


class Average:
    def __init__(self, params: list[nn.Parameter], batch_size: int, kimg: float, rampup: float):
        self.params = list(params)
        self.batch_size, self.kimg, self.rampup = batch_size, kimg, rampup
        with torch.no_grad():
            self.avg = [p.detach().clone() for p in self.params]

    @torch.no_grad()
    def update(self, step: int) -> None:
        """After the update of step `step` (1-based: `step` updates done)."""
        b = beta(step, self.batch_size, self.kimg, self.rampup)
        torch._foreach_lerp_(self.avg, [p.detach() for p in self.params], 1.0 - b)

    @contextlib.contextmanager
    def swapped(self):
        """The generator carries the average inside the block, its own weights again after it."""
        with torch.no_grad():
            live = [p.detach().clone() for p in self.params]
            for p, a in zip(self.params, self.avg):
                p.copy_(a)
        try:
            yield
        finally:
            with torch.no_grad():
                for p, w in zip(self.params, live):
                    p.copy_(w)

    def state(self) -> list[torch.Tensor]:
        return [a.detach().cpu() for a in self.avg]

    def load(self, state: list[torch.Tensor]) -> None:
        if len(state) != len(self.avg) or any(s.shape != a.shape for s, a in zip(state, self.avg)):
            raise ValueError("the checkpoint's generator average does not match this generator")
        with torch.no_grad():
            for a, s in zip(self.avg, state):
                a.copy_(s)
