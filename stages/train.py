"""train@<run>: train one run's seeds and write models/<run>/ and its dvclive log.

Usage: PYTHONPATH=src python stages/train.py <run> [--params params.yaml]
Resumes from checkpoints/<run>/ if a previous attempt was killed (same params only).
"""
from pathlib import Path

from ganlab import config

params, run, cfg = config.stage_start(__doc__, "runs")
from ganlab.training.loop import Trainer  # noqa: E402  (torch: only after params are valid)

trainer = Trainer(run, cfg, data_dir=Path("data") / cfg.dataset, model_dir=Path("models") / run,
                  live_dir=Path("reports/runs") / run / "train", ckpt_dir=Path("checkpoints") / run,
                  device=params.device)
status = trainer.fit()
print(f"[{run}] {status['status']} after {status['steps_done']} steps in {status['seconds']:.1f} s")
