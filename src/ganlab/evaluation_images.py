"""evaluate@<run> for image runs: the evaluation classifier's eyes on generated images.

Per seed, on images generated from fixed latents:
- mode coverage: classes covered and KL(generated label histogram || real label histogram)
  over `n_samples` images; on stacked data (one label per channel, 1,000 modes), the number of
  distinct label triples among `stacked_samples` (26,000 as in VEEGAN/PacGAN) and the KL of
  their histogram to the uniform one;
- quality and diversity in the classifier's feature space (metrics.features): Fréchet
  distance, precision, recall, density and coverage (k = `prdc_k`), sliced Wasserstein, on
  min(n_samples, test split) generated images against as many real test images;
- conditional families (cGAN, ACGAN): the fraction of samples the classifier assigns to the
  requested class;
- InfoGAN: the accuracy of the best one-to-one map from the categorical code to classes
  (chance 1/10), and the correlation of each continuous code with the rotation and thickness
  the classifier's regression heads read off the generated images.
The noise floor of each feature metric is the same metric between two independent real
samples of the same size (test vs a training subset): no model can be expected to beat it.
"""
from __future__ import annotations

import numpy as np
import torch

from ganlab import data as datasets
from ganlab.metrics import features as fm
from ganlab.metrics import wasserstein
from ganlab.nn.seeded import SeedRNG

UNITS = {
    "classes_covered": "classes", "label_kl": "nats", "stacked_modes": "modes (of 1,000)",
    "stacked_kl": "nats (to uniform)", "fd": "squared feature units", "precision": "fraction",
    "recall": "fraction", "density": "ratio (1 = real-like)", "coverage": "fraction",
    "w_sliced_features": "feature units (sliced W1)", "cond_accuracy": "fraction of samples in the requested class",
    "code_class_accuracy": "fraction (chance 1/classes)", "code_rotation_corr": "|Pearson r|",
    "code_thickness_corr": "|Pearson r|",
}
GEN_CHUNK = 1000


def feature_metrics(f_fake: np.ndarray, f_real: np.ndarray, ev) -> dict[str, float]:
    out = {"fd": fm.frechet_distance(f_fake, f_real)}
    out.update(fm.prdc(f_real, f_fake, k=ev.prdc_k))
    out["w_sliced_features"] = wasserstein.sliced(f_fake, f_real, n_projections=ev.sliced_projections, seed=ev.seed)
    return out


@torch.no_grad()
def generate_embedded(model, z: torch.Tensor, clf) -> list[dict]:
    """Generate from latents (S, n, ...) in chunks and embed each seed's images with the
    classifier: per seed {"features", "labels", "factors", "finite"} as numpy."""
    per_seed = [{"features": [], "labels": [], "factors": {}, "finite": True} for _ in range(model.n_seeds)]
    for a in range(0, z.shape[1], GEN_CHUNK):
        x = model.generate(z[:, a:a + GEN_CHUNK]).float()
        for s, rec in enumerate(per_seed):
            if not torch.isfinite(x[s]).all():
                rec["finite"] = False
                continue
            feats, labels, factors = clf.embed(x[s].clamp(-1, 1))
            rec["features"].append(feats.numpy())
            rec["labels"].append(labels.numpy())
            for k, v in factors.items():
                rec["factors"].setdefault(k, []).append(v.numpy())
    for rec in per_seed:
        if rec["finite"]:
            rec["features"] = np.concatenate(rec["features"])
            rec["labels"] = np.concatenate(rec["labels"])
            rec["factors"] = {k: np.concatenate(v) for k, v in rec["factors"].items()}
    return per_seed


def image_metrics(model, cfg, meta: dict, arrays: dict, clf, ev) -> dict:
    """Returns {"per_seed": {metric: [values of evaluated seeds]}, "keep": seed indices,
    "floor": {metric: value}, "info": {...}}."""
    n_classes = int(meta["classes"])
    per_channel = bool(meta.get("per_channel_labels"))
    test, test_labels = arrays["test"], arrays["test_labels"]
    n_feat = min(ev.n_samples, len(test))
    rng = np.random.default_rng(ev.seed)
    real = datasets.to_model(torch.from_numpy(test[:n_feat]))
    real2 = datasets.to_model(torch.from_numpy(arrays["train"][rng.choice(len(arrays["train"]), n_feat, replace=False)]))
    f_real, _, _ = clf.embed(real)
    f_real2, _, _ = clf.embed(real2)
    f_real, f_real2 = f_real.numpy(), f_real2.numpy()
    floor = feature_metrics(f_real2, f_real, ev)

    n_gen = max(ev.n_samples, ev.stacked_samples if per_channel else 0)
    z = model.latent(n_gen, SeedRNG(cfg.seeds, offset=ev.seed))
    gen = generate_embedded(model, z, clf)
    requested = model.latent_labels(z).cpu().numpy() if model.n_cat else None
    cont = model.latent_cont(z).cpu().numpy() if model.n_cont else None

    per_seed: dict[str, list[float]] = {}
    keep = [s for s, rec in enumerate(gen) if rec["finite"]]
    for s in keep:
        rec = gen[s]
        m: dict[str, float] = {}
        labels = rec["labels"]
        if per_channel:
            st = fm.stacked_modes(labels[:ev.stacked_samples])
            m["stacked_modes"], m["stacked_kl"] = float(st["modes"]), st["kl_uniform"]
        else:
            lab = labels[:ev.n_samples]
            m["classes_covered"] = float(fm.classes_covered(lab, n_classes))
            m["label_kl"] = fm.label_kl(lab, test_labels, n_classes)
        m.update(feature_metrics(rec["features"][:n_feat], f_real, ev))
        if requested is not None and model.needs_labels:
            m["cond_accuracy"] = float((labels == requested[s]).mean())
        elif requested is not None and not per_channel:
            best = fm.best_mapping_accuracy(requested[s], labels, model.n_cat, n_classes)
            m["code_class_accuracy"] = best["accuracy"]
        if cont is not None and rec["factors"] and not per_channel:   # stacked: one factor per channel
            names = [k for k in ("rotation", "thickness") if k in rec["factors"]]
            corr = np.asarray(fm.factor_correlation(cont[s], np.stack([rec["factors"][k] for k in names], 1)))
            for j, k in enumerate(names):
                m[f"code_{k}_corr"] = float(np.abs(corr[:, j]).max())
                m[f"code_{k}_which"] = float(np.abs(corr[:, j]).argmax())
        for k, v in m.items():
            per_seed.setdefault(k, []).append(v)
    info = {"n_samples": int(n_gen), "n_generated": int(n_gen), "n_feature_samples": int(n_feat), "n_real": int(n_feat),
            "n_classes": n_classes, "prdc_k": ev.prdc_k}
    if per_channel:
        info.update({"n_modes": 1000, "n_mode_samples": int(ev.stacked_samples)})
    else:
        info["n_modes"] = n_classes
    if requested is not None and not model.needs_labels and not per_channel:
        info["code_class_chance"] = 1.0 / n_classes
    return {"per_seed": per_seed, "keep": keep, "floor": floor, "info": info}


@torch.no_grad()
def grids(model, meta: dict, seed_index: int = 0, n_cols: int = 10, n_sweep: int = 9) -> dict[str, np.ndarray]:
    """Figures that need the model: class-conditional grids (row = requested class or
    categorical code, fixed noise per column) and InfoGAN sweeps (row = categorical code,
    columns = one continuous code from -1 to 1, the others at 0). Images (rows, cols, C, H, W)."""
    out: dict[str, np.ndarray] = {}
    if not model.n_cat:
        return out
    rng = SeedRNG([0] * model.n_seeds, offset=4321)
    K = model.n_cat
    labels = torch.arange(K).repeat_interleave(n_cols).expand(model.n_seeds, -1)
    zero = torch.zeros(model.n_seeds, K * n_cols, model.n_cont)
    base = model.latent(n_cols, rng)[:, :, :model.z_dim].repeat(1, K, 1)    # same noise in every row
    z = model.latent(K * n_cols, rng, labels=labels, cont=zero if model.n_cont else None)
    z[..., :model.z_dim] = base
    out["class_grid"] = model.generate(z)[seed_index].float().numpy().reshape(K, n_cols, *meta["shape"])
    for j in range(model.n_cont):
        sweep = torch.linspace(-1, 1, n_sweep)
        labels = torch.arange(K).repeat_interleave(n_sweep).expand(model.n_seeds, -1)
        cont = torch.zeros(model.n_seeds, K * n_sweep, model.n_cont)
        cont[..., j] = sweep.repeat(K)
        z = model.latent(K * n_sweep, rng, labels=labels, cont=cont)
        z[..., :model.z_dim] = model.latent(1, rng)[:, :, :model.z_dim]       # one noise vector for all
        out[f"code_sweep_c{j + 1}"] = model.generate(z)[seed_index].float().numpy().reshape(K, n_sweep, *meta["shape"])
    return out
