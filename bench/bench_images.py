"""Throughput of every image family's training step: images per second and fraction of peak.

Prints, per family that trains on images: generator images per second (batch x seeds x steps/s)
with 1 seed and with S seeds, channels_last against the default contiguous layout, the FLOPs
of one step (torch.utils.flop_counter.FlopCounterMode) and the achieved fraction of this
device's measured matmul peak in the step's precision (fp32, or bf16 under `--precision bf16`).
`--compile` compiles the networks as `runs.<name>.compile` does and reports the compile's seconds.
Settings are the default runs' (16x16 glyph-sized images, width 32, batch 64); `--size 32` gives
the GPU-scale profile's images. Data-parallel scaling (`--processes`): bench/bench_ddp.py.

    PYTHONPATH=src python bench/bench_images.py [--seeds 3] [--steps 30] [--size 16] [--device cpu]
        [--precision fp32|bf16] [--compile] [--families dcgan,wgan_gp]
"""

from __future__ import annotations

import argparse
import time

import torch
from bench_families import matmul_peak
from torch.utils.flop_counter import FlopCounterMode

from ganlab.config import build
from ganlab.families import get_family, list_families
from ganlab.families.base import RealBatches
from ganlab.nn.seeded import SeedRNG
from ganlab.training import speed

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def image_families() -> list[str]:
    meta = {"kind": "images", "shape": [1, 16, 16], "dim": 256, "classes": 10}
    return [f for f in list_families() if not get_family(f).check_dataset(meta)]


def bench(
    family: str,
    seeds: list[int],
    steps: int,
    size: int,
    device: torch.device,
    channels_last: bool = True,
    precision: str = "fp32",
    compile: bool = False,
    width: int | None = None,
    batch_size: int | None = None,
) -> dict:
    """One family's training step timed: steps/s, images/s, FLOPs of one step (None where
    FlopCounterMode cannot trace it) and the seconds of the warm-up (the compile, if any)."""
    fam = get_family(family)
    meta = {"kind": "images", "shape": [1, size, size], "dim": size * size, "classes": 10}
    over = {"gp_weight": 10.0, "d_steps": 5} if family == "wgan_gp" else {}
    over |= {k: v for k, v in (("width", width), ("batch_size", batch_size)) if v is not None}
    cfg = build(
        fam.Config,
        {
            "family": family,
            "dataset": "d",
            "seeds": seeds,
            "channels_last": channels_last,
            "precision": precision,
            "compile": compile,
            **over,
        },
        "bench",
    )
    model = fam(cfg, meta, device)
    speed.configure(model, cfg, device)
    rng = SeedRNG(seeds, device, offset=1)
    data = torch.randint(0, 256, (4096, 1, size, size), dtype=torch.uint8, device=device)
    real = RealBatches(data, torch.randint(0, 10, (4096,), device=device), rng)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def run(n: int) -> None:
        for _ in range(n):
            with speed.autocast(cfg, device):
                model.train_step(real, rng)

    t0 = time.perf_counter()
    run(3)
    sync()
    warmup = time.perf_counter() - t0
    flops = None
    if not compile:
        try:
            with FlopCounterMode(display=False) as fc:
                run(1)
            flops = fc.get_total_flops()
        except RuntimeError:  # FlopCounterMode cannot trace the gradient penalty's double backward
            pass
    sync()
    t0 = time.perf_counter()
    run(steps)
    sync()
    sps = steps / (time.perf_counter() - t0)
    return {
        "steps_per_s": sps,
        "images_per_s": sps * cfg.batch_size * len(seeds),
        "flops_per_step": flops,
        "warmup_s": warmup,
        "batch_size": cfg.batch_size,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--precision", choices=sorted(DTYPES), default="fp32")
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--families", default=None, help="comma-separated (default: every image family)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    peak = matmul_peak(device=device, dtype=DTYPES[args.precision])
    opts = dict(precision=args.precision, compile=args.compile)
    print(
        f"torch {torch.__version__}, {device}, {args.threads} CPU threads, {args.size}x{args.size} images, "
        f"{args.precision}{', compiled' if args.compile else ''}; measured {args.precision} matmul peak "
        f"{peak / 1e9:.1f} GFLOP/s"
    )
    print(
        f"{'family':9s} {'img/s 1 seed':>13s} {f'img/s {args.seeds} seeds':>14s} {'contiguous':>11s} "
        f"{'channels_last gain':>19s} {'GFLOP/step':>11s} {'% of peak':>10s} {'warm-up s':>10s}"
    )
    families = args.families.split(",") if args.families else image_families()
    for family in families:
        seeds = list(range(args.seeds))
        one = bench(family, [0], args.steps, args.size, device, True, **opts)
        many = bench(family, seeds, args.steps, args.size, device, True, **opts)
        plain = bench(family, seeds, args.steps, args.size, device, False, **opts)
        flops = (
            one["flops_per_step"] if not args.compile else bench(family, [0], 1, args.size, device)["flops_per_step"]
        )
        flops = flops and flops * args.seeds  # FLOPs of S seeds' step: S times one seed's
        gflop = f"{flops / 1e9:11.3f}" if flops else f"{'n/a':>11s}"
        frac = f"{100 * flops * many['steps_per_s'] / peak:9.1f}%" if flops else f"{'n/a':>10s}"
        print(
            f"{family:9s} {one['images_per_s']:13.0f} {many['images_per_s']:14.0f} {plain['images_per_s']:11.0f} "
            f"{many['steps_per_s'] / plain['steps_per_s']:18.2f}x {gflop} {frac} {many['warmup_s']:10.1f}"
        )
    print("img/s counts the generator's batch once per training step (a step also runs D on real and generated")
    print("batches); wgan_gp runs 5 critic steps per generator step; n/a: FlopCounterMode cannot trace the")
    print("gradient penalty's double backward. Under --compile the FLOPs are counted on the eager step.")


if __name__ == "__main__":
    main()
