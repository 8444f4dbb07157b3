"""check: validate the whole params.yaml on every `dvc repro` (dvc.yaml: always_changed).

Usage: PYTHONPATH=src python stages/check.py [--params params.yaml]
Every other stage validates the file too, but dvc runs only stages whose inputs changed, so
without this stage an edit that no stage reads (an unknown top-level key) would pass unseen,
and a bad name would reach a shell command before any check. Every prepare@<dataset>
depends on this stage's output, so nothing runs before the file is valid. A problem: one
line, exit status 2.
It also writes reports/sources/<dataset>.json, the fingerprint of the files a dataset's recipe
reads from outside the pipeline (an image folder's images; ganlab.data.write_sources), on
which prepare@<dataset> depends: an image added or removed reruns that prepare@ alone. Both
outputs stay the same while params and those files do, so check never makes a stage stale
for nothing.
"""
from ganlab import config, data, io

params, _, _ = config.stage_start(__doc__, None)
io.write_json("reports/params_check.json", {"valid": True, "name_rule": config.NAME_RULE})
data.write_sources(params.datasets, "reports/sources")
print(f"[check] params valid: {len(params.datasets)} datasets, {len(params.runs)} runs")
