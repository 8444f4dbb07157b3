"""Gaussian-mixture point datasets: the course's 1-D toy, the PacGAN ring and grid, and
user-defined mixtures.

- `toy1d`: the course notebook's real data, a standard normal shifted to 7.5 (1-D).
- `ring`: 8 centres on a circle of radius 1, std 0.01 (PacGAN / VEEGAN 2-D ring).
- `grid`: 25 centres at {-4,-2,0,2,4}^2, std 0.05 (PacGAN / VEEGAN 2-D grid).
- `mixture`: any centres, one std, optional weights, declared in params.yaml.
All four draw from one sampler; `meta.json` carries the centres, std and weights that the
mode-coverage metric needs. 100,000 training points, as in PacGAN; a separate test split is
the second real sample for noise floors.

Sizes are bounded (COORD_MAX): every centre coordinate, mean, radius, grid half-width and std is at
most 1,000,000 in absolute value, so the float32 points and the squared distances the metrics take stay
finite (centres of 1e39 overflow float32 to inf); validation names the key path otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ganlab.config import ConfigError, param, show

COORD_MAX = 1_000_000  # |coordinate|, std, radius: float32 points, and their squared distances, stay finite


@dataclass
class _Common:
    n_train: int = param(100_000, "training points (PacGAN uses 100,000)", ge=10, le=10_000_000)
    n_test: int = param(10_000, "held-out points: the second real sample for noise floors", ge=10, le=1_000_000)
    seed: int = param(0, "seed of the generator that draws the points", ge=0)


@dataclass
class Toy1dConfig(_Common):
    recipe: Literal["toy1d"] = param("toy1d", "a 1-D normal: the course's toy GAN data")
    mean: float = param(7.5, "mean of the real data (the notebook's 7.5)", ge=-COORD_MAX, le=COORD_MAX)
    std: float = param(1.0, "standard deviation of the real data", gt=0, le=COORD_MAX)


@dataclass
class RingConfig(_Common):
    recipe: Literal["ring"] = param("ring", "Gaussians evenly spaced on a circle")
    modes: int = param(8, "number of centres on the circle", ge=1, le=10_000)
    radius: float = param(1.0, "radius of the circle", gt=0, le=COORD_MAX)
    std: float = param(0.01, "standard deviation of each Gaussian", gt=0, le=COORD_MAX)


@dataclass
class GridConfig(_Common):
    recipe: Literal["grid"] = param("grid", "Gaussians on a square grid centred at the origin")
    side: int = param(5, "centres per side (side^2 modes)", ge=1, le=100)
    spacing: float = param(
        2.0,
        "distance between neighbouring centres (the outermost at most 1,000,000 from the origin)",
        gt=0,
        le=COORD_MAX,
    )
    std: float = param(0.05, "standard deviation of each Gaussian", gt=0, le=COORD_MAX)

    def check(self, path: str) -> None:
        if (self.side - 1) / 2 * self.spacing > COORD_MAX:
            raise ConfigError(
                f"{path}.spacing",
                f"the outermost centres lie at (side - 1) / 2 x spacing = "
                f"{(self.side - 1) / 2 * self.spacing:,g} from the origin; at most {COORD_MAX:,} allowed",
            )


@dataclass
class MixtureConfig(_Common):
    recipe: Literal["mixture"] = param("mixture", "a user-defined isotropic Gaussian mixture")
    centres: list[list[float]] = param(
        [],
        "mode centres, one list of coordinates each (all the same length, any dimension, each within ±1,000,000); "
        "required",
    )
    std: float = param(0.05, "standard deviation of every component", gt=0, le=COORD_MAX)
    weights: list[float] = param([], "mixing weights (normalised); empty means equal weights", ge=0)

    def check(self, path: str) -> None:
        dims = {len(c) for c in self.centres}
        if not self.centres or len(dims) != 1 or 0 in dims:
            raise ConfigError(
                f"{path}.centres",
                f"expected a non-empty list of equal-length coordinate lists, got {show(self.centres)}",
            )
        for i, centre in enumerate(self.centres):
            for j, v in enumerate(centre):
                if abs(v) > COORD_MAX:
                    raise ConfigError(
                        f"{path}.centres[{i}][{j}]",
                        f"coordinates must lie within ±{COORD_MAX:,} (float32 points), got {show(v)}",
                    )
        if self.weights and (len(self.weights) != len(self.centres) or sum(self.weights) <= 0):
            raise ConfigError(
                f"{path}.weights",
                f"expected {len(self.centres)} non-negative weights with a positive sum "
                f"(one per centre) or [], got {self.weights!r}",
            )


CONFIGS = {"toy1d": Toy1dConfig, "ring": RingConfig, "grid": GridConfig, "mixture": MixtureConfig}


def centres_of(cfg) -> np.ndarray:
    if cfg.recipe == "toy1d":
        return np.array([[cfg.mean]])
    if cfg.recipe == "ring":
        angles = 2 * np.pi * np.arange(cfg.modes) / cfg.modes
        return cfg.radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if cfg.recipe == "grid":
        ticks = (np.arange(cfg.side) - (cfg.side - 1) / 2) * cfg.spacing
        return np.array([[x, y] for x in ticks for y in ticks])
    return np.asarray(cfg.centres, dtype=np.float64)


def weights_of(cfg) -> np.ndarray:
    k = len(centres_of(cfg))
    w = np.asarray(getattr(cfg, "weights", None) or np.ones(k), dtype=np.float64)
    return w / w.sum()


def describe(cfg) -> dict:
    return {"kind": "points", "dim": int(centres_of(cfg).shape[1])}


def sample_mixture(
    centres: np.ndarray, std: float, weights: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    idx = rng.choice(len(centres), size=n, p=weights)
    return centres[idx] + std * rng.standard_normal((n, centres.shape[1]))


def make(cfg) -> tuple[dict[str, np.ndarray], dict]:
    centres, weights = centres_of(cfg), weights_of(cfg)
    rng = np.random.default_rng(cfg.seed)
    train = sample_mixture(centres, cfg.std, weights, cfg.n_train, rng).astype(np.float32)
    test = sample_mixture(centres, cfg.std, weights, cfg.n_test, rng).astype(np.float32)
    lo, hi = centres.min(0) - 4 * cfg.std, centres.max(0) + 4 * cfg.std
    meta = {
        "kind": "points",
        "dim": int(centres.shape[1]),
        "centres": centres.tolist(),
        "std": float(cfg.std),
        "weights": weights.tolist(),
        "range": [lo.tolist(), hi.tolist()],
    }  # where the density lives: plot limits
    return {"train": train, "test": test}, meta
