"""train@<run>: train one run's seeds and write models/<run>/ and its dvclive log.

Usage: PYTHONPATH=src python stages/train.py <run> [--params params.yaml]
Resumes from checkpoints/<run>/ if a previous attempt was killed (same params only, and only
if the checkpoint passes its checksum).
What depends on the host (wall seconds, device, the step a killed run resumed from) goes to
reports/runs/<run>/train_time.json, which only the report reads, never into models/<run>/.
"""
from pathlib import Path

from ganlab import config, io

params, run, cfg = config.stage_start(__doc__, "runs")
model_dir, live_dir, ckpt_dir = Path("models") / run, Path("reports/runs") / run / "train", Path("checkpoints") / run
io.clean_stale(model_dir, live_dir, ckpt_dir)
from ganlab.training.loop import Trainer  # noqa: E402  (torch: only after params are valid)

trainer = Trainer(run, cfg, data_dir=Path("data") / cfg.dataset, model_dir=model_dir, live_dir=live_dir,
                  ckpt_dir=ckpt_dir, device=params.device)
status = trainer.fit()
io.write_json(Path("reports/runs") / run / "train_time.json",
              {"seconds": status["seconds"], "device": status["device"], "resumed_from_step": status["resumed_from_step"],
               "units": {"seconds": "wall seconds of training (all seeds), resumed attempts summed"}})
print(f"[{run}] {status['status']} after {status['steps_done']} steps in {status['seconds']:.1f} s")
