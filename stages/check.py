"""check: validate the whole params.yaml, and fingerprint what each stage entry reads beyond dvc's view.

Usage: PYTHONPATH=src python stages/check.py [--params params.yaml]
dvc.yaml: check depends on params.yaml (the file: an edit anywhere in it reruns check), on the
stage scripts and on src/ganlab; every other stage depends on one of its outputs, so nothing runs
before the file is valid and a bad name never reaches a command. A problem: one line, exit 2.
Outputs, each the same while their inputs are, so check never makes a stage stale for nothing:
- reports/params_check.json: the file is valid (and the Inception weights are there if a run needs them).
- reports/code/<stage>/<entry>.json: the sha256 of every source file that entry's script can import
  (ganlab.dag: its family, its dataset's recipe module, its kind's evaluation modules, and what
  they import), which that stage depends on: an edit to families/cyclegan.py reruns cyclegan runs.
- reports/sources/<dataset>.json: the fingerprint of the files a dataset's recipe reads from
  outside the pipeline (an image folder's images; ganlab.data.write_sources), on which
  prepare@<dataset> depends. dvc cannot see such files, so they are read again only when check
  runs: after changing an image folder, `dvc repro -f check` (then `dvc repro`).
"""

from ganlab import config, io

params, _, _ = config.stage_start(__doc__, None, "check")  # pins the CPU kernels: before numpy and torch load
from ganlab import dag, data  # noqa: E402

try:
    config.check_inception_weights(params)  # Inception metrics asked for: their weights are here
except config.ConfigError as err:
    config.fail(str(err))
io.write_json("reports/params_check.json", {"valid": True, "name_rule": config.NAME_RULE})
data.write_sources(params.datasets, "reports/sources")
dag.write_stamps(params, config.RAW, "reports/code")
print(f"[check] params valid: {len(params.datasets)} datasets, {len(params.runs)} runs")
