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


def _recount(x: np.ndarray, centres: np.ndarray, std: float) -> int:
    """Modes with a sample within 3 std of it (its nearest mode): PacGAN's rule, written out."""
    d = np.sqrt(((x[:, None, :] - centres[None]) ** 2).sum(-1))
    near = d.argmin(1)
    return len(set(near[d[np.arange(len(x)), near] < 3 * std].tolist()))


def _table(out: str) -> dict[int, str]:
    """`ganlab progress`'s table: step -> its modes cell."""
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:1] == ["step"])
    return {int(line.split()[0].replace(",", "")): " ".join(line.split()[1:4]) for line in lines[head + 1:]}


def test_progress_of_a_trained_run_recounts_its_snapshots(trained):
    import json
    out = cli(trained, "progress", "gan-ring").stdout
    assert "gan-ring: trained (completed), 40 of 40 steps" in out
    assert "s per 1,000 steps" in out and "to go" not in out
    assert "last logged (step 40): loss_d " in out
    rows = _table(out)
    assert sorted(rows) == [0, 10, 20, 30, 40]              # step 0 and the 4 snapshots
    assert "1,000 fixed-latent samples per seed (the evaluation scores 200)" in out
    snaps = np.load(trained / "models/gan-ring/snapshots.npz")
    meta = json.loads((trained / "data/ring8/meta.json").read_text())
    for i, step in enumerate(snaps["steps"]):
        modes = [_recount(x, np.array(meta["centres"]), meta["std"]) for x in snaps["samples"][i]]
        assert rows[int(step)] == f"{np.mean(modes):.1f} ± {np.std(modes):.1f}"


def test_progress_of_a_killed_run_reads_its_checkpoint(trained, tmp_path, monkeypatch):
    import shutil, yaml
    root = tmp_path / "p"
    shutil.copytree(trained, root, ignore=shutil.ignore_patterns("models", "reports"))
    monkeypatch.setenv("GANLAB_FAULT", "kill:0:25")     # SIGKILL at step 25: the checkpoint is step 20's
    assert run_stage(root, "stages/train.py", "gan-ring", check=False).returncode != 0
    monkeypatch.delenv("GANLAB_FAULT")
    out = cli(root, "progress", "gan-ring").stdout
    assert "gan-ring: in training (checkpoint checkpoints/gan-ring/ckpt.pt), 20 of 40 steps (50.0 %)" in out
    assert "s to go at that pace" in out and "other params" not in out
    assert sorted(_table(out)) == [0, 10]       # step 20's snapshot is taken after its checkpoint
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["runs"]["gan-ring"]["lr_g"] = 0.5
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert "this checkpoint was made for other params than params.yaml's: train@gan-ring would start over" in \
        cli(root, "progress", "gan-ring").stdout


@pytest.mark.parametrize("args,message", [
    (("progress", "nope"), "unknown run 'nope'; runs in params.yaml: toy, gan-ring, wgan_gp-grid"),
    (("progress", "toy"), "run 'toy' has neither a checkpoint (checkpoints/toy/ckpt.pt) nor a trained model (models/toy); "
                          "`dvc repro train@toy` writes a checkpoint every 10 steps"),   # toy1d's default
])
def test_progress_errors(trained, args, message):
    proc = cli(trained, *args, check=False)
    assert proc.returncode == 2 and message in proc.stderr
