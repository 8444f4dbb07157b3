"""Sample-quality metrics for GANs on low-dimensional data.

A tiny name -> function registry so stages and configs can ask for a metric by
string ("emd", "mode_coverage", ...). The metric modules are imported at the
bottom of this file; importing them is what fills the registry.

Nothing here imports torch at module level: stages import these modules and
import time matters. Tensors are still accepted, via `as_numpy`.
"""

import numpy as np

METRICS = {}  # name -> callable


def register(name):
    """Decorator: add a function to METRICS under `name` (names must be unique)."""
    def deco(fn):
        if name in METRICS:
            raise ValueError(f"metric {name!r} is already registered")
        METRICS[name] = fn
        return fn
    return deco


def get_metric(name):
    """Return the metric registered as `name`; KeyError lists the known names."""
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known metrics: {', '.join(list_metrics())}") from None


def list_metrics():
    """Sorted names of all registered metrics."""
    return sorted(METRICS)


ABSURD = 1e3   # samples farther than this many data extents from the data's box are not scored


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
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


from . import wasserstein, coverage, features  # noqa: E402,F401  (registers the metrics)
