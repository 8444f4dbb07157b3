"""Image data: the evaluation classifier's eyes on generated images.

Per seed, on images generated from fixed latents:
- mode coverage: classes covered and KL(generated label histogram || real label histogram)
  over `n_samples` images; on stacked data (one label per channel, 1,000 modes), the number of
  distinct label triples among `stacked_samples` (26,000 as in VEEGAN/PacGAN) and the KL of
  their histogram to the uniform one;
- quality and diversity in the classifier's feature space (metrics.features): Fréchet
  distance, precision, recall, density and coverage (k = `prdc_k`), sliced Wasserstein, on
  min(n_samples, test split, training split) generated images against as many real test images,
  each with its noise floor (the same metric between the test images and a training subset of the
  same size); on fewer than 2 images a side the Fréchet distance, on prdc_k or fewer PRDC, are not
  computed (metrics.json's not_computed gives the reason), and a split smaller than n_samples is
  named in evaluation_notes;
- class-conditioned families (cGAN, ACGAN): the fraction of samples the classifier assigns to
  the requested class;
- a categorical code (InfoGAN): the accuracy of the best one-to-one map from code to classes
  (chance 1/classes), and the correlation of each continuous code with the rotation and
  thickness the classifier's regression heads read off the generated images.

A sample (one seed) is an `ImageSample`; a floor's, an `ImageSample` with features and f_real only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ganlab import data as datasets
from ganlab import io
from ganlab.evaluation.registry import FLOOR_DRAWS, INCEPTION_COLUMNS, Column, NotComputed, Prepared, metric
from ganlab.metrics import features as fm
from ganlab.metrics import wasserstein
from ganlab.nn.seeded import SeedRNG


@dataclass
class ImageSample:
    """One seed's images as the metrics see them: the classifier's features of the first n_feat
    (n_feat, F) against the real test images' (f_real), its labels over all generated images,
    the factors its regression heads read {name: values}; what the run asked for: the latent's
    class or code (`requested`, or None) and continuous codes (`cont`, or None)."""

    features: np.ndarray
    f_real: np.ndarray
    labels: np.ndarray | None = None
    factors: dict = field(default_factory=dict)
    test_labels: np.ndarray | None = None
    n_classes: int = 0
    per_channel: bool = False
    conditioning: str = ""
    n_cat: int = 0
    requested: np.ndarray | None = None
    cont: np.ndarray | None = None
    inception: dict | None = None  # Inception features of the seed's images (ganlab.evaluation.inception)
    inception_ref: Any = None  # and the dataset's reference they are scored against


KINDS = ("images",)
KIND = "images"
HEADLINE_INFO = ()
GEN_CHUNK = 1000
GRID_TITLES = {
    "class_grid": "row = requested class (or categorical code), column = one noise vector",
    "code_sweep_c": "row = categorical code, columns = one continuous code from -1 to 1 (others 0)",
}


@metric(
    KIND,
    optional=("classes_covered", "label_kl", "stacked_modes", "stacked_kl"),
    units={
        "classes_covered": "classes",
        "label_kl": "nats",
        "stacked_modes": "modes (of 1,000)",
        "stacked_kl": "nats (to uniform)",
    },
)
def mode_coverage(s, ev) -> dict[str, float]:
    if s.per_channel:
        st = fm.stacked_modes(s.labels[: ev.stacked_samples])
        return {"stacked_modes": float(st["modes"]), "stacked_kl": st["kl_uniform"]}
    lab = s.labels[: ev.n_samples]
    return {
        "classes_covered": float(fm.classes_covered(lab, s.n_classes)),
        "label_kl": fm.label_kl(lab, s.test_labels, s.n_classes),
    }


@metric(
    KIND,
    floor=True,
    units={
        "fd": "squared feature units",
        "precision": "fraction",
        "recall": "fraction",
        "density": "ratio (1 = real-like)",
        "coverage": "fraction",
        "w_sliced_features": "feature units (sliced W1)",
    },
)
def feature_metrics(s, ev) -> dict[str, float]:
    n = min(len(s.features), len(s.f_real))  # both sides have n_feature_samples images
    scored = f"{n} scored (n_samples, or the test or training split where smaller)"
    out = {
        "fd": fm.frechet_distance(s.features, s.f_real)
        if n >= 2
        else NotComputed(f"a covariance needs at least 2 images a side; {scored}")
    }
    if n > ev.prdc_k:
        out.update(fm.prdc(s.f_real, s.features, k=ev.prdc_k))
    else:
        why = NotComputed(f"k-nearest-neighbour radii need more than prdc_k = {ev.prdc_k} images a side; {scored}")
        out.update({k: why for k in ("precision", "recall", "density", "coverage")})
    out["w_sliced_features"] = wasserstein.sliced(
        s.features, s.f_real, n_projections=ev.sliced_projections, seed=ev.seed
    )
    return out


@metric(
    KIND,
    optional=("cond_accuracy", "code_class_accuracy"),
    units={
        "cond_accuracy": "fraction of samples in the requested class",
        "code_class_accuracy": "fraction (chance 1/classes)",
    },
)
def conditional_accuracy(s, ev) -> dict[str, float]:
    if s.requested is None:
        return {}
    if s.conditioning == "class":
        return {"cond_accuracy": float((s.labels == s.requested).mean())}
    if not s.per_channel:
        return {
            "code_class_accuracy": fm.best_mapping_accuracy(s.requested, s.labels, s.n_cat, s.n_classes)["accuracy"]
        }
    return {}


@metric(
    KIND,
    headline=("code_rotation_corr", "code_thickness_corr"),
    optional=("code_rotation_corr", "code_thickness_corr", "code_rotation_which", "code_thickness_which"),
    units={
        "code_rotation_corr": "|Pearson r|",
        "code_thickness_corr": "|Pearson r|",
        "code_rotation_which": "index of the code",
        "code_thickness_which": "index of the code",
    },
)
def code_factors(s, ev) -> dict[str, float]:
    if s.cont is None or not s.factors or s.per_channel:  # stacked: one factor per channel
        return {}
    names = [k for k in ("rotation", "thickness") if k in s.factors]
    corr = np.asarray(fm.factor_correlation(s.cont, np.stack([s.factors[k] for k in names], 1)))
    out = {}
    for j, k in enumerate(names):
        out[f"code_{k}_corr"] = float(np.abs(corr[:, j]).max())
        out[f"code_{k}_which"] = float(np.abs(corr[:, j]).argmax())
    return out


@torch.no_grad()
def generate_embedded(model, z: torch.Tensor, clf) -> list[dict]:
    """Generate from latents (S, n, ...) in chunks and embed each seed's images with the
    classifier: per seed {"features", "labels", "factors", "finite"} as numpy."""
    per_seed = [{"features": [], "labels": [], "factors": {}, "finite": True} for _ in range(model.n_seeds)]
    for a in range(0, z.shape[1], GEN_CHUNK):
        x = model.generate(z[:, a : a + GEN_CHUNK]).float()
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


def load_classifier(classifier_dir, dataset: str, sub: str = ""):
    """The dataset's evaluation classifier (or domain A's, sub="a"), or an error naming the stage."""
    from pathlib import Path

    from ganlab.classifier import load_classifier as load

    path = Path(classifier_dir) / sub if classifier_dir is not None else None
    if path is None or not (path / "weights.pt").exists():
        raise io.MissingFileError(
            f"{dataset}: the evaluation classifier {path} is missing: run `dvc repro classifier@{dataset}` first"
        )
    return load(path)


def feature_sample_size(arrays: dict, ev) -> int:
    """Images a side in the feature metrics: n_samples, or fewer where the test split (the real
    side) or the training split (each floor's, drawn without replacement) is smaller."""
    return min(ev.n_samples, len(arrays["test"]), len(arrays["train"]))


def sampling_notes(arrays: dict, ev) -> list[str]:
    """What metrics.json says when a split limits the feature metrics' sample size."""
    n = feature_sample_size(arrays, ev)
    return [
        f"the {split} split has {len(arrays[split]):,} images, fewer than n_samples = {ev.n_samples:,}: "
        f"the feature metrics and their floors use {n:,} images a side"
        for split in ("test", "train")
        if len(arrays[split]) < ev.n_samples
    ]


def real_and_floors(clf, arrays: dict, ev, draws: int = FLOOR_DRAWS) -> tuple[np.ndarray, list[ImageSample]]:
    """The classifier's features of the real test images every sample is scored against, and of the
    floors' `draws` independent sets of as many training images (scripts/floor_spread.py draws more)."""
    n, rng, train = feature_sample_size(arrays, ev), np.random.default_rng(ev.seed), arrays["train"]
    embed = lambda x: clf.embed(datasets.to_model(torch.from_numpy(x)))[0].numpy()
    f_real = embed(arrays["test"][:n])
    return f_real, [
        ImageSample(f_real=f_real, features=embed(train[rng.choice(len(train), n, replace=False)]))
        for _ in range(draws)
    ]


def prepare(model, cfg, meta: dict, arrays: dict, ev, classifier_dir=None) -> Prepared:
    clf = load_classifier(classifier_dir, cfg.dataset)
    n_classes = int(meta["classes"])
    per_channel = bool(meta.get("per_channel_labels"))
    test_labels = arrays["test_labels"]
    f_real, floors = real_and_floors(clf, arrays, ev)
    n_feat = len(f_real)

    n_gen = max(ev.n_samples, ev.stacked_samples if per_channel else 0)
    z = model.latent(n_gen, SeedRNG(cfg.seeds, offset=ev.seed))
    gen = generate_embedded(model, z, clf)
    requested = model.latent_labels(z).cpu().numpy() if model.n_cat else None
    cont = model.latent_cont(z).cpu().numpy() if model.n_cont else None
    seeds = {
        s: ImageSample(
            features=rec["features"][:n_feat],
            labels=rec["labels"],
            factors=rec["factors"],
            f_real=f_real,
            test_labels=test_labels,
            n_classes=n_classes,
            per_channel=per_channel,
            conditioning=model.conditioning,
            n_cat=model.n_cat,
            requested=None if requested is None else requested[s],
            cont=None if cont is None else cont[s],
        )
        for s, rec in enumerate(gen)
        if rec["finite"]
    }
    info = {
        "n_samples": int(n_gen),
        "n_generated": int(n_gen),
        "n_feature_samples": int(n_feat),
        "n_real": int(n_feat),
        "n_classes": n_classes,
        "prdc_k": ev.prdc_k,
    }
    if per_channel:
        info.update({"n_modes": 1000, "n_mode_samples": int(ev.stacked_samples)})
    else:
        info["n_modes"] = n_classes
    if model.n_cat and model.conditioning != "class" and not per_channel:
        info["code_class_chance"] = 1.0 / n_classes
    from ganlab import inception  # the Inception side (torch-fidelity) only where a dataset asks

    ref = inception.load_reference(classifier_dir)
    if ref is not None:  # the dataset asks for Inception metrics
        for s, feats in enumerate(inception.embed_generated(model, ref, ev.seed)):
            if s in seeds:
                seeds[s].inception, seeds[s].inception_ref = feats, ref
        info["inception"] = inception.protocol_info(ref, ref.params["n_samples"])
    return Prepared(
        seeds=seeds,
        not_scored={s: "non-finite samples" for s, rec in enumerate(gen) if not rec["finite"]},
        floor=floors,
        baselines={},
        workers=1,
        info=info,
        notes=sampling_notes(arrays, ev),
    )


def board(meta: dict, ev) -> dict:
    """Coverage (classes, or stacked modes), the feature metrics, and the conditional accuracies
    (shown where any run has them); rows by Fréchet distance."""
    cov = (
        [Column("modes (of 1,000)", "stacked_modes", 1), Column("KL to uniform", "stacked_kl")]
        if meta.get("per_channel_labels")
        else [Column("classes covered", "classes_covered", 1), Column("label KL", "label_kl")]
    )
    cols = cov + [
        Column("Fréchet distance", "fd", 2),
        Column("precision", "precision"),
        Column("recall", "recall"),
        Column("density", "density"),
        Column("coverage", "coverage"),
        Column("sliced W1, features", "w_sliced_features"),
        Column("requested class %", "cond_accuracy", 1, 100),
        Column("code → class %", "code_class_accuracy", 1, 100),
        *INCEPTION_COLUMNS,
    ]
    note = (
        "Feature metrics are computed on the evaluation classifier's penultimate features, with the real-versus-real "
        f"floor in parentheses; precision, recall, density and coverage use k = {ev.prdc_k} neighbours."
    )
    return {"columns": cols, "sort": [("fd", "asc")], "note": note}


@torch.no_grad()
def figures(model, meta: dict, arrays: dict, seed_index: int = 0, n_cols: int = 10, n_sweep: int = 9) -> dict:
    """{name: (images (rows, cols, C, H, W), title)}: class-conditional grids (row = requested
    class or categorical code, fixed noise per column) and InfoGAN-style sweeps (row =
    categorical code, columns = one continuous code from -1 to 1, the others at 0)."""
    out: dict = {}
    if not model.n_cat:
        return out
    rng = SeedRNG([0] * model.n_seeds, offset=4321)
    K = model.n_cat
    labels = torch.arange(K).repeat_interleave(n_cols).expand(model.n_seeds, -1)
    zero = torch.zeros(model.n_seeds, K * n_cols, model.n_cont)
    base = model.latent(n_cols, rng)[:, :, : model.z_dim].repeat(1, K, 1)  # same noise in every row
    z = model.latent(K * n_cols, rng, labels=labels, cont=zero if model.n_cont else None)
    z[..., : model.z_dim] = base
    out["class_grid"] = (
        model.generate(z)[seed_index].float().numpy().reshape(K, n_cols, *meta["shape"]),
        GRID_TITLES["class_grid"],
    )
    for j in range(model.n_cont):
        sweep = torch.linspace(-1, 1, n_sweep)
        labels = torch.arange(K).repeat_interleave(n_sweep).expand(model.n_seeds, -1)
        cont = torch.zeros(model.n_seeds, K * n_sweep, model.n_cont)
        cont[..., j] = sweep.repeat(K)
        z = model.latent(K * n_sweep, rng, labels=labels, cont=cont)
        z[..., : model.z_dim] = model.latent(1, rng)[:, :, : model.z_dim]  # one noise vector for all
        out[f"code_sweep_c{j + 1}"] = (
            model.generate(z)[seed_index].float().numpy().reshape(K, n_sweep, *meta["shape"]),
            GRID_TITLES["code_sweep_c"],
        )
    return out
