"""Metrics on evaluation-classifier features and labels.

- frechet_distance: the Fréchet distance between Gaussians fitted to two feature
  sets, i.e. the FID formula of Heusel et al. 2017 ("GANs Trained by a Two
  Time-Scale Update Rule Converge to a Local Nash Equilibrium"), computed as in
  pytorch-fid.
- prdc: precision, recall, density and coverage of Naeem et al. 2020 ("Reliable
  Fidelity and Diversity Metrics for Generative Models"), matching the reference
  code clovaai/generative-evaluation-prdc, with distances computed in chunks.
- label_histogram / label_kl / classes_covered: image mode coverage from the
  labels the evaluation classifier assigns.
- stacked_modes: Stacked-MNIST modes (label triples) and KL to uniform over the
  1,000 triples, as in VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018).
- best_mapping_accuracy / factor_correlation: how well InfoGAN codes (Chen et
  al. 2016) line up with classes or known factors.

Everything is numpy/scipy and returns plain Python numbers, lists and dicts.
"""

import warnings

import numpy as np
from scipy import linalg, optimize
from scipy.spatial.distance import cdist

from . import as_numpy

CHUNK_ELEMENTS = 2**23  # distance-matrix entries held at once in prdc (64 MiB of float64)


def _features(x, name, min_rows=1):
    """Feature set -> finite float64 array (n, d); (n,) is read as n scalar features."""
    x = np.asarray(as_numpy(x), dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < min_rows or x.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n, d) with n >= {min_rows} and d >= 1, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite (no nan/inf)")
    return x


def _labels(labels, n_classes, name="labels"):
    """Integer class labels -> int64 array (n,) with values in [0, n_classes)."""
    y = np.asarray(as_numpy(labels))
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {y.shape}")
    if not (np.issubdtype(y.dtype, np.integer) or (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)))):
        raise ValueError(f"{name} must hold integer class indices, got dtype {y.dtype}")
    if int(n_classes) < 1:
        raise ValueError(f"n_classes must be >= 1, got {n_classes}")
    y = y.astype(np.int64)
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(
            f"{name} out of range: values must be in [0, {n_classes - 1}], got min {y.min()} and max {y.max()}"
        )
    return y


def _kl(p, q):
    """KL(p || q) in nats for histograms p, q; terms with p = 0 contribute 0."""
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))


# --- Fréchet distance -------------------------------------------------------------------


def _sqrtm(a):
    # disp=False: return the error estimate instead of printing; newer scipy deprecates
    # the argument (and may then return the root alone)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        out = linalg.sqrtm(a, disp=False)
    return out[0] if isinstance(out, tuple) else out


def frechet_from_stats(mu1, s1, mu2, s2, eps=1e-6):
    """||mu1 - mu2||^2 + Tr(s1 + s2 - 2 (s1 s2)^(1/2)) for means (d,) and covariances (d, d).

    As in pytorch-fid: if the matrix square root is not finite (s1 s2 singular), it is
    retried with eps added to both diagonals; a small imaginary part left by sqrtm is
    dropped, and ValueError is raised if the diagonal's is not within 1e-3 of zero.
    """
    mu1 = np.atleast_1d(np.asarray(as_numpy(mu1), dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(as_numpy(mu2), dtype=np.float64))
    s1 = np.atleast_2d(np.asarray(as_numpy(s1), dtype=np.float64))
    s2 = np.atleast_2d(np.asarray(as_numpy(s2), dtype=np.float64))
    d = mu1.shape[0]
    if mu1.ndim != 1 or mu2.shape != mu1.shape:
        raise ValueError(f"mu1 and mu2 must be vectors of one length, got {mu1.shape} and {mu2.shape}")
    if s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(f"s1 and s2 must have shape ({d}, {d}), got {s1.shape} and {s2.shape}")
    if not all(np.all(np.isfinite(a)) for a in (mu1, mu2, s1, s2)):
        raise ValueError("means and covariances must be finite (no nan/inf)")

    covmean = _sqrtm(s1 @ s2)
    if not np.all(np.isfinite(covmean)):
        offset = eps * np.eye(d)
        covmean = _sqrtm((s1 + offset) @ (s2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"sqrtm left a large imaginary component ({np.abs(covmean.imag).max():.3g})")
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def frechet_distance(x, y):
    """Fréchet distance between Gaussians fitted to features x (N, d) and y (M, d).

    Means and covariances (np.cov, ddof=1) are taken in float64. On classifier
    features this is FID with that classifier in place of Inception. It is biased
    upwards at small sample sizes, so compare values only at equal N and M.
    """
    x, y = _features(x, "x", min_rows=2), _features(y, "y", min_rows=2)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension, got d={x.shape[1]} and d={y.shape[1]}")
    return frechet_from_stats(x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False))


# --- precision, recall, density, coverage ----------------------------------------------


def _kth_neighbour_radii(x, k):
    """Distance from each row of x to its k-th nearest other row (self, at 0, excluded).

    As in the reference code: the (k + 1)-th smallest entry of the row of the distance
    matrix, which counts the point itself.
    """
    radii = np.empty(len(x))
    step = max(1, CHUNK_ELEMENTS // len(x))
    for i in range(0, len(x), step):
        radii[i : i + step] = np.partition(cdist(x[i : i + step], x), k, axis=1)[:, k]
    return radii


def prdc(real, fake, k=5):
    """Precision, recall, density and coverage of fake (M, d) against real (N, d).

    With r_i the distance from real point i to its k-th nearest real neighbour and s_j
    the same within the fake set (Naeem et al. 2020, all comparisons strict):
    - precision: fraction of fake j within r_i of some real i;
    - recall: fraction of real i within s_j of some fake j;
    - density: (1 / k) * mean over fake j of the number of real i with d(i, j) < r_i;
    - coverage: fraction of real i whose nearest fake point is within r_i.
    Density can exceed 1; for two samples of one distribution E[density] = 1 and
    E[coverage] = 1 - prod_{i=1..k} (N - i) / (N + M - i), about 1 - 2^-k for N = M.
    Euclidean distances are computed exactly (cdist) a chunk of real rows at a time.
    """
    real, fake = _features(real, "real"), _features(fake, "fake")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake must have the same dimension, got d={real.shape[1]} and d={fake.shape[1]}")
    if int(k) != k or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k}")
    k = int(k)
    for name, x in (("real", real), ("fake", fake)):
        if len(x) <= k:
            raise ValueError(f"{name} has {len(x)} points; k-nearest-neighbour radii need more than k={k}")

    r_real = _kth_neighbour_radii(real, k)
    r_fake = _kth_neighbour_radii(fake, k)
    inside = np.zeros(len(fake), dtype=np.int64)  # per fake j: number of real balls containing it
    recalled = np.zeros(len(real), dtype=bool)
    covered = np.zeros(len(real), dtype=bool)
    step = max(1, CHUNK_ELEMENTS // len(fake))
    for i in range(0, len(real), step):
        dist = cdist(real[i : i + step], fake)  # (chunk of real, M)
        r = r_real[i : i + step, None]
        inside += (dist < r).sum(0)
        recalled[i : i + step] = (dist < r_fake[None]).any(1)
        covered[i : i + step] = dist.min(1) < r[:, 0]

    return {
        "precision": float((inside > 0).mean()),
        "recall": float(recalled.mean()),
        "density": float(inside.mean() / k),
        "coverage": float(covered.mean()),
    }


# --- labels from the evaluation classifier ----------------------------------------------


def label_histogram(labels, n_classes):
    """Fraction of labels in each class 0..n_classes-1, as a list of floats."""
    y = _labels(labels, n_classes)
    return (np.bincount(y, minlength=n_classes) / len(y)).tolist()


def label_kl(gen_labels, real_labels, n_classes, floor=1e-10):
    """KL(generated label histogram || real label histogram) in nats.

    Classes absent from the generated labels contribute 0 (0 log 0 = 0). A class that
    is generated but has no real labels would make the KL infinite; its real
    probability is replaced by `floor` (not renormalised), so such a class of
    generated mass p adds p * log(p / floor), about 23 p nats at the default, and the
    result stays finite.
    """
    p = np.asarray(label_histogram(gen_labels, n_classes))
    q = np.asarray(label_histogram(real_labels, n_classes))
    return _kl(p, np.maximum(q, floor))


def classes_covered(labels, n_classes, min_count=1):
    """Number of classes that receive at least min_count of the labels."""
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    counts = np.bincount(_labels(labels, n_classes), minlength=n_classes)
    return int(np.count_nonzero(counts >= min_count))


def stacked_modes(labels):
    """Stacked-MNIST mode statistics for per-channel digit labels of shape (N, 3), values 0..9.

    Each triple is one of 1,000 modes. Returns {"modes": number of distinct triples,
    "kl_uniform": KL(triple histogram || uniform over 1,000) = log 1000 - entropy}.
    """
    y = np.asarray(as_numpy(labels))
    if y.ndim != 2 or y.shape[1] != 3:
        raise ValueError(f"labels must have shape (N, 3), one digit per channel, got {y.shape}")
    digits = _labels(y.reshape(-1), 10).reshape(-1, 3)
    p = np.bincount(digits @ np.array([100, 10, 1]), minlength=1000) / len(digits)
    return {
        "modes": int(np.count_nonzero(p)),
        "kl_uniform": _kl(p, np.full(1000, 1e-3)),
    }


# --- InfoGAN codes ------------------------------------------------------------------------


def best_mapping_accuracy(codes, labels, n_codes, n_classes):
    """Accuracy of the best one-to-one map from categorical codes to classes.

    The map maximises the matched entries of the confusion matrix (Hungarian
    assignment, scipy.optimize.linear_sum_assignment). Returns {"accuracy": ...,
    "mapping": list with mapping[code] = class}. If there are more codes than
    classes, the unmatched codes map to -1 and their samples count as wrong.
    """
    c = _labels(codes, n_codes, "codes")
    y = _labels(labels, n_classes, "labels")
    if len(c) != len(y):
        raise ValueError(f"codes and labels must have the same length, got {len(c)} and {len(y)}")
    confusion = np.zeros((n_codes, n_classes), dtype=np.int64)
    np.add.at(confusion, (c, y), 1)
    rows, cols = optimize.linear_sum_assignment(confusion, maximize=True)
    mapping = [-1] * n_codes
    for r, col in zip(rows, cols):
        mapping[int(r)] = int(col)
    return {"accuracy": float(confusion[rows, cols].sum() / len(c)), "mapping": mapping}


def factor_correlation(codes, factors):
    """Pearson correlation of each continuous code (N, a) with each factor (N, b).

    Returns an (a, b) nested list. A column that is exactly constant has no defined
    correlation; it is reported as 0 for every pair it is in (no nan).
    """
    x = _features(codes, "codes", min_rows=2)
    f = _features(factors, "factors", min_rows=2)
    if len(x) != len(f):
        raise ValueError(f"codes and factors must have the same number of rows, got {len(x)} and {len(f)}")

    def centred(a):
        a = a - a.mean(0)
        a[:, np.ptp(a, axis=0) == 0] = 0.0  # constant columns: exact zeros, not rounding noise
        return a, np.sqrt((a * a).sum(0))

    x, nx = centred(x)
    f, nf = centred(f)
    denom = np.outer(nx, nf)
    corr = np.divide(x.T @ f, denom, out=np.zeros_like(denom), where=denom > 0)
    return np.clip(corr, -1.0, 1.0).tolist()
