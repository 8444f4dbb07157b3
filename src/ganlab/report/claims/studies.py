"""Claims about the latent-space studies (study@<run>): truncation trades diversity for quality,
interpolation is smooth, StyleGAN's w space and style mixing."""
from __future__ import annotations

from ganlab.report.claims import Context, Verdict, claim, num, pct


# ---------------------------------------------------------------------------- latent-space studies
STRETCH_MAX = 3.0    # a path is "smooth" if its feature-space length is at most 3 x the straight line's
EXCESS_MAX = 1.0     # ... and it makes fewer than one class change per path beyond those its ends need
TRUNC_QUALITY = {"images": ("precision",), "points": ("high_quality_pct",)}
TRUNC_DIVERSITY = {"images": ("recall", "coverage"), "points": ("recall", "modes_captured")}


def _trend(res: dict, key: str) -> float | None:
    """Spearman's rank correlation between the truncation parameter and a metric over the sweep."""
    from scipy.stats import spearmanr
    vals = res["metrics"].get(key)
    if vals is None or any(v is None for v in vals) or len(set(vals)) < 2:
        return None
    return float(spearmanr(res["values"], vals).statistic)


def _sweeps(ctx: Context) -> list[tuple[str, dict, str]]:
    out = []
    for name in ctx.configs:
        st = ctx.studies.get(name) or {}
        for key in ("truncation", "truncation_psi"):
            if key in st:
                out.append((name, st[key], "images" if st.get("kind") == "images" else "points"))
    return out


def _truncation(ctx: Context, metrics: dict, sign: int, what: str) -> Verdict:
    sweeps = _sweeps(ctx)
    if not sweeps:
        return Verdict("n/a", "no run with a truncation study")
    parts, ok = [], True
    for name, res, kind in sweeps:
        p, v = res["parameter"], res["values"]
        for k in metrics[kind]:
            rho = _trend(res, k)
            good = rho is not None and sign * rho > 0
            ok &= good
            m = res["metrics"][k]
            parts.append(f"{name} ({p} {v[0]:g} → {v[-1]:g}): {k} {num(m[0], 3)} → {num(m[-1], 3)}, "
                         f"Spearman ρ({p}, {k}) = {num(rho)}")
    return Verdict("pass" if ok else "fail", f"claim holds where ρ {'<' if sign < 0 else '>'} 0 ({what}); " + "; ".join(parts))


@claim("truncation_quality", "Truncation raises quality: as the threshold τ (StyleGAN: ψ) shrinks, precision (2-D: high-quality %) rises.",
       "course: the truncation trick; Brock et al. 2019 (BigGAN), Kynkäänniemi et al. 2019, Fig. 8")
def truncation_quality(ctx: Context) -> Verdict:
    return _truncation(ctx, TRUNC_QUALITY, -1, "quality rises as the threshold shrinks")


@claim("truncation_diversity", "Truncation costs diversity: as τ (ψ) shrinks, recall and coverage (2-D: modes captured) fall.",
       "course: the truncation trick; Kynkäänniemi et al. 2019, Fig. 8")
def truncation_diversity(ctx: Context) -> Verdict:
    return _truncation(ctx, TRUNC_DIVERSITY, +1, "diversity falls as the threshold shrinks")


@claim("interpolation_smooth", "Interpolating between latents changes the image smoothly.",
       "course: latent space interpolation; Radford et al. 2016, sec. 6.1")
def interpolation_smooth(ctx: Context) -> Verdict:
    names = [n for n in ctx.configs if "interpolation" in (ctx.studies.get(n) or {})]
    if not names:
        return Verdict("n/a", "no image run with an interpolation study")
    parts, ok = [], True
    for n in names:
        for space, r in ctx.studies[n]["interpolation"]["spaces"].items():
            good = r.get("stretch") is not None and r["stretch"] <= STRETCH_MAX and r["excess_changes"] <= EXCESS_MAX
            ok &= good
            parts.append(f"{n} {space.replace('_', ' ')}: path length {num(r['ppl_mean'], 0)} (median {num(r['ppl_median'], 0)}), "
                         f"stretch {num(r['stretch'])}, {num(r['class_changes'])} class changes per path of which "
                         f"{num(r['excess_changes'])} beyond the ends' {num(r['ends_differ'])}")
    return Verdict("pass" if ok else "fail", f"claim holds at stretch ≤ {STRETCH_MAX} and ≤ {EXCESS_MAX} excess class "
                   "change per path in every space; " + "; ".join(parts))


def _stylegan_studies(ctx: Context, key: str) -> list[str]:
    """Runs with a w space (StyleGAN's mapping output) whose study has `key`."""
    return [n for n in ctx.configs if "w" in (ctx.studies.get(n) or {}).get("latent_spaces", []) and key in ctx.studies[n]]


@claim("stylegan_w_smoother", "StyleGAN's paths in w are smoother (shorter perceptual path) than in z.",
       "Karras et al. 2019, sec. 4.2, Table 3")
def stylegan_w_smoother(ctx: Context) -> Verdict:
    names = _stylegan_studies(ctx, "interpolation")
    if not names:
        return Verdict("n/a", "no stylegan run with an interpolation study")
    parts, ok = [], True
    for n in names:
        sp = ctx.studies[n]["interpolation"]["spaces"]
        w, z = sp["w_lerp"]["ppl_mean"], sp["z_slerp"]["ppl_mean"]
        good = w is not None and z is not None and w < z
        ok &= good
        parts.append(f"{n}: path length {num(w, 0)} with lerp in w vs {num(z, 0)} with slerp in z "
                     f"(medians {num(sp['w_lerp']['ppl_median'], 0)} vs {num(sp['z_slerp']['ppl_median'], 0)})")
    return Verdict("pass" if ok else "fail", "; ".join(parts))


@claim("stylegan_mixing_coarse", "In StyleGAN the coarse styles decide the class: a mixed image takes the coarse source's class.",
       "Karras et al. 2019, sec. 3.1, Fig. 3")
def stylegan_mixing_coarse(ctx: Context) -> Verdict:
    names = _stylegan_studies(ctx, "mixing")
    if not names:
        return Verdict("n/a", "no stylegan run with a style-mixing study")
    parts, ok = [], True
    for n in names:
        m = ctx.studies[n]["mixing"]
        good = m["follows_coarse"] is not None and m["follows_fine"] is not None and m["follows_coarse"] > m["follows_fine"]
        ok &= good
        parts.append(f"{n}: of mixed images whose two sources differ in class, {pct(m['follows_coarse'])} % take the "
                     f"coarse source's class (styles < {m['crossover']} of {m['n_styles']}), {pct(m['follows_fine'])} % the fine source's")
    return Verdict("pass" if ok else "fail", "; ".join(parts))
