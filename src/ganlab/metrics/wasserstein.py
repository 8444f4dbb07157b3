"""Wasserstein-1 distance four ways, so each can be cross-checked against the others.

- lp_distance / histogram_distance: the course's discrete linear program
  (Kantorovich formulation: transport plan P >= 0 with marginals p and q,
  minimise sum P * cost), solved by HiGHS through scipy.optimize.linprog.
- emd: exact W1 between two equal-weight point clouds with POT's network simplex.
- sliced: sliced W1 (Bonneel et al. 2015), 1-D W1 by scipy along random directions.
- w1_1d: the 1-D closed form, area between the two empirical CDFs (scipy).

All use the Euclidean ground cost and return Python floats. POT is imported
inside the functions that need it because `import ot` takes about 2 s.
"""

import warnings

import numpy as np
from scipy import optimize, sparse, stats
from scipy.spatial.distance import cdist

from . import as_numpy


def _weights(w, name):
    w = np.asarray(as_numpy(w), dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of weights, got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} must be finite (no nan/inf)")
    if np.any(w < 0):
        raise ValueError(f"{name} has a negative weight; weights must be non-negative")
    total = w.sum()
    if total <= 0:
        raise ValueError(f"{name} has zero sum; weights need a positive sum (they are normalised to 1)")
    return w / total


def _points(x, name, dims=None):
    """Samples -> float64 array of shape (n, d); (n,) is read as n points on a line."""
    x = np.asarray(as_numpy(x), dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n,) or (n, d) with n >= 1, got {x.shape}")
    if dims is not None and x.shape[1] not in dims:
        raise ValueError(f"{name} has dimension d={x.shape[1]}; allowed: {sorted(dims)}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite (no nan/inf)")
    return x


def _pair(x, y, dims=None):
    x, y = _points(x, "x", dims), _points(y, "y", dims)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension, got d={x.shape[1]} and d={y.shape[1]}")
    return x, y


def lp_distance(p, q, cost):
    """min_P sum(P * cost) s.t. P >= 0, P 1 = p, P^T 1 = q (p, q normalised to sum 1)."""
    p, q = _weights(p, "p"), _weights(q, "q")
    cost = np.asarray(as_numpy(cost), dtype=np.float64)
    n, m = len(p), len(q)
    if cost.shape != (n, m):
        raise ValueError(f"cost must have shape (len(p), len(q)) = {(n, m)}, got {cost.shape}")
    if not np.all(np.isfinite(cost)):
        raise ValueError("cost must be finite (no nan/inf)")

    # P is flattened row-major: variable i*m + j is P[i, j].
    rows = sparse.kron(sparse.eye(n), np.ones((1, m)))  # sum_j P[i, j] = p[i]
    cols = sparse.kron(np.ones((1, n)), sparse.eye(m))  # sum_i P[i, j] = q[j]
    # The n + m constraints have rank n + m - 1 (both sides sum to 1). Drop the last
    # column constraint: it is implied by the rest, and keeping it would turn the
    # tiny float mismatch between sum(p) and sum(q) into a (near-)infeasibility.
    A_eq = sparse.vstack([rows, cols.tocsr()[:-1]]).tocsr()
    b_eq = np.concatenate([p, q[:-1]])
    res = optimize.linprog(cost.ravel(), A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if not res.success:
        raise RuntimeError(f"linprog did not solve the transport LP: {res.message}")
    return float(res.fun)


def histogram_distance(x, y, bins=16, range=None):  # `range` mirrors np.histogramdd
    """W1 between samples x and y after binning both on one regular grid.

    x, y: shape (n,) or (n, d) with d in {1, 2}. range: (lo, hi) for d = 1 or a list
    of d (lo, hi) pairs as in np.histogramdd; by default the joint min/max of both
    samples, padded slightly. Each non-empty bin becomes a point mass at its centre
    and the masses are matched by lp_distance.

    This is a binned approximation: moving every sample to its bin centre moves it by
    at most half a bin diagonal, on each side, so the error is at most about one bin
    diagonal.
    """
    x, y = _pair(x, y, dims={1, 2})
    d = x.shape[1]
    both = np.vstack([x, y])
    if range is None:
        lo, hi = both.min(0), both.max(0)
        pad = np.where(hi > lo, 1e-3 * (hi - lo), 0.5)  # 0.5 keeps a degenerate axis non-empty
        range = list(zip(lo - pad, hi + pad))
    else:
        range = np.asarray(range, dtype=np.float64).reshape(-1, 2)
        if range.shape[0] != d or np.any(range[:, 1] <= range[:, 0]):
            raise ValueError(f"range must be {d} (lo, hi) pair(s) with lo < hi, got {range.tolist()}")
        # np.histogramdd silently drops samples outside range, which would change the distributions
        if np.any(both < range[:, 0]) or np.any(both > range[:, 1]):
            raise ValueError("some samples lie outside range; range must cover both samples")
        range = [tuple(r) for r in range]

    hx, edges = np.histogramdd(x, bins=bins, range=range)
    hy, _ = np.histogramdd(y, bins=edges)
    mids = [(e[:-1] + e[1:]) / 2 for e in edges]
    centres = np.stack(np.meshgrid(*mids, indexing="ij"), -1).reshape(-1, d)  # same order as h.ravel()
    hx, hy = hx.ravel(), hy.ravel()
    kx, ky = hx > 0, hy > 0
    return lp_distance(hx[kx], hy[ky], cdist(centres[kx], centres[ky]))


def emd(x, y, num_itermax=10_000_000):
    """Exact W1 (Euclidean ground cost) between equal-weight samples x (n, d) and y (m, d)."""
    import ot

    x, y = _pair(x, y)
    a = np.full(len(x), 1.0 / len(x))
    b = np.full(len(y), 1.0 / len(y))
    # scipy's cdist computes |x - y| directly; ot.dist's euclidean uses the expanded
    # |x|^2 + |y|^2 - 2<x, y>, which loses digits for nearby points.
    M = cdist(x, y)
    # POT's default numItermax=100_000 stops before optimality at about 5,000 points
    # per side (it then only warns and returns a sub-optimal cost), hence the higher cap.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # we check result_code ourselves below
        cost, log = ot.emd2(a, b, M, numItermax=int(num_itermax), log=True)
    if log["result_code"] != 1:  # 1 = optimal; 0 infeasible, 2 unbounded, 3 numItermax reached
        raise RuntimeError(f"ot.emd2 did not reach optimality: {log['warning']}")
    return float(cost)


def sliced(x, y, n_projections=256, seed=0):
    """Sliced W1: mean over random unit directions of the 1-D W1 of the projections.

    Sliced W1 <= W1 since projections are 1-Lipschitz. For 1-D input every direction
    is +-1, so it equals w1_1d exactly. The directions are drawn as POT's
    `ot.sliced_wasserstein_distance` draws them (normal, normalised, from a RandomState),
    and each 1-D W1 is scipy's, so the value equals POT's (tests/test_metrics.py) without
    importing POT, which costs about 1 s per evaluate stage.
    """
    x, y = _pair(x, y)
    theta = np.random.RandomState(seed).randn(x.shape[1], n_projections)
    theta /= np.linalg.norm(theta, axis=0, keepdims=True)
    px, py = x @ theta, y @ theta
    return float(np.mean([stats.wasserstein_distance(px[:, j], py[:, j]) for j in range(n_projections)]))


def w1_1d(x, y):
    """Closed-form W1 in 1-D: the area between the two empirical CDFs."""
    x, y = _pair(x, y, dims={1})
    return float(stats.wasserstein_distance(x[:, 0], y[:, 0]))
