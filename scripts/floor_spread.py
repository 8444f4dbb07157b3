"""How much a noise floor moves from one real draw to the next (docs/metrics.md, "noise floor").

Scores every floor metric of a prepared dataset's kind on N independent real samples against the
same real test set that `evaluate@` uses, and prints each metric's draws: mean, std, min, max, and
the first draw (with the default --seed, the one draw `evaluate@` used before the floors became
the mean of FLOOR_DRAWS). Image datasets need their evaluation classifier (classifier@<dataset>).

    PYTHONPATH=src python scripts/floor_spread.py grid25 --draws 40
    PYTHONPATH=src python scripts/floor_spread.py glyphs --draws 8
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def draws(dataset: str, n_draws: int, data_root: Path, classifier_root: Path, ev) -> tuple[int, dict[str, list[float]]]:
    """(samples per draw, {metric key: [value per draw]}) of the dataset's floor metrics; draw i is
    the i-th subset of the evaluation's own floor draws (real_and_floors of ganlab.evaluation.points
    and .images), so the first FLOOR_DRAWS are evaluate@'s."""
    from ganlab import data as datasets
    from ganlab.evaluation import images, points, registry
    from ganlab.evaluation.run import score

    arrays, meta = datasets.load(data_root / dataset)
    kind = meta["kind"]
    if kind == "points":
        real, samples = points.real_and_floors(arrays, meta, ev, draws=n_draws)
    elif kind == "images":
        real, samples = images.real_and_floors(
            images.load_classifier(classifier_root / dataset, dataset), arrays, ev, draws=n_draws
        )
    else:
        raise SystemExit(f"{dataset}: kind {kind!r}; this script measures the floors of 'points' and 'images' datasets")
    n = len(real)
    metrics = registry.metrics_of(kind)
    out: dict[str, list[float]] = {}
    for s in samples:
        for k, v in score(metrics, s, ev, floor=True).items():
            out.setdefault(k, []).append(v)
    return n, out


def main(argv: list[str] | None = None) -> int:
    from ganlab import config

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset", help="a prepared dataset under --data (dvc repro prepare@<dataset>)")
    ap.add_argument("--draws", type=int, default=40, help="independent real samples (default 40)")
    ap.add_argument("--params", default="params.yaml", help="its `evaluation` section sets n_samples, seed, ...")
    ap.add_argument("--data", default="data", type=Path)
    ap.add_argument("--classifiers", default="models/classifiers", type=Path)
    a = ap.parse_args(argv)
    if a.draws < 2:
        ap.error(f"--draws must be at least 2, got {a.draws}")
    if not (a.data / a.dataset).is_dir():
        ap.error(f"no prepared dataset at {a.data / a.dataset}: run `dvc repro prepare@{a.dataset}` first")
    ev = config.load(a.params).evaluation
    n, vals = draws(a.dataset, a.draws, a.data, a.classifiers, ev)
    print(f"{a.dataset}: {a.draws} real draws of {n} against as many test samples (seed {ev.seed})")
    print(f"{'metric':<22}{'mean':>10}{'std':>10}{'min':>10}{'max':>10}{'draw 1':>10}")
    for k, v in vals.items():
        x = np.asarray(v)
        print(f"{k:<22}{x.mean():>10.4f}{x.std(ddof=1):>10.4f}{x.min():>10.4f}{x.max():>10.4f}{x[0]:>10.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
