"""Number formatting shared by the report's tables (render.py, translation.py): plain
numbers, and "mean ± std" when more than one seed was evaluated."""

from __future__ import annotations

import math


def fmt(x, nd: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x)
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 10**-nd):
        return f"{x:.{nd}g}"
    return f"{x:.{nd}f}"


def pm(m: dict, key: str, nd: int = 2) -> str:
    """'mean ± std' when more than one seed was evaluated."""
    v, s = m.get(key), m.get(f"{key}_std")
    if v is None:
        return "–"
    if s is not None and len(m.get("seeds_evaluated", [])) > 1:
        return f"{fmt(v, nd)} ± {fmt(s, nd)}"
    return fmt(v, nd)
