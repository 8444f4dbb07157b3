"""Data-parallel training (ganlab.distributed) on this CPU with torchrun and gloo.

Every test starts real processes (torch.distributed.run), each with one thread. What is
checked: all ranks hold the same parameters after training, for every family; N processes x
batch b train like one process x batch N * b where no layer couples a batch's samples; the
train stage launches torchrun itself for `processes: 2`, rank 0 alone writes the same output
contract; a different process count on resume starts over; a failing rank ends the job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from conftest import run_stage
from test_families import CASES

pytestmark = pytest.mark.slow  # torchrun jobs: about 4 minutes in all

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Cases whose samples never meet inside a network (the point MLPs: no batch norm, no minibatch
# layer, no per-batch random decision): 2 x b must equal 1 x 2b up to float summation order
# (measured: 3e-8, 0, 0 after 3 steps). Elsewhere each rank's batch norm normalises its own share
# (largest parameter difference after 3 steps 5e-4 to 1.2e-3; progan 7e-3; stylegan 8e-2: its
# style-mixing decision and per-pixel noise are drawn per rank; toy1d 1e-2: its draws are laid
# out (steps, batch)); there the test asks only that the ranks agree and stay finite.
BATCH_FREE = ("gan/2", "wgan/2", "wgan_gp/2")


def env(cwd: Path | None = None) -> dict:
    return {
        **os.environ,
        "PYTHONPATH": f"{(cwd or ROOT) / 'src'}{os.pathsep}{HERE}",
        "OMP_NUM_THREADS": "1",
        "DVC_NO_ANALYTICS": "1",
        "GANLAB_DIST_TIMEOUT": "120",
    }


def torchrun(*args: str, nproc: int = 2, cwd: Path = ROOT, extra: tuple = ()) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}", *extra, *args]
    return subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True, timeout=900)


def test_every_family_stays_in_sync_and_batch_free_ones_match_one_process(tmp_path):
    one = subprocess.run(
        [sys.executable, str(HERE / "_dist_worker.py"), str(tmp_path / "one.pt")],
        env=env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert one.returncode == 0, one.stderr[-3000:]
    two = torchrun(str(HERE / "_dist_worker.py"), str(tmp_path / "two.pt"))
    assert two.returncode == 0, two.stderr[-3000:]  # check_in_sync raised nowhere: every rank equal
    p1, p2 = torch.load(tmp_path / "one.pt"), torch.load(tmp_path / "two.pt")
    assert p1.keys() == p2.keys() and len(p1) == len(CASES)  # every family, on every kind of data it takes
    for case in p1:
        diff = float((p1[case] - p2[case]).abs().max())
        if case in BATCH_FREE:
            assert diff < 1e-4, (case, diff)  # float summation order only
        assert torch.isfinite(p2[case]).all(), case


def _project(tmp_path: Path, runs: dict) -> Path:
    for name in ("src", "stages"):
        import shutil

        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    params = {
        "device": "cpu",
        "evaluation": {"n_samples": 200, "sliced_projections": 16},
        "datasets": {"ring8": {"recipe": "ring", "n_train": 2000, "n_test": 500}},
        "runs": runs,
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run_stage(tmp_path, "stages/prepare.py", "ring8")
    return tmp_path


RUN = {
    "family": "wgan_gp",
    "dataset": "ring8",
    "seeds": [0, 1],
    "steps": 12,
    "batch_size": 32,
    "g_hidden": [16],
    "d_hidden": [16],
    "d_steps": 2,
    "log_every": 2,
    "w_every": 6,
    "checkpoint_every": 4,
    "cpu_threads": 1,
}


def test_train_stage_launches_torchrun_and_rank0_writes_the_same_outputs(tmp_path):
    """`processes: 2` through the stage script: torchrun is launched by it, the outputs are the
    single-process contract, and the trained weights match one process (a gradient penalty:
    double backward, averaged after the whole backward)."""
    root = _project(tmp_path, {"one": RUN, "two": {**RUN, "processes": 2}})
    run_stage(root, "stages/train.py", "one")
    proc = run_stage(root, "stages/train.py", "two")
    assert "on 2 processes" in proc.stdout
    files = lambda r: sorted(p.name for p in (root / "models" / r).iterdir())
    assert files("two") == files("one")
    assert json.loads((root / "reports/runs/two/train_time.json").read_text())["processes"] == 2
    w1 = torch.load(root / "models/one/weights.pt")
    w2 = torch.load(root / "models/two/weights.pt")
    assert max(float((w1[k] - w2[k]).abs().max()) for k in w1) < 1e-4
    h1 = json.loads((root / "models/one/history.json").read_text())
    h2 = json.loads((root / "models/two/history.json").read_text())
    assert [r["step"] for r in h1] == [r["step"] for r in h2]
    assert abs(h1[-1]["loss_d"] - h2[-1]["loss_d"]) < 1e-3  # logged: the mean over ranks
    assert not (root / "checkpoints/two").exists()


def test_kill_9_of_one_rank_then_rerun_ends_where_an_uninterrupted_run_ends(tmp_path):
    """SIGKILL on rank 1 after the step-4 checkpoint: torchrun ends the job (no hang); the rerun
    resumes from step 4 with every rank's random streams and ends bit-equal to a run never killed."""
    root = _project(tmp_path, {"ref": {**RUN, "processes": 2}, "hit": {**RUN, "processes": 2}})
    run_stage(root, "stages/train.py", "ref")
    killed = subprocess.run(
        [sys.executable, "stages/train.py", "hit"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        env={**env(root), "GANLAB_FAULT": "kill:1:6"},
    )
    assert killed.returncode != 0 and (root / "checkpoints/hit/ckpt.pt").exists()
    assert not (root / "models/hit").exists()
    proc = run_stage(root, "stages/train.py", "hit")
    assert "resuming from checkpoint at step 4" in proc.stderr
    ref, hit = torch.load(root / "models/ref/weights.pt"), torch.load(root / "models/hit/weights.pt")
    assert all(torch.equal(ref[k], hit[k]) for k in ref)
    assert json.loads((root / "models/ref/history.json").read_text()) == json.loads(
        (root / "models/hit/history.json").read_text()
    )


def test_a_failing_rank_ends_the_job_with_its_error_and_other_counts_start_over(tmp_path):
    root = _project(tmp_path, {"r": {**RUN, "processes": 2}})
    proc = subprocess.run(
        [sys.executable, "stages/train.py", "r"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        env={**env(root), "GANLAB_FAULT": "raise:1:5"},
    )
    assert proc.returncode != 0
    assert "injected fault (GANLAB_FAULT) on rank 1 at step 5" in proc.stderr and "rank" in proc.stderr
    # the step-4 checkpoint was made by 2 processes: a 1-process run of the same name starts over
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["runs"]["r"]["processes"] = 1
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    proc = run_stage(root, "stages/train.py", "r")
    assert "checkpoint is for other params; starting from step 0" in proc.stderr


def test_two_nodes_on_one_machine_train_one_run(tmp_path):
    """Two torchrun launches with --nnodes 2 and a c10d rendezvous on 127.0.0.1: one job of two
    ranks, the same weights as the job started by the stage on one node."""
    root = _project(tmp_path, {"r": {**RUN, "processes": 2}, "one_node": {**RUN, "processes": 2}})
    run_stage(root, "stages/train.py", "one_node")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = lambda rank: [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nnodes=2",
        "--nproc-per-node=1",
        f"--node-rank={rank}",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint=127.0.0.1:{port}",
        "--rdzv-id=ganlab-test",
        "stages/train.py",
        "r",
    ]
    nodes = [
        subprocess.Popen(cmd(r), cwd=root, env=env(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for r in (0, 1)
    ]
    outs = [n.communicate(timeout=600) for n in nodes]
    assert all(n.returncode == 0 for n in nodes), [o[1][-2000:] for o in outs]
    a, b = torch.load(root / "models/one_node/weights.pt"), torch.load(root / "models/r/weights.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_dvc_repro_with_a_two_process_run(tmp_path, tiny_params):
    """A tiny pipeline in which one run trains on 2 processes: dvc repro runs it like any other
    (same outputs as its single-process twin), and the report says how it trained."""
    from conftest import make_repo

    ring = {
        "family": "gan",
        "dataset": "ring8",
        "seeds": [0],
        "steps": 20,
        "batch_size": 32,
        "g_hidden": [8],
        "d_hidden": [8],
        "log_every": 5,
        "w_every": 10,
        "cpu_threads": 1,
    }
    tiny_params["datasets"] = {"ring8": tiny_params["datasets"]["ring8"]}
    tiny_params["runs"] = {"single": ring, "double": {**ring, "processes": 2}}
    repo = make_repo(tmp_path, tiny_params)
    for out in (
        "models/{}/weights.pt",
        "reports/runs/{}/metrics.json",
        "reports/runs/{}/train/metrics.json",
        "reports/runs/{}/figures",
    ):
        assert (repo / out.format("double")).exists() and (repo / out.format("single")).exists(), out
    files = lambda r: sorted(p.name for p in (repo / "models" / r).iterdir())
    assert files("double") == files("single")
    report = (repo / "reports/README.md").read_text()
    assert "trained on 2 processes" in report
    assert json.loads((repo / "reports/runs/double/train_time.json").read_text())["processes"] == 2
    assert json.loads((repo / "reports/runs/single/train_time.json").read_text())["processes"] == 1
