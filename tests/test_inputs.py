"""Inputs that changed or lie (issue 29): a checkpoint resumes only on identical inputs (params,
data, code); bad images, 16-bit images and downloads outside the repository in image recipes."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import torch
import yaml

from conftest import ROOT, TINY, run_stage


def tree_hashes(root: Path, *subs: str) -> dict[str, str]:
    """sha256 of every file under root/<sub> (data/, models/, reports/ by default), by relative path."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for sub in (subs or ("data", "models", "reports")) for p in sorted((root / sub).rglob("*")) if p.is_file()}


def results(root: Path, run: str = "gan-ring") -> dict[str, str]:
    """What train@<run> computed: models/<run>/ and its dvclive log (not train_time.json: wall seconds)."""
    return tree_hashes(root, f"models/{run}", f"reports/runs/{run}/train")


def write_params(root: Path, params: dict) -> None:
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


# ---------------------------------------------------------------------------- resume only on identical inputs

@pytest.fixture(scope="module")
def clean_runs(tmp_path_factory) -> dict[str, dict[str, str]]:
    """gan-ring (40 steps, a checkpoint every 10) trained uninterrupted on ring8 with seed 0 and seed 1."""
    out = {}
    for seed in (0, 1):
        root = tmp_path_factory.mktemp(f"clean{seed}")
        for name in ("src", "stages"):
            shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        params = yaml.safe_load(yaml.safe_dump(TINY))
        params["datasets"]["ring8"]["seed"] = seed
        write_params(root, params)
        run_stage(root, "stages/prepare.py", "ring8")
        run_stage(root, "stages/train.py", "gan-ring")
        out[seed] = results(root)
    assert out[0] != out[1]       # the data seed matters: the resume test below can tell them apart
    return out


def kill_at_step_25(project: Path, monkeypatch) -> None:
    """train@gan-ring SIGKILLed at step 25 (GANLAB_FAULT): the checkpoint on disk is step 20's."""
    monkeypatch.setenv("GANLAB_FAULT", "kill:0:25")
    assert run_stage(project, "stages/train.py", "gan-ring", check=False).returncode != 0
    monkeypatch.delenv("GANLAB_FAULT")
    assert torch.load(project / "checkpoints/gan-ring/ckpt.pt", weights_only=True)["step"] == 20


@pytest.mark.parametrize("change", ["same data again", "other data", "code"])
def test_resume_only_on_identical_inputs(project, tiny_params, clean_runs, monkeypatch, change):
    """Kill train@gan-ring mid-way, change an input, rerun: a checkpoint resumes only if the run's
    params, its dataset's content and the code are those it was saved with; otherwise the run
    starts from step 0, says which input differs, and ends bit-identical to a clean run on the new
    inputs (before the key covered data, it resumed onto the new data and ended elsewhere)."""
    run_stage(project, "stages/prepare.py", "ring8")
    kill_at_step_25(project, monkeypatch)
    if change == "same data again":           # re-prepared, identical bytes: still the same input
        run_stage(project, "stages/prepare.py", "ring8")
    elif change == "other data":
        tiny_params["datasets"]["ring8"]["seed"] = 1
        write_params(project, tiny_params)
        run_stage(project, "stages/prepare.py", "ring8")
    elif change == "code":                     # any edit of the ganlab sources, here a comment
        with open(project / "src/ganlab/losses.py", "a") as f:
            f.write("# an edit\n")
    data_before = tree_hashes(project, "data")
    proc = run_stage(project, "stages/train.py", "gan-ring")
    resumed = change == "same data again"     # kill and rerun alone: tests/test_training.py
    notes = [line for line in proc.stderr.splitlines() if "checkpoint" in line]
    if resumed:
        assert notes == ["[gan-ring] resuming from checkpoint at step 20 of 40"], proc.stderr
    else:
        what = {"other data": "data (data/ring8 holds other data than when it was saved)",
                "code": "code (the ganlab sources or the torch/numpy version changed since)"}[change]
        assert notes == [f"[gan-ring] checkpoint is for other {what}; starting from step 0"], proc.stderr
    timing = yaml.safe_load((project / "reports/runs/gan-ring/train_time.json").read_text())
    assert timing["resumed_from_step"] == (20 if resumed else None)
    assert results(project) == clean_runs[1 if change == "other data" else 0]
    assert tree_hashes(project, "data") == data_before
    assert not (project / "checkpoints/gan-ring").exists()
