"""Time every stage of a `dvc repro`: run it, stamp each line of its output, and print the
seconds from one "Running stage" line to the next, per stage and summed per stage kind and
per dataset kind (docs/timing.md comes from this).

Usage: python bench/time_repro.py [dvc repro arguments...]   (e.g. -f, or stage names)
       python bench/time_repro.py --log repro.log              (re-read a saved log)
A stage's time includes its process start-up and dvc's own work after it (hashing outputs);
the last stage ends when dvc exits. The stamped log is saved as repro_times.log.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

STAGE = re.compile(r"Running stage '([^']+)'")


def run(args: list[str], log: Path) -> list[tuple[float, str]]:
    lines = []
    with (
        subprocess.Popen(["dvc", "repro", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as p,
        log.open("w") as f,
    ):
        for line in p.stdout:
            t = time.time()
            lines.append((t, line.rstrip("\n")))
            f.write(f"{t:.3f} {line}")
            sys.stdout.write(line)
    lines.append((time.time(), "<end>"))
    with log.open("a") as f:
        f.write(f"{lines[-1][0]:.3f} <end>\n")
    if p.returncode:
        sys.exit(f"dvc repro exited with {p.returncode}")
    return lines


def read(log: Path) -> list[tuple[float, str]]:
    out = []
    for line in log.read_text().splitlines():
        t, _, rest = line.partition(" ")
        out.append((float(t), rest))
    return out


def durations(lines: list[tuple[float, str]]) -> dict[str, float]:
    starts = [(t, m.group(1)) for t, line in lines if (m := STAGE.search(line))]
    end = lines[-1][0]
    return {name: (starts[i + 1][0] if i + 1 < len(starts) else end) - t for i, (t, name) in enumerate(starts)}


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["--log"]:
        lines = read(Path(argv[1]))
    else:
        lines = run(argv, Path("repro_times.log"))
    d = durations(lines)
    from ganlab.config import read_yaml  # as dvc reads it (YAML 1.2)

    params = read_yaml("params.yaml")
    recipe = {name: ds["recipe"] for name, ds in params["datasets"].items()}
    points = {"toy1d", "ring", "grid", "mixture"}

    def data_kind(stage: str) -> str:
        kind, _, item = stage.partition("@")
        ds = item if kind in ("prepare", "classifier") else params["runs"].get(item, {}).get("dataset")
        return "report" if kind == "report" else ("points" if recipe.get(ds) in points else "images")

    by_kind: dict[str, float] = defaultdict(float)
    by_data: dict[str, float] = defaultdict(float)
    print(f"\n{'stage':40s} {'seconds':>8s}")
    for name, s in d.items():
        print(f"{name:40s} {s:8.1f}")
        by_kind[name.partition("@")[0]] += s
        by_data[data_kind(name)] += s
    per_item: dict[str, dict[str, float]] = defaultdict(dict)
    for name, sec in d.items():
        kind, _, item = name.partition("@")
        if item:
            per_item[item][kind] = sec
    print(
        f"\n{'run or dataset':24s} "
        + " ".join(f"{k:>10s}" for k in ("prepare", "classifier", "train", "evaluate", "study"))
    )
    for item, ks in per_item.items():
        print(
            f"{item:24s} "
            + " ".join(
                f"{ks[k]:10.1f}" if k in ks else f"{'':10s}"
                for k in ("prepare", "classifier", "train", "evaluate", "study")
            )
        )
    print("\nper stage kind: " + ", ".join(f"{k} {v:.0f} s" for k, v in by_kind.items()))
    print("per data kind:  " + ", ".join(f"{k} {v:.0f} s" for k, v in by_data.items()))
    print(f"total (first stage start to dvc exit): {sum(d.values()):.0f} s")


if __name__ == "__main__":
    main()
