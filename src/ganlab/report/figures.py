"""Figures (matplotlib, PNG): per-run samples and training curves, and report-level plots.

- 2-D runs: generated samples (seed 0, a fixed latent batch) over the real points and the
  discriminator's output as a background map, at each snapshot step; runs in more dimensions:
  the same on the first two coordinates, without the map (the title says so).
- 1-D runs: the course's picture: real density, generator density and discriminator curve
  at several iterations.
- Image runs: sample grids of a fixed latent batch at each snapshot step (sample i is drawn
  in row i mod 10, so a conditional run's rows are its requested classes), and, from the
  evaluate stage, class-conditional grids and InfoGAN's code sweeps.
- Training curves: losses, mean D outputs, Wasserstein estimates and gradient norms.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ganlab import io

DPI = 90


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def samples_2d(snaps: dict, meta: dict, title: str, path: Path, n_sigma: float = 3.0, per_row: int = 6) -> None:
    """Seed 0's samples at each snapshot step (rows of `per_row` panels), each titled with their
    modes captured and high-quality share (the evaluation's rule, on the snapshot's samples)."""
    from ganlab.metrics import unscorable
    from ganlab.metrics.coverage import mode_coverage

    steps, samples, real = snaps["steps"], snaps["samples"], snaps["real"]
    n, dim = len(steps), samples.shape[-1]
    rows, cols = -(-n // per_row), min(n, per_row)
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.8 * rows), squeeze=False)
    grid = snaps.get("grid") if dim == 2 else None  # above 2-D: no D map, the first two coordinates
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, t, i in zip(axes.flat, steps, range(n)):
        if grid is not None:
            side = int(round(np.sqrt(len(grid))))
            d = snaps["d_grid"][i, 0].reshape(side, side)
            ax.imshow(
                d,
                origin="lower",
                cmap="RdBu_r",
                alpha=0.45,
                aspect="auto",
                extent=(grid[:, 0].min(), grid[:, 0].max(), grid[:, 1].min(), grid[:, 1].max()),
            )
        ax.scatter(real[:, 0], real[:, 1], s=2, c="0.3", alpha=0.3, linewidths=0)
        ax.scatter(samples[i, 0, :, 0], samples[i, 0, :, 1], s=3, c="tab:orange", alpha=0.7, linewidths=0)
        if grid is not None:
            ax.set_xlim(grid[:, 0].min(), grid[:, 0].max())
            ax.set_ylim(grid[:, 1].min(), grid[:, 1].max())
        label = f"step {int(t):,}"
        if "centres" in meta and not unscorable(samples[i, 0], *meta["range"]):
            cov = mode_coverage(
                samples[i, 0], np.asarray(meta["centres"]), meta["std"], n_sigma=n_sigma, weights=meta.get("weights")
            )
            label += f": {cov['modes_captured']}/{cov['n_modes']} modes, {100 * cov['high_quality_frac']:.0f} % HQ"
        ax.set_title(label, fontsize=8)
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(
        f"{title}: generated (orange, seed 0, {samples.shape[2]:,} samples) over real (grey); "
        + ("background = D" if dim == 2 else f"the first 2 of {dim} coordinates"),
        fontsize=9,
    )
    _save(fig, path)


def course_1d(snaps: dict, meta: dict, title: str, path: Path) -> None:
    """Data density, generator density and discriminator curve at several iterations."""
    steps, samples, grid = snaps["steps"], snaps["samples"], snaps["grid"][:, 0]
    mu, sd = meta["centres"][0][0], meta["std"]
    n = len(steps)
    fig, axes = plt.subplots(1, n, figsize=(2.6 * n, 2.6), squeeze=False, sharey=True)
    bins = np.linspace(grid.min(), grid.max(), 60)
    real_pdf = np.exp(-0.5 * ((grid - mu) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))
    for ax, t, i in zip(axes[0], steps, range(n)):
        ax.plot(grid, real_pdf, c="k", lw=1.2, label="data density")
        ax.hist(samples[i, 0, :, 0], bins=bins, density=True, color="tab:orange", alpha=0.6, label="generator")
        ax.plot(grid, snaps["d_grid"][i, 0], c="tab:blue", lw=1.2, label="D(x)")
        ax.axhline(0.5, c="tab:blue", lw=0.5, ls=":")
        ax.set_title(f"round {t}", fontsize=9)
        ax.set_ylim(0, 1.05)
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{title}: the course's toy GAN (seed 0)", fontsize=9)
    _save(fig, path)


def tile(images: np.ndarray) -> np.ndarray:
    """(rows, cols, C, H, W) in [-1, 1] -> one (rows*H, cols*W[, 3]) picture in [0, 1], with
    1-pixel gaps. Three channels are shown as RGB (stacked glyphs: one digit per colour)."""
    r, c, ch, h, w = images.shape
    canvas = np.ones((r * (h + 1) - 1, c * (w + 1) - 1, ch), np.float32)
    for i in range(r):
        for j in range(c):
            canvas[i * (h + 1) : i * (h + 1) + h, j * (w + 1) : j * (w + 1) + w] = images[i, j].transpose(1, 2, 0)
    canvas = (np.clip(canvas, -1, 1) + 1) / 2
    return canvas[..., 0] if ch == 1 else canvas


def image_grid(images: np.ndarray, title: str, path: Path) -> None:
    r, c = images.shape[:2]
    fig, ax = plt.subplots(figsize=(0.45 * c + 0.4, 0.45 * r + 0.6))
    ax.imshow(tile(images), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title, fontsize=8)
    _save(fig, path)


def samples_images(snaps: dict, title: str, path: Path, rows: int = 10) -> None:
    """Seed 0's fixed-latent samples at every snapshot step, one 10 x 10 grid per step."""
    samples, steps = snaps["samples"], snaps["steps"]  # (T, S, N, C, H, W)
    n = min(samples.shape[2] // rows * rows, rows * rows)
    fig, axes = plt.subplots(1, len(steps), figsize=(2.3 * len(steps), 2.6), squeeze=False)
    for ax, t, i in zip(axes[0], steps, range(len(steps))):
        grid = samples[i, 0, :n].reshape(n // rows, rows, *samples.shape[3:]).swapaxes(0, 1)  # row = i mod 10
        ax.imshow(tile(grid), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(f"step {t}", fontsize=9)
    fig.suptitle(f"{title}: samples from a fixed latent batch (seed 0)", fontsize=9)
    _save(fig, path)


def curves(history: list[dict], title: str, path: Path) -> None:
    if not history:
        return
    steps = [r["step"] for r in history]

    def series(key):
        return [r.get(key) if r.get(key) is not None else np.nan for r in history]

    panels = [
        ("losses", ["loss_d", "loss_g", "loss_info"]),
        ("mean D output, head accuracies", ["d_real", "d_fake", "cls_real", "cls_fake", "q_cat_accuracy"]),
        ("Wasserstein estimate", ["w_sliced", "w_critic"]),
        ("gradient norm", ["grad_d", "grad_g"]),
    ]
    fig, axes = plt.subplots(1, 4, figsize=(13, 2.6))
    for ax, (name, keys) in zip(axes, panels):
        for k in keys:
            if any(k in r for r in history):
                xs = [s for s, r in zip(steps, history) if r.get(k) is not None]
                ax.plot(xs, [r[k] for r in history if r.get(k) is not None], label=k, lw=1.1)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        if name == "gradient norm" and ax.lines:
            ax.set_yscale("log")
        if ax.lines:
            ax.legend(fontsize=7)
    fig.suptitle(f"{title}: training curves (mean over seeds)", fontsize=9)
    _save(fig, path)


def run_figures(run: str, model_dir: Path, meta: dict, out: Path, n_sigma: float = 3.0) -> list[str]:
    """Write one run's figures into `out`; return their file names. Reads models/<run>/'s
    snapshots.npz and history.json, verified against its checksums.json. `n_sigma`: the
    evaluation's high-quality rule, for the modes in a 2-D run's panel titles."""
    rebuild = f"dvc repro train@{Path(model_dir).name}"
    snaps = io.read_verified(Path(model_dir) / "snapshots.npz", rebuild, io.read_npz)
    names = []
    if meta["kind"] == "images":
        samples_images(snaps, run, out / "samples.png")
        names.append("samples.png")
    elif meta["dim"] == 1 and "d_grid" in snaps:
        course_1d(snaps, meta, run, out / "samples.png")
        names.append("samples.png")
    elif meta["dim"] >= 2:  # above 2-D: the first two coordinates, and the title says so
        samples_2d(snaps, meta, run, out / "samples.png", n_sigma=n_sigma)
        names.append("samples.png")
    history = io.read_verified(Path(model_dir) / "history.json", rebuild, io.read_json)
    if history:
        curves(history, run, out / "curves.png")
        names.append("curves.png")
    return names


def leaderboard_bars(rows: list[dict], key: str, ylabel: str, title: str, path: Path, ref: float | None = None) -> None:
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(rows), 2.8))
    names = [r["run"] for r in rows]
    vals = [r.get(key) if r.get(key) is not None else np.nan for r in rows]
    errs = [r.get(f"{key}_std") or 0 for r in rows]
    ax.bar(names, vals, yerr=errs, color="tab:blue", alpha=0.8, capsize=3)
    if ref is not None:
        ax.axhline(ref, c="k", ls="--", lw=0.8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    _save(fig, path)
