"""Evaluation never stops on params that validation accepts: splits smaller
than n_samples, mixtures in more than two dimensions and image test splits of k or fewer
images are evaluated as far as they can be, the rest is listed with its reason, and the report
renders; mixture sizes that float32 cannot hold are refused by validation instead.

Every stage test hashes data/, models/ and reports/ before and after: nothing computed earlier
changes (scoring adds files under reports/ only).
"""

from __future__ import annotations

import shutil
import types

import numpy as np
import pytest
import yaml
from conftest import ROOT, TINY, run_stage
from test_validation import snapshot

from ganlab import io
from ganlab.config import ConfigError, validate
from ganlab.evaluation import images, points
from ganlab.evaluation.registry import NotComputed
from ganlab.metrics import features as fm

RUN = {
    "family": "gan",
    "seeds": [0, 1],
    "steps": 4,
    "batch_size": 16,
    "g_hidden": [8],
    "d_hidden": [8],
    "log_every": 2,
    "w_every": 2,
}
LP_5D = "the linear program on histograms bins 1-D or 2-D points (16^d bins); these have d = 5: see emd and w_sliced"


def _copy_code(root):
    for name in ("src", "stages"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two trained point runs: `small` on a ring whose splits (50 train, 20 test points) are smaller
    than n_samples (200), `five` on a 5-D mixture. Nothing evaluated yet."""
    root = tmp_path_factory.mktemp("limits")
    _copy_code(root)
    params = {
        **TINY,
        "datasets": {
            "ring-small": {"recipe": "ring", "n_train": 50, "n_test": 20},
            "five-d": {
                "recipe": "mixture",
                "centres": [[0, 0, 0, 0, 0], [1, 1, 1, 1, 1]],
                "std": 0.1,
                "n_train": 500,
                "n_test": 300,
            },
        },
        "runs": {"small": {**RUN, "dataset": "ring-small"}, "five": {**RUN, "dataset": "five-d"}},
    }
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for name in params["datasets"]:
        run_stage(root, "stages/prepare.py", name)
    for name in params["runs"]:
        run_stage(root, "stages/train.py", name)
    return root


def test_small_splits_and_five_dimensions_evaluate_and_report(trained):
    before = snapshot(trained)
    for run in ("small", "five"):
        run_stage(trained, "stages/evaluate.py", run)  # both tracebacked before
        run_stage(trained, "stages/study.py", run)
    run_stage(trained, "stages/report.py")
    after = snapshot(trained)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing earlier changed

    small = io.read_json(trained / "reports/runs/small/metrics.json")
    assert small["evaluation_notes"] == [
        "the test split has 20 points, fewer than n_samples = 200: the real sample draws 200 from it with replacement",
        "the train split has 50 points, fewer than n_samples = 200: each noise floor draws 200 from it with "
        "replacement",
    ]
    assert small["n_real"] == 200 and "not_computed" not in small
    for k in ("emd", "w_lp_hist", "w_sliced"):
        assert len(small["per_seed"][k]) == 2 and small[f"{k}_floor"] > 0, k

    five = io.read_json(trained / "reports/runs/five/metrics.json")
    assert five["not_computed"] == {"w_lp_hist": LP_5D}
    assert "w_lp_hist" not in five and "w_lp_hist" not in five["headline"] and "evaluation_notes" not in five
    assert five["n_modes"] == 2 and 0 <= five["modes_captured"] <= 2
    for k in ("emd", "w_sliced", "high_quality_pct", "d_real"):  # defined in any dimension
        assert len(five["per_seed"][k]) == 2 and np.isfinite(five[k]), k
    assert five["emd_floor"] > 0 and five["w_sliced_floor"] > 0
    assert {p.name for p in (trained / "reports/runs/five/figures").iterdir()} == {"samples.png", "curves.png"}

    readme = (trained / "reports/README.md").read_text()
    assert f"Not computed: `w_lp_hist` ({LP_5D})." in readme
    assert "Sampling: the test split has 20 points, fewer than n_samples = 200" in readme
    html = (trained / "reports/index.html").read_text()
    assert "Not computed: <code>w_lp_hist</code>" in html
    summary = io.read_json(trained / "reports/summary.json")
    assert "w_lp_hist" not in summary["runs"]["five"] and "emd" in summary["runs"]["five"]


def test_point_floors_draw_with_replacement_only_from_a_short_split():
    rng = np.random.default_rng(5)
    meta = {"centres": [[0.0, 0.0]], "std": 1.0}
    ev = types.SimpleNamespace(n_samples=200, seed=3)
    short = {"train": rng.normal(size=(50, 2)).astype(np.float32), "test": rng.normal(size=(20, 2)).astype(np.float32)}
    real, floors = points.real_and_floors(short, meta, ev, draws=3)
    members = lambda x, pool: {tuple(r) for r in x} <= {tuple(r) for r in pool}
    assert real.shape == (200, 2) and members(real, short["test"])
    assert all(f.fake.shape == (200, 2) and members(f.fake, short["train"]) for f in floors)
    # a training split of n_samples or more: the floors are the draws without replacement they always were
    full = {"train": rng.normal(size=(1000, 2)).astype(np.float32), "test": short["test"]}
    real, floors = points.real_and_floors(full, meta, ev, draws=2)
    stream = np.random.default_rng(3)
    stream.choice(20, 200)  # the real sample's draw
    for f in floors:
        idx = stream.choice(1000, size=200, replace=False)
        assert np.array_equal(f.fake, full["train"][idx]) and len(np.unique(idx)) == 200
    assert points.sampling_notes(full, 200) == [
        "the test split has 20 points, fewer than n_samples = 200: the real sample draws 200 from it with replacement"
    ]


def test_feature_metrics_on_k_or_fewer_images_say_why():
    rng = np.random.default_rng(0)
    ev = types.SimpleNamespace(prdc_k=5, sliced_projections=8, seed=0)
    f_real, fake = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    three = images.feature_metrics(types.SimpleNamespace(features=fake[:3], f_real=f_real[:3]), ev)
    assert three["fd"] == pytest.approx(fm.frechet_distance(fake[:3], f_real[:3]))
    why = NotComputed(
        "k-nearest-neighbour radii need more than prdc_k = 5 images a side; "
        "3 scored (n_samples, or the test or training split where smaller)"
    )
    assert [three[k] for k in ("precision", "recall", "density", "coverage")] == [why] * 4
    assert np.isfinite(three["w_sliced_features"])
    one = images.feature_metrics(types.SimpleNamespace(features=fake[:1], f_real=f_real[:1]), ev)
    assert one["fd"] == NotComputed(
        "a covariance needs at least 2 images a side; 1 scored (n_samples, or the test or training split where smaller)"
    )
    six = images.feature_metrics(types.SimpleNamespace(features=fake, f_real=f_real), ev)
    assert {k: six[k] for k in ("precision", "recall", "density", "coverage")} == fm.prdc(f_real, fake, k=5)


def test_image_folder_with_fewer_test_images_than_k_plus_one(tmp_path):
    """prepare -> classifier -> train -> evaluate -> study -> report on 12 images (3 in the test
    split, k = 5): the Fréchet distance is scored, PRDC is listed as not computed, the truncation
    claims leave the run out, and the report renders."""
    from PIL import Image

    _copy_code(tmp_path)
    rng = np.random.default_rng(0)
    for c in ("a", "b"):
        (tmp_path / "pics" / c).mkdir(parents=True)
        for i in range(6):
            x = (rng.random((8, 8, 3)) * 255).astype(np.uint8)
            x[:4] = 255 if c == "b" else x[:4]
            Image.fromarray(x).save(tmp_path / "pics" / c / f"{i}.png")
    params = {
        **TINY,
        "evaluation": {"n_samples": 100, "sliced_projections": 16},
        "classifier": {"epochs": 1, "min_steps": 0, "batch_size": 4},
        "datasets": {"pics": {"recipe": "image_folder", "path": "pics", "image_size": 8, "test_fraction": 0.25}},
        "runs": {
            "d": {
                "family": "dcgan",
                "dataset": "pics",
                "steps": 2,
                "batch_size": 4,
                "width": 8,
                "log_every": 1,
                "w_every": 1,
                "snapshots": 2,
            }
        },
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for stage in ("prepare", "classifier"):
        run_stage(tmp_path, f"stages/{stage}.py", "pics")
    run_stage(tmp_path, "stages/train.py", "d")
    before = snapshot(tmp_path)
    run_stage(tmp_path, "stages/evaluate.py", "d")  # tracebacked before: "real has 3 points"
    run_stage(tmp_path, "stages/study.py", "d")
    run_stage(tmp_path, "stages/report.py")
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if k in before} == before

    m = io.read_json(tmp_path / "reports/runs/d/metrics.json")
    why = (
        "k-nearest-neighbour radii need more than prdc_k = 5 images a side; "
        "3 scored (n_samples, or the test or training split where smaller)"
    )
    assert m["not_computed"] == dict.fromkeys(("precision", "recall", "density", "coverage"), why)
    assert m["n_real"] == m["n_feature_samples"] == 3 and m["fd"] > 0 and m["fd_floor"] > 0
    assert not {"precision", "recall", "density", "coverage"} & set(m)
    assert m["evaluation_notes"] == [
        "the test split has 3 images, fewer than n_samples = 100: the feature metrics and their floors use 3 images a "
        "side",
        "the train split has 9 images, fewer than n_samples = 100: the feature metrics and their floors use 3 images "
        "a side",
    ]
    study = io.read_json(tmp_path / "reports/runs/d/study/results.json")
    assert set(study["truncation"]["not_computed"]) == {"precision", "recall", "density", "coverage"}
    assert all(v is None for v in study["truncation"]["metrics"]["precision"])
    claims = io.read_json(tmp_path / "reports/summary.json")["claims"]
    assert claims["truncation_quality"] is None and claims["truncation_diversity"] is None  # n/a, not fail (0)
    readme = (tmp_path / "reports/README.md").read_text()
    assert readme.count("no run with a truncation study that could compute these metrics") == 2
    assert f"Not computed: `precision` ({why})" in readme


BOUNDS = [
    (
        {"recipe": "mixture", "centres": [[0.0, 0.0], [1e39, 0.0]]},
        "datasets.m.centres[1][0]: coordinates must lie within ±1,000,000 (float32 points), got 1e+39",
    ),
    ({"recipe": "mixture", "centres": [[0.0, 0.0]], "std": 1e7}, "datasets.m.std: must be <= 1000000, got 10000000.0"),
    ({"recipe": "toy1d", "mean": -1e39}, "datasets.m.mean: must be >= -1000000, got -1e+39"),
    ({"recipe": "ring", "radius": 2e6}, "datasets.m.radius: must be <= 1000000, got 2000000.0"),
    (
        {"recipe": "grid", "side": 21, "spacing": 2e5},
        "datasets.m.spacing: the outermost centres lie at (side - 1) / 2 x spacing = 2e+06 from the origin; at most "
        "1,000,000 allowed",
    ),
]


@pytest.mark.parametrize("dataset,message", BOUNDS, ids=[b[1].split(":")[0] for b in BOUNDS])
def test_mixture_sizes_beyond_float32_are_refused(tiny_params, dataset, message):
    tiny_params["datasets"]["m"] = dataset
    with pytest.raises(ConfigError) as err:
        validate(tiny_params)
    assert str(err.value) == message


def test_overflowing_centres_stop_before_any_work(trained):
    params = yaml.safe_load((trained / "params.yaml").read_text())
    bad = {**params, "datasets": {**params["datasets"], "huge": {"recipe": "mixture", "centres": [[1e39, 0.0]]}}}
    before, good = snapshot(trained), (trained / "params.yaml").read_text()
    try:
        (trained / "params.yaml").write_text(yaml.safe_dump(bad, sort_keys=False))
        proc = run_stage(trained, "stages/prepare.py", "huge", check=False)
    finally:
        (trained / "params.yaml").write_text(good)
    assert proc.returncode == 2 and proc.stderr.strip().splitlines() == [
        "ganlab: params error: datasets.huge.centres[0][0]: coordinates must lie within ±1,000,000 (float32 points), "
        "got 1e+39"
    ]
    assert snapshot(trained) == before
