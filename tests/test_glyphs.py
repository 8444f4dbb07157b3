"""The offline `glyphs` image dataset: shapes, determinism, and factors that really act."""

from __future__ import annotations

import numpy as np
import pytest

from ganlab import data
from ganlab.config import ConfigError, build, validate
from ganlab.data.glyphs import FACTORS, GlyphsConfig, draw_factors, glyph_masks, make, render


def cfg(**over):
    return build(GlyphsConfig, {"recipe": "glyphs", "n_train": 400, "n_test": 100, "image_size": 16, **over}, "d")


def test_shapes_ranges_and_determinism():
    arrays, meta = make(cfg())
    assert arrays["train"].shape == (400, 1, 16, 16) and arrays["train"].dtype == np.uint8
    assert arrays["test"].shape == (100, 1, 16, 16)
    assert arrays["train_factors"].shape == (400, len(FACTORS)) and meta["factors"] == FACTORS
    np.testing.assert_array_equal(arrays["train_labels"], arrays["train_factors"][:, 0].astype(int))
    assert set(arrays["train_labels"]) == set(range(10))
    f = arrays["train_factors"]
    assert np.abs(f[:, 1]).max() <= 20 and set(f[:, 2]) <= {0, 1, 2, 3}
    assert 0.75 <= f[:, 3].min() and f[:, 3].max() <= 1.0 and np.abs(f[:, 4:]).max() <= 0.08
    assert arrays["train"].max() == 255 and arrays["train"].min() == 0
    again, _ = make(cfg())
    np.testing.assert_array_equal(again["train"], arrays["train"])
    other, _ = make(cfg(seed=1))
    assert not np.array_equal(other["train"], arrays["train"])


def test_no_variation_means_one_image_per_class():
    arrays, _ = make(cfg(max_rotation=0, thickness_levels=1, scale_min=1, scale_max=1, max_shift=0))
    x, y = arrays["train"], arrays["train_labels"]
    for c in range(10):
        imgs = x[y == c]
        assert (imgs == imgs[0]).all()  # factors are the only source of variation
    means = np.stack([x[y == c][0].ravel().astype(float) for c in range(10)])
    corr = np.corrcoef(means)
    assert corr[~np.eye(10, dtype=bool)].max() < 0.95  # the ten digits differ


def test_factors_act_as_named():
    masks = glyph_masks(4)
    base = np.array([[8, 0, 0, 1.0, 0, 0]], np.float32)
    ink = [render(masks, base + [[0, 0, t, 0, 0, 0]], 32).astype(float).sum() for t in range(4)]
    assert all(a < b for a, b in zip(ink, ink[1:]))  # thicker stroke, more ink
    small = render(masks, base + [[0, 0, 0, -0.3, 0, 0]], 32).astype(float).sum()
    assert small < 0.7 * ink[0]  # scale 0.7: ink falls about as 0.7^2
    shifted = render(masks, np.array([[1, 0, 0, 1.0, 0.25, 0]], np.float32), 32)[0, 0].astype(float)
    centred = render(masks, np.array([[1, 0, 0, 1.0, 0, 0]], np.float32), 32)[0, 0].astype(float)
    cx = lambda im: (im.sum(0) * np.arange(32)).sum() / im.sum()
    assert cx(shifted) - cx(centred) == pytest.approx(0.25 * 32, abs=1.0)  # shift in image fractions
    upright = render(masks, np.array([[1, 0, 0, 1.0, 0, 0]], np.float32), 32)[0, 0].astype(float)
    turned = render(masks, np.array([[1, 90, 0, 1.0, 0, 0]], np.float32), 32)[0, 0].astype(float)
    spread = lambda im, axis: im.sum(axis).astype(bool).sum()
    assert spread(upright, 0) < spread(upright, 1) and spread(turned, 0) > spread(turned, 1)  # "1" lies down


def test_recipe_is_registered_and_validated(tiny_params, tmp_path):
    tiny_params["datasets"]["glyphs"] = {"recipe": "glyphs", "n_train": 50, "n_test": 20, "image_size": 8}
    p = validate(tiny_params)
    meta = data.prepare(p.datasets["glyphs"], tmp_path / "glyphs")
    assert meta["splits"] == {"train": 50, "test": 20} and meta["shape"] == [1, 8, 8]
    arrays, _ = data.load(tmp_path / "glyphs")
    assert arrays["train"].shape == (50, 1, 8, 8) and arrays["test_labels"].shape == (20,)
    tiny_params["runs"]["gan-ring"]["dataset"] = "glyphs"  # an MLP point family cannot take images
    with pytest.raises(ConfigError, match=r"^runs\.gan-ring\.dataset: family gan trains on point datasets"):
        validate(tiny_params)
    tiny_params["runs"]["gan-ring"]["dataset"] = "ring8"
    tiny_params["datasets"]["glyphs"]["scale_min"] = 1.5
    with pytest.raises(ConfigError, match=r"^datasets\.glyphs\.scale_min: must be <= scale_max"):
        validate(tiny_params)


def test_draw_factors_uniform_classes():
    f = draw_factors(cfg(), 20000, np.random.default_rng(0))
    counts = np.bincount(f[:, 0].astype(int), minlength=10)
    assert counts.min() > 1800 and counts.max() < 2200
