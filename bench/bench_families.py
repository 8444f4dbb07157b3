"""Throughput of every point-data family's training step, and what batching seeds buys.

Prints, per family: training steps per second with 1 seed and with S seeds trained together as
one batched model (the leading seed dimension, ganlab.nn.seeded), the cost of S seeds relative
to one, the FLOPs of one step (torch.utils.flop_counter.FlopCounterMode) and the achieved
fraction of this machine's measured matmul peak.

    PYTHONPATH=src python bench/bench_families.py [--seeds 3] [--steps 200] [--threads 2]
    PYTHONPATH=src python bench/bench_families.py --profile profiles/published.yaml --run gan_pub-grid --threads 1

The second form times one run of a profile (its networks and batch, on stand-in 2-D data) instead:
milliseconds per step, to size a long run before starting it.

Small 2-D GANs are bound by per-step overhead, not arithmetic: expect a small fraction of peak
and S seeds for little more than the price of one.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from ganlab.config import build
from ganlab.families import get_family, list_families
from ganlab.nn.seeded import SeedRNG

META = {
    1: {"kind": "points", "dim": 1, "centres": [[7.5]], "std": 1.0, "range": [[3.5], [11.5]]},
    2: {
        "kind": "points",
        "dim": 2,
        "centres": [[1.0, 0.0], [-1.0, 0.0]],
        "std": 0.05,
        "range": [[-1.2, -0.2], [1.2, 0.2]],
    },
}


def matmul_peak(n: int = 1024, reps: int = 20, device: torch.device | str = "cpu", dtype=torch.float32) -> float:
    """Achieved FLOP/s of an n x n matrix product in `dtype`: this machine's practical peak."""
    if torch.device(device).type == "cuda":
        n, reps = 8192, 50
    a, b = (torch.randn(n, n, device=device, dtype=dtype) for _ in range(2))
    a @ b
    sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)
    sync()
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    sync()
    return 2 * n**3 * reps / (time.perf_counter() - t0)


def bench(family: str, seeds: list[int], steps: int, overrides: dict) -> tuple[float, float]:
    fam = get_family(family)
    dim = 1 if fam.check_dataset({"kind": "points", "dim": 2}) else 2
    cfg = build(fam.Config, {"family": family, "dataset": "d", "seeds": seeds, **overrides}, "bench")
    model = fam(cfg, META[dim], torch.device("cpu"))
    rng = SeedRNG(seeds, offset=1)
    centres = torch.tensor(META[dim]["centres"], dtype=torch.float32)
    real = lambda n: centres[rng.randint(len(centres), n)] + 0.05 * rng.randn(n, dim)
    for _ in range(max(2, steps // 10)):
        model.train_step(real, rng)
    try:
        with FlopCounterMode(display=False) as fc:
            model.train_step(real, rng)
        flops = fc.get_total_flops()
    except RuntimeError:  # FlopCounterMode cannot trace the gradient penalty's autograd.grad
        flops = None
    t0 = time.perf_counter()
    for _ in range(steps):
        model.train_step(real, rng)
    return steps / (time.perf_counter() - t0), flops


def bench_profile_run(args) -> None:
    from ganlab.config import read_yaml

    if not (args.profile and args.run):
        raise SystemExit("--profile and --run go together: the profile file and the name of one of its runs")
    runs = (read_yaml(args.profile) or {}).get("runs") or {}
    if args.run not in runs:
        raise SystemExit(f"{args.profile} has no run {args.run!r}; its runs: {', '.join(runs) or 'none'}")
    run = dict(runs[args.run])
    family, seeds = run.pop("family"), run.pop("seeds", [0])
    run.pop("dataset", None)
    if get_family(family).check_dataset({"kind": "points", "dim": 2}):
        raise SystemExit(
            f"{args.run} is a {family} run: --profile times 2-D point runs (images: bench/bench_images.py)"
        )
    rate, flops = bench(family, list(seeds), args.steps, run)
    total = run.get("steps", 0)
    gflop = f"{flops / 1e9:.2f} GFLOP per step" if flops is not None else "FLOPs n/a (gradient penalty)"
    print(
        f"torch {torch.__version__}, {args.threads} threads: {args.run} of {args.profile} ({family}, "
        f"{len(seeds)} seeds batched) takes {1000 / rate:.1f} ms per step, {gflop}; "
        f"its {total:,} steps would take {total / rate / 3600:.1f} h at this pace"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--profile", type=Path, help="a profile (profiles/*.yaml) whose run --run to time instead")
    ap.add_argument("--run", help="the run of --profile to time")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.profile or args.run:
        return bench_profile_run(args)
    peak = matmul_peak()
    print(f"torch {torch.__version__}, {args.threads} threads, measured fp32 matmul peak {peak / 1e9:.1f} GFLOP/s")
    print(
        f"{'family':9s} {'steps/s 1 seed':>15s} {f'steps/s {args.seeds} seeds':>16s} {'cost of S vs 1':>15s} "
        f"{'MFLOP/step':>11s} {'% of peak':>10s}"
    )
    # The default params.yaml settings of each family's runs (toy: one round = 1,010 updates).
    settings = {"toy1d": {}, "gan": {"g_hidden": [64, 64], "d_hidden": [64, 64], "batch_size": 128}}
    settings["wgan"] = settings["gan"]
    settings["wgan_gp"] = {**settings["gan"], "gp_weight": 0.1}
    for family in list_families():
        if get_family(family).check_dataset({"kind": "points", "dim": 2}) and get_family(family).check_dataset(
            {"kind": "points", "dim": 1}
        ):
            continue  # image-only families: bench/bench_images.py
        over = settings.get(family, {})
        steps = max(5, args.steps // 50) if family == "toy1d" else args.steps
        one, _ = bench(family, [0], steps, over)
        many, flops = bench(family, list(range(args.seeds)), steps, over)
        mflop = f"{flops / 1e6:11.2f}" if flops is not None else f"{'n/a':>11s}"
        frac = f"{100 * flops * many / peak:9.2f}%" if flops is not None else f"{'n/a':>10s}"
        print(f"{family:9s} {one:15.1f} {many:16.1f} {one / many:14.2f}x {mflop} {frac}")
    print("n/a: FlopCounterMode cannot trace autograd.grad (the gradient penalty's double backward);")
    print("toy1d does no matrix products (0 FLOPs counted); one toy1d step is a round of 1,010 updates")


if __name__ == "__main__":
    main()
