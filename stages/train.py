"""train@<run>: train one run's seeds and write models/<run>/ and its dvclive log.

Usage: PYTHONPATH=src python stages/train.py <run> [--params params.yaml]
Resumes from checkpoints/<run>/ if a previous attempt was killed (same params only).
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

    from ganlab.training.loop import Trainer
    trainer = Trainer(args.run, cfg, data_dir=Path("data") / cfg.dataset, model_dir=Path("models") / args.run,
                      live_dir=Path("reports/runs") / args.run / "train", ckpt_dir=Path("checkpoints") / args.run,
                      device=params.device)
    status = trainer.fit()
    print(f"[{args.run}] {status['status']} after {status['steps_done']} steps in {status['seconds']:.1f} s")


if __name__ == "__main__":
    main()
