"""Truncation: trade diversity for quality by drawing the latent noise from a smaller region.

The course's truncation trick: draw z from the generator's latent distribution and resample
every component whose magnitude exceeds a threshold tau, until none does (only the offending
components are redrawn, from the same distribution). tau is absolute for N(0, I) latents and
a fraction of the support's half-width for U[-1, 1] latents, where it must lie in (0, 1]
(1 = no truncation). It acts on the noise part z[..., :z_dim] only: InfoGAN's codes are drawn
as usual. StyleGAN also truncates in w: w = w_avg + psi (w - w_avg) (Karras et al. 2019).
"""

from __future__ import annotations

import torch

MAX_ROUNDS = 100_000


def truncate(noise: torch.Tensor, tau: float, dist: str, gen: torch.Generator) -> torch.Tensor:
    """A copy of `noise` in which every component with |z_i| > tau has been redrawn from `dist`
    ("normal": N(0, 1), "uniform": U[-1, 1]) until none exceeds tau."""
    if dist not in ("normal", "uniform"):
        raise ValueError(f"dist must be 'normal' or 'uniform', got {dist!r}")
    if not tau > 0 or (dist == "uniform" and tau > 1):
        allowed = "(0, 1] for uniform latents" if dist == "uniform" else "> 0"
        raise ValueError(f"tau must be in {allowed}, got {tau!r}")
    z = noise.clone()
    for _ in range(MAX_ROUNDS):
        bad = z.abs() > tau
        n = int(bad.sum())
        if n == 0:
            return z
        fresh = (
            torch.randn(n, generator=gen, dtype=z.dtype)
            if dist == "normal"
            else torch.rand(n, generator=gen, dtype=z.dtype) * 2 - 1
        )
        z[bad] = fresh.to(z.device)
    raise RuntimeError(f"truncation at tau={tau} did not finish in {MAX_ROUNDS} rounds")


def truncated_latent(model, n: int, tau: float, rng, gen: torch.Generator) -> torch.Tensor:
    """model.latent(n, rng) with its noise part truncated at tau: (S, n, z_dim + codes)."""
    z = model.latent(n, rng)
    z[..., : model.z_dim] = truncate(z[..., : model.z_dim], tau, model.cfg.z_dist, gen)
    return z


def taus(model, study) -> tuple[list[float], str]:
    """The run's tau grid from the study config (by its latent distribution) and its unit."""
    if model.cfg.z_dist == "uniform":
        return list(study.tau_uniform), "fraction of U[-1, 1]'s half-width"
    return list(study.tau_normal), "standard deviations of N(0, 1)"
