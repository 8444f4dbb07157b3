"""dvc's own cost on ganlab's pipeline: a no-op `dvc status` and `dvc repro`, and the fixed cost of
one stage (dvc's bookkeeping plus the script's start), without training anything.

Usage: python bench/bench_dvc.py [--repeat 3]
Copies this working tree (git's tracked and unignored files) to a temporary folder, runs the real
check stage there, puts a small stand-in at every other stage's outputs and records them with
`dvc commit -f`, so the pipeline is up to date as after a full `dvc repro`. Then it times, each
`--repeat` times (median printed): `dvc status`, a no-op `dvc repro`, and `dvc repro -f -s` of the
two marker stages (classifier@ring8, study@cyclegan-styled: they read no model, so they run on
stand-ins) next to the same command run alone, whose difference is dvc's share.
docs/timing.md's per-stage figures come from here. Time it alone: nothing else running.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sh(cmd: list[str], cwd: Path, env: dict | None = None) -> float:
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if p.returncode:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return dt


def copy_tree(dst: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for f in filter(None, files):
        src = ROOT / f
        if src.is_file():
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / f)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    sh(["git", "init", "-q"], dst)
    sh(git + ["add", "-A"], dst)
    sh(git + ["commit", "-qm", "bench"], dst)


def stand_ins(repo: Path) -> list[str]:
    """Write a small stand-in at every output of every stage but check; returns the stage names."""
    from dvc.repo import Repo

    names = []
    with Repo(str(repo)) as r:
        for stage in r.index.stages:
            if stage.name == "check":
                continue
            names.append(stage.name)
            for out in stage.outs:
                p = repo / out.def_path
                if p.suffix in (".json", ".html", ".md"):
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.write_text("{}\n")
                else:
                    p.mkdir(parents=True, exist_ok=True)
                    (p / "stand-in.txt").write_text(stage.name + "\n")
    return names


def median(f, n: int) -> float:
    return statistics.median(f() for _ in range(n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="build the stand-in project in this (new) folder and keep it")
    ap.add_argument(
        "--stages",
        nargs="*",
        default=["classifier@ring8", "study@cyclegan-styled"],
        help="stages to force one at a time: only those that read no model run on stand-ins",
    )
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": "src"}
    dvc = [shutil.which("dvc") or sys.exit("dvc not found: activate the environment (. .venv/bin/activate)")]
    with tempfile.TemporaryDirectory(prefix="bench_dvc_") as tmp:
        repo = args.keep or Path(tmp)
        repo.mkdir(parents=True, exist_ok=args.keep is None)
        copy_tree(repo)
        (repo / "dvc.lock").unlink(missing_ok=True)
        t_check = sh(dvc + ["repro", "check"], repo, env)
        names = stand_ins(repo)
        t_commit = sh(dvc + ["commit", "-f"], repo, env)
        lock_lines = len((repo / "dvc.lock").read_text().splitlines())
        print(
            f"{len(names) + 1} stages; dvc.lock {lock_lines} lines; check {t_check:.1f} s; "
            f"dvc commit -f of the stand-ins {t_commit:.1f} s"
        )
        status = median(lambda: sh(dvc + ["status"], repo, env), args.repeat)
        repro = median(lambda: sh(dvc + ["repro"], repo, env), args.repeat)
        print(f"no-op dvc status {status:.2f} s; no-op dvc repro {repro:.2f} s (median of {args.repeat})")
        for stage in args.stages:
            script = f"stages/{stage.split('@')[0]}.py"
            as_dvc = {**env, "DVC_STAGE": stage}  # as dvc starts it: the entry from DVC_STAGE, no arguments
            alone = median(lambda: sh([sys.executable, script], repo, as_dvc), args.repeat)  # noqa: B023  (called at once)
            forced = median(lambda: sh(dvc + ["repro", "-f", "-s", stage], repo, env), args.repeat)  # noqa: B023  (called at once)
            print(f"{stage}: dvc repro -f -s {forced:.2f} s = command alone {alone:.2f} s + dvc {forced - alone:.2f} s")


if __name__ == "__main__":
    main()
