"""check: validate the whole params.yaml on every `dvc repro` (dvc.yaml: always_changed).

Usage: PYTHONPATH=src python stages/check.py [--params params.yaml]
Every other stage validates the file too, but dvc runs only stages whose inputs changed, so
without this stage an edit that no stage reads (an unknown top-level key) would pass unseen,
and a bad name would reach a shell command before any check. Every prepare@<dataset>
depends on this stage's output, so nothing runs before the file is valid. Its output holds
only constants, so it never makes another stage stale. A problem: one line, exit status 2.
"""
from ganlab import config, io

params, _, _ = config.stage_start(__doc__, None)
io.write_json("reports/params_check.json", {"valid": True, "name_rule": config.NAME_RULE})
print(f"[check] params valid: {len(params.datasets)} datasets, {len(params.runs)} runs")
