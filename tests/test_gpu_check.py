"""bench/gpu_check.py, the one-command GPU check, run here in its `--smoke` mode (toy sizes on the
CPU): every step runs and lands in its JSON file. Its figures are only meaningful on a GPU."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.slow
def test_gpu_check_smoke_writes_every_step(tmp_path):
    out = tmp_path / "check.json"
    proc = subprocess.run(
        [sys.executable, "bench/gpu_check.py", "--smoke", "--out", str(out), "--budget", "600"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    steps = res["steps"]
    assert set(steps) >= {"environment", "tests", "bench", "torchrun", "runs"}
    assert not any("error" in steps[k] for k in ("environment", "tests", "bench", "torchrun", "runs"))
    assert steps["tests"]["rc"] == 0 and "skipped" in steps["tests"]["summary"]  # no CUDA here: marked tests skip
    rows = steps["bench"]["rows"]
    assert {(r["family"], r["precision"]) for r in rows} == {("dcgan", "fp32"), ("dcgan", "bf16")}
    assert all(r["images_per_s"] > 0 and 0 < r["peak_fraction"] < 1 for r in rows)
    tr = steps["torchrun"]
    assert tr["ok"], tr
    assert "all_reduce, broadcast, gather ok" in tr["self_test"]["tail"]
    assert tr["train_time"]["processes"] == 1 and "weights.pt" in tr["outputs"]
    for run in ("dcgan-digits", "wgan_gp-glyphs"):
        rec = steps["runs"][run]
        assert rec["train"]["rc"] == 0 and rec["evaluate"]["rc"] == 0, rec
        assert rec["status"] == "completed" and rec["metrics"] and rec["train_time"]["seconds"] > 0
        assert rec["params"]["tf32"] is True and rec["params"]["width"] == 64  # the GPU profile's run


def test_gpu_check_without_a_gpu_says_so():
    proc = subprocess.run(
        [sys.executable, "bench/gpu_check.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "CUDA_VISIBLE_DEVICES": ""},
    )
    assert proc.returncode != 0
    assert "no CUDA device here" in proc.stderr and "--smoke" in proc.stderr
