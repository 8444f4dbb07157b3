"""Tests for ganlab.metrics.features: Fréchet distance against closed forms, PRDC against a
brute-force version of the paper's definitions and its expected values, and the label,
Stacked-MNIST and InfoGAN metrics against hand-computed cases."""

import itertools
import math
from collections import Counter

import numpy as np
import pytest

from ganlab.metrics import features
from ganlab.metrics.features import (
    best_mapping_accuracy,
    classes_covered,
    factor_correlation,
    frechet_distance,
    frechet_from_stats,
    label_histogram,
    label_kl,
    prdc,
    stacked_modes,
)


def spd(d, seed):
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T + 0.5 * np.eye(d)


# --- Fréchet distance -----------------------------------------------------------------------


def test_frechet_self_is_zero():
    x = np.random.default_rng(0).normal(size=(500, 6)) @ np.linalg.cholesky(spd(6, 1)).T
    assert abs(frechet_distance(x, x)) < 1e-6 * np.trace(np.cov(x, rowvar=False))


def test_frechet_same_covariance_is_mean_gap():
    s = spd(5, 2)
    mu = np.random.default_rng(3).normal(size=5)
    m = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    assert frechet_from_stats(mu, s, mu + m, s) == pytest.approx(m @ m, rel=1e-9)


def test_frechet_large_samples():
    d, n = 4, 20_000
    chol = np.linalg.cholesky(spd(d, 4))
    m = np.array([1.0, -2.0, 0.5, 0.0])
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, d)) @ chol.T
    y = rng.normal(size=(n, d)) @ chol.T + m
    # the error is dominated by the sample means: 2 m.(mean error) has sd 0.08 here, and
    # over 40 seeds the largest error was 0.15
    assert frechet_distance(x, y) == pytest.approx(m @ m, abs=0.3)


def test_frechet_diagonal_closed_form():
    a, b = np.array([1.0, 4.0, 0.25, 9.0]), np.array([2.0, 1.0, 0.25, 16.0])
    mu1, mu2 = np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 1.0, 0.0, 3.0])
    want = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_from_stats(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(want, rel=1e-12)


def test_frechet_matches_symmetric_form():
    # Tr (s1 s2)^(1/2) = Tr (s1^(1/2) s2 s1^(1/2))^(1/2); the right side needs only eigh
    def psd_sqrt(s):
        w, v = np.linalg.eigh(s)
        return (v * np.sqrt(np.clip(w, 0, None))) @ v.T

    s1, s2 = spd(6, 6), spd(6, 7)
    r = psd_sqrt(s1)
    want = np.trace(s1) + np.trace(s2) - 2 * np.trace(psd_sqrt(r @ s2 @ r))
    assert frechet_from_stats(np.zeros(6), s1, np.zeros(6), s2) == pytest.approx(want, rel=1e-9)
    # 1-D: (mu1 - mu2)^2 + (sigma1 - sigma2)^2
    assert frechet_from_stats(1.0, 4.0, -1.0, 9.0) == pytest.approx(4.0 + 1.0, rel=1e-12)


def test_frechet_retries_with_eps(monkeypatch):
    real_sqrtm, calls = features._sqrtm, []

    def flaky(a):
        calls.append(a)
        return np.full_like(a, np.nan) if len(calls) == 1 else real_sqrtm(a)

    monkeypatch.setattr(features, "_sqrtm", flaky)
    s1, s2 = spd(3, 8), spd(3, 9)
    got = frechet_from_stats(np.zeros(3), s1, np.ones(3), s2)
    monkeypatch.undo()
    assert len(calls) == 2
    assert np.allclose(calls[1], (s1 + 1e-6 * np.eye(3)) @ (s2 + 1e-6 * np.eye(3)))
    assert got == pytest.approx(frechet_from_stats(np.zeros(3), s1, np.ones(3), s2), abs=1e-5)


def test_frechet_rejects_bad_input():
    with pytest.raises(ValueError, match="imaginary"):
        frechet_from_stats(np.zeros(2), np.eye(2), np.zeros(2), -np.eye(2))  # not a covariance
    with pytest.raises(ValueError, match="dimension"):
        frechet_distance(np.zeros((10, 3)), np.zeros((10, 4)))
    with pytest.raises(ValueError, match="n >= 2"):
        frechet_distance(np.zeros((1, 3)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="shape"):
        frechet_from_stats(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2))


# --- PRDC -------------------------------------------------------------------------------------


def brute_prdc(real, fake, k):
    """Naeem et al. 2020, eqs. for P, R, D, C with open balls B(x, NND_k(x))."""

    def nnd(points):
        return [
            sorted(np.linalg.norm(p - q) for j, q in enumerate(points) if j != i)[k - 1] for i, p in enumerate(points)
        ]

    r_real, r_fake = nnd(real), nnd(fake)
    inside = [[np.linalg.norm(x - y) < r for x, r in zip(real, r_real)] for y in fake]  # [fake][real]
    return {
        "precision": np.mean([any(row) for row in inside]),
        "recall": np.mean([any(np.linalg.norm(x - y) < s for y, s in zip(fake, r_fake)) for x in real]),
        "density": np.mean([sum(row) for row in inside]) / k,
        "coverage": np.mean([any(row[i] for row in inside) for i in range(len(real))]),
    }


@pytest.mark.parametrize("n, m, d, k, seed", [(30, 40, 3, 5, 0), (25, 12, 2, 1, 1), (40, 35, 5, 3, 2)])
def test_prdc_matches_brute_force(n, m, d, k, seed):
    rng = np.random.default_rng(seed)
    real, fake = rng.normal(size=(n, d)), rng.normal(0.3, 1.2, size=(m, d))
    got, want = prdc(real, fake, k=k), brute_prdc(real, fake, k)
    assert set(got) == {"precision", "recall", "density", "coverage"}
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-9), key
    assert 0 < got["precision"] < 1 and 0 < got["coverage"] < 1  # the case is not trivial


def test_prdc_balls_are_open():
    # points 0..9 against 1..10 on a line, k = 1: every radius is exactly 1, so only the
    # coinciding points count (d = 0 < 1) and the end points at distance 1 do not
    real = np.arange(10.0)[:, None]
    res = prdc(real, real + 1, k=1)
    assert res == {"precision": 0.9, "recall": 0.9, "density": 0.9, "coverage": 0.9}
    assert res == pytest.approx(brute_prdc(real, real + 1, 1), abs=1e-12)


def test_prdc_chunking_gives_same_answer(monkeypatch):
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(300, 4)), rng.normal(0.2, 1.0, size=(250, 4))
    whole = prdc(real, fake)
    monkeypatch.setattr(features, "CHUNK_ELEMENTS", 1000)  # chunks of 3-4 rows
    assert prdc(real, fake) == whole


def test_prdc_self():
    x = np.random.default_rng(4).normal(size=(200, 4))
    res = prdc(x, x)
    assert res["precision"] == res["recall"] == res["coverage"] == 1.0


def test_prdc_same_distribution():
    n, k = 2000, 5
    rng = np.random.default_rng(5)
    res = prdc(rng.normal(size=(n, 8)), rng.normal(size=(n, 8)), k=k)
    # Naeem et al. Lemmas 1-2: E[density] = 1, E[coverage] = 1 - prod_i (N - i) / (N + M - i)
    want = 1 - np.prod([(n - i) / (2 * n - i) for i in range(1, k + 1)])
    assert want == pytest.approx(1 - 0.5**k, abs=1e-3)
    # over 8 seeds: density 0.98-1.05, coverage within 0.004 of want
    assert res["density"] == pytest.approx(1.0, abs=0.1)
    assert res["coverage"] == pytest.approx(want, abs=0.015)


def test_prdc_far_away():
    x = np.random.default_rng(6).normal(size=(300, 4))
    res = prdc(x, x[:200] + 100.0)
    assert res == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_prdc_mode_collapse():
    rng = np.random.default_rng(7)
    centres = 20 * np.eye(10)  # 10 well separated modes in 10-D
    real = centres[rng.integers(0, 10, 2000)] + rng.normal(size=(2000, 10))
    fake = centres[3] + rng.normal(size=(500, 10))  # every sample on one mode
    res = prdc(real, fake)
    # over 10 seeds: precision 0.89-0.96, recall and coverage 0.08-0.11 (one mode in ten)
    assert res["precision"] > 0.8
    assert res["recall"] < 0.15 and res["coverage"] < 0.15


@pytest.mark.parametrize(
    "real, fake, k, match",
    [
        (np.zeros((10, 2)), np.zeros((10, 2)), 0, "k must be"),
        (np.zeros((10, 2)), np.zeros((10, 2)), 2.5, "k must be"),
        (np.zeros((5, 2)), np.zeros((10, 2)), 5, "real has 5 points"),
        (np.zeros((10, 2)), np.zeros((3, 2)), 5, "fake has 3 points"),
        (np.zeros((10, 2)), np.zeros((10, 3)), 2, "dimension"),
        (np.full((10, 2), np.nan), np.zeros((10, 2)), 2, "finite"),
    ],
)
def test_prdc_rejects_bad_input(real, fake, k, match):
    with pytest.raises(ValueError, match=match):
        prdc(real, fake, k=k)


# --- labels -------------------------------------------------------------------------------------


def test_label_histogram_and_classes_covered():
    y = [0, 0, 2, 2, 2, 4]
    assert label_histogram(y, 5) == pytest.approx([2 / 6, 0, 3 / 6, 0, 1 / 6])
    assert classes_covered(y, 5) == 3
    assert classes_covered(y, 5, min_count=2) == 2
    assert classes_covered(np.array(y, dtype=float), 5) == 3  # integer-valued floats are fine


def test_label_kl():
    rng = np.random.default_rng(8)
    y = rng.integers(0, 10, 500)
    assert label_kl(y, rng.permutation(y), 10) == 0.0
    # p = (3/4, 1/4, 0), q = (1/4, 1/4, 1/2): the absent class 2 contributes nothing
    assert label_kl([0, 0, 0, 1], [0, 1, 2, 2], 3) == pytest.approx(0.75 * math.log(3), abs=1e-12)
    # class 1 is generated but never real: q is floored at 1e-10, so the KL is large but finite
    want = 0.5 * math.log(0.5) + 0.5 * math.log(0.5 / 1e-10)
    assert label_kl([0, 1], [0, 0], 2) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: label_kl([0, 3], [0, 1], 3), "out of range"),
        (lambda: label_kl([0, 1], [-1, 1], 3), "out of range"),
        (lambda: label_histogram([[0, 1]], 3), "1-D"),
        (lambda: label_histogram([], 3), "non-empty"),
        (lambda: label_histogram([0.5, 1], 3), "integer"),
        (lambda: classes_covered([0, 1], 3, min_count=0), "min_count"),
    ],
)
def test_labels_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_stacked_modes():
    y = np.array([[1, 2, 3], [1, 2, 3], [3, 2, 1], [0, 0, 0]])
    res = stacked_modes(y)
    entropy = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))
    assert res == {"modes": 3, "kl_uniform": pytest.approx(math.log(1000) - entropy, abs=1e-12)}
    every = np.array(list(itertools.product(range(10), repeat=3)))
    assert stacked_modes(every) == {"modes": 1000, "kl_uniform": pytest.approx(0.0, abs=1e-12)}


def test_stacked_modes_random():
    y = np.random.default_rng(9).integers(0, 10, size=(3000, 3)) // np.array([1, 2, 1])  # 500 modes
    counts = Counter(map(tuple, y))
    p = np.array(list(counts.values())) / len(y)
    res = stacked_modes(y)
    assert res["modes"] == len(counts) <= 500
    assert res["kl_uniform"] == pytest.approx(math.log(1000) + np.sum(p * np.log(p)), abs=1e-12)


@pytest.mark.parametrize(
    "y, match",
    [
        (np.zeros((10, 2), dtype=int), "shape"),
        (np.zeros(10, dtype=int), "shape"),
        (np.array([[0, 0, 10]]), "out of range"),
        (np.array([[0, -1, 0]]), "out of range"),
    ],
)
def test_stacked_modes_rejects_bad_input(y, match):
    with pytest.raises(ValueError, match=match):
        stacked_modes(y)


# --- InfoGAN codes -----------------------------------------------------------------------------


def test_best_mapping_recovers_permutation():
    rng = np.random.default_rng(10)
    perm = rng.permutation(10)
    codes = rng.integers(0, 10, 1000)
    res = best_mapping_accuracy(codes, perm[codes], 10, 10)
    assert res == {"accuracy": 1.0, "mapping": perm.tolist()}


def test_best_mapping_is_one_to_one():
    # confusion rows: code 0 -> [3, 0], code 1 -> [2, 1]. Mapping each code to its most
    # frequent class would send both to class 0 (5/6); one-to-one the best is 0->0, 1->1 (4/6).
    codes = [0, 0, 0, 1, 1, 1]
    labels = [0, 0, 0, 0, 0, 1]
    assert best_mapping_accuracy(codes, labels, 2, 2) == {"accuracy": pytest.approx(4 / 6), "mapping": [0, 1]}
    # three codes, two classes, confusion rows [0, 3], [2, 0], [1, 1]: 0->1, 1->0 (5 right) beats
    # 0->1, 2->0 (4) and 1->0, 2->1 (3); code 2 is unmatched and its samples count as wrong
    res = best_mapping_accuracy([0, 0, 0, 1, 1, 2, 2], [1, 1, 1, 0, 0, 0, 1], 3, 2)
    assert res == {"accuracy": pytest.approx(5 / 7), "mapping": [1, 0, -1]}


def test_best_mapping_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        best_mapping_accuracy([0, 1], [0], 2, 2)
    with pytest.raises(ValueError, match="codes out of range"):
        best_mapping_accuracy([0, 2], [0, 1], 2, 2)


def test_factor_correlation():
    rng = np.random.default_rng(11)
    z = rng.normal(size=(400, 3))
    factors = np.stack([2 * z[:, 0] + 1, -z[:, 1], np.full(400, 0.1), rng.normal(size=400)], 1)
    c = np.array(factor_correlation(z, factors))
    assert c.shape == (3, 4)
    assert c[0, 0] == pytest.approx(1.0, abs=1e-12) and c[1, 1] == pytest.approx(-1.0, abs=1e-12)
    assert np.all(c[:, 2] == 0.0)  # constant factor: 0, not nan
    want = np.corrcoef(z.T, factors[:, [0, 1, 3]].T)[:3, 3:]
    assert np.allclose(c[:, [0, 1, 3]], want, atol=1e-12)
    assert factor_correlation(np.zeros((5, 1)), np.arange(5.0)) == [[0.0]]
    with pytest.raises(ValueError, match="same number of rows"):
        factor_correlation(z, factors[:10])


# --- tensors ---------------------------------------------------------------------------------


def test_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(0), requires_grad=True)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)
    assert prdc(x, x)["coverage"] == 1.0
    assert label_kl(torch.tensor([0, 1]), torch.tensor([1, 0]), 2) == 0.0
