"""Evaluation: score a trained run into reports/runs/<run>/metrics.json (evaluate@<run>).

What lives here:
- registry.py: the metric registry. A metric is a function of one seed's sample that returns
  {key: value}, registered with `@metric(kind, units=...)` (as stylegan2-ada-pytorch's
  metric_main): its keys, their units, whether it also has a real-versus-real noise floor.
  Registered metrics reach metrics.json, the report's per-run tables and reports/summary.json
  (`dvc exp show`) without any other edit.
- one module per kind of data, each the one place for that kind's metrics, headline and
  leaderboard columns: points.py (1-D and 2-D mixtures), images.py (the evaluation
  classifier's eyes), translation.py (paired and unpaired image-to-image). A kind module
  draws the samples (`prepare`), says how its leaderboard looks (`board`) and what figures
  need the model (`figures`).
- run.py: the stage's driver, the same for every kind: load, prepare, score every seed with
  every registered metric of the kind, aggregate (mean, std, per seed), write.

What may depend on what: evaluation uses families only through the capabilities the Family
base declares (ganlab.families.base), metrics/ for the mathematics and the classifier for
features; nothing here imports report/ beyond its figure helpers, and families never import
evaluation.
"""
