"""evaluate@<run>: score a trained run, per seed, and write reports/runs/<run>/metrics.json.

Image runs are scored by ganlab.evaluation_images with the dataset's evaluation classifier;
translation runs (pix2pix, srgan, cyclegan) by ganlab.evaluation_translation.
For point datasets (the 1-D toy and 2-D mixtures), per seed on `n_samples` generated points
against as many held-out real points:
- mode coverage (VEEGAN/PacGAN): modes captured, high-quality %, reverse KL;
- Wasserstein-1 four ways: exact EMD (network simplex), the course's linear program on
  binned histograms, sliced, and the closed form in 1-D;
- the discriminator's mean output on real and generated points;
- the family's own final numbers (e.g. the toy GAN's theta and notebook losses);
- summaries of the training log that the claims read (Wasserstein estimate early and late,
  early generator gradient norm).
Each distance has its noise floor beside it: the same distance between two independent real
samples of the same size. Seeds whose samples cannot be scored (not finite, or absurdly far from the data: see
ganlab.metrics.unscorable) are left out and listed with the reason in `seeds_not_scored`;
the rest are reported as mean, std and per-seed values.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from ganlab import data as datasets
from ganlab import io
from ganlab.metrics import unscorable, wasserstein
from ganlab.metrics.coverage import mode_coverage
from ganlab.nn.seeded import SeedRNG
from ganlab.training.loop import load_model

UNITS = {
    "modes_captured": "modes", "high_quality_pct": "% of samples", "reverse_kl": "nats",
    "emd": "data units (W1)", "w_lp_hist": "data units (W1, binned)", "w_sliced": "data units (sliced W1)",
    "w1_closed_form": "data units (W1, 1-D)", "d_real": "mean D output", "d_fake": "mean D output",
    "d_accuracy": "D's accuracy, real vs generated (chance 0.5)",
}
EARLY = 0.1   # "early" and "late" in training: the first and last 10 % of logged points


def _agg(values: list[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return float("nan"), float("nan")
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def training_summary(history: list[dict]) -> dict[str, float]:
    """Early/late means of logged curves: the evidence for claims about training dynamics."""
    out: dict[str, float] = {}
    if not history:
        return out
    k = max(1, int(round(EARLY * len(history))))
    for key in ("w_sliced", "w_critic", "grad_g", "grad_g_nonsat", "d_real", "d_fake"):
        vals = [r[key] for r in history if r.get(key) is not None and np.isfinite(r[key])]
        if len(vals) >= 2:
            kk = max(1, min(k, len(vals) // 2))
            out[f"train_{key}_early"] = float(np.mean(vals[:kk]))
            out[f"train_{key}_late"] = float(np.mean(vals[-kk:]))
    return out


def point_metrics(fake: np.ndarray, real: np.ndarray, meta: dict, ev) -> dict[str, float]:
    """All point-data metrics of one seed's samples against one real sample."""
    centres = np.asarray(meta["centres"])
    cov = mode_coverage(fake, centres, meta["std"], n_sigma=ev.n_sigma, weights=meta.get("weights"))
    out = {"modes_captured": float(cov["modes_captured"]), "high_quality_pct": 100 * cov["high_quality_frac"],
           "reverse_kl": cov["reverse_kl"]}
    out.update(distances(fake, real, ev))
    return out


def distances(x: np.ndarray, y: np.ndarray, ev) -> dict[str, float]:
    out = {"emd": wasserstein.emd(x, y),
           "w_lp_hist": wasserstein.histogram_distance(x, y, bins=ev.hist_bins),
           "w_sliced": wasserstein.sliced(x, y, n_projections=ev.sliced_projections, seed=ev.seed)}
    if x.shape[1] == 1:
        out["w1_closed_form"] = wasserstein.w1_1d(x[:, 0], y[:, 0])
    return out


def point_run(model, cfg, meta: dict, arrays: dict, ev) -> dict:
    """The point-data metrics of every seed: {"per_seed", "keep", "floor", "info"}."""
    n = ev.n_samples
    rng = np.random.default_rng(ev.seed)
    real = arrays["test"][:n] if len(arrays["test"]) >= n else arrays["test"][rng.choice(len(arrays["test"]), n)]
    real2 = arrays["train"][rng.choice(len(arrays["train"]), size=len(real), replace=False)]
    with torch.no_grad():
        fake = model.generate(model.latent(n, SeedRNG(cfg.seeds, offset=ev.seed))).float().numpy()
        d_real_all = model.d_display(torch.from_numpy(real).expand(model.n_seeds, -1, -1)).numpy()
        d_fake_all = model.d_display(torch.from_numpy(fake)).numpy()
    d_real, d_fake = d_real_all.mean(1), d_fake_all.mean(1)

    per_seed: dict[str, list[float]] = {}
    why = {i: unscorable(fake[i], *meta["range"]) for i in range(len(cfg.seeds))}
    keep = [i for i, w in why.items() if w is None]      # diverged (or blown-up) seeds drop out
    # Each seed's metrics and the noise floor are independent; POT's network simplex releases
    # the GIL, so two threads cut this stage's time by about a third on 2 cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        floor_job = pool.submit(distances, real2, real, ev)
        jobs = [pool.submit(point_metrics, fake[i], real, meta, ev) for i in keep]
        results = [j.result() for j in jobs]
        floor = floor_job.result()
    for i, m in zip(keep, results):
        m.update({"d_real": float(d_real[i]), "d_fake": float(d_fake[i])})
        if model.d_is_probability:
            # Chance means 50 % accuracy: a constant D, whatever its level, is at chance.
            m["d_accuracy"] = 0.5 * (float((d_real_all[i] > 0.5).mean()) + float((d_fake_all[i] < 0.5).mean()))
        for k, v in m.items():
            per_seed.setdefault(k, []).append(v)
    for k in ("modes_captured", "high_quality_pct", "reverse_kl", "emd", "w_lp_hist", "w_sliced", "d_real", "d_fake"):
        per_seed.setdefault(k, [])             # no finite seed: the keys exist, as null
    return {"per_seed": per_seed, "keep": keep, "floor": floor, "not_scored": {i: w for i, w in why.items() if w},
            "info": {"n_samples": n, "n_real": int(len(real)), "n_modes": len(meta["centres"])}}


def evaluate_run(run: str, ev, model_dir: Path, data_dir: Path, out_dir: Path, classifier_dir: Path | None = None) -> dict:
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    rebuild = f"dvc repro train@{model_dir.name}"
    status = io.read_verified(model_dir / "status.json", rebuild, io.read_json)
    model, cfg, _ = load_model(model_dir)
    arrays, meta = datasets.load(data_dir)
    images = meta["kind"] == "images"
    translation = getattr(model, "translation", False)    # pix2pix, srgan, cyclegan
    if translation:
        from ganlab import evaluation_translation
        res = evaluation_translation.translation_metrics(model, cfg, meta, arrays, Path(classifier_dir), ev)
        units = evaluation_translation.UNITS
    elif images:
        from ganlab import evaluation_images
        from ganlab.classifier import load_classifier
        if classifier_dir is None or not (Path(classifier_dir) / "weights.pt").exists():
            raise io.MissingFileError(f"image run {run} needs its dataset's classifier in {classifier_dir}: "
                                    f"run `dvc repro classifier@{cfg.dataset}` first")
        clf = load_classifier(classifier_dir)
        res = evaluation_images.image_metrics(model, cfg, meta, arrays, clf, ev)
        units = evaluation_images.UNITS
    else:
        res = point_run(model, cfg, meta, arrays, ev)
        units = UNITS
    per_seed, keep = res["per_seed"], res["keep"]
    final = model.final_metrics()
    for k, v in final.items():
        if isinstance(v, list):
            per_seed[k] = [v[i] for i in keep]

    out = {"run": run, "family": cfg.family, "dataset": cfg.dataset, "kind": meta["kind"], "status": status["status"],
           "diverged_at_step": status["diverged_at_step"], "steps_done": status["steps_done"],
           "seeds": cfg.seeds, "seeds_evaluated": [cfg.seeds[i] for i in keep],
           # seeds left out, and why (ganlab.metrics.unscorable: non-finite or absurd samples)
           "seeds_not_scored": {str(cfg.seeds[i]): res.get("not_scored", {}).get(i, "non-finite samples")
                                for i in range(len(cfg.seeds)) if i not in keep},
           **res["info"]}
    for k, vals in per_seed.items():
        out[k], out[f"{k}_std"] = _agg(vals)
    out.update({k: v for k, v in final.items() if not isinstance(v, list)})
    for k, v in res["floor"].items():
        out[f"{k}_floor"] = v
    out.update(training_summary(io.read_verified(model_dir / "history.json", rebuild, io.read_json)))
    out["per_seed"] = per_seed
    out["units"] = {k: u for k, u in units.items() if k in per_seed}

    from ganlab.report import figures
    fig_dir = out_dir / "figures"
    with io.atomic_dir(fig_dir) as tmp:
        figures.run_figures(run, model_dir, meta, tmp)
        if translation:
            for name, grid in evaluation_translation.triptychs(model, meta, arrays).items():
                figures.image_grid(grid, f"{run}: {evaluation_translation.TITLES[name]}", tmp / f"{name}.png")
        elif images:
            for name, grid in evaluation_images.grids(model, meta).items():
                figures.image_grid(grid, f"{run}: {figures.GRID_TITLES[name.rstrip('0123456789')]}", tmp / f"{name}.png")
    io.write_json(out_dir / "metrics.json", out)
    return out
