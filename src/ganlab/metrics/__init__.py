"""The mathematics of sample-quality metrics: Wasserstein distances (wasserstein.py), mode
coverage (coverage.py), feature-space metrics (features.py), and when samples cannot be scored.

Plain functions of arrays, tested against closed forms and independent implementations. What a
run is scored with, and under which name and unit, is declared in ganlab.evaluation (its
metric registry); this package knows nothing of models, runs or files.

Nothing here imports torch at module level: stages import these modules and
import time matters. Tensors are still accepted, via `as_numpy`.
"""

import numpy as np

ABSURD = 1e3  # samples farther than this many data extents from the data's box are not scored


def unscorable(x, lo, hi):
    """Why one seed's samples cannot be scored, or None if they can.

    Not scored: any non-finite value (a diverged run), or any value farther than ABSURD times
    the data's extent (hi - lo, per dimension, at least 1e-6) outside the data's box [lo, hi].
    Distances to such samples only measure how far the generator blew up (and the transport LP
    cannot solve costs of 1e40); the seed is reported as not scored, with this reason.
    """
    x = as_numpy(x).reshape(len(x), -1) if len(x) else as_numpy(x)
    if not np.isfinite(x).all():
        return "non-finite samples"
    lo, hi = np.asarray(lo, np.float64).ravel(), np.asarray(hi, np.float64).ravel()
    extent = np.maximum(hi - lo, 1e-6)
    if x.size and (np.maximum(lo - x, x - hi) > ABSURD * extent).any():
        return f"samples more than {ABSURD:g} x the data's extent outside its range (max |x| {np.abs(x).max():.3g})"
    return None


def as_numpy(x):
    """Array-like or torch tensor -> numpy array (duck-typed so torch is never imported here)."""
    if not isinstance(x, np.ndarray) and type(x).__module__.startswith("torch"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)
