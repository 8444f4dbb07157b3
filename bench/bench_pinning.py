"""Does pinning the CPU's numerics make two machines agree, and what does it cost?

Every variant runs in its own process, since the variables act only when set before torch loads:

    none      torch's default: kernels chosen by the CPU (AVX-512, AMX, AVX2; MKL's own dispatch)
    isa       ATEN_CPU_CAPABILITY=avx2, ONEDNN_MAX_CPU_ISA=AVX2 (ATen's and oneDNN's kernels capped)
    isa+mkl   the above and MKL_CBWR=COMPATIBLE (MKL's reproducible branch, the one it offers on
              Intel and AMD alike): what every stage runs with under `cpu.pinned: true`
              (ganlab.pinning.PINNED; tests/test_bench.py checks they are the same)

For each family (the 2-D point families on stand-in mixture data, the image families on random
16x16 images, 3 seeds batched, the default sizes) it trains --steps steps from fixed seeds with
--threads threads and prints steps per second and the first 12 hex digits of the sha256 of the
generator's weights after training. The hashes are the point: run this on two machines (a Xeon and an
EPYC) and compare the columns; equal hashes under a variant mean that variant makes them agree on
that family's training step. docs/results.md keeps each host's output.

    PYTHONPATH=src python bench/bench_pinning.py [--steps 20] [--threads 2] [--families gan,dcgan]
        [--variants none,isa,isa+mkl]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

VARIANTS = {
    "none": {},
    "isa": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "isa+mkl": {
        "ATEN_CPU_CAPABILITY": "avx2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "MKL_CBWR": "COMPATIBLE",
    },  # = pinning.PINNED
}
PINNED = sorted({k for env in VARIANTS.values() for k in env})


def child(family: str, steps: int, threads: int) -> dict:
    """Train `family` for `steps` steps in this process; its speed and its weights' hash."""
    import torch

    from ganlab.config import build
    from ganlab.families import get_family
    from ganlab.families.base import RealBatches
    from ganlab.nn.seeded import SeedRNG

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    fam, seeds = get_family(family), [0, 1, 2]
    points = not fam.check_dataset({"kind": "points", "dim": 2})
    if points:
        from bench_families import META  # the same stand-in mixture (same folder)

        meta = META[2]
    else:
        meta = {"kind": "images", "shape": [1, 16, 16], "dim": 256, "classes": 10}
    cfg = build(fam.Config, {"family": family, "dataset": "d", "seeds": seeds}, "bench")
    model = fam(cfg, meta, torch.device("cpu"))
    rng = SeedRNG(seeds, offset=1)
    if points:
        centres = torch.tensor(meta["centres"])
        real = lambda n: centres[rng.randint(len(centres), n)] + 0.05 * rng.randn(n, 2)
    else:
        g = torch.Generator().manual_seed(0)
        real = RealBatches(
            torch.randint(0, 256, (2048, 1, 16, 16), dtype=torch.uint8, generator=g),
            torch.randint(0, 10, (2048,), generator=g),
            rng,
        )
    model.train_step(real, rng)  # warm-up, part of the hashed training
    t0 = time.perf_counter()
    for _ in range(steps - 1):
        model.train_step(real, rng)
    rate = (steps - 1) / (time.perf_counter() - t0)
    h = hashlib.sha256()
    for p in model.generator_params():
        h.update(p.detach().contiguous().numpy().tobytes())
    return {"steps_per_s": rate, "sha256": h.hexdigest(), "torch": torch.__version__}


def families() -> list[str]:
    from ganlab.families import get_family, list_families

    image = {"kind": "images", "shape": [1, 16, 16], "dim": 256, "classes": 10}
    return [
        f
        for f in list_families()
        if not get_family(f).check_dataset({"kind": "points", "dim": 2}) or not get_family(f).check_dataset(image)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--families", default=None, help="comma-separated (default: every point and image family)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of {', '.join(VARIANTS)}")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.steps, args.threads)))
        return
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"--variants: unknown {', '.join(unknown)}; allowed: {', '.join(VARIANTS)}")
    names = args.families.split(",") if args.families else families()
    base = {k: v for k, v in os.environ.items() if k not in PINNED}
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown CPU")
    print(f"{cpu}; {args.threads} threads, {args.steps} steps, 3 seeds batched")
    print(f"{'family':<12}" + "".join(f"{v + ' steps/s':>18}{v + ' sha256':>16}" for v in variants))
    for fam in names:
        cells = []
        for v in variants:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", fam, "--steps", str(args.steps), "--threads", str(args.threads)],
                env={**base, **VARIANTS[v]},
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                raise SystemExit(f"{fam} under {v} failed:\n{proc.stderr[-2000:]}")
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            cells.append(f"{r['steps_per_s']:>18.1f}{r['sha256'][:12]:>16}")
        print(f"{fam:<12}" + "".join(cells), flush=True)


if __name__ == "__main__":
    main()
