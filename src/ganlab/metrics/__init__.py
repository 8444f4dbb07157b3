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


def as_numpy(x):
    """Array-like or torch tensor -> numpy array (duck-typed so torch is never imported here)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


from . import wasserstein, coverage, features  # noqa: E402,F401  (registers the metrics)
