"""Mode coverage for Gaussian-mixture targets (ring of 8, grid of 25, ...).

Follows the VEEGAN (Srivastava et al. 2017) / PacGAN (Lin et al. 2018) conventions:
- a generated sample is "high quality" if it lies within n_sigma * std (3 by
  default) of its nearest mode centre;
- a mode is "captured" if at least one high-quality sample has it as nearest centre;
- reverse KL = KL(generated mode histogram || target mode weights), where the
  histogram counts the high-quality samples' nearest modes.
"""

import numpy as np
from scipy.spatial.distance import cdist

from . import as_numpy

MIN_SPREAD_COUNT = 5  # high-quality samples a mode needs before its spread is measured


def perfect_high_quality_frac(dim: int, n_sigma: float = 3.0) -> float:
    """The high-quality fraction of a perfect generator (the mixture itself, isotropic components):
    the chance that a d-dimensional standard normal lies within n_sigma of its mean, the chi-square
    CDF with d degrees of freedom at n_sigma^2 (0.9889 in 2-D at 3 standard deviations, 0.9973 in
    1-D). Samples assigned to a neighbouring mode's centre count too, so on well-separated modes
    this is the expected value of high_quality_frac for real samples."""
    from scipy import stats

    return float(stats.chi2.cdf(n_sigma**2, dim))


def mode_coverage(samples, centres, std, n_sigma=3.0, weights=None):
    """Mode-coverage statistics of `samples` (n, d) against mixture `centres` (K, d).

    std: the component standard deviation, a scalar or one per mode (K,).
    weights: mixture weights (K,), normalised inside; reverse KL compares against
    them, or against uniform over the K modes when None. Pass them for non-uniform
    (user) mixtures, otherwise a perfect generator would be scored as mode-skewed.

    Returns a dict: modes_captured, n_modes, high_quality_frac, reverse_kl,
    n_samples, mode_histogram (high-quality samples per mode), within_mode_spread (how
    spread the high-quality samples are around their mode's mean, in units of its std: the
    data's own is about 0.97 in 2-D with the 3-std cut; a generator that ignores its latent
    and maps many latents to a few points, mode collapse, gives values near 0; nan if no mode
    has MIN_SPREAD_COUNT high-quality samples). Empty histogram
    bins contribute 0 to the KL. If no sample is high quality the histogram is
    undefined, so reverse_kl is float('nan') (not log K, which would be the score
    of a generator collapsed onto one mode).
    """
    x = np.asarray(as_numpy(samples), dtype=np.float64)
    c = np.asarray(as_numpy(centres), dtype=np.float64)
    if c.ndim == 1:  # K modes on a line
        c = c[:, None]
    if x.ndim == 1 and c.shape[1] == 1:
        x = x[:, None]
    if c.ndim != 2 or c.shape[0] == 0:
        raise ValueError(f"centres must have shape (K, d) with K >= 1, got {c.shape}")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"samples must have shape (n, d) with n >= 1, got {x.shape}")
    if x.shape[1] != c.shape[1]:
        raise ValueError(f"samples have d={x.shape[1]} but centres have d={c.shape[1]}; they must match")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(c))):
        raise ValueError("samples and centres must be finite (no nan/inf)")
    k = c.shape[0]
    s = np.asarray(as_numpy(std), dtype=np.float64)
    if s.shape not in ((), (k,)) or not np.all(np.isfinite(s)) or not np.all(s > 0):
        raise ValueError(f"std must be a positive scalar or an array of K={k} positive values, got shape {s.shape}")
    s = np.broadcast_to(s, (k,))
    if not n_sigma > 0:
        raise ValueError(f"n_sigma must be positive, got {n_sigma}")
    if weights is None:
        w = np.full(k, 1.0 / k)
    else:
        w = np.asarray(as_numpy(weights), dtype=np.float64)
        if w.shape != (k,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"weights must be {k} finite non-negative values with a positive sum")
        w = w / w.sum()

    dist = cdist(x, c)  # (n, K); K is small so this is cheap
    nearest = dist.argmin(1)
    good = dist[np.arange(len(x)), nearest] < n_sigma * s[nearest]
    hist = np.bincount(nearest[good], minlength=k)

    if good.any():
        h = hist / hist.sum()
        nz = h > 0  # 0 log 0 = 0
        with np.errstate(divide="ignore"):  # h > 0 where w = 0 gives +inf, which is correct
            reverse_kl = float(np.sum(h[nz] * np.log(h[nz] / w[nz])))
    else:
        reverse_kl = float("nan")

    # spread within modes: per mode with MIN_SPREAD_COUNT or more high-quality samples, the RMS
    # per-dimension deviation of those samples from their own mean, in units of the mode's std;
    # averaged over those modes weighted by their counts
    spreads, counts = [], []
    for j in np.flatnonzero(hist >= MIN_SPREAD_COUNT):
        pts = x[good & (nearest == j)]
        spreads.append(np.sqrt(((pts - pts.mean(0)) ** 2).sum(1).mean() / x.shape[1]) / s[j])
        counts.append(len(pts))
    spread = float(np.average(spreads, weights=counts)) if spreads else float("nan")

    return {
        "modes_captured": int(np.count_nonzero(hist)),
        "within_mode_spread": spread,
        "n_modes": int(k),
        "high_quality_frac": float(good.mean()),
        "reverse_kl": reverse_kl,
        "n_samples": int(len(x)),
        "mode_histogram": [int(v) for v in hist],
    }
