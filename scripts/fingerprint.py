"""One hash per pipeline output, from dvc.lock: a fingerprint of the results that two machines (or two
commits) can compare.

Usage:
    python scripts/fingerprint.py [LOCK]                    # md5 and path of every output
    python scripts/fingerprint.py [LOCK] --against OTHER    # which outputs equal OTHER's, which differ

LOCK and OTHER are dvc.lock files, `git:REV` for the dvc.lock of a commit (`git:HEAD~3`), or a saved
fingerprint (this script's output, `#` lines are comments: docs/fingerprints/ keeps one per clean-clone
run and CPU, for comparing across machines). Files
named `*_time.json` hold the host's wall seconds, not results: they are left out. Everything else is a
result: no stage reads a *_time.json (the report neither), so two runs of the
same code on the same CPU give the same hash for every other output.
Output hashes are dvc's md5 (a folder's is the md5 of its file list, `.dir`). Exit status 0; with
--against, 1 if any result output differs or is missing on one side.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def load(source: str) -> dict[str, str]:
    """{output path: md5} of every output in a dvc.lock (a path, or git:REV) or a saved fingerprint."""
    from ruamel.yaml import YAML  # dvc's own reader of its lock file

    if source.startswith("git:"):
        text = subprocess.run(
            ["git", "show", f"{source[4:]}:dvc.lock"], capture_output=True, text=True, check=True
        ).stdout
    else:
        text = Path(source).read_text()
    if not text.lstrip().startswith(("schema:", "stages:")):  # a saved fingerprint: "md5  path" lines
        rows = [line.split(None, 1) for line in text.splitlines() if line.strip() and not line.startswith("#")]
        if not rows or any(len(r) != 2 for r in rows):
            raise OSError(f"{source}: neither a dvc.lock nor a fingerprint (lines 'md5  path')")
        return {path.strip(): md5 for md5, path in rows}
    lock = YAML(typ="safe").load(text) or {}
    return {
        out["path"]: out.get("md5", "")
        for stage in (lock.get("stages") or {}).values()
        for out in stage.get("outs", [])
    }


def results(outs: dict[str, str]) -> dict[str, str]:
    """The result outputs: every output but the *_time.json files."""
    return {p: h for p, h in outs.items() if not p.endswith("_time.json")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lock", nargs="?", default="dvc.lock")
    ap.add_argument("--against", help="another dvc.lock, or git:REV")
    args = ap.parse_args(argv)
    try:
        mine = results(load(args.lock))
        other = results(load(args.against)) if args.against else None
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"fingerprint: cannot read a lock file: {err}", file=sys.stderr)
        return 2
    if other is None:
        for path in sorted(mine):
            print(f"{mine[path]}  {path}")
        return 0
    same = sorted(p for p in mine if other.get(p) == mine[p])
    differ = sorted(p for p in mine if p in other and other[p] != mine[p])
    only = sorted(set(mine) ^ set(other))
    for path in differ:
        print(f"differs  {path}")
    for path in only:
        print(f"only in {'LOCK' if path in mine else 'OTHER'}  {path}")
    print(
        f"{len(same)} outputs equal, {len(differ)} differ, {len(only)} on one side only "
        "(the *_time.json files not compared)"
    )
    return 1 if differ or only else 0


if __name__ == "__main__":
    raise SystemExit(main())
