"""evaluate@<run>: score one trained run into reports/runs/<run>/ (metrics.json + figures/).

Usage: PYTHONPATH=src python stages/evaluate.py <run> [--params params.yaml]
"""

from pathlib import Path

from ganlab import config, io

params, run, cfg = config.stage_start(__doc__, "runs", "evaluate")
out_dir = Path("reports/runs") / run
io.start_outputs(out_dir / "figures", out_dir / "metrics.json", out_dir / "eval_time.json")
from ganlab.evaluation.run import evaluate_run  # noqa: E402

m = evaluate_run(
    run,
    params.evaluation,
    model_dir=Path("models") / run,
    data_dir=Path("data") / cfg.dataset,
    out_dir=out_dir,
    classifier_dir=Path("models/classifiers") / cfg.dataset,
)
print(f"[{run}] {m['status']}: " + ", ".join(f"{k} {m[k]:.3g}" for k in m["headline"] if m.get(k) is not None))
config.params_unchanged()  # dvc must not record params this stage did not run with
