"""Data-parallel scaling: the same run trained by 1 process and by N (torchrun), through the train
stage, in a scratch project. Prints wall seconds of training (train_time.json: the loop only, no
start-up), images or points per second, and the scaling efficiency speedup / N.

On a CPU the processes share the cores: compare 1 process x T threads with N processes x T / N
threads (`--threads`, the total); on GPUs, one process per device.

    PYTHONPATH=src python bench/bench_ddp.py [--processes 2] [--threads 2] [--family dcgan]
        [--steps 200] [--batch 64] [--device cpu] [--precision fp32|bf16] [--compile] [--size 16]

Per-step throughput and the fraction of the matmul peak of one process: bench/bench_images.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="CPU threads in all (split over the processes)")
    ap.add_argument("--family", default="dcgan")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--size", type=int, default=16, help="image side (32: the GPU profile's)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("src", "stages"):
            shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        points = args.family in ("gan", "wgan", "wgan_gp")
        ds = (
            {"recipe": "grid"}
            if points
            else {"recipe": "glyphs", "image_size": args.size, "n_train": 6000, "n_test": 500}
        )
        run = {
            "family": args.family,
            "dataset": "d",
            "seeds": [0],
            "steps": args.steps,
            "batch_size": args.batch,
            "log_every": 50,
            "w_every": args.steps,
            "checkpoint_every": 10 * args.steps,
            "snapshots": 1,
            "precision": args.precision,
            "compile": args.compile,
        }
        runs = {f"p{n}": {**run, "processes": n, "cpu_threads": max(1, args.threads // n)} for n in (1, args.processes)}
        (root / "params.yaml").write_text(yaml.safe_dump({"device": args.device, "datasets": {"d": ds}, "runs": runs}))
        env = {**os.environ, "PYTHONPATH": str(root / "src"), "OMP_NUM_THREADS": "1"}
        subprocess.run([sys.executable, "stages/prepare.py", "d"], cwd=root, env=env, check=True, capture_output=True)
        seconds = {}
        for name in runs:
            subprocess.run(
                [sys.executable, "stages/train.py", name], cwd=root, env=env, check=True, capture_output=True
            )
            seconds[name] = json.loads((root / f"reports/runs/{name}/train_time.json").read_text())["seconds"]
    n = args.processes
    t1, tn = seconds["p1"], seconds[f"p{n}"]
    unit = "points" if points else "images"
    print(
        f"{args.family}, batch {args.batch}, {args.steps} steps on {args.device}, {args.precision}"
        f"{', compiled' if args.compile else ''}, {args.threads} threads in all:"
    )
    print(f"  1 process : {t1:7.1f} s, {args.steps * args.batch / t1:8.0f} {unit}/s")
    print(
        f"  {n} processes: {tn:7.1f} s, {args.steps * args.batch / tn:8.0f} {unit}/s; speedup {t1 / tn:.2f}, "
        f"efficiency {t1 / tn / n:.2f}"
    )


if __name__ == "__main__":
    main()
