"""scripts/fingerprint.py: one hash per result output from dvc.lock, compared across locks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT

LOCK = """\
schema: '2.0'
stages:
  train@a:
    cmd: PYTHONPATH=src python stages/train.py
    outs:
    - path: models/a
      hash: md5
      md5: 1111.dir
    - path: reports/runs/a/train_time.json
      hash: md5
      md5: {time}
  evaluate@a:
    outs:
    - path: reports/runs/a/metrics.json
      hash: md5
      md5: {metrics}
  report:
    outs:
    - path: reports/summary.json
      hash: md5
      md5: {summary}
"""


def fingerprint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts/fingerprint.py"), *args], cwd=cwd, capture_output=True, text=True
    )


def test_results_only_and_differences(tmp_path):
    a, b = tmp_path / "a.lock", tmp_path / "b.lock"
    a.write_text(LOCK.format(time="t1", metrics="m1", summary="s1"))
    b.write_text(LOCK.format(time="t2", metrics="m1", summary="s1"))
    out = fingerprint(str(a)).stdout.splitlines()
    assert out == ["1111.dir  models/a", "m1  reports/runs/a/metrics.json", "s1  reports/summary.json"]
    same = fingerprint(str(a), "--against", str(b))  # only wall seconds differ
    assert same.returncode == 0 and same.stdout.strip().endswith(
        "3 outputs equal, 0 differ, 0 on one side only (the *_time.json files not compared)"
    )
    b.write_text(LOCK.format(time="t2", metrics="m1", summary="s2"))
    differ = fingerprint(str(a), "--against", str(b))  # the report is a result too
    assert differ.returncode == 1 and "differs  reports/summary.json" in differ.stdout
    b.write_text(LOCK.format(time="t2", metrics="m2", summary="s1"))
    differ = fingerprint(str(a), "--against", str(b))
    assert differ.returncode == 1 and "differs  reports/runs/a/metrics.json" in differ.stdout


def test_reads_a_commit_and_names_a_missing_file(tmp_path):
    head = fingerprint("git:HEAD")
    assert head.returncode == 0 and "  data/grid25" in head.stdout
    missing = fingerprint(str(tmp_path / "nope.lock"))
    assert missing.returncode == 2 and "cannot read a lock file" in missing.stderr


def test_compares_with_a_saved_fingerprint(tmp_path):
    """A fingerprint saved from one machine (docs/fingerprints/) compares with another's lock; a file
    that is neither is refused."""
    a = tmp_path / "a.lock"
    a.write_text(LOCK.format(time="t1", metrics="m1", summary="s1"))
    saved = tmp_path / "saved.txt"
    saved.write_text("# a Xeon, code abc\n" + fingerprint(str(a)).stdout)
    same = fingerprint(str(a), "--against", str(saved))
    assert same.returncode == 0 and "3 outputs equal, 0 differ" in same.stdout
    saved.write_text(saved.read_text().replace("m1  reports", "m9  reports"))
    assert "differs  reports/runs/a/metrics.json" in fingerprint(str(a), "--against", str(saved)).stdout
    saved.write_text("garbage\n")
    bad = fingerprint(str(a), "--against", str(saved))
    assert bad.returncode == 2 and "neither a dvc.lock nor a fingerprint" in bad.stderr
    committed = sorted((ROOT / "docs/fingerprints").glob("*.txt"))
    assert committed and all(fingerprint("--against", str(f)).returncode in (0, 1) for f in committed)
