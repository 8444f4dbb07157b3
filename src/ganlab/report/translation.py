"""The report's image-to-image translation parts: one table per translation dataset with the
baselines beside the GANs (its claims: ganlab.report.claims.translation).

Paired tables (pix2pix, srgan): distortion (L1, PSNR, SSIM), realism (Fréchet distance to the
targets on classifier features, real-vs-real floor in parentheses) and content (the
classifier's digit accuracy on the outputs), one row per run, plus a bicubic row on
super-resolution sets. Unpaired tables (cyclegan): cycle error both ways, label preservation
both ways, Fréchet distance to each domain, plus the "no translation" row (the input scored as
its own translation). Runs are found by what they are (family and options), not by name.
"""
from __future__ import annotations

from ganlab.report.format import fmt, pm


def variant(cfg) -> str:
    """What a translation run is, in words: its family and, for baselines, which one."""
    if cfg.family == "pix2pix":
        return "pix2pix (L1 only)" if cfg.adv_weight == 0 else "pix2pix (cGAN + L1)"
    if cfg.family == "srgan":
        if cfg.adv_weight == 0:
            return "SRResNet (pixel MSE)" if cfg.content == "pixel" else "srgan (feature loss only)"
        return "SRGAN (features + adversarial)" if cfg.content == "features" else "srgan (pixel MSE + adversarial)"
    return cfg.family


def _v(m: dict, key: str, nd: int, scale: float = 1.0) -> str:
    if m.get(key) is None:
        return "–"
    return pm({**m, key: scale * m[key], f"{key}_std": (m.get(f"{key}_std") or 0) * scale}, key, nd)


def board(ds_name: str, ds_cfg, rows: list[dict], configs: dict) -> dict:
    """A table like the image leaderboards (header + cells; both templates render it)."""
    unpaired = rows[0].get("translation") == "unpaired"
    cells = []
    if unpaired:
        header = ["run", "variant", "seeds", "status", "cycle L1 A→B→A", "cycle L1 B→A→B", "digit kept A→B %",
                  "digit kept B→A %", "FD to B (floor)", "FD to A (floor)", "train s"]
        for m in rows:
            cells.append([m["run"], variant(configs[m["run"]]), f"{len(m['seeds_evaluated'])}/{len(m['seeds'])}", m["status"],
                          _v(m, "cycle_l1_a", 4), _v(m, "cycle_l1_b", 4), _v(m, "label_ab", 1, 100), _v(m, "label_ba", 1, 100),
                          f"{_v(m, 'fd_b', 2)} ({fmt(m.get('fd_b_floor'), 2)})", f"{_v(m, 'fd_a', 2)} ({fmt(m.get('fd_a_floor'), 2)})",
                          fmt(m.get("train_seconds"), 1)])
        m = rows[0]
        cells.append(["no translation", "baseline: the input as its own translation", "", "", "0", "0",
                      fmt(100 * m["identity_label_ab"], 1), fmt(100 * m["identity_label_ba"], 1),
                      fmt(m["identity_fd_b"], 2), fmt(m["identity_fd_a"], 2), ""])
    else:
        header = ["run", "variant", "seeds", "status", "L1", "PSNR dB", "SSIM", "Fréchet distance (floor)",
                  "digit accuracy %", "train s"]
        for m in sorted(rows, key=lambda r: (r.get("family"), r.get("run"))):
            cells.append([m["run"], variant(configs[m["run"]]), f"{len(m['seeds_evaluated'])}/{len(m['seeds'])}", m["status"],
                          _v(m, "l1", 4), _v(m, "psnr", 2), _v(m, "ssim", 3), f"{_v(m, 'fd', 2)} ({fmt(m.get('fd_floor'), 2)})",
                          _v(m, "accuracy", 1, 100), fmt(m.get("train_seconds"), 1)])
        m = rows[0]
        if m.get("bicubic_psnr") is not None:
            cells.append(["bicubic", "baseline: bicubic upsampling (no training)", "", "", fmt(m["bicubic_l1"], 4),
                          fmt(m["bicubic_psnr"], 2), fmt(m["bicubic_ssim"], 3), fmt(m["bicubic_fd"], 2),
                          fmt(100 * m["bicubic_accuracy"], 1), ""])
        cells.append(["real targets", "the classifier on the real test targets", "", "", "0", "∞", "1", "0",
                      fmt(100 * m["target_accuracy"], 1), ""])
    return {"dataset": ds_name, "recipe": ds_cfg.recipe, "rows": rows, "kind": "images", "header": header, "cells": cells,
            "references": [], "stacked": False, "figure": None, "one_d": False}
