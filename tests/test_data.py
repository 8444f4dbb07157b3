"""Dataset recipes: the PacGAN settings exactly, user mixtures, determinism, the on-disk contract."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ganlab import data
from ganlab.config import validate
from ganlab.data.mixtures import centres_of


def cfgs(tiny_params, **extra):
    tiny_params["datasets"].update(extra)
    return validate(tiny_params).datasets


def test_ring_and_grid_are_pacgan(tiny_params):
    d = validate(tiny_params).datasets
    ring = centres_of(d["ring8"])
    assert ring.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 1.0)
    np.testing.assert_allclose(ring[0], [1.0, 0.0], atol=1e-12)
    assert d["ring8"].std == 0.01 and d["grid25"].std == 0.05
    grid = centres_of(d["grid25"])
    assert sorted({tuple(c) for c in grid}) == [(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)]
    assert d["toy1d"].mean == 7.5 and d["toy1d"].std == 1.0


@pytest.mark.parametrize("name", ["ring8", "grid25", "toy1d"])
def test_samples_match_recipe(tiny_params, name):
    cfg = validate(tiny_params).datasets[name]
    arrays, meta = data.get_recipe(cfg.recipe).make(cfg)
    x = arrays["train"].astype(np.float64)
    c = np.asarray(meta["centres"])
    nearest = np.linalg.norm(x[:, None, :] - c[None], axis=-1).argmin(1)
    resid = x - c[nearest]
    # Per-axis residual std equals the recipe's std (chi-square bound for n = 2000: a few %).
    np.testing.assert_allclose(resid.std(0), meta["std"], rtol=0.08)
    counts = np.bincount(nearest, minlength=len(c))
    assert counts.min() > 0.5 * len(x) / len(c)  # every mode present, roughly equally
    again, _ = data.get_recipe(cfg.recipe).make(cfg)
    np.testing.assert_array_equal(again["train"], arrays["train"])  # deterministic from its seed
    assert not np.array_equal(arrays["train"][: len(arrays["test"])], arrays["test"])


def test_mixture_weights(tiny_params):
    cfg = cfgs(
        tiny_params, mix={"recipe": "mixture", "centres": [[0], [10]], "weights": [3, 1], "std": 0.1, "n_train": 20000}
    )["mix"]
    arrays, meta = data.get_recipe("mixture").make(cfg)
    share = (arrays["train"][:, 0] > 5).mean()
    assert abs(share - 0.25) < 0.01
    assert meta["weights"] == [0.75, 0.25] and meta["dim"] == 1


def test_prepare_writes_contract(tmp_path, tiny_params):
    cfg = validate(tiny_params).datasets["ring8"]
    meta = data.prepare(cfg, tmp_path / "ring8")
    assert sorted(p.name for p in (tmp_path / "ring8").iterdir()) == ["checksums.json", "data.npz", "meta.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ring8"]  # no temporary leftovers
    on_disk = json.loads((tmp_path / "ring8/meta.json").read_text())
    assert on_disk == meta and meta["splits"] == {"train": 2000, "test": 500}
    assert meta["kind"] == "points" and meta["recipe"]["recipe"] == "ring" and len(meta["centres"]) == 8
    arrays, meta2 = data.load(tmp_path / "ring8")
    assert arrays["train"].shape == (2000, 2) and arrays["train"].dtype == np.float32


def test_load_missing_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"dvc repro prepare@nothing"):
        data.load(tmp_path / "nothing")


def test_prepare_is_byte_deterministic(tmp_path, tiny_params):
    """Same recipe, same bytes: rerunning prepare (e.g. after a code change elsewhere in the
    data package) must not look like new data to dvc and retrain every run."""
    import time

    cfg = validate(tiny_params).datasets["grid25"]
    data.prepare(cfg, tmp_path / "a")
    time.sleep(2.1)  # zip timestamps have 2 s resolution: a time-stamping writer would differ
    data.prepare(cfg, tmp_path / "b")
    for name in ("data.npz", "meta.json", "checksums.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_recipes_are_discovered_from_their_modules(tmp_path):
    """Every public module's CONFIGS is registered (no table to keep in step), read without
    importing the module (a stage imports its own recipe's module only); a name that two modules
    define stops the registry with both modules named."""
    import importlib
    import pkgutil

    from ganlab import plugins

    modules = [
        importlib.import_module(f"ganlab.data.{m.name}")
        for m in pkgutil.iter_modules(data.__path__)
        if not m.name.startswith("_")
    ]
    assert data.list_recipes() == sorted(n for m in modules for n in getattr(m, "CONFIGS", {}))
    assert {data.recipe_module(n) for m in modules for n in getattr(m, "CONFIGS", {})} == {
        m.__name__ for m in modules if getattr(m, "CONFIGS", None)
    }
    assert (
        data.recipe_module("ring") == "ganlab.data.mixtures" and data.get_recipe("ring").Config.__name__ == "RingConfig"
    )
    assert {"toy1d", "ring", "glyphs", "sr_glyphs", "mnist"} <= set(data.list_recipes())
    with pytest.raises(KeyError, match="unknown dataset recipe 'nope'; known: cifar10, digits"):
        data.get_recipe("nope")
    (tmp_path / "glyphs.py").write_text("CONFIGS = {'glyphs': 1, 'ring': 2}\n")
    (tmp_path / "mixtures.py").write_text("from x import Ring\nCONFIGS = {'ring': Ring}\n")
    with pytest.raises(
        RuntimeError, match="'ring' is defined twice: in CONFIGS of ganlab.data.glyphs and of ganlab.data.mixtures"
    ):
        plugins.index("ganlab.data", [str(tmp_path)], "CONFIGS")
    (tmp_path / "mixtures.py").write_text("CONFIGS = {NAME: 1}\n")
    with pytest.raises(RuntimeError, match="keys must be string literals"):
        plugins.index("ganlab.data", [str(tmp_path)], "CONFIGS")
