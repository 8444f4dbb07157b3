"""report: render reports/index.html, reports/README.md and reports/summary.json.

Usage: PYTHONPATH=src python stages/report.py [--params params.yaml]
"""
import argparse

from ganlab import config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args()
    params = config.load_or_exit(args.params)
    from ganlab.report.render import render
    s = render(params, "reports")
    verdicts = {k: {1: "pass", 0: "FAIL", None: "n/a"}[v] for k, v in s["claims"].items()}
    print(f"[report] reports/index.html written; claims: {verdicts}")


if __name__ == "__main__":
    main()
