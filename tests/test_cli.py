"""The `ganlab` command on a trained tiny run: samples, progress, and one line (exit 2) for every
wrong argument, with nothing on disk changed (data/, models/ and reports/ hashed before and after)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_stage
from test_validation import snapshot


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    import shutil

    import yaml
    from conftest import ROOT, TINY

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


BAD_N = "argument --n: expected an integer from 1 to 100,000, got "
BAD_LATENT = "argument --latent-seed: expected an integer from 0 to 2,147,483,647, got "


@pytest.mark.parametrize(
    "args,message",
    [
        (("sample", "nope", "--out", "x.npy"), "unknown run 'nope'; runs in params.yaml: toy, gan-ring, wgan_gp-grid"),
        (
            ("sample", "toy", "--out", "x.npy"),
            "run 'toy' has no trained model in models/toy; run `dvc repro train@toy` (trained runs: gan-ring)",
        ),
        (("sample", "gan-ring", "--out", "x.txt"), "--out must end in .npy or .png, got 'x.txt'"),
        (
            ("sample", "gan-ring", "--out", "models"),
            "--out models is a folder; give a file name ending in .npy or .png (e.g. models/samples.png)",
        ),
        (
            ("sample", "gan-ring", "--out", "params.yaml/x.npy"),
            "--out params.yaml/x.npy: params.yaml is a file, not a folder",
        ),
        (("sample", "gan-ring", "--n", "0", "--out", "x.npy"), BAD_N + "'0'"),
        (("sample", "gan-ring", "--n", "1e9", "--out", "x.npy"), BAD_N + "'1e9'"),
        (("sample", "gan-ring", "--n", "1000000000", "--out", "x.npy"), BAD_N + "'1000000000'"),
        (
            ("sample", "gan-ring", "--seed-index", "5", "--out", "x.npy"),
            "--seed-index must be from 0 to 1 (the run trained seeds [0, 1]), got 5",
        ),
        (
            ("sample", "gan-ring", "--seed-index", "-5", "--out", "x.npy"),
            "--seed-index must be from 0 to 1 (the run trained seeds [0, 1]), got -5",
        ),
        (("sample", "gan-ring", "--latent-seed", "1e20", "--out", "x.npy"), BAD_LATENT + "'1e20'"),
        (
            ("sample", "gan-ring", "--latent-seed", str(10**20), "--out", "x.npy"),
            BAD_LATENT + "'100000000000000000000'",
        ),
        (("sample", "gan-ring", "--latent-seed", "-1", "--out", "x.npy"), BAD_LATENT + "'-1'"),
        (
            ("--params", "src", "sample", "gan-ring", "--out", "x.npy"),
            "params error: src: not a file; expected a YAML params file",
        ),
        (("--params", "src", "info"), "params error: src: not a file; expected a YAML params file"),
    ],
)
def test_errors_are_one_line_and_write_nothing(trained, args, message):
    before, names = snapshot(trained), sorted(p.name for p in trained.iterdir())
    proc = cli(trained, *args, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [proc.stderr.strip()] and message in proc.stderr, proc.stderr
    assert snapshot(trained) == before and sorted(p.name for p in trained.iterdir()) == names


def test_sample_draws_the_latents_evaluate_scores(trained):
    """By default `sample` uses params' evaluation.seed: with --n evaluation.n_samples it returns the
    very samples evaluate@ scored (their modes and EMD equal metrics.json's, seed by seed)."""
    import types

    import yaml

    from ganlab import data, io
    from ganlab.evaluation import points
    from ganlab.metrics import wasserstein

    assert "default: params' evaluation.seed" in " ".join(cli(trained, "sample", "--help").stdout.split())
    run_stage(trained, "stages/evaluate.py", "gan-ring")
    m = io.read_json(trained / "reports/runs/gan-ring/metrics.json")
    arrays, meta = data.load(trained / "data/ring8")
    ev = types.SimpleNamespace(seed=1234, **yaml.safe_load((trained / "params.yaml").read_text())["evaluation"])
    real, _ = points.real_and_floors(arrays, meta, ev, draws=0)
    for i in (0, 1):
        cli(trained, "sample", "gan-ring", "--n", "200", "--out", f"ev{i}.npy", "--seed-index", str(i))
        x = np.load(trained / f"ev{i}.npy")
        assert points.coverage_scores(x, meta, 3.0)["modes_captured"] == m["per_seed"]["modes_captured"][i]
        assert wasserstein.emd(x, real) == pytest.approx(m["per_seed"]["emd"][i], rel=1e-12)
    cli(trained, "sample", "gan-ring", "--n", "200", "--out", "other.npy", "--latent-seed", "0")
    assert not np.array_equal(np.load(trained / "other.npy"), np.load(trained / "ev0.npy"))


def test_info_goes_on_past_unreadable_run_files(trained, tmp_path):
    import shutil

    root = tmp_path / "p"
    shutil.copytree(trained, root)
    status = root / "models/gan-ring/status.json"
    status.write_text(status.read_text()[:-5])  # truncated
    (root / "reports/runs/wgan_gp-grid").mkdir(parents=True)
    before = snapshot(root)
    out = cli(root, "info").stdout
    assert snapshot(root) == before
    line = next(x for x in out.splitlines() if x.strip().startswith("gan-ring"))
    assert (
        f": unreadable (models/gan-ring/status.json: {status.stat().st_size} bytes, but {status.stat().st_size + 5} "
        f"were written (truncated or overwritten); rebuild it with `dvc repro train@gan-ring`); "
    ) in line, line
    assert "not trained (dvc repro train@wgan_gp-grid)" in out  # the listing went on
    shutil.copy(trained / "models/gan-ring/status.json", status)
    (root / "reports/runs/gan-ring/train_time.json").write_text("{")
    line = next(x for x in cli(root, "info").stdout.splitlines() if x.strip().startswith("gan-ring"))
    assert (
        ": completed, training time unreadable (reports/runs/gan-ring/train_time.json: JSONDecodeError; "
        "`dvc repro train@gan-ring` rewrites it)" in line
    )


def _recount(x: np.ndarray, centres: np.ndarray, std: float) -> int:
    """Modes with a sample within 3 std of it (its nearest mode): PacGAN's rule, written out."""
    d = np.sqrt(((x[:, None, :] - centres[None]) ** 2).sum(-1))
    near = d.argmin(1)
    return len(set(near[d[np.arange(len(x)), near] < 3 * std].tolist()))


def _table(out: str) -> dict[int, str]:
    """`ganlab progress`'s table: step -> its modes cell."""
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:1] == ["step"])
    return {int(line.split()[0].replace(",", "")): " ".join(line.split()[1:4]) for line in lines[head + 1 :]}


def test_progress_of_a_trained_run_recounts_its_snapshots(trained):
    import json

    out = cli(trained, "progress", "gan-ring").stdout
    assert "gan-ring: trained (completed), 40 of 40 steps" in out
    assert "s per 1,000 steps" in out and "to go" not in out
    assert "last logged (step 40): loss_d " in out
    rows = _table(out)
    assert sorted(rows) == [0, 10, 20, 30, 40]  # step 0 and the 4 snapshots
    assert "1,000 fixed-latent samples per seed (the evaluation scores 200)" in out
    snaps = np.load(trained / "models/gan-ring/snapshots.npz")
    meta = json.loads((trained / "data/ring8/meta.json").read_text())
    for i, step in enumerate(snaps["steps"]):
        modes = [_recount(x, np.array(meta["centres"]), meta["std"]) for x in snaps["samples"][i]]
        assert rows[int(step)] == f"{np.mean(modes):.1f} ± {np.std(modes):.1f}"


def test_progress_of_a_killed_run_reads_its_checkpoint(trained, tmp_path, monkeypatch):
    import shutil

    import yaml

    root = tmp_path / "p"
    shutil.copytree(trained, root, ignore=shutil.ignore_patterns("models", "reports"))
    monkeypatch.setenv("GANLAB_FAULT", "kill:0:25")  # SIGKILL at step 25: the checkpoint is step 20's
    assert run_stage(root, "stages/train.py", "gan-ring", check=False).returncode != 0
    monkeypatch.delenv("GANLAB_FAULT")
    out = cli(root, "progress", "gan-ring").stdout
    assert "gan-ring: in training (checkpoint checkpoints/gan-ring/ckpt.pt), 20 of 40 steps (50.0 %)" in out
    assert "s to go at that pace" in out and "other params" not in out
    assert sorted(_table(out)) == [0, 10]  # step 20's snapshot is taken after its checkpoint
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["runs"]["gan-ring"]["lr_g"] = 0.5
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert (
        "this checkpoint was made for other params than params.yaml's: train@gan-ring would start over"
        in cli(root, "progress", "gan-ring").stdout
    )
    del params["runs"]["gan-ring"]["lr_g"]  # back to the params it trained with
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert "would start over" not in cli(root, "progress", "gan-ring").stdout
    sums = root / "data/ring8/checksums.json"  # the same entries, other bytes: other data to resume on
    sums.write_text(sums.read_text() + "\n")
    (root / "src/ganlab/losses.py").write_text((root / "src/ganlab/losses.py").read_text() + "# an edit\n")
    out = cli(root, "progress", "gan-ring").stdout
    assert "this checkpoint was made on other data than data/ring8/ holds now: train@gan-ring would start over" in out
    assert (
        "this checkpoint was made by other code (the ganlab sources, torch or numpy)" in out
        and "other params" not in out
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (("progress", "nope"), "unknown run 'nope'; runs in params.yaml: toy, gan-ring, wgan_gp-grid"),
        (
            ("progress", "toy"),
            "run 'toy' has neither a checkpoint (checkpoints/toy/ckpt.pt) nor a trained model (models/toy); "
            "`dvc repro train@toy` writes a checkpoint every 10 steps",
        ),  # toy1d's default
    ],
)
def test_progress_errors(trained, args, message):
    proc = cli(trained, *args, check=False)
    assert proc.returncode == 2 and message in proc.stderr


def test_image_sample_grid_shows_every_sample(tmp_path, monkeypatch):
    """--n 15 on an image run: a grid of 2 rows of 10, the last with 5 samples and 5 blank cells
    (it drew 10 and said 15), and the message counts what was drawn."""
    import shutil

    import yaml
    from conftest import ROOT, TINY

    from ganlab import cli as ganlab_cli
    from ganlab.report import figures

    for name in ("src", "stages"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    # unpinned (ganlab.pinning): the in-process call below runs in pytest's process, whose torch loaded
    # with its own kernels, and must draw what the `ganlab sample` processes draw
    params = {
        **TINY,
        "cpu": {"pinned": False, "threads": 0},
        "datasets": {"glyphs": {"recipe": "glyphs", "image_size": 16, "n_train": 100, "n_test": 20}},
        "runs": {
            "dc": {
                "family": "dcgan",
                "dataset": "glyphs",
                "steps": 2,
                "batch_size": 8,
                "width": 8,
                "log_every": 1,
                "w_every": 1,
                "snapshots": 1,
            }
        },
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run_stage(tmp_path, "stages/prepare.py", "glyphs")
    run_stage(tmp_path, "stages/train.py", "dc")
    before = snapshot(tmp_path)
    assert (
        "wrote 15 samples of shape (1, 16, 16) to x.npy"
        in cli(tmp_path, "sample", "dc", "--n", "15", "--out", "x.npy").stdout
    )
    assert "wrote 15 samples" in cli(tmp_path, "sample", "dc", "--n", "15", "--out", "grid.png").stdout
    assert (tmp_path / "grid.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    x = np.load(tmp_path / "x.npy")
    grids = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(figures, "image_grid", lambda images, title, f: grids.append((images, title)))
    ganlab_cli.main(["sample", "dc", "--n", "15", "--out", "x.png"])
    images, title = grids[0]
    assert images.shape == (2, 10, 1, 16, 16) and title == "dc: 15 samples (seed 0)"
    assert np.array_equal(images.reshape(20, 1, 16, 16)[:15], x) and (images[1, 5:] == 1).all()  # blank: white
    assert snapshot(tmp_path) == before


@pytest.fixture(scope="module")
def retrain_killed(trained, tmp_path_factory):
    """The trained run retrained and killed at step 25: step 20's checkpoint beside the finished
    model of the first training, which the kill left as it was."""
    import os
    import shutil

    root = tmp_path_factory.mktemp("retrain") / "p"
    shutil.copytree(trained, root)
    before = snapshot(root)
    env = {**os.environ, "GANLAB_FAULT": "kill:0:25"}
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "stages/train.py", "gan-ring"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(root / "src")},
    )
    assert proc.returncode != 0 and (root / "checkpoints/gan-ring/ckpt.pt").exists()
    assert {k: v for k, v in snapshot(root).items() if k in before} == before  # the kill changed nothing earlier
    return root


def test_progress_shows_a_checkpoint_newer_than_the_finished_model(retrain_killed):
    before = snapshot(retrain_killed)
    out = cli(retrain_killed, "progress", "gan-ring").stdout
    assert snapshot(retrain_killed) == before
    assert out.startswith(
        "gan-ring: in training (checkpoint checkpoints/gan-ring/ckpt.pt), 20 of 40 steps (50.0 %)\n"
        "  models/gan-ring/ holds an older finished model (completed, 40 of 40 steps): "
        "train@gan-ring is training anew, or was killed while it did\n"
    ), out
    assert sorted(_table(out)) == [0, 10]


def test_progress_names_a_checkpoint_older_than_the_model(retrain_killed, tmp_path):
    import os
    import shutil

    root = tmp_path / "p"
    shutil.copytree(retrain_killed, root)
    old = (root / "models/gan-ring").stat().st_mtime - 60
    os.utime(root / "checkpoints/gan-ring", (old, old))  # a run killed between its model and its cleanup
    out = cli(root, "progress", "gan-ring").stdout
    assert out.startswith(
        "gan-ring: trained (completed), 40 of 40 steps\n  a checkpoint older than this model "
        "(checkpoints/gan-ring/ckpt.pt, step 20) is left from a run killed as it completed\n"
    ), out
    assert sorted(_table(out)) == [0, 10, 20, 30, 40]


def test_progress_reads_a_checkpoint_that_training_replaces(retrain_killed, tmp_path, monkeypatch, capsys):
    """A writer replaces checkpoints/<run>/ whole (io.atomic_dir) in a loop, each version a different
    size, while `ganlab progress` reads it 200 times: every read is one consistent version (it
    said "truncated or overwritten", exit 2, about 1 call in 40 while training wrote checkpoints)."""
    import re
    import shutil
    import threading

    import torch

    from ganlab import cli as ganlab_cli
    from ganlab import io

    ck = torch.load(retrain_killed / "checkpoints/gan-ring/ckpt.pt", weights_only=True)
    folder = tmp_path / "ckpts" / "gan-ring"
    shutil.copytree(retrain_killed / "checkpoints/gan-ring", folder)
    stop, written = threading.Event(), [0]

    def writer():
        while not stop.is_set():
            i = written[0] = written[0] + 1
            with io.atomic_dir(folder, checksums=True) as tmp:
                torch.save({**ck, "step": 10 * (i % 4), "pad": torch.zeros(1000 * (i % 7))}, tmp / "ckpt.pt")

    monkeypatch.chdir(retrain_killed)
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        steps = []
        for _ in range(200):
            ganlab_cli.main(
                ["--models", str(tmp_path / "none"), "progress", "gan-ring", "--checkpoints", str(tmp_path / "ckpts")]
            )
            steps.append(int(re.search(r"checkpoint .*\), (\d+) of 40", capsys.readouterr().out).group(1)))
    finally:
        stop.set()
        thread.join()
    assert set(steps) <= {0, 10, 20, 30} and written[0] > 100  # the folder was replaced under the reads
