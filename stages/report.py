"""report: render reports/index.html, reports/README.md and reports/summary.json.

Usage: PYTHONPATH=src python stages/report.py [--params params.yaml]
"""

from ganlab import config, io

params, _, _ = config.stage_start(__doc__, None, "report")
io.start_outputs(*(f"reports/{out}" for out in ("index.html", "README.md", "figures", "summary.json")))
from ganlab.report.render import SUMMARY_VALUE, render  # noqa: E402

s = render(params, "reports")
names = {v: k.upper() if k == "fail" else k for k, v in SUMMARY_VALUE.items()} | {None: "n/a"}
verdicts = {k: names[v] for k, v in s["claims"].items()}
print(f"[report] reports/index.html written; claims: {verdicts}")
config.params_unchanged()  # dvc must not record params this stage did not run with
