"""The `ganlab` command on a trained tiny run."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import run_stage


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from conftest import ROOT, TINY
    import shutil, yaml
    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(ROOT / "src", root / "src")
    shutil.copytree(ROOT / "stages", root / "stages")
    (root / "params.yaml").write_text(yaml.safe_dump(TINY, sort_keys=False))
    run_stage(root, "stages/prepare.py", "ring8")
    run_stage(root, "stages/train.py", "gan-ring")
    return root


def cli(root, *args, check=True):
    return run_stage(root, "-m", "ganlab.cli", *args, check=check)


def test_info_lists_families_and_runs(trained):
    out = cli(trained, "info").stdout
    for word in ("gan", "toy1d", "wgan", "wgan_gp", "grid", "mixture"):
        assert word in out
    assert "gan-ring" in out and "completed" in out
    assert "toy " in out and "not trained (dvc repro train@toy)" in out


def test_sample_npy_and_png(trained):
    cli(trained, "sample", "gan-ring", "--n", "123", "--out", "s.npy")
    x = np.load(trained / "s.npy")
    assert x.shape == (123, 2) and np.isfinite(x).all()
    cli(trained, "sample", "gan-ring", "--n", "50", "--out", "s.png", "--seed-index", "1")
    assert (trained / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args,message", [
    (("sample", "nope", "--out", "x.npy"), "unknown run 'nope'; runs in params.yaml: toy, gan-ring, wgan_gp-grid"),
    (("sample", "toy", "--out", "x.npy"), "run 'toy' has no trained model in models/toy; run `dvc repro train@toy` (trained runs: gan-ring)"),
    (("sample", "gan-ring", "--out", "x.txt"), "--out must end in .npy or .png, got 'x.txt'"),
    (("sample", "gan-ring", "--n", "0", "--out", "x.npy"), "--n must be a positive integer, got 0"),
    (("sample", "gan-ring", "--seed-index", "5", "--out", "x.npy"), "--seed-index must be below 2"),
])
def test_errors_say_what_exists(trained, args, message):
    proc = cli(trained, *args, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
