"""The report's image-to-image translation parts: one table per translation dataset with the
baselines beside the GANs, and the three claims of issue 5.

Paired tables (pix2pix, srgan): distortion (L1, PSNR, SSIM), realism (Fréchet distance to the
targets on classifier features, real-vs-real floor in parentheses) and content (the
classifier's digit accuracy on the outputs), one row per run, plus a bicubic row on
super-resolution sets. Unpaired tables (cyclegan): cycle error both ways, label preservation
both ways, Fréchet distance to each domain, plus the "no translation" row (the input scored as
its own translation). Runs are found by what they are (family and options), not by name.
"""
from __future__ import annotations

from ganlab.report.claims import Claim, Context, Verdict, _f, _pct

COMPARABLE_L1 = 1.25  # "comparable L1": the GAN's L1 at most 25 % above the L1-only baseline's
LABEL_MIN = 0.9       # CycleGAN "keeps the digit": >= 90 % of translations read as the input's digit, both ways
CYCLE_MAX = 0.05      # "cycles back with low error": mean |reconstruction - input| <= 0.05 of the [0, 1] range, both ways


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
    from ganlab.report.render import pm
    if m.get(key) is None:
        return "–"
    return pm({**m, key: scale * m[key], f"{key}_std": (m.get(f"{key}_std") or 0) * scale}, key, nd)


def board(ds_name: str, ds_cfg, rows: list[dict], configs: dict) -> dict:
    """A table like the image leaderboards (header + cells; both templates render it)."""
    from ganlab.report.render import fmt
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


# ---------------------------------------------------------------------------- claims

def _runs(ctx: Context, family: str, **options) -> list[str]:
    return [n for n in ctx.find(family, **options) if ctx.runs[n].get("translation")]


def _pairs(ctx: Context, family: str, base: dict) -> list[tuple[str, str]]:
    """(GAN run, baseline run) pairs of one family on the same dataset: GAN runs have an
    adversarial loss (adv_weight > 0), baselines the options in `base`."""
    g = [n for n in _runs(ctx, family) if ctx.configs[n].adv_weight > 0]
    b = _runs(ctx, family, **base)
    return [(x, y) for x in g for y in b if ctx.configs[x].dataset == ctx.configs[y].dataset]


def pix2pix_fd(ctx: Context) -> Verdict:
    pairs = _pairs(ctx, "pix2pix", {"adv_weight": 0.0})
    if not pairs:
        return Verdict("n/a", "needs a pix2pix run and an L1-only one (adv_weight: 0) on the same dataset")
    parts, ok = [], True
    for a, b in pairs:
        ma, mb = ctx.runs[a], ctx.runs[b]
        good = (None not in (ma.get("fd"), mb.get("fd"), ma.get("l1"), mb.get("l1"))
                and ma["fd"] < mb["fd"] and ma["l1"] <= COMPARABLE_L1 * mb["l1"])
        ok &= good
        parts.append(f"{a}: Fréchet distance {_f(ma.get('fd'))} at L1 {_f(ma.get('l1'), 4)} vs {b} (L1 only): "
                     f"{_f(mb.get('fd'))} at L1 {_f(mb.get('l1'), 4)} (floor {_f(mb.get('fd_floor'))}; claim holds if the "
                     f"GAN's FD is lower and its L1 at most {COMPARABLE_L1}x the baseline's)")
    return Verdict("pass" if ok else "fail", "; ".join(parts))


def srgan_tradeoff(ctx: Context) -> Verdict:
    pairs = _pairs(ctx, "srgan", {"adv_weight": 0.0, "content": "pixel"})
    if not pairs:
        return Verdict("n/a", "needs an srgan run and an SRResNet one (content: pixel, adv_weight: 0) on the same dataset")
    parts, ok = [], True
    for a, b in pairs:
        ma, mb = ctx.runs[a], ctx.runs[b]
        good = (None not in (ma.get("fd"), mb.get("fd"), ma.get("psnr"), mb.get("psnr"))
                and ma["psnr"] < mb["psnr"] and ma["fd"] < mb["fd"])
        ok &= good
        parts.append(f"{a}: PSNR {_f(ma.get('psnr'))} dB, Fréchet distance {_f(ma.get('fd'))} vs {b} (SRResNet): PSNR "
                     f"{_f(mb.get('psnr'))} dB, FD {_f(mb.get('fd'))}; bicubic: PSNR {_f(mb.get('bicubic_psnr'))} dB, FD "
                     f"{_f(mb.get('bicubic_fd'))} (claim holds if SRGAN has the lower PSNR and the lower FD; its content "
                     f"loss uses its own feature net, not the classifier whose features the FD reads)")
    return Verdict("pass" if ok else "fail", "; ".join(parts))


def cyclegan_keeps_digit(ctx: Context) -> Verdict:
    names = _runs(ctx, "cyclegan")
    if not names:
        return Verdict("n/a", "no cyclegan run")
    parts, ok = [], True
    for n in names:
        m = ctx.runs[n]
        vals = [m.get(k) for k in ("label_ab", "label_ba", "cycle_l1_a", "cycle_l1_b")]
        good = None not in vals and min(vals[:2]) >= LABEL_MIN and max(vals[2:]) <= CYCLE_MAX
        ok &= good
        parts.append(f"{n}: digit kept {_pct(m.get('label_ab'))} % A→B and {_pct(m.get('label_ba'))} % B→A (claim: ≥ "
                     f"{100 * LABEL_MIN:.0f} % both ways); cycle L1 {_f(m.get('cycle_l1_a'), 4)} (A→B→A) and "
                     f"{_f(m.get('cycle_l1_b'), 4)} (B→A→B) of the [0, 1] range (claim: ≤ {CYCLE_MAX}); FD to B "
                     f"{_f(m.get('fd_b'))} (floor {_f(m.get('fd_b_floor'))}, untranslated A {_f(m.get('identity_fd_b'))})")
    return Verdict("pass" if ok else "fail", "; ".join(parts))


CLAIMS = [
    Claim("pix2pix_closer_than_l1", "Pix2Pix's outputs are closer to the target distribution (lower Fréchet distance) than the L1-only model's, at comparable L1.",
          "course: image-to-image translation; Isola et al. 2017, Table 1 and Fig. 4", pix2pix_fd),
    Claim("srgan_perception_distortion", "SRGAN trades PSNR for realism against SRResNet (the perception–distortion trade-off).",
          "course: super-resolution; Ledig et al. 2017, Table 2; Blau & Michaeli 2018", srgan_tradeoff),
    Claim("cyclegan_keeps_digit", "CycleGAN keeps the digit (label preservation ≥ 90 % both ways) and cycles back with low error.",
          "course: unpaired translation; Zhu et al. 2017", cyclegan_keeps_digit),
]
