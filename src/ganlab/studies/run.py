"""Run the latent-space studies of one trained run and write their results and figures.

`study_run` loads the run's model (and, for image runs, its dataset's evaluation classifier),
runs the studies that `ganlab.studies.applicable` grants it, and returns one dict:
{"truncation": ..., "truncation_psi": ... (StyleGAN), "interpolation": ..., "mixing": ...
(StyleGAN)}, every number the mean over the run's finite seeds with the per-seed values
beside it. Models are asked only what the Family base declares: their `latent_spaces` (a "w"
space gets the psi sweep and w paths), `render`, `truncate`, and `style_mixing`.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np
import torch

from ganlab import data as datasets
from ganlab.metrics import features as fm
from ganlab.metrics import unscorable
from ganlab.metrics.coverage import mode_coverage
from ganlab.nn.seeded import SeedRNG
from ganlab.studies import interpolation as interp
from ganlab.studies import truncation as trunc

NOISE_SEED = 12345  # StyleGAN's per-pixel noise: the same at both ends of every difference
GRID_COLS = 10  # images per row of the truncation grid and of the interpolation strips
STRIP_PAIRS = 4  # pairs shown per interpolation space
MIX_GRID = 5  # coarse sources (rows) and fine sources (columns) in the mixing figure


def _mean(per_seed: list[float]) -> float:
    v = np.asarray(per_seed, np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def _collect(per_seed: list[dict]) -> dict:
    """[{metric: value} per seed] -> {metric: mean, metric_per_seed: [...]}."""
    out = {}
    for k in per_seed[0]:
        vals = [m[k] for m in per_seed]
        out[k], out[f"{k}_per_seed"] = _mean(vals), vals
    return out


# --------------------------------------------------------------------------- images -> classifier


def _labels(clf, x: torch.Tensor) -> list[np.ndarray]:
    """(S, n, C, H, W) -> per seed the classifier's predictions (n,) or (n, channels)."""
    return [clf.embed(x[s].float().clamp(-1, 1))[1].numpy() for s in range(x.shape[0])]


def _features64(clf):
    """The classifier's penultimate features in float64 (a double copy of its network)."""
    net = copy.deepcopy(clf.net).double().to(memory_format=torch.contiguous_format)
    shape = clf.shape

    @torch.no_grad()
    def features(x: torch.Tensor) -> torch.Tensor:
        n = len(x)
        if clf.per_channel:
            x = x.reshape(-1, 1, *shape[1:])
        return net(x.double())[0].reshape(n, -1)

    return features


# --------------------------------------------------------------------------- truncation


def _image_scores(clf, x: torch.Tensor, f_real: np.ndarray, meta: dict, k: int) -> list[dict]:
    out = []
    for s in range(x.shape[0]):
        if not torch.isfinite(x[s]).all():
            out.append({})
            continue
        f, lab, _ = clf.embed(x[s].float().clamp(-1, 1))
        f, lab = f.numpy(), lab.numpy()
        m = {"fd": fm.frechet_distance(f, f_real) if len(f_real) >= 2 else float("nan"), **_prdc(f_real, f, k)}
        if meta.get("per_channel_labels"):
            m["stacked_modes"] = float(fm.stacked_modes(lab)["modes"])
        else:
            m["classes_covered"] = float(fm.classes_covered(lab, int(meta["classes"])))
        out.append(m)
    return out


def _point_scores(x: torch.Tensor, real: np.ndarray, meta: dict, ev) -> list[dict]:
    out = []
    for s in range(x.shape[0]):
        p = x[s].float().numpy()
        if unscorable(p, *meta["range"]):
            out.append({})
            continue
        cov = mode_coverage(
            p, np.asarray(meta["centres"]), meta["std"], n_sigma=ev.n_sigma, weights=meta.get("weights")
        )
        out.append(
            {
                "high_quality_pct": 100 * cov["high_quality_frac"],
                "modes_captured": float(cov["modes_captured"]),
                **_prdc(real, p, ev.prdc_k),
            }
        )
    return out


def _prdc(real: np.ndarray, fake: np.ndarray, k: int) -> dict:
    """Precision, recall, density and coverage; nan where a side has k or fewer samples (a small
    test split: `not_computed` in the study's results says so)."""
    if min(len(real), len(fake)) > k:
        return fm.prdc(real, fake, k=k)
    return dict.fromkeys(("precision", "recall", "density", "coverage"), float("nan"))


def _not_computed(n_real: int, n: int, k: int, images: bool) -> dict[str, str]:
    """{metric: why} for what a truncation sweep cannot score with n_real real test samples."""
    scored = f"{min(n_real, n)} real test samples a side (the test split, or study.n_samples where smaller)"
    out = {}
    if images and n_real < 2:
        out["fd"] = f"a covariance needs at least 2 samples a side; {scored}"
    if min(n_real, n) <= k:
        out.update(
            dict.fromkeys(
                ("precision", "recall", "density", "coverage"),
                f"k-nearest-neighbour radii need more than prdc_k = {k} samples a side; {scored}",
            )
        )
    return out


def _sweep(values, sample, score, keep: int) -> dict:
    """Score sample(v) (S, n, ...) at every value v: {"values", "metrics": {metric: [mean per
    value], metric_per_seed: [[per seed] per value]}, "_grid": seed 0's first `keep` samples}."""
    curves: dict[str, list] = {}
    first = []
    for v in values:
        x = sample(v)
        first.append(x[0, :keep].float().numpy())
        per_seed = score(x)
        keys = sorted({k for m in per_seed for k in m})
        for k in keys:
            vals = [m.get(k, float("nan")) for m in per_seed]
            curves.setdefault(k, []).append(_mean(vals))
            curves.setdefault(f"{k}_per_seed", []).append(vals)
    return {"values": list(values), "metrics": curves, "_grid": np.stack(first)}


def truncation_study(model, cfg, meta, arrays, clf, study, ev) -> dict:
    images = meta["kind"] == "images"
    n = study.n_samples
    real = arrays["test"][:n]
    if images:
        f_real = clf.embed(datasets.to_model(torch.from_numpy(real)))[0].numpy()
        score = lambda x: _image_scores(clf, x, f_real, meta, ev.prdc_k)
    else:
        score = lambda x: _point_scores(x, real, meta, ev)
    taus, unit = trunc.taus(model, study)
    out = {}
    # what a small test split does not allow: nan (null in results.json), and why, in each sweep
    missing = _not_computed(len(real), n, ev.prdc_k, images)
    short = {"not_computed": missing} if missing else {}

    def sample_tau(tau):
        rng, gen = SeedRNG(cfg.seeds, offset=study.seed), torch.Generator().manual_seed(study.seed)
        z = trunc.truncated_latent(model, n, tau, rng, gen)
        with torch.no_grad():
            return _generate(model, z)

    keep = GRID_COLS if images else n
    res = _sweep(taus, sample_tau, score, keep)
    out["truncation"] = {"space": "z", "parameter": "tau", "unit": unit, "z_dist": model.cfg.z_dist, **res, **short}

    if "w" in model.latent_spaces:

        def sample_psi(psi):
            z = model.latent(n, SeedRNG(cfg.seeds, offset=study.seed))
            with torch.no_grad():
                return model.render(model.truncate(model.to_space(z, "w"), "w", psi), "w", noise_seed=NOISE_SEED)

        res = _sweep(study.psi, sample_psi, score, keep)
        out["truncation_psi"] = {
            "space": "w",
            "parameter": "psi",
            "unit": "w = w_avg + psi (w - w_avg)",
            **res,
            **short,
        }
    return out


def _generate(model, z: torch.Tensor) -> torch.Tensor:
    return model.render(z, "z", noise_seed=NOISE_SEED)


# --------------------------------------------------------------------------- interpolation


def _spaces(model) -> list[tuple[str, str, str]]:
    """(name, latent space, interpolation) of every path the run gets."""
    spaces = [("z_slerp", "z", "slerp"), ("z_lerp", "z", "lerp")]
    return spaces + [("w_lerp", "w", "lerp")] if "w" in model.latent_spaces else spaces


def _renderer(model, space: str, codes: torch.Tensor):
    """points (S, n, d) of `space` -> images; InfoGAN's codes stay fixed along each path."""
    return lambda v: model.render(v, space, codes, noise_seed=NOISE_SEED)


@torch.no_grad()
def interpolation_study(model, cfg, meta, clf, study) -> dict:
    rng = SeedRNG(cfg.seeds, offset=study.seed + 1)
    z0, z1 = model.latent(study.n_pairs, rng), model.latent(study.n_pairs, rng)
    zd = model.z_dim
    codes = z0[..., zd:]  # InfoGAN: the codes of the first end, held fixed
    t = torch.rand(
        model.n_seeds, study.n_pairs, generator=torch.Generator().manual_seed(study.seed), dtype=torch.float64
    )
    model64, features64 = copy.deepcopy(model).double(), _features64(clf)
    steps = torch.linspace(0, 1, study.n_steps)
    out, strips = {}, {}
    for name, space, how in _spaces(model):
        f = interp.INTERPOLATE[how]
        a, b = z0[..., :zd], z1[..., :zd]
        a64, b64 = a.double(), b.double()
        if space == "w":
            a, b = model.to_space(z0, "w"), model.to_space(z1, "w")
            a64, b64 = model64.to_space(z0.double(), "w"), model64.to_space(z1.double(), "w")
        # path length, in float64 (images and features of points 1e-4 apart)
        d = interp.path_lengths(
            lambda tt: f(a64, b64, tt),  # noqa: B023  (called at once)
            _renderer(model64, space, codes.double()),
            features64,
            t,
            study.epsilon,
        ).numpy()
        # class changes along each path, in float32 (one batch per step: StyleGAN's noise
        # follows the batch index, so each path keeps its noise)
        render = _renderer(model, space, codes)
        labels = [_labels(clf, render(f(a, b, torch.full(a.shape[:2], float(s))))) for s in steps]
        ends = _endpoint_distance(features64, model64, space, codes, a64, b64)
        per_seed = []
        for s in range(model.n_seeds):
            lab = np.stack([labels[k][s] for k in range(len(steps))], 1)  # (pairs, steps[, channels])
            cc = interp.class_changes(lab)
            tr = interp.trimmed(d[s])
            per_seed.append(
                {
                    "ppl_mean": tr["mean"],
                    "ppl_median": tr["median"],
                    "stretch": float(np.sqrt(tr["mean"] / float(ends[s].mean()))),
                    "class_changes": float(cc["changes"].mean()),
                    "excess_changes": float(cc["excess"].mean()),
                    "ends_differ": float(cc["ends_differ"].mean()),
                    "endpoint_distance_sq": float(ends[s].mean()),
                }
            )
        out[name] = {
            "space": space,
            "interpolation": how,
            **_collect(per_seed),
            "_values": [np.sort(d[s]) for s in range(model.n_seeds)],
        }
        ts, k = torch.linspace(0, 1, GRID_COLS), STRIP_PAIRS
        render = _renderer(model, space, codes[:1, :k])
        strips[name] = np.stack(
            [render(f(a[:1, :k], b[:1, :k], torch.full((1, k), float(s))))[0].float().numpy() for s in ts], 1
        )
    return {
        "spaces": out,
        "_strips": strips,
        "n_pairs": study.n_pairs,
        "n_steps": study.n_steps,
        "epsilon": study.epsilon,
    }


def _endpoint_distance(features64, model64, space, codes, a64, b64) -> torch.Tensor:
    """||f(G(end)) - f(G(start))||^2 per pair: a straight path in feature space at constant
    speed has path length equal to it, so the ratio says how far from straight paths are."""
    render = _renderer(model64, space, codes.double())
    x0, x1 = render(a64).clamp(-1, 1), render(b64).clamp(-1, 1)
    S, n = x0.shape[:2]
    return (features64(x1.flatten(0, 1)) - features64(x0.flatten(0, 1))).reshape(S, n, -1).pow(2).sum(-1)


# --------------------------------------------------------------------------- style mixing


@torch.no_grad()
def mixing_study(model, cfg, clf, study) -> dict:
    L = int(model.n_styles)
    c = study.crossover or L // 2
    if not 0 < c < L:
        raise ValueError(f"study.crossover: must be between 1 and {L - 1} (this run has {L} styles), got {c}")
    rng = SeedRNG(cfg.seeds, offset=study.seed + 2)
    wa, wb = model.to_space(model.latent(study.n_mix, rng), "w"), model.to_space(model.latent(study.n_mix, rng), "w")
    la, lb = (
        _labels(clf, model.render(wa, "w", noise_seed=NOISE_SEED)),
        _labels(clf, model.render(wb, "w", noise_seed=NOISE_SEED)),
    )
    lm = _labels(clf, model.render(model.mix(wa, wb, c), "w", noise_seed=NOISE_SEED))
    per_seed = []
    for s in range(model.n_seeds):
        a, b, m = (x[s].reshape(study.n_mix, -1) for x in (la, lb, lm))
        differ = (a != b).any(1)
        coarse, fine = (m == a).all(1)[differ], (m == b).all(1)[differ]
        per_seed.append(
            {
                "follows_coarse": float(coarse.mean()) if differ.any() else float("nan"),
                "follows_fine": float(fine.mean()) if differ.any() else float("nan"),
                "pairs_differ": float(differ.sum()),
            }
        )
    # the figure: row i = coarse source i, column j = fine source j (seed 0), sources on the edges
    k = MIX_GRID
    rows = wa[:1, :k, None].expand(1, k, k, wa.shape[-1]).reshape(1, k * k, -1)
    cols = wb[:1, None, :k].expand(1, k, k, wb.shape[-1]).reshape(1, k * k, -1)
    mixed = model.render(model.mix(rows, cols, c), "w", noise_seed=NOISE_SEED)[0].float().numpy()
    src_a = model.render(wa[:1, :k], "w", noise_seed=NOISE_SEED)[0].float().numpy()
    src_b = model.render(wb[:1, :k], "w", noise_seed=NOISE_SEED)[0].float().numpy()
    grid = np.full((k + 1, k + 1, *mixed.shape[1:]), -1.0, np.float32)
    grid[0, 1:], grid[1:, 0] = src_b, src_a
    grid[1:, 1:] = mixed.reshape(k, k, *mixed.shape[1:])
    return {"n_styles": L, "crossover": c, "n_mix": study.n_mix, **_collect(per_seed), "_grid": grid}


# --------------------------------------------------------------------------- StyleGAN's noise


@torch.no_grad()
def noise_study(model, cfg, clf, study) -> dict:
    """What StyleGAN's per-pixel noise controls: n_mix images drawn twice with the same styles
    (w) and fresh noise, against the same noise and fresh styles. Per seed: how often the
    classifier reads the same class, and the mean absolute pixel change (images in [-1, 1])."""
    rng = SeedRNG(cfg.seeds, offset=study.seed + 3)
    wa, wb = model.to_space(model.latent(study.n_mix, rng), "w"), model.to_space(model.latent(study.n_mix, rng), "w")
    base = model.render(wa, "w", noise_seed=NOISE_SEED)
    renoised = model.render(wa, "w", noise_seed=NOISE_SEED + 1)
    restyled = model.render(wb, "w", noise_seed=NOISE_SEED)
    lab = [_labels(clf, x) for x in (base, renoised, restyled)]
    per_seed = []
    for s in range(model.n_seeds):
        a, n, r = (x[s].reshape(study.n_mix, -1) for x in lab)
        per_seed.append(
            {
                "noise_same_class": float((a == n).all(1).mean()),
                "style_same_class": float((a == r).all(1).mean()),
                "noise_pixel_change": float((renoised[s] - base[s]).abs().mean()),
                "style_pixel_change": float((restyled[s] - base[s]).abs().mean()),
            }
        )
    return {"n_images": study.n_mix, **_collect(per_seed)}


# --------------------------------------------------------------------------- the stage


def study_run(run: str, studies: list[str], study, ev, model_dir: Path, data_dir: Path, classifier_dir: Path) -> dict:
    """Everything a run's studies measure; figures data under keys starting with '_'; wall seconds
    (host-dependent) under "time", which stages/study.py writes apart from the results."""
    from ganlab.training.loop import load_model

    start = time.perf_counter()
    if study.cpu_threads:
        torch.set_num_threads(study.cpu_threads)
    torch.manual_seed(study.seed)
    model, cfg, _ = load_model(model_dir)
    arrays, meta = datasets.load(data_dir)
    clf = None
    if meta["kind"] == "images":
        from ganlab.classifier import load_classifier

        clf = load_classifier(classifier_dir)
    out = {
        "run": run,
        "family": cfg.family,
        "dataset": cfg.dataset,
        "kind": meta["kind"],
        "applicable": True,
        "studies": list(studies),
        "seeds": cfg.seeds,
        "latent_spaces": list(model.latent_spaces),
        "style_mixing": model.style_mixing,
    }
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    if "truncation" in studies:
        out.update(truncation_study(model, cfg, meta, arrays, clf, study, ev))
        seconds["truncation"] = time.perf_counter() - t
    t = time.perf_counter()
    if "interpolation" in studies:
        out["interpolation"] = interpolation_study(model, cfg, meta, clf, study)
        seconds["interpolation"] = time.perf_counter() - t
    t = time.perf_counter()
    if "interpolation" in studies and model.style_mixing:
        out["mixing"] = mixing_study(model, cfg, clf, study)
        out["noise"] = noise_study(model, cfg, clf, study)
        seconds["mixing"] = time.perf_counter() - t
    t = time.perf_counter()
    if "gradients" in studies:
        from ganlab import io
        from ganlab.studies.gradients import gradient_sweep, joint_field, trajectory

        out["gradients"] = gradient_sweep(arrays["train"], seed=study.seed)
        mu, sigma = float(np.mean(arrays["train"])), float(np.std(arrays["train"]))
        history = io.read_verified(Path(model_dir) / "history.json", f"dvc repro train@{run}", io.read_json)
        out["saddle"] = {
            "mu": mu,
            "sigma": sigma,
            **joint_field(mu, sigma),
            **trajectory([r["theta_seeds"] for r in history if "theta_seeds" in r], mu),
        }
        seconds["gradients"] = time.perf_counter() - t
    out["time"] = {"seconds": time.perf_counter() - start, "by_study": seconds, "units": {"seconds": "wall seconds"}}
    return out
