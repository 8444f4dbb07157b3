"""Point data (the 1-D toy, 2-D mixtures, mixtures in any dimension): per seed, `n_samples`
generated points against as many held-out real points (drawn with replacement where the test
split is smaller, and the floors' training subsets likewise: metrics.json's evaluation_notes says so).

- mode coverage (VEEGAN/PacGAN): modes captured, high-quality %, reverse KL;
- Wasserstein-1 four ways: exact EMD (network simplex), the course's linear program on binned
  histograms, sliced, and the closed form in 1-D; each with its noise floor (the same distance
  between the real test points and an independent real sample of the same size, averaged over
  FLOOR_DRAWS such samples; `<key>_floor_std` is their spread); above 2-D the binned linear
  program is not computed (16^d bins), and metrics.json's not_computed says so;
- the discriminator's mean output on real and generated points, and its accuracy when it is a
  probability.
Seeds whose samples cannot be scored (not finite, or absurdly far from the data: see
ganlab.metrics.unscorable) are left out, with the reason.

A sample (one seed) is a `PointSample`; a floor's has no discriminator outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ganlab.evaluation.registry import FLOOR_DRAWS, Column, NotComputed, Prepared, metric
from ganlab.metrics import unscorable, wasserstein
from ganlab.metrics.coverage import mode_coverage, perfect_high_quality_frac
from ganlab.nn.seeded import SeedRNG

KINDS = ("points",)
KIND = "points"
HEADLINE_INFO = ()  # facts of the evaluation (info) shown among the headline numbers
WORKERS = 2  # POT's network simplex releases the GIL: two threads cut this stage's time by a third


@dataclass
class PointSample:
    """One seed's points as the metrics see them: generated (`fake`, (n, dim)) and real (n, dim),
    the dataset's meta, and for generated samples D's outputs on both and whether D is a probability."""

    fake: np.ndarray
    real: np.ndarray
    meta: dict
    d_real: np.ndarray | None = None
    d_fake: np.ndarray | None = None
    d_is_probability: bool = True


@metric(KIND, units={"modes_captured": "modes", "high_quality_pct": "% of samples", "reverse_kl": "nats"})
def coverage(s, ev) -> dict[str, float]:
    return coverage_scores(s.fake, s.meta, ev.n_sigma)


def coverage_scores(fake: np.ndarray, meta: dict, n_sigma: float) -> dict[str, float]:
    """Modes captured, high-quality % and reverse KL of one seed's samples (n, dim)."""
    cov = mode_coverage(fake, np.asarray(meta["centres"]), meta["std"], n_sigma=n_sigma, weights=meta.get("weights"))
    return {
        "modes_captured": float(cov["modes_captured"]),
        "high_quality_pct": 100 * cov["high_quality_frac"],
        "reverse_kl": cov["reverse_kl"],
    }


@metric(
    KIND,
    floor=True,
    units={"within_mode_spread": "std of high-quality samples around their mode's mean / the mode's std"},
)
def spread(s, ev) -> dict[str, float]:
    """Mode collapse, as distinct from mode dropping: how much of each captured mode's width the
    samples fill (near 0: many latents map to one point). Its floor is the real data's value."""
    cov = mode_coverage(
        s.fake, np.asarray(s.meta["centres"]), s.meta["std"], n_sigma=ev.n_sigma, weights=s.meta.get("weights")
    )
    return {"within_mode_spread": cov["within_mode_spread"]}


@metric(
    KIND,
    floor=True,
    optional=("w1_closed_form",),
    units={
        "emd": "data units (W1)",
        "w_lp_hist": "data units (W1, binned)",
        "w_sliced": "data units (sliced W1)",
        "w1_closed_form": "data units (W1, 1-D)",
    },
)
def distances(s, ev) -> dict[str, float]:
    x, y = s.fake, s.real
    out = {
        "emd": wasserstein.emd(x, y),
        "w_lp_hist": (
            wasserstein.histogram_distance(x, y, bins=ev.hist_bins)
            if x.shape[1] <= 2
            else NotComputed(
                f"the linear program on histograms bins 1-D or 2-D points ({ev.hist_bins}^d bins); "
                f"these have d = {x.shape[1]}: see emd and w_sliced"
            )
        ),
        "w_sliced": wasserstein.sliced(x, y, n_projections=ev.sliced_projections, seed=ev.seed),
    }
    if x.shape[1] == 1:
        out["w1_closed_form"] = wasserstein.w1_1d(x[:, 0], y[:, 0])
    return out


@metric(
    KIND,
    optional=("d_accuracy",),
    units={
        "d_real": "mean D output",
        "d_fake": "mean D output",
        "d_accuracy": "D's accuracy, real vs generated (chance 0.5)",
    },
)
def discriminator(s, ev) -> dict[str, float]:
    out = {"d_real": float(s.d_real.mean()), "d_fake": float(s.d_fake.mean())}
    if s.d_is_probability:
        # Chance means 50 % accuracy: a constant D, whatever its level, is at chance.
        out["d_accuracy"] = 0.5 * (float((s.d_real > 0.5).mean()) + float((s.d_fake < 0.5).mean()))
    return out


def real_and_floors(arrays: dict, meta: dict, ev, draws: int = FLOOR_DRAWS) -> tuple[np.ndarray, list[PointSample]]:
    """The real test points every sample is scored against, and the floors' `draws` independent
    training subsets of as many points (scripts/floor_spread.py draws more from the same stream).
    A split smaller than n_samples is drawn from with replacement (sampling_notes says so)."""
    n, rng, test, train = ev.n_samples, np.random.default_rng(ev.seed), arrays["test"], arrays["train"]
    real = test[:n] if len(test) >= n else test[rng.choice(len(test), n)]
    floors = [
        PointSample(
            fake=train[rng.choice(len(train), size=len(real), replace=len(train) < len(real))], real=real, meta=meta
        )
        for _ in range(draws)
    ]
    return real, floors


def sampling_notes(arrays: dict, n: int) -> list[str]:
    """What metrics.json says when a split is smaller than the n_samples points scored."""
    return [
        f"the {split} split has {len(arrays[split]):,} points, fewer than n_samples = {n:,}: {use} draws "
        f"{n:,} from it with replacement"
        for split, use in (("test", "the real sample"), ("train", "each noise floor"))
        if len(arrays[split]) < n
    ]


def prepare(model, cfg, meta: dict, arrays: dict, ev, classifier_dir=None) -> Prepared:
    """Generated samples per seed, the floors' independent real samples, and what the report states."""
    n = ev.n_samples
    real, floors = real_and_floors(arrays, meta, ev)
    with torch.no_grad():
        fake = model.generate(model.latent(n, SeedRNG(cfg.seeds, offset=ev.seed))).float().numpy()
        d_real = model.d_display(torch.from_numpy(real).expand(model.n_seeds, -1, -1)).numpy()
        d_fake = model.d_display(torch.from_numpy(fake)).numpy()
    seeds, not_scored = {}, {}
    for i in range(model.n_seeds):
        why = unscorable(fake[i], *meta["range"])
        if why:
            not_scored[i] = why
        else:
            seeds[i] = PointSample(
                fake=fake[i],
                real=real,
                meta=meta,
                d_real=d_real[i],
                d_fake=d_fake[i],
                d_is_probability=model.d_is_probability,
            )
    return Prepared(
        seeds=seeds,
        not_scored=not_scored,
        floor=floors,
        baselines={},
        workers=WORKERS,
        notes=sampling_notes(arrays, n),
        info={
            "n_samples": n,
            "n_real": int(len(real)),
            "n_modes": len(meta["centres"]),
            # what a perfect generator scores: the claims' convergence condition reads it
            "high_quality_pct_perfect": 100 * perfect_high_quality_frac(meta["dim"], ev.n_sigma),
        },
    )


def board(meta: dict, ev) -> dict:
    """Leaderboard columns and row order: 1-D runs by the closed-form W1, 2-D by modes."""
    if meta["dim"] == 1:
        cols = [
            Column("θ", "theta"),
            Column("mean D(real)", "d_real"),
            Column("mean D(generated)", "d_fake"),
            Column("W1 closed form", "w1_closed_form"),
            Column("EMD", "emd"),
            Column("LP on histograms", "w_lp_hist"),
        ]
    else:
        cols = [
            Column("modes captured (of {n_modes})", "modes_captured", 1),
            Column("high quality %", "high_quality_pct", 1),
            Column("reverse KL", "reverse_kl"),
            Column("EMD", "emd"),
            Column("LP on histograms", "w_lp_hist"),
            Column("sliced W1", "w_sliced"),
        ]
    return {"columns": cols, "sort": [("modes_captured", "desc"), ("high_quality_pct", "desc")], "note": ""}


def coverage_over_training(samples: np.ndarray, meta: dict, n_sigma: float) -> list[dict]:
    """Mode coverage of a 2-D run's training snapshots: `samples` (T, S, n, 2), the n fixed-latent
    samples of each seed at each snapshot step (models/<run>/snapshots.npz, or a checkpoint's).
    Per step, each seed's modes captured, high-quality % and reverse KL (nan for a seed whose
    samples cannot be scored). The snapshots keep 1,000 samples per seed, not the evaluation's
    2,500: a step's numbers show when modes are dropped, the leaderboard's are the final ones."""
    out = []
    for per_step in np.asarray(samples):
        row = {"modes_captured": [], "high_quality_pct": [], "reverse_kl": []}
        for fake in per_step:
            scores = (
                {k: float("nan") for k in row}
                if unscorable(fake, *meta["range"])
                else coverage_scores(fake, meta, n_sigma)
            )
            for k, v in scores.items():
                row[k].append(v)
        out.append(row)
    return out


def figures(model, meta: dict, arrays: dict) -> dict:
    """Point runs' figures come from the training history (ganlab.report.figures.run_figures)."""
    return {}
