"""The studies' figures (matplotlib, PNG), with report.figures' helpers (tile, image_grid)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganlab.report.figures import _save, image_grid, plt, tile

TRADE_OFF = ("precision", "recall", "density", "coverage")


def truncation_curves(res: dict, title: str, path: Path) -> None:
    """Precision, recall, density and coverage against the threshold; Fréchet distance and
    classes covered (images) or high-quality % and modes captured (2-D data) beside them."""
    v, m = res["values"], res["metrics"]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    for k in TRADE_OFF:
        if k in m:
            axes[0].plot(v, m[k], "o-", label=k, lw=1.2, ms=3)
    axes[0].set_ylabel("fraction (density: ratio)", fontsize=8)
    axes[0].legend(fontsize=7)
    right = [k for k in ("fd", "high_quality_pct") if k in m]
    other = [k for k in ("classes_covered", "stacked_modes", "modes_captured") if k in m]
    for k in right:
        axes[1].plot(v, m[k], "o-", c="tab:red", label=k, lw=1.2, ms=3)
        axes[1].set_ylabel(k, fontsize=8, color="tab:red")
    if other:
        ax2 = axes[1].twinx()
        for k in other:
            ax2.plot(v, m[k], "s--", c="tab:green", label=k, lw=1.2, ms=3)
            ax2.set_ylabel(k, fontsize=8, color="tab:green")
    for ax in axes:
        ax.set_xlabel(f"{res['parameter']} ({res['unit']})", fontsize=8)
        ax.invert_xaxis()  # stronger truncation to the right
    fig.suptitle(
        f"{title}: truncation in {res['space']} (mean over seeds; stronger truncation to the right)", fontsize=9
    )
    _save(fig, path)


def truncation_grid(res: dict, title: str, path: Path) -> None:
    """One row per threshold (seed 0's first samples)."""
    grid = res["_grid"]
    fig, ax = plt.subplots(figsize=(0.45 * grid.shape[1] + 1.2, 0.45 * grid.shape[0] + 0.7))
    ax.imshow(tile(grid), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    h = grid.shape[-2] + 1
    ax.set_yticks([h * i + h / 2 - 1 for i in range(grid.shape[0])])
    ax.set_yticklabels([f"{res['parameter']} {v:g}" for v in res["values"]], fontsize=7)
    ax.set_xticks([])
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_title(f"{title}: one row per {res['parameter']} ({res['space']} space)", fontsize=8)
    _save(fig, path)


def truncation_points(res: dict, real: np.ndarray, title: str, path: Path) -> None:
    """2-D runs: seed 0's samples over the real points, one panel per threshold."""
    n = len(res["values"])
    fig, axes = plt.subplots(1, n, figsize=(2.4 * n, 2.6), squeeze=False, sharex=True, sharey=True)
    for ax, v, pts in zip(axes[0], res["values"], res["_grid"]):
        ax.scatter(real[:, 0], real[:, 1], s=2, c="0.3", alpha=0.3, linewidths=0)
        ax.scatter(pts[:, 0], pts[:, 1], s=3, c="tab:orange", alpha=0.7, linewidths=0)
        ax.set_title(f"{res['parameter']} {v:g}", fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(f"{title}: truncated samples (orange) over real (grey)", fontsize=9)
    _save(fig, path)


def strips(res: dict, title: str, path: Path) -> None:
    names = list(res["_strips"])
    fig, axes = plt.subplots(len(names), 1, figsize=(5.5, 2.1 * len(names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        ax.imshow(tile(res["_strips"][name]), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(name.replace("_", " "), fontsize=8)
    fig.suptitle(f"{title}: interpolation, t from 0 to 1 left to right (seed 0)", fontsize=9)
    _save(fig, path)


def path_lengths(res: dict, title: str, path: Path) -> None:
    """The distribution of the path-length values per space (all seeds, 1st-99th percentile)."""
    names = list(res["spaces"])
    data = []
    for n in names:
        v = np.concatenate(res["spaces"][n]["_values"])
        lo, hi = np.percentile(v, [1, 99])
        data.append(np.log10(np.clip(v[(v >= lo) & (v <= hi)], 1e-12, None)))
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(names), 2.8))
    ax.boxplot(data, showmeans=True)
    ax.set_xticks(range(1, len(names) + 1), [n.replace("_", " ") for n in names], fontsize=8)
    ax.set_ylabel("log10 path length (feature units² / t²)", fontsize=8)
    ax.set_title(f"{title}: path length per space (triangle = mean)", fontsize=9)
    _save(fig, path)


def mixing_grid(res: dict, title: str, path: Path) -> None:
    image_grid(
        res["_grid"],
        f"{title}\ncoarse styles (< layer {res['crossover']} of {res['n_styles']})\n"
        "from the left column,\nfine styles from the top row",
        path,
    )


def gradients(res: dict, title: str, path: Path) -> None:
    """The generator's pull towards the data (−dL_G/dθ) against its distance from the data, log
    scale: the minimax loss under a trained discriminator, the non-saturating loss under the same
    discriminator, and the WGAN-GP critic's loss."""
    d = res["distances"]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    for key, label, style in (
        ("grad_minimax", "minimax log(1 − D(G(z)))", "o-"),
        ("grad_non_saturating", "non-saturating −log D(G(z))", "s--"),
        ("grad_critic", "WGAN-GP critic −f(G(z))", "^-"),
    ):
        v = np.abs(np.asarray(res[key], float))
        axes[0].plot(d, np.maximum(v, 1e-12), style, label=label, lw=1.2, ms=3)
    axes[0].set_yscale("log")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("distance |θ − μ| (data std)", fontsize=8)
    axes[0].set_ylabel("|dL_G / dθ|", fontsize=8)
    axes[0].legend(fontsize=7)
    axes[1].plot(d, res["d_fake"], "o-", label="mean D(G(z))", lw=1.2, ms=3)
    axes[1].plot(d, res["d_real"], "s--", label="mean D(x)", lw=1.2, ms=3)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("distance |θ − μ| (data std)", fontsize=8)
    axes[1].legend(fontsize=7)
    fig.suptitle(f"{title}: the generator's gradient as its samples move away from the data", fontsize=9)
    _save(fig, path)
