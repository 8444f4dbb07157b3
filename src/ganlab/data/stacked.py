"""`stacked`: three independent glyph digits in the three channels of one image (1,000 modes).

The stacked-MNIST construction of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018),
made offline with the `glyphs` renderer instead of MNIST: every channel holds its own digit
with its own pose and stroke, drawn independently with the glyphs settings, so the mode of an
image is its class triple and there are 10^3 = 1,000 of them, equally likely. Labels are
(N, 3) (the class of each channel, red = hundreds when read as a number), factors (N, 3, 6)
(channel x the glyph factors). At the default 20,000 training images every triple occurs
(about 20 each; the chance that one is missing is about 1000 * e^-20).

The channels are rendered by `glyphs.render` in one batch of 3N masks, about as fast as
glyphs itself: 22,000 images of 3x16x16 take about 2 s on a 2-core CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ganlab.config import param
from ganlab.data.glyphs import FACTORS, GlyphsConfig, draw_factors, glyph_masks, render

MODES = 1000


@dataclass
class StackedConfig(GlyphsConfig):
    # Same pose settings (and the same check) as glyphs, applied to each channel on its own.
    recipe: Literal["stacked"] = param(
        "stacked", "three independent glyph digits in the R, G, B channels (1,000 modes)"
    )
    image_size: int = param(16, "side of the square 3-channel images, in pixels", ge=8, le=256)


CONFIGS = {"stacked": StackedConfig}


def describe(cfg) -> dict:
    return {
        "kind": "images",
        "shape": [3, cfg.image_size, cfg.image_size],
        "dim": 3 * cfg.image_size**2,
        "classes": 10,
        "per_channel_labels": True,
    }


def make(cfg) -> tuple[dict[str, np.ndarray], dict]:
    rng = np.random.default_rng(cfg.seed)
    masks = glyph_masks(cfg.thickness_levels)
    s = cfg.image_size
    arrays = {}
    for split, n in (("train", cfg.n_train), ("test", cfg.n_test)):
        # 3n i.i.d. glyphs; rows 3i, 3i+1, 3i+2 are the channels of image i.
        factors = draw_factors(cfg, 3 * n, rng)
        arrays[split] = render(masks, factors, s).reshape(n, 3, s, s)
        factors = factors.reshape(n, 3, len(FACTORS))
        arrays[f"{split}_labels"] = factors[:, :, 0].astype(np.int64)
        arrays[f"{split}_factors"] = factors
    meta = {
        "kind": "images",
        "shape": [3, s, s],
        "dim": 3 * s * s,
        "classes": 10,
        "class_names": [str(d) for d in range(10)],
        "per_channel_labels": True,
        "modes": MODES,
        "factors": FACTORS,
        "factor_axes": ["image", "channel", "factor"],
        "storage": "uint8 in [0, 255]; models see x / 127.5 - 1 in [-1, 1]",
    }
    return arrays, meta
