"""Compare every number of two pipeline outputs: summary.json, every metrics.json and study.json
(wall-clock seconds, the host's and not a result, are counted apart).

Usage: python scripts/compare_metrics.py BEFORE AFTER [--rtol 0]

BEFORE and AFTER are project roots (or reports/ folders). Numbers are compared exactly by
default (same seeds, same CPU: a refactor must not move a bit); keys only in one side are
listed apart (a new key is not a changed number). Exit status 1 if any number differs or a
number disappeared.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

PATTERNS = ("summary.json", "runs/*/metrics.json", "runs/*/study.json", "classifiers/*/metrics.json")


def numbers(obj, prefix: str = ""):
    """Flatten JSON into {path: number} (bools and strings are not numbers here)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from numbers(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from numbers(v, f"{prefix}[{i}]")
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield prefix, float(obj)


TIMING = re.compile(r"(^|[._])seconds(_[a-z]+)?$|seconds$")  # wall time: the host's, not a result


def same(a: float, b: float, rtol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= rtol * max(abs(a), abs(b))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--rtol", type=float, default=0.0)
    args = ap.parse_args(argv)
    roots = [r / "reports" if (r / "reports").is_dir() else r for r in (args.before, args.after)]
    files = sorted({p.relative_to(roots[0]) for pat in PATTERNS for p in roots[0].glob(pat)})
    compared, differ, lost, new, missing, timing = 0, [], [], [], [], 0
    for rel in files:
        if not (roots[1] / rel).exists():
            missing.append(str(rel))
            continue
        a = dict(numbers(json.loads((roots[0] / rel).read_text())))
        b = dict(numbers(json.loads((roots[1] / rel).read_text())))
        for k, v in a.items():
            if k not in b:
                lost.append(f"{rel}: {k}")
            elif TIMING.search(k):
                timing += 1  # wall seconds differ run to run: counted, not compared
            else:
                compared += 1
                if not same(v, b[k], args.rtol):
                    differ.append(f"{rel}: {k}: {v!r} -> {b[k]!r}")
        new += [f"{rel}: {k}" for k in b if k not in a]
    print(
        f"{len(files)} files, {compared} numbers compared: {len(differ)} differ, {len(lost)} gone, "
        f"{len(new)} new, {len(missing)} files missing ({timing} wall-time values not compared)"
    )
    for title, items in (("differ", differ), ("gone", lost), ("files missing", missing)):
        for line in items[:200]:
            print(f"  {title}: {line}")
        if len(items) > 200:
            print(f"  ... {len(items) - 200} more {title}")
    # new keys, by pattern (file and list indices left out): how many files gained each
    patterns: dict[str, int] = {}
    for line in new:
        key = re.sub(r"\[\d+\]", "[]", line.split(": ", 1)[1])
        patterns[key] = patterns.get(key, 0) + 1
    for key, n in sorted(patterns.items()):
        print(f"  new: {key} ({n}x)")
    return 1 if differ or lost or missing else 0


if __name__ == "__main__":
    sys.exit(main())
