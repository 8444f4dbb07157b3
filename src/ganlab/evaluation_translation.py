"""evaluate@<run> for image-to-image translation runs (pix2pix, srgan, cyclegan).

Paired runs, per seed, on the first min(n_samples, test split) held-out pairs:
- distortion: L1 (mean absolute error), PSNR and SSIM against the target, on images in [0, 1]
  (PSNR and SSIM from scikit-image, per image then averaged; SSIM with the Gaussian 11x11
  window, sigma 1.5, of Wang et al. 2004, as SR papers report it);
- realism: the Fréchet distance of the outputs to the test targets on the evaluation
  classifier's features, with its real-vs-real floor (a training subset vs the test targets);
- content: the classifier's accuracy on the outputs against the targets' labels (is the digit
  still the same digit?), beside its accuracy on the real targets (`target_accuracy`).
- SR only: the same numbers for bicubic upsampling of the input (`bicubic_*`), the classic
  baseline; it is the same for every seed and has no weights.
Unpaired runs (CycleGAN), per seed, on min(n_samples, test split) images of each domain:
cycle reconstruction L1 both ways (A -> B -> A and B -> A -> B), label preservation both ways
(the target domain's classifier reads the translated image's digit: models/classifiers/<ds>
is domain B's, .../a domain A's), and the Fréchet distance of the translations to each target
domain with floors. The "do nothing" baseline (`identity_*`: the untranslated image scored as
if it were the translation) says how much of that the translation itself earns.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganlab import data as datasets
from ganlab import io
from ganlab.metrics import features as fm

UNITS = {
    "l1": "mean absolute error to the target, images in [0, 1]", "psnr": "dB (data range 1)", "ssim": "SSIM (1 = identical)",
    "fd": "squared feature units", "accuracy": "fraction of outputs classified as the target's digit",
    "cycle_l1_a": "mean absolute error of F(G(a)) to a, [0, 1]", "cycle_l1_b": "mean absolute error of G(F(b)) to b, [0, 1]",
    "label_ab": "fraction of A -> B translations read as the input's digit", "label_ba": "fraction of B -> A translations read as the input's digit",
    "fd_b": "squared feature units (B classifier)", "fd_a": "squared feature units (A classifier)",
}
CHUNK = 500
TITLES = {"triptych": "rows: input, output (seed 0), target", "triptych_bicubic": "rows: input, bicubic, output (seed 0), target",
          "cycle_a": "rows: a, G(a) in B, F(G(a)) back in A (seed 0)", "cycle_b": "rows: b, F(b) in A, G(F(b)) back in B (seed 0)"}


def to01(x) -> np.ndarray:
    return ((np.asarray(x, np.float32).clip(-1, 1) + 1) / 2)


def distortion(out: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """L1, PSNR and SSIM of images (N, C, H, W) in [0, 1], per image, averaged (scikit-image)."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity
    psnr = [peak_signal_noise_ratio(t, o, data_range=1.0) for o, t in zip(out, target)]
    ssim = [structural_similarity(t, o, data_range=1.0, channel_axis=0, gaussian_weights=True, sigma=1.5,
                                  use_sample_covariance=False) for o, t in zip(out, target)]
    return {"l1": float(np.abs(out - target).mean()), "psnr": float(np.mean(psnr)), "ssim": float(np.mean(ssim))}


@torch.no_grad()
def translate(fn, x: torch.Tensor, n_seeds: int) -> torch.Tensor:
    """fn on inputs (n, ...) shared by every seed, in chunks: (S, n, ...) float in [-1, 1]."""
    outs = [fn(x[a:a + CHUNK].expand(n_seeds, *x[a:a + CHUNK].shape)).float().clamp(-1, 1) for a in range(0, len(x), CHUNK)]
    return torch.cat(outs, 1)


def bicubic(x: torch.Tensor, size: int) -> torch.Tensor:
    return F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False).clamp(-1, 1)


def _scores(out: torch.Tensor, target01: np.ndarray, labels: np.ndarray, clf, f_real: np.ndarray) -> dict[str, float]:
    f, pred, _ = clf.embed(out)
    return {**distortion(to01(out), target01), "fd": fm.frechet_distance(f.numpy(), f_real),
            "accuracy": float((pred.numpy() == labels).mean())}


def _floor(clf, arrays: dict, prefix: str, f_real: np.ndarray, n: int, seed: int) -> float:
    train = arrays[f"{prefix}train"]
    pick = np.random.default_rng(seed).choice(len(train), n, replace=False)
    return fm.frechet_distance(clf.features(torch.from_numpy(train[pick])).numpy(), f_real)


def paired_metrics(model, cfg, meta: dict, arrays: dict, clf, ev) -> dict:
    n = min(ev.n_samples, len(arrays["test"]))
    x = datasets.to_model(torch.from_numpy(arrays["test_input"][:n]))
    target = arrays["test"][:n]
    labels = arrays["test_labels"][:n]
    t01 = to01(datasets.to_model(target))
    f_real, pred_real, _ = clf.embed(torch.from_numpy(target))
    f_real = f_real.numpy()
    floor = {"fd": _floor(clf, arrays, "", f_real, n, ev.seed)}
    out = translate(model.generate, x, model.n_seeds)
    per_seed: dict[str, list[float]] = {}
    keep = [s for s in range(model.n_seeds) if torch.isfinite(out[s]).all()]
    for s in keep:
        for k, v in _scores(out[s], t01, labels, clf, f_real).items():
            per_seed.setdefault(k, []).append(v)
    info = {"translation": "paired", "n_samples": n, "n_real": n, "target_accuracy": float((pred_real.numpy() == labels).mean())}
    if x.shape[-1] < target.shape[-1]:          # super-resolution: the bicubic baseline
        info.update({f"bicubic_{k}": v for k, v in _scores(bicubic(x, target.shape[-1]), t01, labels, clf, f_real).items()})
    return {"per_seed": per_seed, "keep": keep, "floor": floor, "info": info}


def unpaired_metrics(model, cfg, meta: dict, arrays: dict, clf_b, clf_a, ev) -> dict:
    n = min(ev.n_samples, len(arrays["test"]), len(arrays["a_test"]))
    a = datasets.to_model(torch.from_numpy(arrays["a_test"][:n]))
    b = datasets.to_model(torch.from_numpy(arrays["test"][:n]))
    la, lb = arrays["a_test_labels"][:n], arrays["test_labels"][:n]
    fa_real, fb_real = clf_a.features(a).numpy(), clf_b.features(b).numpy()
    floor = {"fd_a": _floor(clf_a, arrays, "a_", fa_real, n, ev.seed), "fd_b": _floor(clf_b, arrays, "", fb_real, n, ev.seed)}
    fake_b = translate(model.G, a, model.n_seeds)
    fake_a = translate(model.F, b, model.n_seeds)
    with torch.no_grad():     # back again, each seed through its own networks
        rec_a = torch.cat([model.F(fake_b[:, i:i + CHUNK]).clamp(-1, 1) for i in range(0, n, CHUNK)], 1)
        rec_b = torch.cat([model.G(fake_a[:, i:i + CHUNK]).clamp(-1, 1) for i in range(0, n, CHUNK)], 1)
    per_seed: dict[str, list[float]] = {}
    keep = [s for s in range(model.n_seeds) if torch.isfinite(fake_b[s]).all() and torch.isfinite(fake_a[s]).all()]
    for s in keep:
        fb, pb, _ = clf_b.embed(fake_b[s])
        fa, pa, _ = clf_a.embed(fake_a[s])
        m = {"cycle_l1_a": float((rec_a[s] - a).abs().mean() / 2), "cycle_l1_b": float((rec_b[s] - b).abs().mean() / 2),
             "label_ab": float((pb.numpy() == la).mean()), "label_ba": float((pa.numpy() == lb).mean()),
             "fd_b": fm.frechet_distance(fb.numpy(), fb_real), "fd_a": fm.frechet_distance(fa.numpy(), fa_real)}
        for k, v in m.items():
            per_seed.setdefault(k, []).append(v)
    # "Do nothing": the untranslated image in the other domain's classifier.
    fb0, pb0, _ = clf_b.embed(a)
    fa0, pa0, _ = clf_a.embed(b)
    info = {"translation": "unpaired", "n_samples": n, "n_real": n,
            "identity_label_ab": float((pb0.numpy() == la).mean()), "identity_label_ba": float((pa0.numpy() == lb).mean()),
            "identity_fd_b": fm.frechet_distance(fb0.numpy(), fb_real), "identity_fd_a": fm.frechet_distance(fa0.numpy(), fa_real),
            "classifier_accuracy_a": float((clf_a.predict(a).numpy() == la).mean()),
            "classifier_accuracy_b": float((clf_b.predict(b).numpy() == lb).mean())}
    return {"per_seed": per_seed, "keep": keep, "floor": floor, "info": info}


def translation_metrics(model, cfg, meta: dict, arrays: dict, classifier_dir: Path, ev) -> dict:
    from ganlab.classifier import load_classifier
    clf = load_classifier(classifier_dir)
    if meta.get("pairing") == "unpaired":
        if not (Path(classifier_dir) / "a" / "weights.pt").exists():
            raise io.MissingFileError(f"{classifier_dir}/a: domain A's classifier is missing; rerun `dvc repro classifier@{cfg.dataset}`")
        return unpaired_metrics(model, cfg, meta, arrays, clf, load_classifier(Path(classifier_dir) / "a"), ev)
    return paired_metrics(model, cfg, meta, arrays, clf, ev)


def _as_target(x: np.ndarray, shape: list[int]) -> np.ndarray:
    """Inputs (n, c, h, w) drawn at the target's size and channels (nearest upsampling, grey to RGB)."""
    c, h = shape[0], shape[1]
    if x.shape[-1] != h:
        x = x.repeat(h // x.shape[-1], -2).repeat(h // x.shape[-1], -1)
    return np.repeat(x, c, 1) if x.shape[1] == 1 and c > 1 else x


@torch.no_grad()
def triptychs(model, meta: dict, arrays: dict, n: int = 10) -> dict[str, np.ndarray]:
    """Figure grids (rows, n, C, H, W) in [-1, 1] for the first n test items, seed 0."""
    shape = list(meta["shape"])
    if meta.get("pairing") == "unpaired":
        a = datasets.to_model(torch.from_numpy(arrays["a_test"][:n]))[None]
        b = datasets.to_model(torch.from_numpy(arrays["test"][:n]))[None]
        a = a.expand(model.n_seeds, *a.shape[1:])
        b = b.expand(model.n_seeds, *b.shape[1:])
        fb, fa = model.G(a).clamp(-1, 1), model.F(b).clamp(-1, 1)
        return {"cycle_a": np.stack([a[0], fb[0], model.F(fb)[0].clamp(-1, 1)]),
                "cycle_b": np.stack([b[0], fa[0], model.G(fa)[0].clamp(-1, 1)])}
    x = datasets.to_model(torch.from_numpy(arrays["test_input"][:n]))
    out = model.generate(x.expand(model.n_seeds, *x.shape))[0].clamp(-1, 1).numpy()
    target = datasets.to_model(arrays["test"][:n])
    rows = [_as_target(x.numpy(), shape)]
    name = "triptych"
    if x.shape[-1] < shape[-1]:
        rows.append(bicubic(x, shape[-1]).numpy())
        name = "triptych_bicubic"
    return {name: np.stack(rows + [out, target])}
