"""The lecture's yardstick of a good generative model, one row per run and one column per property,
each filled by a measured number: high-quality samples, coverage, a well-behaved latent space, an
interpretable latent space. Efficient sampling and efficient likelihood have no column (said once, in
NOTE): every GAN samples in one forward pass, and its measured speed depends on the host (each run's
eval_time.json), while the report holds results only, so that two runs of the same code give the
same report; a GAN defines no density to evaluate.

Every cell comes from a file a stage wrote: reports/runs/<run>/metrics.json (quality, coverage,
factors) and study/results.json (interpolation). A property that does not apply to a run, or was not
measured, is "–". Each column has its own colour scale, from its worst value in the table (red) to
its best (green).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ganlab.report.format import fmt


@dataclass(frozen=True)
class Property:
    key: str  # summary.json key
    header: str
    unit: str
    definition: str
    higher_is_better: bool = True


PROPERTIES = (
    Property(
        "quality",
        "high-quality samples",
        "%",
        "2-D points: high-quality share (samples within 3 std of a mode); images: precision (k-NN manifold "
        "of real features, Kynkäänniemi et al. 2019)",
    ),
    Property(
        "coverage",
        "coverage",
        "%",
        "2-D points: modes captured / modes; images: recall (the same manifolds the other way)",
    ),
    Property(
        "latent",
        "well-behaved latent",
        "stretch",
        "interpolation in z (linear): √(path length / squared endpoint distance) on classifier features; "
        "1 = a straight path, larger = the images jump (study@<run>)",
        higher_is_better=False,
    ),
    Property(
        "interpretable",
        "interpretable latent",
        "|r|",
        "the best |Pearson r| between one latent code and a known factor of the images (InfoGAN's "
        "continuous codes against rotation and stroke width); – where no code has a known factor",
    ),
)
NOTE = (
    "Efficient sampling, the lecture's first property, holds for every GAN (one forward pass of the "
    "generator); its measured speed depends on the machine, so it is not in this report, which holds results "
    "only: each run's samples per second are in reports/runs/<run>/eval_time.json. Efficient likelihood, the "
    "sixth, is not available for GANs: the generator defines no density to evaluate, so it has no column."
)


def _value(prop: str, m: dict, study: dict | None) -> tuple[float | None, str]:
    """(the number the colour scale uses, the cell's text) of one property of one run."""
    kind = m.get("kind")
    if prop == "quality":
        if kind == "points" and m.get("high_quality_pct") is not None:
            return m["high_quality_pct"], fmt(m["high_quality_pct"], 1)
        if kind == "images" and m.get("precision") is not None:
            return 100 * m["precision"], fmt(100 * m["precision"], 1)
        return None, "–"
    if prop == "coverage":
        if kind == "points" and m.get("modes_captured") is not None and m.get("n_modes"):
            v = 100 * m["modes_captured"] / m["n_modes"]
            return v, f"{fmt(v, 1)} ({fmt(m['modes_captured'], 1)} / {m['n_modes']} modes)"
        if kind == "images" and m.get("recall") is not None:
            return 100 * m["recall"], fmt(100 * m["recall"], 1)
        return None, "–"
    if prop == "latent":
        spaces = ((study or {}).get("interpolation") or {}).get("spaces") or {}
        r = spaces.get("z_lerp")
        if not r or r.get("stretch") is None:
            return None, "–"
        return r["stretch"], fmt(r["stretch"], 2)
    if prop == "interpretable":
        rs = [m[k] for k in ("code_rotation_corr", "code_thickness_corr") if m.get(k) is not None]
        return (max(rs), fmt(max(rs), 2)) if rs else (None, "–")
    raise ValueError(f"unknown property {prop!r}; known: {', '.join(p.key for p in PROPERTIES)}")


SHADES = 10  # a cell's shade: 0 (the column's worst, red) .. SHADES (its best, green)


def _shade(v: float | None, lo: float, hi: float, p: Property) -> int | None:
    """Where v sits between the column's worst and best, in 0..SHADES (the templates colour each
    step, CSS classes s0..s10, red through yellow to green); None for no value."""
    if v is None or not math.isfinite(v):
        return None
    t = 0.5 if hi == lo else (v - lo) / (hi - lo)
    return round(SHADES * (t if p.higher_is_better else 1 - t))


def scorecard(runs: dict[str, dict], studies: dict[str, dict]) -> dict:
    """{"properties", "rows": [{"run", "family", "cells": [{"text", "value", "shade"}]}], "note", "shades"}
    for the runs in `runs` (in their order); None values stay out of the colour scales."""
    rows = []
    for name, m in runs.items():
        rows.append({"run": name, "family": m.get("family"), "cells": []})
        for p in PROPERTIES:
            v, text = _value(p.key, m, studies.get(name))
            rows[-1]["cells"].append({"value": v, "text": text, "shade": None})
    for j, p in enumerate(PROPERTIES):
        vals = [
            r["cells"][j]["value"]
            for r in rows
            if r["cells"][j]["value"] is not None and math.isfinite(r["cells"][j]["value"])
        ]
        if vals:
            for r in rows:
                r["cells"][j]["shade"] = _shade(r["cells"][j]["value"], min(vals), max(vals), p)
    return {"properties": PROPERTIES, "rows": rows, "note": NOTE, "shades": SHADES}


def summary(card: dict) -> dict:
    """The scorecard for summary.json: {run: {property: value or null}}."""
    return {r["run"]: {p.key: c["value"] for p, c in zip(card["properties"], r["cells"])} for r in card["rows"]}
