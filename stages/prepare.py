"""prepare@<dataset>: generate one dataset into data/<dataset>/ (data.npz + meta.json).

Usage: PYTHONPATH=src python stages/prepare.py <dataset> [--params params.yaml]
"""
import argparse
from pathlib import Path

from ganlab import config, data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset")
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args()
    params = config.load_or_exit(args.params)
    if args.dataset not in params.datasets:
        config.fail(f"datasets.{args.dataset}: no such dataset; datasets: {', '.join(sorted(params.datasets))}")
    meta = data.prepare(params.datasets[args.dataset], Path("data") / args.dataset)
    print(f"[{args.dataset}] {meta['kind']}, dim {meta['dim']}, splits {meta['splits']}")


if __name__ == "__main__":
    main()
