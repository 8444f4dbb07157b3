"""The GPU check: one command on a machine with a CUDA GPU, one JSON file of results.

    bash scripts/setup.sh && . .venv/bin/activate && python bench/gpu_check.py [--out gpu_check.json]

Steps, each timed and each with a time limit, the JSON rewritten after each (a step that fails or
runs out of time is recorded as such and the next one runs):
1. environment: torch, CUDA, cuDNN, GPU names and memory;
2. the tests marked `cuda` (pytest -m cuda: CPU/GPU agreement, bf16 and compile on the GPU, the
   TF32 and cuDNN flags);
3. image benchmarks at the GPU profile's size (32x32, width 64, batch 128, 3 seeds,
   bench/bench_images.py): every image family in fp32 and bf16 (TF32 off), and compiled for
   dcgan and wgan_gp in bf16: images/s, fraction of the measured fp32 / bf16 matmul peak,
   compile seconds;
4. torchrun with NCCL: the collectives' self-test (torchrun -m ganlab.distributed) on every GPU
   of the machine, and a small run trained by `torchrun --nproc-per-node=1 stages/train.py`
   (a process group of one), which must write the output contract;
5. two GPU-profile runs (profiles/gpu.yaml: dcgan-digits, 8,000 steps, and wgan_gp-glyphs, 6,000
   steps of 5 critic updates, by default; `--runs`) prepared, trained to completion at the same time
   and evaluated in a scratch copy of the project, with their training seconds and headline metrics.
Planned to fit 8 minutes on one H100 (`--budget`, seconds, caps the steps' limits; the runs get what
is left). The plan rests on bench_images' H100 figures (docs/timing.md: ~39 steps/s for both
families at 32x32 with 3 seeds, launch-bound, so ~3.5 minutes per run, run side by side). It has
not run on a GPU yet: no GPU was lent to the project for this work (docs/scaling.md).

`--smoke` runs every step at toy sizes on whatever device there is (the CPU here), so that the
script itself is tested (tests/test_gpu_check.py); its figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

GPU_SIZE = {"size": 32, "width": 64, "batch_size": 128, "seeds": 3, "steps": 20}
SMOKE_SIZE = {"size": 8, "width": 4, "batch_size": 8, "seeds": 1, "steps": 2}


def env_info() -> dict:
    import torch

    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.cuda.is_available() else None,
        "gpus": [],
        "cpu_count": os.cpu_count(),
    }
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        info["gpus"].append(
            {"name": p.name, "memory_gib": round(p.total_memory / 2**30, 1), "capability": f"{p.major}.{p.minor}"}
        )
    return info


def run_cmd(cmd: list[str], cwd: Path, timeout: float, env: dict | None = None) -> dict:
    """A subprocess with a time limit: return code, seconds and the end of its output."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(
            cmd,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=max(timeout, 1),
            env={**os.environ, "PYTHONPATH": str(cwd / "src"), "DVC_NO_ANALYTICS": "1", **(env or {})},
        )
        rc, out = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as err:
        rc, out = "timeout", (err.stdout or b"").decode(errors="replace") + (err.stderr or b"").decode(errors="replace")
    return {"rc": rc, "seconds": round(time.perf_counter() - t0, 1), "tail": out[-2000:]}


def step_tests(smoke: bool, timeout: float) -> dict:
    res = run_cmd([sys.executable, "-m", "pytest", "-m", "cuda", "-q", "-p", "no:cacheprovider"], ROOT, timeout)
    res["summary"] = res["tail"].strip().splitlines()[-1] if res["tail"].strip() else ""
    return res


def step_bench(smoke: bool, device, timeout: float) -> dict:
    import torch
    from bench_families import matmul_peak
    from bench_images import bench, image_families

    size = SMOKE_SIZE if smoke else GPU_SIZE
    peaks = {p: matmul_peak(device=device, dtype=dt) for p, dt in (("fp32", torch.float32), ("bf16", torch.bfloat16))}
    families = ["dcgan"] if smoke else image_families()
    plan = [(f, p, False) for f in families for p in ("fp32", "bf16")]
    plan += [] if smoke else [("dcgan", "bf16", True), ("wgan_gp", "bf16", True)]
    rows, t_end = [], time.perf_counter() + timeout
    for family, precision, compiled in plan:
        if time.perf_counter() > t_end:
            rows.append({"family": family, "precision": precision, "compile": compiled, "skipped": "out of time"})
            continue
        try:
            r = bench(
                family,
                list(range(size["seeds"])),
                size["steps"],
                size["size"],
                device,
                precision=precision,
                compile=compiled,
                width=size["width"],
                batch_size=size["batch_size"],
            )
            flops = None if compiled else r["flops_per_step"]
            rows.append(
                {
                    "family": family,
                    "precision": precision,
                    "compile": compiled,
                    "images_per_s": round(r["images_per_s"], 1),
                    "warmup_s": round(r["warmup_s"], 1),
                    "gflop_per_step": flops and round(flops / 1e9, 3),
                    "peak_fraction": flops and round(flops * r["steps_per_s"] / peaks[precision], 4),
                }
            )
        except Exception as err:  # one family's failure is a result, not the end of the check
            rows.append({"family": family, "precision": precision, "compile": compiled, "error": repr(err)[:500]})
    return {"size": size, "matmul_peak_gflops": {k: round(v / 1e9, 1) for k, v in peaks.items()}, "rows": rows}


def scratch_project(tmp: Path, profile: bool, smoke: bool, runs: list[str]) -> dict:
    """A copy of the project whose params are params.yaml (+ the GPU profile), cut to `runs`."""
    for name in ("src", "stages", "profiles", "params.yaml"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, tmp / name)
    from ganlab import config

    raw = config.read_yaml(tmp / "params.yaml")
    if profile:
        raw = config.overlay(raw, config.read_yaml(tmp / "profiles/gpu.yaml"))
    raw["runs"] = {r: raw["runs"][r] for r in runs}
    if smoke:  # toy sizes: the script's plumbing, not its figures
        raw["device"] = "auto"
        raw["evaluation"] = {**(raw.get("evaluation") or {}), "n_samples": 200, "stacked_samples": 200}
        raw["classifier"] = {**(raw.get("classifier") or {}), "epochs": 1, "min_steps": 5}
        for r in runs:
            raw["runs"][r] = {**raw["runs"][r], "steps": 6, "seeds": [0], "log_every": 3, "w_every": 3, "snapshots": 1}
        for ds in {raw["runs"][r]["dataset"] for r in runs}:
            if raw["datasets"][ds].get("recipe") == "glyphs":
                raw["datasets"][ds] = {**raw["datasets"][ds], "n_train": 400, "n_test": 200}
    config.validate(raw)
    (tmp / "params.yaml").write_text(config.dump_yaml(raw))
    return raw


def step_torchrun(smoke: bool, timeout: float) -> dict:
    import torch

    n = max(torch.cuda.device_count(), 1)
    out = {
        "self_test": run_cmd(
            [
                sys.executable,
                "-m",
                "torch.distributed.run",
                "--standalone",
                f"--nproc-per-node={n}",
                "-m",
                "ganlab.distributed",
            ],
            ROOT,
            timeout / 3,
            env={"OMP_NUM_THREADS": "1"},
        )
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        raw = scratch_project(tmp, profile=False, smoke=True, runs=["wgan_gp-grid"])
        ds = raw["runs"]["wgan_gp-grid"]["dataset"]
        out["prepare"] = run_cmd([sys.executable, "stages/prepare.py", ds], tmp, timeout / 3)
        out["train"] = run_cmd(
            [
                sys.executable,
                "-m",
                "torch.distributed.run",
                "--standalone",
                "--nproc-per-node=1",
                "stages/train.py",
                "wgan_gp-grid",
            ],
            tmp,
            timeout / 3,
            env={"OMP_NUM_THREADS": "1"},
        )
        model = tmp / "models/wgan_gp-grid"
        out["outputs"] = sorted(p.name for p in model.iterdir()) if model.exists() else []
        timing = tmp / "reports/runs/wgan_gp-grid/train_time.json"
        out["train_time"] = json.loads(timing.read_text()) if timing.exists() else None
    out["ok"] = out["self_test"]["rc"] == 0 and out["train"]["rc"] == 0 and "weights.pt" in out["outputs"]
    return out


def step_runs(smoke: bool, runs: list[str], timeout: float) -> dict:
    """Each run's chain (prepare and classifier of its dataset, train, evaluate) in its own thread:
    on a GPU these small networks are bound by kernel launches, so two runs at once share it well."""
    from concurrent.futures import ThreadPoolExecutor

    t_end = time.perf_counter() + timeout
    left = lambda: t_end - time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        raw = scratch_project(tmp, profile=True, smoke=smoke, runs=runs)

        def prepare(ds: str) -> dict:
            rec = {"prepare": run_cmd([sys.executable, "stages/prepare.py", ds], tmp, left())}
            rec["classifier"] = run_cmd([sys.executable, "stages/classifier.py", ds], tmp, left())
            return rec

        def train(r: str) -> dict:
            rec = {"train": run_cmd([sys.executable, "stages/train.py", r], tmp, left())}
            rec["evaluate"] = run_cmd([sys.executable, "stages/evaluate.py", r], tmp, left())
            timing, metrics = tmp / f"reports/runs/{r}/train_time.json", tmp / f"reports/runs/{r}/metrics.json"
            rec["train_time"] = json.loads(timing.read_text()) if timing.exists() else None
            if metrics.exists():
                m = json.loads(metrics.read_text())
                rec["status"], rec["metrics"] = m.get("status"), {k: m.get(k) for k in m.get("headline", [])}
            rec["params"] = raw["runs"][r]
            return rec

        datasets = sorted({raw["runs"][r]["dataset"] for r in runs})
        with ThreadPoolExecutor(len(runs)) as pool:
            out = {f"dataset {ds}": rec for ds, rec in zip(datasets, pool.map(prepare, datasets))}
            out |= dict(zip(runs, pool.map(train, runs)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="gpu_check.json")
    ap.add_argument("--budget", type=float, default=480, help="seconds for the whole check (each step gets a share)")
    ap.add_argument(
        "--runs", default="dcgan-digits,wgan_gp-glyphs", help="GPU-profile runs to train and evaluate (at once)"
    )
    ap.add_argument("--smoke", action="store_true", help="toy sizes on any device: tests the script, not the GPU")
    args = ap.parse_args()
    import torch

    if not torch.cuda.is_available() and not args.smoke:
        sys.exit(
            "gpu_check: no CUDA device here (torch.cuda.is_available() is False); run it on a GPU machine, "
            "or with --smoke to test the script itself"
        )
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out_path = Path(args.out).resolve()
    result = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "smoke": args.smoke, "device": str(device), "steps": {}}
    t0 = time.perf_counter()
    share = {"tests": 0.15, "bench": 0.2, "torchrun": 0.1}  # of the budget; the runs get what is left
    steps = [
        ("environment", lambda: env_info()),
        ("tests", lambda: step_tests(args.smoke, share["tests"] * args.budget)),
        ("bench", lambda: step_bench(args.smoke, device, share["bench"] * args.budget)),
        ("torchrun", lambda: step_torchrun(args.smoke, share["torchrun"] * args.budget)),
        (
            "runs",
            lambda: step_runs(
                args.smoke, args.runs.split(","), max(args.budget - (time.perf_counter() - t0), 0.45 * args.budget)
            ),
        ),
    ]
    for name, fn in steps:
        s0 = time.perf_counter()
        try:
            result["steps"][name] = fn()
        except Exception as err:
            result["steps"][name] = {"error": repr(err)[:2000]}
        result["steps"][name + "_seconds"] = round(time.perf_counter() - s0, 1)
        result["seconds"] = round(time.perf_counter() - t0, 1)
        out_path.write_text(json.dumps(result, indent=1))
        print(f"gpu_check: {name} done in {result['steps'][name + '_seconds']} s", flush=True)
    print(f"gpu_check: wrote {out_path} ({result['seconds']} s in all)")


if __name__ == "__main__":
    main()
