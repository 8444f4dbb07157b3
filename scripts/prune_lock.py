"""Drop from dvc.lock the entries of stages the pipeline no longer has (dvc keeps them when a run or
dataset leaves params.yaml), so that the lock, and the fingerprint read from it, hold exactly the
pipeline's results.

Usage: python scripts/prune_lock.py [--check]     (run where dvc.yaml is; --check: change nothing,
exit 1 and name the stale entries if there are any)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def stages() -> set[str]:
    """The stage names dvc.yaml defines now (foreach expanded), from dvc itself."""
    out = subprocess.run(["dvc", "stage", "list", "--name-only"], capture_output=True, text=True, check=True).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if dvc.lock has stale entries")
    args = ap.parse_args()
    from ruamel.yaml import YAML  # dvc's own reader and writer of its lock file

    yaml = YAML()
    lock = Path("dvc.lock")
    data = yaml.load(lock.read_text())
    stale = sorted(set(data["stages"]) - stages())
    if args.check or not stale:
        print(
            f"dvc.lock: {len(stale)} stale entr{'y' if len(stale) == 1 else 'ies'}"
            + (": " + ", ".join(stale) if stale else "")
        )
        return 1 if stale else 0
    for name in stale:
        del data["stages"][name]
    with lock.open("w") as f:
        yaml.dump(data, f)
    print(f"dvc.lock: removed {len(stale)} stale entries: {', '.join(stale)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
