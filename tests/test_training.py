"""The shared loop: outputs, exact resume after kill -9, divergence handling, evaluation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from conftest import ROOT, run_stage

from ganlab import config, io
from ganlab.evaluation.run import evaluate_run
from ganlab.training.loop import Trainer, snapshot_steps


def trainer(project: Path, run: str, **kw) -> Trainer:
    p = config.load(project / "params.yaml")
    cfg = p.runs[run]
    return Trainer(
        run,
        cfg,
        project / "data" / cfg.dataset,
        project / "models" / run,
        project / "reports/runs" / run / "train",
        project / "checkpoints" / run,
        device="cpu",
        **kw,
    )


def test_snapshot_steps():
    assert snapshot_steps(100, 4) == [0, 25, 50, 75, 100]
    assert snapshot_steps(3, 5) == [0, 1, 2, 3]


def test_train_writes_contract_and_evaluates(project):
    run_stage(project, "stages/prepare.py", "ring8")
    run_stage(project, "stages/train.py", "gan-ring")
    model_dir = project / "models/gan-ring"
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "checksums.json",
        "config.json",
        "final.json",
        "history.json",
        "snapshots.npz",
        "status.json",
        "weights.pt",
    ]
    status = io.read_json(model_dir / "status.json")
    assert status == {"status": "completed", "diverged_at_step": None, "steps_done": 40, "steps": 40, "seeds": [0, 1]}
    timing = io.read_json(project / "reports/runs/gan-ring/train_time.json")  # only the report reads it
    assert timing["seconds"] > 0 and timing["device"] == "cpu" and timing["resumed_from_step"] is None
    history = io.read_json(model_dir / "history.json")
    assert [r["step"] for r in history] == list(range(5, 41, 5))
    assert all(len(r["loss_d_seeds"]) == 2 for r in history)
    assert [r["step"] for r in history if "w_sliced" in r] == [10, 20, 30, 40]
    tsv = (project / "reports/runs/gan-ring/train/plots/metrics/train/loss_d.tsv").read_text().splitlines()
    assert tsv[0].split("\t")[0] == "step" and len(tsv) == 1 + len(history)  # dvclive log
    with np.load(model_dir / "snapshots.npz") as z:
        assert list(z["steps"]) == [0, 10, 20, 30, 40] and z["samples"].shape == (5, 2, 1000, 2)
        assert z["d_grid"].shape == (5, 2, 64 * 64)
    state = torch.load(model_dir / "weights.pt", weights_only=True)
    assert state["G.net.0.weight"].shape == (2, 2, 16)  # (seeds, in, out)
    assert not (project / "checkpoints/gan-ring").exists()  # removed once complete

    run_stage(project, "stages/evaluate.py", "gan-ring")
    m = io.read_json(project / "reports/runs/gan-ring/metrics.json")
    for k in (
        "modes_captured",
        "high_quality_pct",
        "emd",
        "emd_floor",
        "w_lp_hist",
        "w_lp_hist_floor",
        "w_sliced",
        "w_sliced_floor",
        "d_accuracy",
    ):
        assert m[k] is not None, k
    # Reverse KL is over high-quality samples: undefined (null) exactly when there are none.
    assert (m["reverse_kl"] is None) == (m["high_quality_pct"] == 0)
    assert m["n_samples"] == 200 and m["seeds_evaluated"] == [0, 1] and len(m["per_seed"]["emd"]) == 2
    assert m["emd_std"] == pytest.approx(np.std(m["per_seed"]["emd"], ddof=1))
    assert 0 <= m["modes_captured"] <= 8 and m["emd"] > m["emd_floor"]  # an untrained-ish GAN is worse than real data
    assert m["emd_floor_std"] > 0 and m["within_mode_spread_floor_std"] > 0  # the floors: means over real draws
    # what a perfect generator scores (the claims' convergence condition): 2-D, 3 standard deviations
    assert m["high_quality_pct_perfect"] == pytest.approx(100 * (1 - np.exp(-4.5)), rel=1e-12)
    # the training curves' early / late means per seed (the claims' paired intervals) average to the board's
    for k in ("train_w_sliced_early", "train_w_sliced_late", "train_grad_g_early"):
        assert len(m["per_seed"][k]) == 2 and np.mean(m["per_seed"][k]) == pytest.approx(m[k], rel=1e-9), k
    # scripts/floor_spread.py draws the same real samples: its first 8 give evaluate@'s floor and spread
    out = run_stage(project, str(ROOT / "scripts/floor_spread.py"), "ring8", "--draws", "8").stdout
    row = next(line.split() for line in out.splitlines() if line.startswith("emd "))
    assert float(row[1]) == pytest.approx(m["emd_floor"], abs=1e-4) and float(row[2]) == pytest.approx(
        m["emd_floor_std"], abs=1e-4
    )
    for args, msg in (
        (("ring8", "--draws", "1"), "--draws must be at least 2, got 1"),
        (("nope",), "no prepared dataset at data/nope: run `dvc repro prepare@nope` first"),
    ):
        bad = run_stage(project, str(ROOT / "scripts/floor_spread.py"), *args, check=False)
        assert bad.returncode == 2 and msg in bad.stderr, bad.stderr
    assert {p.name for p in (project / "reports/runs/gan-ring/figures").iterdir()} == {"samples.png", "curves.png"}


def test_resume_after_kill_matches_uninterrupted(project, tiny_params):
    """kill -9 mid-run, rerun: resumes from the checkpoint and ends with identical weights."""
    tiny_params["runs"]["gan-ring"].update(steps=400, checkpoint_every=50, log_every=10, w_every=100)
    (project / "params.yaml").write_text(yaml.safe_dump(tiny_params))
    run_stage(project, "stages/prepare.py", "ring8")

    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    proc = subprocess.Popen(
        [sys.executable, "stages/train.py", "gan-ring"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ckpt = project / "checkpoints/gan-ring/ckpt.pt"
    deadline = time.time() + 120
    while time.time() < deadline and not ckpt.exists():
        time.sleep(0.02)
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert ckpt.exists(), "no checkpoint appeared before the kill"
    killed_at = torch.load(ckpt, weights_only=True)["step"]
    assert 0 < killed_at < 400
    assert not (project / "models/gan-ring/status.json").exists()

    resumed = run_stage(project, "stages/train.py", "gan-ring")
    assert "resuming from checkpoint at step" in resumed.stderr
    assert io.read_json(project / "models/gan-ring/status.json")["status"] == "completed"
    # where it resumed is the host's story, beside the wall time, not in models/ (read by evaluate@)
    assert io.read_json(project / "reports/runs/gan-ring/train_time.json")["resumed_from_step"] >= killed_at
    status_resumed = (project / "models/gan-ring/status.json").read_bytes()
    w_resumed = torch.load(project / "models/gan-ring/weights.pt", weights_only=True)
    h_resumed = io.read_json(project / "models/gan-ring/history.json")

    ckpt.unlink(missing_ok=True)
    run_stage(project, "stages/train.py", "gan-ring")  # uninterrupted, from scratch
    w_full = torch.load(project / "models/gan-ring/weights.pt", weights_only=True)
    h_full = io.read_json(project / "models/gan-ring/history.json")
    for k in w_full:
        assert torch.equal(w_full[k], w_resumed[k]), k
    assert h_full == h_resumed  # the log too, point for point
    assert (project / "models/gan-ring/status.json").read_bytes() == status_resumed
    assert io.read_json(project / "reports/runs/gan-ring/train_time.json")["resumed_from_step"] is None
    tsv = (project / "reports/runs/gan-ring/train/plots/metrics/train/loss_d.tsv").read_text().splitlines()
    assert len(tsv) == 1 + 40


def test_checkpoint_for_other_params_is_ignored(project, tiny_params, capsys):
    run_stage(project, "stages/prepare.py", "ring8")
    t = trainer(project, "gan-ring", progress=False)
    t.save_checkpoint(
        {"step": 10, "history": [], "seconds": 0.0, "snaps": {}}, {"acc": {}, "n_acc": 0, "first_bad": torch.tensor(-1)}
    )
    tiny_params["runs"]["gan-ring"]["lr_g"] = 0.5
    (project / "params.yaml").write_text(yaml.safe_dump(tiny_params))
    t2 = trainer(project, "gan-ring", progress=False)
    assert t2.load_checkpoint() is None
    assert "checkpoint is for other params" in capsys.readouterr().err


def test_divergence_is_a_result(project, tiny_params):
    """A non-finite loss stops the run as `diverged` at that step; evaluation still runs."""
    run_stage(project, "stages/prepare.py", "ring8")
    t = trainer(project, "gan-ring", progress=False)
    real_step = t.model.train_step
    calls = {"n": 0}

    def poisoned(real, rng):
        calls["n"] += 1
        out = real_step(real, rng)
        if calls["n"] >= 7:
            with torch.no_grad():
                for p in t.model.G.parameters():
                    p.fill_(float("nan"))
            out["loss_g"] = out["loss_g"] * float("nan")
        return out

    t.model.train_step = poisoned
    status = t.fit()
    assert status["status"] == "diverged" and status["diverged_at_step"] == 7 and status["steps_done"] == 7
    assert io.read_json(project / "models/gan-ring/status.json")["diverged_at_step"] == 7
    ev = config.load(project / "params.yaml").evaluation
    m = evaluate_run(
        "gan-ring", ev, project / "models/gan-ring", project / "data/ring8", project / "reports/runs/gan-ring"
    )
    assert m["status"] == "diverged" and m["seeds_evaluated"] == [] and np.isnan(m["modes_captured"])
    saved = json.loads((project / "reports/runs/gan-ring/metrics.json").read_text())
    assert saved["diverged_at_step"] == 7 and saved["modes_captured"] is None and saved["emd_floor"] > 0


def test_same_seed_same_numbers(project):
    run_stage(project, "stages/prepare.py", "toy1d")
    a = trainer(project, "toy", progress=False)
    a.fit()
    wa = torch.load(project / "models/toy/weights.pt", weights_only=True)
    b = trainer(project, "toy", progress=False)
    b.fit()
    wb = torch.load(project / "models/toy/weights.pt", weights_only=True)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
