"""Image-to-image translation datasets, rendered from the `glyphs` digits with known factors.

- `edges2glyphs` (paired, as pix2pix's edges2shoes): the input is a binary edge map (Sobel
  magnitude above a threshold) of the glyph's outline, the target the glyph. By default
  (`edges_from: thin`) the edges are those of the glyph drawn at the thinnest stroke in the
  same pose, while the target is drawn at its own random stroke width: like a sketch, the
  edge map fixes shape and pose but not the stroke width, as a shoe's edges fix its shape but
  not its colour. The target is then not a function of the input, and that ambiguity is what
  makes an L1-only model blur (it predicts the mean width) where an adversarial loss must pick
  a sharp one. `edges_from: target` gives the edges of the target itself (no ambiguity).
- `sr_glyphs` (paired, super-resolution): the input is the glyph downsampled by `factor` with
  area averaging (the mean of each factor x factor block, rounded to uint8), the target the
  glyph at full size (32x32 -> 8x8 by default).
- `glyphs2styled` (unpaired, as CycleGAN's horse2zebra): domain A is plain white-on-black
  glyphs (3 channels, grey), domain B glyphs with thicker strokes in a warm colour over a
  dark-blue striped background (stripe angle and phase drawn per image). A and B are drawn
  from two independent generators spawned from the seed, so A[i] and B[i] share nothing: no
  pairs exist. Their labels and factors are stored for evaluation only.

Storage (uint8, models see x / 127.5 - 1): paired sets keep the target in `train`/`test`
(what the evaluation classifier and non-translation families see) and the input in
`train_input`/`test_input`, row-aligned. Unpaired sets keep domain B in `train`/`test` and
domain A in `a_train`/`a_test` (with `a_*_labels`, `a_*_factors`). `meta["pairing"]` says
which, `meta["input_shape"]` / `meta["a_shape"]` give the other side's shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ganlab.config import ConfigError, param
from ganlab.data.glyphs import FACTORS, GlyphsConfig, draw_factors, glyph_masks, render

STORAGE = "uint8 in [0, 255]; models see x / 127.5 - 1 in [-1, 1]"


@dataclass
class Edges2GlyphsConfig(GlyphsConfig):
    recipe: Literal["edges2glyphs"] = param(
        "edges2glyphs", "paired: an edge map of each glyph (input) and the glyph (target)"
    )
    image_size: int = param(32, "side of input and target images, in pixels", ge=8, le=256)
    n_train: int = param(6000, "training pairs", ge=10, le=1_000_000)
    n_test: int = param(1000, "held-out test pairs", ge=10, le=1_000_000)
    edges_from: Literal["thin", "target"] = param(
        "thin",
        "edges of the glyph drawn at the thinnest stroke (the target's width is then not in the input) or of the "
        "target itself",
    )
    edge_threshold: float = param(
        2.0,
        "an input pixel is an edge where the Sobel magnitude of the [0, 1] glyph exceeds this (a sharp unit step "
        "gives 4)",
        gt=0,
    )


@dataclass
class SRGlyphsConfig(GlyphsConfig):
    recipe: Literal["sr_glyphs"] = param(
        "sr_glyphs", "paired: glyphs downsampled by area averaging (input) and at full size (target)"
    )
    image_size: int = param(32, "side of the full-size target images, in pixels", ge=8, le=256)
    n_train: int = param(6000, "training pairs", ge=10, le=1_000_000)
    n_test: int = param(1000, "held-out test pairs", ge=10, le=1_000_000)
    factor: int = param(4, "downsampling factor (the input side is image_size / factor)", ge=2, le=8)

    def check(self, path: str) -> None:
        super().check(path)
        if self.image_size % self.factor:
            raise ConfigError(f"{path}.factor", f"must divide image_size ({self.image_size}), got {self.factor}")


@dataclass
class Glyphs2StyledConfig(GlyphsConfig):
    recipe: Literal["glyphs2styled"] = param(
        "glyphs2styled", "unpaired: plain glyphs (domain A) and independently drawn styled glyphs (domain B)"
    )
    image_size: int = param(16, "side of the square 3-channel images of both domains, in pixels", ge=8, le=256)
    n_train: int = param(6000, "training images per domain", ge=10, le=1_000_000)
    n_test: int = param(1000, "test images per domain", ge=10, le=1_000_000)
    thickness_levels: int = param(
        2, "stroke widths of domain A (0..levels-1); domain B uses levels..2*levels-1 (thicker)", ge=1, le=4
    )
    stripe_period: float = param(4.0, "domain B background: period of the stripes, in pixels", gt=1)


CONFIGS = {"edges2glyphs": Edges2GlyphsConfig, "sr_glyphs": SRGlyphsConfig, "glyphs2styled": Glyphs2StyledConfig}


def describe(cfg) -> dict:
    s = cfg.image_size
    if cfg.recipe == "glyphs2styled":
        return {
            "kind": "images",
            "shape": [3, s, s],
            "dim": 3 * s * s,
            "classes": 10,
            "pairing": "unpaired",
            "a_shape": [3, s, s],
        }
    inp = s // cfg.factor if cfg.recipe == "sr_glyphs" else s
    return {
        "kind": "images",
        "shape": [1, s, s],
        "dim": s * s,
        "classes": 10,
        "pairing": "paired",
        "input_shape": [1, inp, inp],
    }


def sobel_edges(images: np.ndarray, threshold: float) -> np.ndarray:
    """Binary edge maps (uint8 0/255) of uint8 images (n, 1, h, w): Sobel magnitude of the
    [0, 1] image above `threshold` (zero padding outside the image). The 3x3 Sobel kernels are
    applied per image (scipy.ndimage.sobel on the stack would also smooth across images)."""
    from scipy import ndimage

    x = images[:, 0].astype(np.float32) / 255.0
    kx = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])[None]  # (1, 3, 3): d/dx, smoothed in y
    gx = ndimage.correlate(x, kx, mode="constant")
    gy = ndimage.correlate(x, kx.transpose(0, 2, 1), mode="constant")
    return ((np.hypot(gx, gy) > threshold) * 255).astype(np.uint8)[:, None]


def area_downsample(images: np.ndarray, factor: int) -> np.ndarray:
    """Mean of each factor x factor block (area averaging), rounded to uint8."""
    n, c, h, w = images.shape
    blocks = images.reshape(n, c, h // factor, factor, w // factor, factor).astype(np.float32)
    return np.round(blocks.mean((3, 5))).astype(np.uint8)


def style(masks01: np.ndarray, rng: np.random.Generator, period: float) -> np.ndarray:
    """Domain B: glyph masks (n, 1, s, s) in [0, 1] -> RGB uint8, a warm stroke colour over a
    dark-blue background with stripes of random angle and phase."""
    n, _, s, _ = masks01.shape
    angle = rng.uniform(0, np.pi, n)[:, None, None]
    phase = rng.uniform(0, 2 * np.pi, n)[:, None, None]
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    stripes = 0.5 + 0.5 * np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period + phase)  # (n, s, s)
    bg = np.array([0.10, 0.25, 0.55], np.float32)[None, :, None, None] * (0.55 + 0.45 * stripes[:, None])
    stroke = np.array([1.00, 0.65, 0.15], np.float32)[None, :, None, None] * rng.uniform(0.85, 1.0, (n, 1, 1, 1))
    img = bg * (1 - masks01) + stroke * masks01
    return np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)


def _paired(cfg) -> tuple[dict[str, np.ndarray], dict]:
    rng = np.random.default_rng(cfg.seed)
    masks = glyph_masks(cfg.thickness_levels)
    arrays = {}
    for split, n in (("train", cfg.n_train), ("test", cfg.n_test)):
        factors = draw_factors(cfg, n, rng)
        target = render(masks, factors, cfg.image_size)
        if cfg.recipe == "sr_glyphs":
            inp = area_downsample(target, cfg.factor)
        elif cfg.edges_from == "thin":
            thin = factors.copy()
            thin[:, 2] = 0  # same pose, thinnest stroke
            inp = sobel_edges(render(masks, thin, cfg.image_size), cfg.edge_threshold)
        else:
            inp = sobel_edges(target, cfg.edge_threshold)
        arrays.update(
            {
                split: target,
                f"{split}_input": inp,
                f"{split}_labels": factors[:, 0].astype(np.int64),
                f"{split}_factors": factors,
            }
        )
    return arrays, {
        "input_role": "area-averaged downsample" if cfg.recipe == "sr_glyphs" else f"edge map ({cfg.edges_from})"
    }


def _unpaired(cfg) -> tuple[dict[str, np.ndarray], dict]:
    rng_a, rng_b = np.random.default_rng(cfg.seed).spawn(2)  # independent streams: no pairs
    levels = cfg.thickness_levels
    masks = glyph_masks(2 * levels)
    arrays = {}
    for split, n in (("train", cfg.n_train), ("test", cfg.n_test)):
        fa = draw_factors(cfg, n, rng_a)
        a = render(masks, fa, cfg.image_size)
        fb = draw_factors(cfg, n, rng_b)
        fb[:, 2] += levels  # thicker strokes in domain B
        b = style(render(masks, fb, cfg.image_size).astype(np.float32) / 255.0, rng_b, cfg.stripe_period)
        arrays.update(
            {
                split: b,
                f"{split}_labels": fb[:, 0].astype(np.int64),
                f"{split}_factors": fb,
                f"a_{split}": np.repeat(a, 3, axis=1),
                f"a_{split}_labels": fa[:, 0].astype(np.int64),
                f"a_{split}_factors": fa,
            }
        )
    return arrays, {
        "domains": {"a": "plain glyphs (grey, 3 channels)", "b": "styled glyphs: thicker, coloured, striped background"}
    }


def make(cfg) -> tuple[dict[str, np.ndarray], dict]:
    arrays, extra = _unpaired(cfg) if cfg.recipe == "glyphs2styled" else _paired(cfg)
    meta = {
        **describe(cfg),
        "class_names": [str(d) for d in range(10)],
        "factors": FACTORS,
        "storage": STORAGE,
        **extra,
    }
    return arrays, meta
