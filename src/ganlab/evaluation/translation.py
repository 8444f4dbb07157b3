"""Image-to-image translation (families whose `translation` is "paired" or "unpaired").

Paired runs (pix2pix, srgan), per seed, on the first min(n_samples, test split, training split)
held-out pairs (the floors draw as many training pairs without replacement):
- distortion: L1 (mean absolute error), PSNR and SSIM against the target, on images in [0, 1]
  (PSNR and SSIM from scikit-image, per image then averaged; SSIM with the Gaussian 11x11
  window, sigma 1.5, of Wang et al. 2004, as SR papers report it);
- realism: the Fréchet distance of the outputs to the test targets on the evaluation
  classifier's features, with its real-vs-real floor (a training subset vs the test targets);
- content: the classifier's accuracy on the outputs against the targets' labels (is the digit
  still the same digit?), beside its accuracy on the real targets (`target_accuracy`).
- super-resolution only: the same numbers for bicubic upsampling of the input (`bicubic_*`),
  the classic baseline; it is the same for every seed and has no weights.
Unpaired runs (CycleGAN), per seed, on min(n_samples, each domain's test and training split)
images of each domain:
cycle reconstruction L1 both ways (A -> B -> A and B -> A -> B), label preservation both ways
(the target domain's classifier reads the translated image's digit: models/classifiers/<ds>
is domain B's, .../a domain A's), and the Fréchet distance of the translations to each target
domain with floors. The "do nothing" baseline (`identity_*`: the untranslated image scored as
if it were the translation) says how much of that the translation itself earns.

A paired sample is a `PairedSample`, an unpaired one an `UnpairedSample`; a floor's has the
features only (real images in place of the translations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ganlab import data as datasets
from ganlab.evaluation.images import load_classifier
from ganlab.evaluation.registry import FLOOR_DRAWS, INCEPTION_COLUMNS, Column, Prepared, metric
from ganlab.metrics import features as fm

KINDS = ("paired", "unpaired")  # the families' `translation`, the datasets' meta["pairing"]
HEADLINE_INFO = ("target_accuracy",)  # the classifier on the real targets: the ceiling of `accuracy`
CHUNK = 500
TITLES = {
    "triptych": "rows: input, output (seed 0), target",
    "triptych_bicubic": "rows: input, bicubic, output (seed 0), target",
    "cycle_a": "rows: a, G(a) in B, F(G(a)) back in A (seed 0)",
    "cycle_b": "rows: b, F(b) in A, G(F(b)) back in B (seed 0)",
}


@dataclass
class PairedSample:
    """One seed's paired translations: the classifier's features and predictions of the outputs
    against the test targets' features (f_real); the outputs and targets in [0, 1], the targets' labels."""

    features: np.ndarray
    f_real: np.ndarray
    pred: np.ndarray | None = None
    out01: torch.Tensor | None = None
    target01: torch.Tensor | None = None
    labels: np.ndarray | None = None
    inception: dict | None = None  # Inception features of the outputs (ganlab.evaluation.inception)
    inception_ref: Any = None


@dataclass
class UnpairedSample:
    """One seed's unpaired translations: B's classifier on the A -> B translations (fb, pb: features,
    predictions) and A's on B -> A (fa, pa), the real test images' features (fb_real, fa_real) and
    labels (lb, la); the inputs a, b and the reconstructions rec_a (A -> B -> A), rec_b."""

    fb: np.ndarray
    fa: np.ndarray
    fb_real: np.ndarray
    fa_real: np.ndarray
    la: np.ndarray
    lb: np.ndarray
    pb: np.ndarray | None = None
    pa: np.ndarray | None = None
    a: torch.Tensor | None = None
    b: torch.Tensor | None = None
    rec_a: torch.Tensor | None = None
    rec_b: torch.Tensor | None = None
    inception: dict | None = None  # Inception features of the A -> B translations
    inception_ref: Any = None


def to01(x) -> np.ndarray:
    return (np.asarray(x, np.float32).clip(-1, 1) + 1) / 2


# ----------------------------------------------------------------------------- paired


@metric(
    "paired",
    units={
        "l1": "mean absolute error to the target, images in [0, 1]",
        "psnr": "dB (data range 1)",
        "ssim": "SSIM (1 = identical)",
    },
)
def distortion(s, ev=None) -> dict[str, float]:
    """L1, PSNR and SSIM of images (N, C, H, W) in [0, 1], per image, averaged (scikit-image)."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    out, target = s.out01, s.target01
    psnr = [peak_signal_noise_ratio(t, o, data_range=1.0) for o, t in zip(out, target)]
    ssim = [
        structural_similarity(
            t, o, data_range=1.0, channel_axis=0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
        )
        for o, t in zip(out, target)
    ]
    return {"l1": float(np.abs(out - target).mean()), "psnr": float(np.mean(psnr)), "ssim": float(np.mean(ssim))}


@metric("paired", floor=True, units={"fd": "squared feature units"})
def realism(s, ev) -> dict[str, float]:
    return {"fd": fm.frechet_distance(s.features, s.f_real)}


@metric("paired", units={"accuracy": "fraction of outputs classified as the target's digit"})
def content(s, ev) -> dict[str, float]:
    return {"accuracy": float((s.pred == s.labels).mean())}


# ----------------------------------------------------------------------------- unpaired


@metric(
    "unpaired",
    units={
        "cycle_l1_a": "mean absolute error of F(G(a)) to a, [0, 1]",
        "cycle_l1_b": "mean absolute error of G(F(b)) to b, [0, 1]",
    },
)
def cycle(s, ev) -> dict[str, float]:
    return {
        "cycle_l1_a": float((s.rec_a - s.a).abs().mean() / 2),
        "cycle_l1_b": float((s.rec_b - s.b).abs().mean() / 2),
    }


@metric(
    "unpaired",
    units={
        "label_ab": "fraction of A -> B translations read as the input's digit",
        "label_ba": "fraction of B -> A translations read as the input's digit",
    },
)
def label_preservation(s, ev) -> dict[str, float]:
    return {"label_ab": float((s.pb == s.la).mean()), "label_ba": float((s.pa == s.lb).mean())}


@metric(
    "unpaired",
    floor=True,
    units={"fd_b": "squared feature units (B classifier)", "fd_a": "squared feature units (A classifier)"},
)
def domain_realism(s, ev) -> dict[str, float]:
    return {"fd_b": fm.frechet_distance(s.fb, s.fb_real), "fd_a": fm.frechet_distance(s.fa, s.fa_real)}


# ----------------------------------------------------------------------------- samples


@torch.no_grad()
def translate(fn, x: torch.Tensor, n_seeds: int) -> torch.Tensor:
    """fn on inputs (n, ...) shared by every seed, in chunks: (S, n, ...) float in [-1, 1]."""
    outs = [
        fn(x[a : a + CHUNK].expand(n_seeds, *x[a : a + CHUNK].shape)).float().clamp(-1, 1)
        for a in range(0, len(x), CHUNK)
    ]
    return torch.cat(outs, 1)


def bicubic(x: torch.Tensor, size: int) -> torch.Tensor:
    return F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False).clamp(-1, 1)


def _real_features(clf, arrays: dict, prefix: str, n: int, seed: int) -> list[np.ndarray]:
    """The classifier's features of FLOOR_DRAWS independent sets of n training images: the floors'
    real samples."""
    train, rng = arrays[f"{prefix}train"], np.random.default_rng(seed)
    return [
        clf.features(torch.from_numpy(train[rng.choice(len(train), n, replace=False)])).numpy()
        for _ in range(FLOOR_DRAWS)
    ]


def _paired_sample(out: torch.Tensor, clf, common: dict) -> PairedSample:
    f, pred, _ = clf.embed(out)
    return PairedSample(out01=to01(out), features=f.numpy(), pred=pred.numpy(), **common)


def prepare_paired(model, cfg, arrays: dict, ev, clf) -> Prepared:
    n = min(ev.n_samples, len(arrays["test"]), len(arrays["train"]))  # the floors draw n training pairs
    x = model.test_inputs(arrays, n)
    target, labels = arrays["test"][:n], arrays["test_labels"][:n]
    f_real, pred_real, _ = clf.embed(torch.from_numpy(target))
    common = {"target01": to01(datasets.to_model(target)), "labels": labels, "f_real": f_real.numpy()}
    out = translate(model.generate, x, model.n_seeds)
    seeds = {s: _paired_sample(out[s], clf, common) for s in range(model.n_seeds) if torch.isfinite(out[s]).all()}
    info = {
        "translation": "paired",
        "n_samples": n,
        "n_real": n,
        "target_accuracy": float((pred_real.numpy() == labels).mean()),
    }
    baselines = {}
    if x.shape[-1] < target.shape[-1]:  # super-resolution: the bicubic baseline
        baselines["bicubic"] = (_paired_sample(bicubic(x, target.shape[-1]), clf, common), None)
    floor = [PairedSample(features=f, f_real=common["f_real"]) for f in _real_features(clf, arrays, "", n, ev.seed)]
    return Prepared(seeds=seeds, baselines=baselines, floor=floor, info=info)


def prepare_unpaired(model, cfg, arrays: dict, ev, clf_b, clf_a) -> Prepared:
    n = min(
        ev.n_samples, *(len(arrays[k]) for k in ("test", "a_test", "train", "a_train"))
    )  # floors: n training images
    a = model.test_inputs(arrays, n)
    b = datasets.to_model(torch.from_numpy(arrays["test"][:n]))
    la, lb = arrays["a_test_labels"][:n], arrays["test_labels"][:n]
    real = {"fa_real": clf_a.features(a).numpy(), "fb_real": clf_b.features(b).numpy(), "la": la, "lb": lb}
    fake_b = translate(lambda x: model.translate(x, "a2b"), a, model.n_seeds)
    fake_a = translate(lambda x: model.translate(x, "b2a"), b, model.n_seeds)
    with torch.no_grad():  # back again, each seed through its own networks
        rec_a = torch.cat(
            [model.translate(fake_b[:, i : i + CHUNK], "b2a").clamp(-1, 1) for i in range(0, n, CHUNK)], 1
        )
        rec_b = torch.cat(
            [model.translate(fake_a[:, i : i + CHUNK], "a2b").clamp(-1, 1) for i in range(0, n, CHUNK)], 1
        )

    def sample(tb, ta, ra=None, rb=None) -> UnpairedSample:
        fb, pb, _ = clf_b.embed(tb)
        fa, pa, _ = clf_a.embed(ta)
        return UnpairedSample(
            a=a, b=b, rec_a=ra, rec_b=rb, fb=fb.numpy(), pb=pb.numpy(), fa=fa.numpy(), pa=pa.numpy(), **real
        )

    seeds = {
        s: sample(fake_b[s], fake_a[s], rec_a[s], rec_b[s])
        for s in range(model.n_seeds)
        if torch.isfinite(fake_b[s]).all() and torch.isfinite(fake_a[s]).all()
    }
    # "Do nothing": the untranslated image in the other domain's classifier.
    baselines = {"identity": (sample(a, b), ("label_preservation", "domain_realism"))}
    floor = [
        UnpairedSample(fb=fb, fa=fa, **real)
        for fb, fa in zip(
            _real_features(clf_b, arrays, "", n, ev.seed), _real_features(clf_a, arrays, "a_", n, ev.seed)
        )
    ]
    info = {
        "translation": "unpaired",
        "n_samples": n,
        "n_real": n,
        "classifier_accuracy_a": float((clf_a.predict(a).numpy() == la).mean()),
        "classifier_accuracy_b": float((clf_b.predict(b).numpy() == lb).mean()),
    }
    return Prepared(seeds=seeds, baselines=baselines, floor=floor, info=info)


def prepare(model, cfg, meta: dict, arrays: dict, ev, classifier_dir=None) -> Prepared:
    clf = load_classifier(classifier_dir, cfg.dataset)
    if model.translation == "unpaired":
        res = prepare_unpaired(model, cfg, arrays, ev, clf, load_classifier(classifier_dir, cfg.dataset, "a"))
    else:
        res = prepare_paired(model, cfg, arrays, ev, clf)
    res.not_scored = {s: "non-finite samples" for s in range(model.n_seeds) if s not in res.seeds}
    from ganlab import inception  # the Inception side (torch-fidelity) only where a dataset asks

    ref = inception.load_reference(classifier_dir)
    if ref is not None:  # the dataset asks for Inception metrics
        feats, n = inception.embed_translations(model, arrays, ref)
        for s, f in enumerate(feats):
            if s in res.seeds:
                res.seeds[s].inception, res.seeds[s].inception_ref = f, ref
        res.info["inception"] = inception.protocol_info(ref, n)
    return res


def board(meta: dict, ev) -> dict:
    if meta.get("pairing") == "unpaired":
        cols = [
            Column("cycle L1 A→B→A", "cycle_l1_a", 4),
            Column("cycle L1 B→A→B", "cycle_l1_b", 4),
            Column("digit kept A→B %", "label_ab", 1, 100),
            Column("digit kept B→A %", "label_ba", 1, 100),
            Column("FD to B", "fd_b", 2),
            Column("FD to A", "fd_a", 2),
            *INCEPTION_COLUMNS,
        ]
        rows = [
            {
                "run": "no translation",
                "variant": "baseline: the input as its own translation",
                "from": "identity",
                "fixed": {"cycle_l1_a": "0", "cycle_l1_b": "0"},
            }
        ]
        return {"columns": cols, "sort": [], "note": "", "baseline_rows": rows}
    cols = [
        Column("L1", "l1", 4),
        Column("PSNR dB", "psnr", 2),
        Column("SSIM", "ssim", 3),
        Column("Fréchet distance", "fd", 2),
        Column("digit accuracy %", "accuracy", 1, 100),
        *INCEPTION_COLUMNS,
    ]
    rows = [
        {"run": "bicubic", "variant": "baseline: bicubic upsampling (no training)", "from": "bicubic", "fixed": {}},
        {
            "run": "real targets",
            "variant": "the classifier on the real test targets",
            "from": None,
            "fixed": {"l1": "0", "psnr": "∞", "ssim": "1", "fd": "0"},
            "values": {"accuracy": "target_accuracy"},
        },
    ]
    return {"columns": cols, "sort": [("family", "asc"), ("run", "asc")], "note": "", "baseline_rows": rows}


def _as_target(x: np.ndarray, shape: list[int]) -> np.ndarray:
    """Inputs (n, c, h, w) drawn at the target's size and channels (nearest upsampling, grey to RGB)."""
    c, h = shape[0], shape[1]
    if x.shape[-1] != h:
        x = x.repeat(h // x.shape[-1], -2).repeat(h // x.shape[-1], -1)
    return np.repeat(x, c, 1) if x.shape[1] == 1 and c > 1 else x


@torch.no_grad()
def figures(model, meta: dict, arrays: dict, n: int = 10) -> dict:
    """{name: (grid (rows, n, C, H, W) in [-1, 1], title)} for the first n test items, seed 0."""
    shape = list(meta["shape"])
    if model.translation == "unpaired":
        a = model.test_inputs(arrays, n)[None].expand(model.n_seeds, -1, -1, -1, -1)
        b = datasets.to_model(torch.from_numpy(arrays["test"][:n]))[None].expand(model.n_seeds, -1, -1, -1, -1)
        fb, fa = model.translate(a, "a2b").clamp(-1, 1), model.translate(b, "b2a").clamp(-1, 1)
        grids = {
            "cycle_a": np.stack([a[0], fb[0], model.translate(fb, "b2a")[0].clamp(-1, 1)]),
            "cycle_b": np.stack([b[0], fa[0], model.translate(fa, "a2b")[0].clamp(-1, 1)]),
        }
        return {k: (g, TITLES[k]) for k, g in grids.items()}
    x = model.test_inputs(arrays, n)
    out = model.generate(x.expand(model.n_seeds, *x.shape))[0].clamp(-1, 1).numpy()
    target = datasets.to_model(arrays["test"][:n])
    rows = [_as_target(x.numpy(), shape)]
    name = "triptych"
    if x.shape[-1] < shape[-1]:
        rows.append(bicubic(x, shape[-1]).numpy())
        name = "triptych_bicubic"
    return {name: (np.stack(rows + [out, target]), TITLES[name])}
