"""Shared fixtures: tiny params, a scratch project folder, and a way to run stage scripts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

TINY = {
    "device": "cpu",
    "evaluation": {"n_samples": 200, "sliced_projections": 32},
    "classifier": {"epochs": 1},
    "study": {},  # the defaults (the section is optional)
    "datasets": {
        "toy1d": {"recipe": "toy1d", "n_train": 2000, "n_test": 500},
        "ring8": {"recipe": "ring", "n_train": 2000, "n_test": 500},
        "grid25": {"recipe": "grid", "n_train": 2000, "n_test": 500},
    },
    "runs": {
        "toy": {"family": "toy1d", "dataset": "toy1d", "seeds": [0, 1], "steps": 3, "d_steps": 50, "g_steps": 5},
        "gan-ring": {
            "family": "gan",
            "dataset": "ring8",
            "seeds": [0, 1],
            "steps": 40,
            "batch_size": 32,
            "g_hidden": [16, 16],
            "d_hidden": [16, 16],
            "log_every": 5,
            "w_every": 10,
            "checkpoint_every": 10,
        },
        "wgan_gp-grid": {
            "family": "wgan_gp",
            "dataset": "grid25",
            "seeds": [0],
            "steps": 10,
            "batch_size": 32,
            "g_hidden": [16],
            "d_hidden": [16],
            "d_steps": 2,
            "log_every": 5,
            "w_every": 5,
        },
    },
}


@pytest.fixture
def tiny_params() -> dict:
    import copy

    return copy.deepcopy(TINY)


@pytest.fixture
def project(tmp_path: Path, tiny_params: dict) -> Path:
    """A scratch copy of the project's code with tiny params: stages run in it as in the repo."""
    for name in ("src", "stages", "dvc.yaml", "pyproject.toml"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(tiny_params, sort_keys=False))
    return tmp_path


def run_stage(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(cwd) / "src"), "DVC_NO_ANALYTICS": "1"}
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def sh(cwd: Path, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command (git, dvc) in a scratch project, with a git identity and no dvc analytics."""
    env = {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def make_repo(root: Path, params: dict) -> Path:
    """A git + dvc scratch project with the repo's code and `params`, reproduced once."""
    for name in ("src", "stages", "dvc.yaml", "pyproject.toml", ".gitignore", ".dvcignore"):
        src = ROOT / name
        (
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__"))
            if src.is_dir()
            else shutil.copy(src, root / name)
        )
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    sh(root, "git", "init", "-q")
    sh(root, "dvc", "init", "-q")
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-qm", "init")
    sh(root, "dvc", "repro")
    return root


def pytest_configure(config):
    """Under pytest-xdist (`-n 2`, the README's test command) each worker computes on one thread, so two
    workers share the 2 cores without oversubscribing them; stage subprocesses take `cpu.threads` from
    their params, as in the pipeline."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ["OMP_NUM_THREADS"] = "1"
        import torch

        torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """Tests marked `cuda` skip on a machine without a CUDA device (this project's CPU CI)."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (run bench/gpu_check.py on a GPU machine)")
    for item in items:
        if item.get_closest_marker("cuda"):
            item.add_marker(skip)
