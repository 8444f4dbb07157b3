"""Params validation: every bad input names its key path and what is allowed."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, run_stage

from ganlab import config
from ganlab.config import ConfigError, validate


def test_repo_params_are_valid():
    p = config.load(ROOT / "params.yaml")
    assert p.runs and p.datasets
    for name, cfg in p.runs.items():
        assert cfg.dataset in p.datasets, name


def test_defaults_fill_in(tiny_params):
    p = validate(tiny_params)
    cfg = p.runs["gan-ring"]
    assert cfg.loss == "non_saturating" and cfg.minibatch == "none" and cfg.lr_end == 1.0
    assert p.datasets["ring8"].std == 0.01 and p.datasets["grid25"].spacing == 2.0


def edit(params: dict, path: str, value) -> dict:
    *keys, last = path.split(".")
    node = params
    for k in keys:
        node = node[k]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return params


class _Delete:
    """The key is taken out of the params (the sentinel of BAD; its repr names the case in test ids)."""

    def __repr__(self) -> str:
        return "<deleted>"


DELETE = _Delete()
BAD = [
    ("runs.gan-ring.lr_gg", 0.1, r"^runs\.gan-ring\.lr_gg: unknown key; allowed: .*\blr_g\b"),
    ("runs.gan-ring.steps", "ten", r"^runs\.gan-ring\.steps: expected an integer, got 'ten'"),
    ("runs.gan-ring.steps", 2.5, r"^runs\.gan-ring\.steps: expected an integer, got 2\.5"),
    ("runs.gan-ring.lr_g", -0.001, r"^runs\.gan-ring\.lr_g: must be > 0, got -0\.001"),
    (
        "runs.gan-ring.loss",
        "minimax",
        r"^runs\.gan-ring\.loss: expected one of 'non_saturating', 'saturating', 'rpgan', 'hinge', got 'minimax'",
    ),
    ("runs.gan-ring.g_hidden", [16, "x"], r"^runs\.gan-ring\.g_hidden\[1\]: expected an integer"),
    ("runs.gan-ring.seeds", [1, 1], r"^runs\.gan-ring\.seeds: expected a non-empty list of distinct integers"),
    (
        "runs.gan-ring.family",
        "dcgan2",
        r"^runs\.gan-ring\.family: unknown family 'dcgan2'; allowed: acgan, cgan, cyclegan, dcgan, gan, infogan, "
        r"pix2pix, progan, srgan, stylegan, toy1d, wgan, wgan_gp$",
    ),
    (
        "runs.gan-ring.dataset",
        "moons",
        r"^runs\.gan-ring\.dataset: 'moons' is not declared under datasets; declared: grid25, ring8, toy1d",
    ),
    ("runs.toy.dataset", "ring8", r"^runs\.toy\.dataset: family toy1d needs 1-D point data"),
    ("runs.wgan_gp-grid.minibatch", "mbd", r"^runs\.wgan_gp-grid\.minibatch: wgan_gp allows none or mbstd"),
    ("runs.gan-ring.family", DELETE, r"^runs\.gan-ring\.family: required; allowed: acgan, cgan, cyclegan, dcgan, gan"),
    (
        "datasets.ring8.recipe",
        "spiral",
        r"^datasets\.ring8\.recipe: unknown recipe 'spiral'; allowed: cifar10, digits, edges2glyphs, "
        r"fashion_mnist, glyphs, glyphs2styled, grid, image_folder, mixture, mnist, ring, sr_glyphs, stacked, toy1d$",
    ),
    ("datasets.ring8.std", 0, r"^datasets\.ring8\.std: must be > 0, got 0"),
    ("evaluation.n_samples", 10, r"^evaluation\.n_samples: must be >= 100, got 10"),
    ("device", "tpu", r"^device: expected auto .*got 'tpu'"),
    ("runz", {}, r"^runz: unknown section; allowed: device, evaluation, datasets, runs"),
]


@pytest.mark.parametrize("path,value,message", BAD, ids=[b[0] + "=" + repr(b[1]) for b in BAD])
def test_bad_params_name_key_and_allowed(tiny_params, path, value, message):
    with pytest.raises(ConfigError, match=message) as err:
        validate(edit(tiny_params, path, value))
    assert "\n" not in str(err.value)


def test_mixture_recipe(tiny_params):
    tiny_params["datasets"]["mix"] = {"recipe": "mixture", "centres": [[0, 0], [3, 0]], "weights": [3, 1], "std": 0.1}
    assert validate(tiny_params).datasets["mix"].centres == [[0.0, 0.0], [3.0, 0.0]]
    tiny_params["datasets"]["mix"]["weights"] = [1, 2, 3]
    with pytest.raises(ConfigError, match=r"^datasets\.mix\.weights: expected 2 non-negative weights"):
        validate(tiny_params)
    tiny_params["datasets"]["mix"] = {"recipe": "mixture", "centres": [[0, 0], [1]]}
    with pytest.raises(ConfigError, match=r"^datasets\.mix\.centres: expected a non-empty list of equal-length"):
        validate(tiny_params)


def test_stage_exits_2_and_touches_nothing(project, tiny_params):
    """A bad params.yaml stops a stage before any work: exit 2, one line, files untouched. check
    (which dvc runs first) reads the whole file, the run's own stages their entry; prepare@ring8
    does not read runs.gan-ring and is not stopped by it."""
    run_stage(project, "stages/prepare.py", "ring8")
    before = {p: p.read_bytes() for p in (project / "data/ring8").iterdir()}
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    tiny_params["runs"]["gan-ring"]["lr_d"] = -1
    (project / "params.yaml").write_text(yaml.safe_dump(tiny_params))
    for stage, arg in (("check", None), ("train", "gan-ring"), ("evaluate", "gan-ring")):
        proc = run_stage(project, f"stages/{stage}.py", *([arg] if arg else []), check=False)
        assert proc.returncode == 2, (stage, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert lines == ["ganlab: params error: runs.gan-ring.lr_d: must be > 0, got -1.0"], (stage, proc.stderr)
    assert {p: p.read_bytes() for p in before} == before
    assert {p: p.stat().st_mtime_ns for p in before} == mtimes
    assert not (project / "models").exists()


def test_docs_params_reference_is_generated():
    """docs/params.md, the params reference, holds the output of `python -m ganlab.config`."""
    out = subprocess.run(
        [sys.executable, "-m", "ganlab.config"],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src")},
    ).stdout.strip()
    doc = (ROOT / "docs" / "params.md").read_text()
    assert out and out in doc, "docs/params.md is stale: run `PYTHONPATH=src python scripts/update_docs_params.py`"


def test_overlay_merges_mappings_and_replaces_the_rest():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 4}
    assert config.overlay(base, {"a": {"c": [3]}, "e": 5}) == {"a": {"b": 1, "c": [3]}, "d": 4, "e": 5}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 4}  # the base is not modified


def test_gpu_profile_applies_over_params_and_validates():
    """gpu.yaml scales the default's image runs (three seeds, more steps) and adds, complete, the image twins the
    default leaves out (one seed cannot decide a comparison), each with its twin's steps."""
    base = yaml.safe_load((ROOT / "params.yaml").read_text())
    prof = yaml.safe_load((ROOT / "profiles" / "gpu.yaml").read_text())
    assert set(prof["datasets"]) <= set(base["datasets"])
    p = config.validate(config.overlay(base, prof))
    assert {p.datasets[d].image_size for d in prof["datasets"]} == {32}
    added = set(prof["runs"]) - set(base["runs"])
    assert added == {"dcgan_mbd-stacked", "progan_flat-glyphs"}
    for name in prof["runs"]:
        assert p.runs[name].seeds == [0, 1, 2]
        if name in base["runs"]:
            assert p.runs[name].steps >= 2 * base["runs"][name]["steps"]
            assert p.runs[name].family == base["runs"][name]["family"]
        else:
            assert {"family", "dataset"} <= set(prof["runs"][name])
    assert p.runs["dcgan_mbd-stacked"].steps == p.runs["dcgan-stacked"].steps
    assert p.runs["progan_flat-glyphs"].steps == p.runs["progan-glyphs"].steps and not p.runs["progan_flat-glyphs"].grow


def test_apply_profile_rejects_a_bad_profile_and_writes_nothing(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text((ROOT / "params.yaml").read_text())
    bad = tmp_path / "bad.yaml"
    bad.write_text("runs:\n  dcgan-glyphs: {steps: 0}\n")
    proc = run_stage(ROOT, "scripts/apply_profile.py", str(bad), "--params", str(params), check=False)
    assert proc.returncode == 2
    assert "runs.dcgan-glyphs.steps: must be >= 1, got 0" in proc.stderr
    assert params.read_text() == (ROOT / "params.yaml").read_text()
    good = tmp_path / "good.yaml"
    good.write_text("runs:\n  dcgan-glyphs: {steps: 7}\n")
    run_stage(ROOT, "scripts/apply_profile.py", str(good), "--params", str(params))
    assert yaml.safe_load(params.read_text())["runs"]["dcgan-glyphs"]["steps"] == 7


def test_infogan_profile_has_the_papers_networks_on_glyphs_and_offline_mnist():
    prof = yaml.safe_load((ROOT / "profiles" / "infogan.yaml").read_text())
    p = config.validate(config.overlay(yaml.safe_load((ROOT / "params.yaml").read_text()), prof))
    assert {p.runs[n].dataset for n in prof["runs"]} == {"glyphs", "mnist"}
    for n in prof["runs"]:
        r = p.runs[n]
        assert (r.fc_hidden, r.width, r.q_batch_norm, r.z_dim, r.lr_d, r.lr_g) == (1024, 64, True, 62, 2e-4, 1e-3)
    assert p.datasets["mnist"].files == "idx" and not p.datasets["mnist"].download
    assert (ROOT / p.datasets["mnist"].root / "t10k-images-idx3-ubyte.gz").exists()


@pytest.mark.parametrize("profile", sorted(p.name for p in (ROOT / "profiles").glob("*.yaml")))
def test_every_profile_applies_over_params_and_validates(profile):
    """Each profile merges over the default params into a valid file (a run it adds is complete: family, dataset)."""
    base = config.read_yaml(ROOT / "params.yaml")
    prof = config.read_yaml(ROOT / "profiles" / profile)
    p = config.validate(config.overlay(base, prof))
    assert set(prof.get("runs", {})) <= set(p.runs) and set(base["runs"]) <= set(p.runs)
