"""Translation datasets: paired edges and super-resolution sets, the unpaired styled set."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ganlab import data
from ganlab.config import ConfigError, build
from ganlab.data.translation import area_downsample, sobel_edges


def make(recipe, **over):
    cfg = build(data.get_recipe(recipe).Config, {"recipe": recipe, "n_train": 400, "n_test": 100, **over}, "datasets.t")
    return cfg, *data.get_recipe(recipe).make(cfg)


@pytest.mark.parametrize("recipe", ["edges2glyphs", "sr_glyphs", "glyphs2styled"])
def test_shapes_match_describe_and_are_deterministic(recipe):
    cfg, arrays, meta = make(recipe)
    desc = data.get_recipe(recipe).describe(cfg)
    assert meta["kind"] == desc["kind"] == "images" and meta["pairing"] == desc["pairing"]
    assert arrays["train"].shape == (400, *desc["shape"]) and arrays["test"].shape == (100, *desc["shape"])
    other = "input" if desc["pairing"] == "paired" else "a"
    key = "train_input" if other == "input" else "a_train"
    assert arrays[key].shape == (400, *desc[f"{other}_shape" if other == "a" else "input_shape"])
    assert all(v.dtype == np.uint8 for k, v in arrays.items() if not k.endswith(("labels", "factors")))
    again = data.get_recipe(recipe).make(cfg)[0]
    for k in arrays:
        np.testing.assert_array_equal(again[k], arrays[k], err_msg=k)


def test_sr_input_is_the_area_average_of_the_target():
    cfg, arrays, meta = make("sr_glyphs")
    assert meta["input_shape"] == [1, 8, 8] and meta["shape"] == [1, 32, 32]
    y = arrays["train"][:5].astype(np.float64)
    block = y[0, 0, 4:8, 8:12].mean()
    assert abs(float(arrays["train_input"][0, 0, 1, 2]) - block) <= 0.5  # rounded to uint8
    np.testing.assert_array_equal(area_downsample(arrays["train"], 4), arrays["train_input"])
    with pytest.raises(ConfigError, match=r"datasets.t.factor: must divide image_size \(32\), got 3"):
        make("sr_glyphs", factor=3)


def test_sobel_edges_mark_the_boundary_of_a_square():
    img = np.zeros((1, 1, 12, 12), np.uint8)
    img[0, 0, 3:9, 3:9] = 255
    e = sobel_edges(img, 2.0)[0, 0] > 0
    assert e[3, 5] and e[2, 5] and e[5, 3]  # on the boundary (both sides of the step)
    assert not e[5, 5] and not e[0, 0]  # not inside, not far outside


def test_edges_of_thin_glyphs_hide_the_stroke_width():
    """`thin`: the input is the same for every stroke width of a pose, so the width is not in it;
    `target`: the edges follow the target (thicker glyph, more edge pixels)."""
    _, thin, _ = make("edges2glyphs")
    _, own, _ = make("edges2glyphs", edges_from="target")
    width = thin["train_factors"][:, 2]
    ink_thin = (thin["train_input"] > 0).reshape(400, -1).mean(1)
    ink_own = (own["train_input"] > 0).reshape(400, -1).mean(1)
    np.testing.assert_array_equal(thin["train"], own["train"])  # same targets either way
    assert (
        abs(stats.spearmanr(width, ink_own).statistic) > 0.18
    )  # seeds 0-29: 0.24-0.40 (mean 0.34, sd 0.04); seed 0: 0.34
    assert abs(stats.spearmanr(width, ink_thin).statistic) < 0.15  # seeds 0-29: |r| <= 0.11 (sd 0.04)


def test_unpaired_domains_are_independent_draws():
    """No pairing: A[i] and B[i] share no factor (labels: chi-square test of independence on the
    10 x 10 contingency table; rotations: rank correlation), while each domain follows its recipe."""
    cfg, arrays, meta = make("glyphs2styled", n_train=3000)
    la, lb = arrays["a_train_labels"], arrays["train_labels"]
    assert (la == lb).mean() < 0.15  # chance: 0.1
    table = np.zeros((10, 10))
    np.add.at(table, (la, lb), 1)
    assert stats.chi2_contingency(table).pvalue > 1e-3
    rot_a, rot_b = arrays["a_train_factors"][:, 1], arrays["train_factors"][:, 1]
    assert abs(stats.spearmanr(rot_a, rot_b).statistic) < 0.06
    # domain B is the styled one: thicker strokes, coloured (channels differ); A is grey
    assert arrays["train_factors"][:, 2].min() >= cfg.thickness_levels > arrays["a_train_factors"][:, 2].max()
    a, b = arrays["a_train"].astype(int), arrays["train"].astype(int)
    assert (a[:, 0] == a[:, 1]).all() and (a[:, 1] == a[:, 2]).all()
    assert b[:, 0].mean() != pytest.approx(b[:, 2].mean(), abs=5)
    assert meta["a_shape"] == meta["shape"] == [3, 16, 16]
