"""Outputs on a disk that refuses them: a full disk while train@ writes a checkpoint or
its outputs, and an output folder that is not writable, each end the stage with one line naming
the path and the OS error, exit 1, and leave what was computed before as it was."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from conftest import ROOT, TINY, run_stage
from test_inputs import tree_hashes

# Runs a stage script with tempfile.mkstemp sending the temporary files made in a folder whose path
# holds WHERE, from the N-th on, to /dev/full, where every write fails as on a full disk (ENOSPC):
# the writes are ganlab's own, unchanged; only the disk is made full.
FULL_DISK = """
import os, runpy, sys, tempfile
where, nth = sys.argv[1], int(sys.argv[2])
real, seen = tempfile.mkstemp, [0]
def mkstemp(*args, dir=None, **kw):
    fd, name = real(*args, dir=dir, **kw)
    if where in str(dir):
        seen[0] += 1
        if seen[0] >= nth:
            os.dup2(os.open("/dev/full", os.O_WRONLY), fd)
    return fd, name
tempfile.mkstemp = mkstemp
sys.argv = sys.argv[3:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """ring8 prepared and gan-ring trained through the stage scripts (tiny params), once."""
    root = tmp_path_factory.mktemp("built")
    for name in ("src", "stages"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "params.yaml").write_text(yaml.safe_dump(TINY, sort_keys=False))
    run_stage(root, "stages/prepare.py", "ring8")
    run_stage(root, "stages/train.py", "gan-ring")
    return root


@pytest.fixture
def repo(built, tmp_path) -> Path:
    """A copy of `built` whose gan-ring params changed (lr_g): a rerun would write other outputs,
    so outputs that hash as before were not replaced."""
    root = tmp_path / "repo"
    shutil.copytree(built, root)
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["runs"]["gan-ring"]["lr_g"] = 0.005
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return root


def with_full_disk(root: Path, where: str, nth: int, *stage: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [sys.executable, "-c", FULL_DISK, where, str(nth), *stage], cwd=root, env=env, capture_output=True, text=True
    )


def one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def temporaries(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob(".*") if p.name != ".gitignore")


def test_full_disk_while_checkpointing(repo):
    """The disk fills at the second checkpoint (step 20 of 40): one line naming the checkpoint and
    the OS error; the step-10 checkpoint, the model, the log and the data stay as they were."""
    before = tree_hashes(repo)
    # each checkpoint writes ckpt.pt, then checksums.json: the third file is the step-20 ckpt.pt
    proc = with_full_disk(repo, "checkpoints/.gan-ring.", 3, "stages/train.py", "gan-ring")
    assert one_line(proc) == (
        "ganlab: checkpoints/gan-ring/ckpt.pt: cannot write it (No space left on device); "
        "free space on that disk and run again (what was there before is unchanged)"
    )
    assert tree_hashes(repo) == before
    assert torch.load(repo / "checkpoints/gan-ring/ckpt.pt", weights_only=True)["step"] == 10
    assert temporaries(repo) == []


def test_full_disk_while_writing_the_model(repo):
    """The disk fills when the finished run writes models/gan-ring/: one line naming the file; the
    previous model and its log stay, and so does the last checkpoint, which the rerun resumes."""
    before = tree_hashes(repo)
    proc = with_full_disk(repo, "models/.gan-ring.", 1, "stages/train.py", "gan-ring")
    assert one_line(proc) == (
        "ganlab: models/gan-ring/weights.pt: cannot write it (No space left on device); "
        "free space on that disk and run again (what was there before is unchanged)"
    )
    assert tree_hashes(repo) == before
    assert temporaries(repo) == []
    rerun = run_stage(repo, "stages/train.py", "gan-ring")
    assert "resuming from checkpoint at step 30 of 40" in rerun.stderr
    after = tree_hashes(repo)
    assert after["data/ring8/data.npz"] == before["data/ring8/data.npz"]
    assert after["models/gan-ring/weights.pt"] != before["models/gan-ring/weights.pt"]  # the new params' model


def drop_root_override() -> None:
    """In the child: give up CAP_DAC_OVERRIDE and CAP_FOWNER (prctl PR_CAPBSET_DROP, then exec), so
    that root, as this suite's CI user, meets file permissions as any user does."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 3):  # CAP_DAC_OVERRIDE, CAP_FOWNER
        libc.prctl(24, cap, 0, 0, 0)


@pytest.mark.parametrize(
    "stage, folder", [(("stages/train.py", "gan-ring"), "models"), (("stages/prepare.py", "ring8"), "data")]
)
def test_unwritable_output_folder_stops_the_stage_before_any_work(repo, stage, folder):
    """models/ (or data/) read-only: the stage stops at its start with one line naming the folder,
    before any training (no checkpoint appears), and nothing changes."""
    before = tree_hashes(repo)
    (repo / folder).chmod(0o555)
    try:
        env = {**os.environ, "PYTHONPATH": str(repo / "src")}
        proc = subprocess.run(
            [sys.executable, *stage], cwd=repo, env=env, capture_output=True, text=True, preexec_fn=drop_root_override
        )
    finally:
        (repo / folder).chmod(0o755)
    assert one_line(proc) == (
        f"ganlab: {folder}: cannot write there (Permission denied), and {folder}/{stage[1]} goes "
        f"there; make the folder writable and run again (nothing was computed)"
    )
    assert tree_hashes(repo) == before
    assert not (repo / "checkpoints/gan-ring").exists()  # training never began


def test_a_failed_final_rename_puts_the_previous_output_back(tmp_path, monkeypatch):
    """atomic_dir moves the old folder aside, then renames the new one in: if that rename fails
    (simulated ENOSPC), the old folder returns to its place and no temporary is left."""
    import errno
    import re

    from ganlab import io

    out = tmp_path / "out"
    with io.atomic_dir(out) as tmp:
        (tmp / "a.txt").write_text("old")
    real = os.replace

    def replace(src, dst):
        if Path(dst) == out and Path(src).name.endswith(".tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(
        io.WriteError,
        match=f"^{re.escape(str(out))}: cannot write it \\(No space left on device\\); "
        f"free space on that disk and run again",
    ):
        with io.atomic_dir(out) as tmp:
            (tmp / "a.txt").write_text("new")
    monkeypatch.undo()
    assert (out / "a.txt").read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out"]
