"""Throughput of every image family's training step: images per second and fraction of peak.

Prints, per family that trains on images: generator images per second (batch x seeds x steps/s)
with 1 seed and with S seeds, channels_last against the default contiguous layout, the FLOPs
of one step (torch.utils.flop_counter.FlopCounterMode) and the achieved fraction of this
machine's measured fp32 matmul peak. Settings are the default runs' (16x16 glyph-sized images,
width 32, batch 64); `--size 32` gives the GPU-scale profile's images.

    PYTHONPATH=src python bench/bench_images.py [--seeds 3] [--steps 30] [--size 16] [--device cpu]
"""
from __future__ import annotations

import argparse
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from ganlab.config import build
from ganlab.families import get_family, list_families
from ganlab.families.base import RealBatches
from ganlab.nn.seeded import SeedRNG

from bench_families import matmul_peak  # noqa: E402  (same folder)


def image_families() -> list[str]:
    meta = {"kind": "images", "shape": [1, 16, 16], "dim": 256, "classes": 10}
    return [f for f in list_families() if not get_family(f).check_dataset(meta)]


def bench(family: str, seeds: list[int], steps: int, size: int, device: torch.device, channels_last: bool) -> tuple[float, float | None, int]:
    fam = get_family(family)
    meta = {"kind": "images", "shape": [1, size, size], "dim": size * size, "classes": 10}
    over = {"gp_weight": 10.0, "d_steps": 5} if family == "wgan_gp" else {}
    cfg = build(fam.Config, {"family": family, "dataset": "d", "seeds": seeds, "channels_last": channels_last, **over}, "bench")
    model = fam(cfg, meta, device)
    rng = SeedRNG(seeds, device, offset=1)
    data = torch.randint(0, 256, (4096, 1, size, size), dtype=torch.uint8, device=device)
    real = RealBatches(data, torch.randint(0, 10, (4096,), device=device), rng)
    for _ in range(3):
        model.train_step(real, rng)
    try:
        with FlopCounterMode(display=False) as fc:
            model.train_step(real, rng)
        flops = fc.get_total_flops()
    except RuntimeError:   # FlopCounterMode cannot trace the gradient penalty's double backward
        flops = None
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        model.train_step(real, rng)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - t0), flops, cfg.batch_size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    peak = matmul_peak(device=device)
    print(f"torch {torch.__version__}, {device}, {args.threads} CPU threads, {args.size}x{args.size} images, "
          f"measured fp32 matmul peak {peak / 1e9:.1f} GFLOP/s")
    print(f"{'family':9s} {'img/s 1 seed':>13s} {f'img/s {args.seeds} seeds':>14s} {'contiguous':>11s} "
          f"{'channels_last gain':>19s} {'GFLOP/step':>11s} {'% of peak':>10s}")
    for family in image_families():
        one, _, batch = bench(family, [0], args.steps, args.size, device, True)
        many, flops, _ = bench(family, list(range(args.seeds)), args.steps, args.size, device, True)
        plain, _, _ = bench(family, list(range(args.seeds)), args.steps, args.size, device, False)
        ips = lambda sps, s: sps * batch * s  # noqa: E731  generated images per second (one per G update)
        gflop = f"{flops / 1e9:11.3f}" if flops is not None else f"{'n/a':>11s}"
        frac = f"{100 * flops * many / peak:9.1f}%" if flops is not None else f"{'n/a':>10s}"
        print(f"{family:9s} {ips(one, 1):13.0f} {ips(many, args.seeds):14.0f} {ips(plain, args.seeds):11.0f} "
              f"{many / plain:18.2f}x {gflop} {frac}")
    print("img/s counts the generator's batch once per training step (a step also runs D on real and generated")
    print("batches); wgan_gp runs 5 critic steps per generator step; n/a: FlopCounterMode cannot trace the")
    print("gradient penalty's double backward.")


if __name__ == "__main__":
    main()
