"""Write a run's study: results.json (every number), its figures, and the flat summary that
reports/runs/<run>/study.json holds (what dvc metrics and the report's claims read). The study
stage writes these files; ganlab.report only reads them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganlab import data as datasets
from ganlab import io

FIGURES = {
    "truncation": "truncation.png",
    "truncation_grid": "truncation_grid.png",
    "truncation_psi": "truncation_psi.png",
    "truncation_psi_grid": "truncation_psi_grid.png",
    "strips": "interpolation.png",
    "path_length": "path_length.png",
    "mixing": "mixing.png",
    "gradients": "gradients.png",
}


def _public(obj):
    """Drop figure data (keys starting with '_') before writing JSON."""
    if isinstance(obj, dict):
        return {k: _public(v) for k, v in obj.items() if not str(k).startswith("_")}
    if isinstance(obj, list):
        return [_public(v) for v in obj]
    return obj


def write_study(res: dict, out: Path, data_dir: Path) -> list[str]:
    from ganlab.studies import plots

    run, names = res["run"], []
    for key in ("truncation", "truncation_psi"):
        if key in res:
            plots.truncation_curves(res[key], run, out / FIGURES[key])
            names.append(FIGURES[key])
            if res["kind"] == "images":
                plots.truncation_grid(res[key], run, out / FIGURES[f"{key}_grid"])
            else:
                arrays, _ = datasets.load(data_dir)
                plots.truncation_points(
                    res[key], arrays["test"][: len(res[key]["_grid"][0])], run, out / FIGURES[f"{key}_grid"]
                )
            names.append(FIGURES[f"{key}_grid"])
    if "interpolation" in res:
        plots.strips(res["interpolation"], run, out / FIGURES["strips"])
        plots.path_lengths(res["interpolation"], run, out / FIGURES["path_length"])
        names += [FIGURES["strips"], FIGURES["path_length"]]
    if "mixing" in res:
        plots.mixing_grid(res["mixing"], run, out / FIGURES["mixing"])
        names.append(FIGURES["mixing"])
    if "gradients" in res:
        plots.gradients(res["gradients"], run, out / FIGURES["gradients"])
        names.append(FIGURES["gradients"])
    io.write_json(out / "results.json", {**_public(res), "figures": names})
    return names


def summarise(res: dict) -> dict:
    """Flat numbers: each truncation metric at the weakest and the strongest threshold, the
    path length and class changes per space, and style mixing's follow rates."""
    s = {"run": res["run"], "family": res["family"], "applicable": True, "studies": res["studies"]}
    for key in ("truncation", "truncation_psi"):
        if key not in res:
            continue
        r, p = res[key], res[key]["parameter"]
        order = np.argsort(r["values"])
        lo, hi = int(order[0]), int(order[-1])
        s[f"{p}_weakest"], s[f"{p}_strongest"] = r["values"][hi], r["values"][lo]
        for m, vals in r["metrics"].items():
            if not m.endswith("_per_seed"):
                s[f"{m}_{p}_weakest"], s[f"{m}_{p}_strongest"] = vals[hi], vals[lo]
    if "interpolation" in res:
        for name, r in res["interpolation"]["spaces"].items():
            for m in (
                "ppl_mean",
                "ppl_median",
                "stretch",
                "class_changes",
                "excess_changes",
                "ends_differ",
                "endpoint_distance_sq",
            ):
                s[f"{m}_{name}"] = r[m]
    if "mixing" in res:
        for m in ("follows_coarse", "follows_fine", "crossover", "n_styles"):
            s[f"mix_{m}"] = res["mixing"][m]
    if "noise" in res:
        for m in ("noise_same_class", "style_same_class", "noise_pixel_change", "style_pixel_change"):
            s[m] = res["noise"][m]
    if "gradients" in res:  # nearest and farthest distance of the sweep
        g = res["gradients"]
        for m in ("grad_minimax", "grad_non_saturating", "grad_critic"):
            s[f"{m}_near"], s[f"{m}_far"] = g[m][0], g[m][-1]
    if "saddle" in res:
        sd = res["saddle"]
        s["saddle_rotation"] = sd["rotation"]
        s["theta_crossings"] = float(np.mean(sd["crossings"]))
        s["theta_overshoot"] = float(np.mean(sd["overshoot"]))
        s["theta_late_amplitude"] = float(np.mean(sd["late_amplitude"]))
    return s
