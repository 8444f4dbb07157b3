"""`digits`: scikit-learn's bundled handwritten digits, resized, with a stratified split.

`sklearn.datasets.load_digits` ships with scikit-learn (no network): 1,797 real 8x8 scans of
handwritten digits 0-9, grey levels 0..16, about 180 per class; they are the test part of the
UCI "optdigits" set (Alpaydin & Kaynak 1998). Ink is bright on a dark background, as in glyphs
and MNIST.

Resizing is bilinear with torch's `interpolate`, batched over all images at once (no
per-image PIL loop): the grey levels are kept as floats until the final rounding, where PIL
would work on an image already quantised to 8 bits. The recipe only enlarges (image_size >= 8),
so the antialias flag of the shared `resize_to_uint8` (also used by the real datasets, which do
shrink) stays off here. The split is stratified: each class gives its share of `n_test`
(largest remainder), drawn by `seed`, so train and test have the class proportions of the
whole set. All 1,797 images take well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ganlab.config import param

SOURCE = "scikit-learn load_digits (UCI optdigits test set)"
N_IMAGES = 1797


@dataclass
class DigitsConfig:
    recipe: Literal["digits"] = param("digits", "scikit-learn's 1,797 real 8x8 handwritten digits (offline), resized")
    image_size: int = param(16, "side of the square grayscale images, in pixels (bilinear from 8x8)", ge=8, le=128)
    n_test: int = param(
        297, "test images, stratified by class; the other 1,797 - n_test are the training set", ge=10, le=1700
    )
    seed: int = param(0, "seed of the stratified train/test split and of the image order", ge=0)


CONFIGS = {"digits": DigitsConfig}


def describe(cfg) -> dict:
    return {"kind": "images", "shape": [1, cfg.image_size, cfg.image_size], "dim": cfg.image_size**2, "classes": 10}


def resize_to_uint8(x: np.ndarray, size: int, peak: float = 255.0, chunk: int = 4096) -> np.ndarray:
    """(N, C, h, w) images with values in [0, peak] -> uint8 (N, C, size, size) in [0, 255].

    Bilinear (align_corners=False), antialiased when shrinking so that thin strokes are
    averaged rather than skipped; chunked so a 60,000-image set does not need 60,000 float
    copies at once."""
    n, c, h, w = x.shape
    if (h, w) == (size, size) and x.dtype == np.uint8 and peak == 255:
        return x
    import torch
    import torch.nn.functional as F

    out = np.empty((n, c, size, size), np.uint8)
    for a in range(0, n, chunk):
        t = torch.from_numpy(np.asarray(x[a : a + chunk], np.float32)) / peak
        if (h, w) != (size, size):
            t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False, antialias=size < max(h, w))
        out[a : a + chunk] = (t.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    return out


def stratified_split(labels: np.ndarray, n_test: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) of a split with n_test test items, each class contributing in
    proportion to its count (largest remainder); both index lists come back shuffled."""
    labels = np.asarray(labels)
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * n_test / len(labels)
    take = np.floor(quota).astype(int)
    take[np.argsort(-(quota - take), kind="stable")[: n_test - take.sum()]] += 1
    train, test = [], []
    for c, k in zip(classes, take):
        idx = rng.permutation(np.flatnonzero(labels == c))
        test.append(idx[:k])
        train.append(idx[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def make(cfg) -> tuple[dict[str, np.ndarray], dict]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = resize_to_uint8(digits.images[:, None], cfg.image_size, peak=16.0)
    labels = digits.target.astype(np.int64)
    train, test = stratified_split(labels, cfg.n_test, np.random.default_rng(cfg.seed))
    arrays = {"train": images[train], "train_labels": labels[train], "test": images[test], "test_labels": labels[test]}
    meta = {
        "kind": "images",
        "shape": [1, cfg.image_size, cfg.image_size],
        "dim": cfg.image_size**2,
        "classes": 10,
        "class_names": [str(d) for d in range(10)],
        "source": SOURCE,
        "native_size": 8,
        "storage": "uint8 in [0, 255]; models see x / 127.5 - 1 in [-1, 1]",
    }
    return arrays, meta
