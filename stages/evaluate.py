"""evaluate@<run>: score one trained run into reports/runs/<run>/ (metrics.json + figures/).

Usage: PYTHONPATH=src python stages/evaluate.py <run> [--params params.yaml]
"""
import argparse
from pathlib import Path

from ganlab import config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run")
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args()
    params = config.load_or_exit(args.params)
    if args.run not in params.runs:
        config.fail(f"runs.{args.run}: no such run; runs: {', '.join(sorted(params.runs))}")
    cfg = params.runs[args.run]

    from ganlab.evaluation import evaluate_run
    m = evaluate_run(args.run, params.evaluation, model_dir=Path("models") / args.run,
                     data_dir=Path("data") / cfg.dataset, out_dir=Path("reports/runs") / args.run)
    shown = {k: round(m[k], 3) for k in ("modes_captured", "high_quality_pct", "reverse_kl", "emd", "emd_floor") if k in m and m[k] is not None}
    print(f"[{args.run}] {m['status']}: {shown}")


if __name__ == "__main__":
    main()
