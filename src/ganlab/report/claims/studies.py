"""Claims about the latent-space studies (study@<run>): truncation trades diversity for quality,
interpolation is smooth, StyleGAN's w space and style mixing."""

from __future__ import annotations

from ganlab.report.claims import Context, Margin, Verdict, claim, difference, each, num, pct

# ---------------------------------------------------------------------------- latent-space studies
STRETCH_MAX = 3.0  # a path is "smooth" if its feature-space length is at most 3 x the straight line's
EXCESS_MAX = 1.0  # ... and it makes fewer than one class change per path beyond those its ends need
TRUNC_QUALITY = {"images": ("precision",), "points": ("high_quality_pct",)}
TRUNC_DIVERSITY = {"images": ("recall", "coverage"), "points": ("recall", "modes_captured")}


def _trend(res: dict, key: str) -> float | None:
    """Spearman's rank correlation between the truncation parameter and a metric over the sweep."""
    from scipy.stats import spearmanr

    vals = res["metrics"].get(key)
    if vals is None or any(v is None for v in vals) or len(set(vals)) < 2:
        return None
    return float(spearmanr(res["values"], vals).statistic)


SWEEPS = ("truncation", "truncation_psi")  # a study's truncation sweeps (StyleGAN has both)


def _truncation(ctx: Context, metrics: dict, sign: int, what: str) -> Verdict:
    def line(res: dict, k: str):
        p, v, rho, m = res["parameter"], res["values"], _trend(res, k), res["metrics"][k]
        return (
            f"({p} {v[0]:g} → {v[-1]:g})",
            Margin(None if rho is None else sign * rho, 0.0, strict=True),
            f"{k} {num(m[0], 3)} → {num(m[-1], 3)}, Spearman ρ({p}, {k}) = {num(rho)}",
        )

    def judge(st: dict):
        # a metric the sweep could not compute (its not_computed: e.g. a test split of k or fewer
        # images for precision and recall) is no evidence either way: that run is left out
        kind = "images" if st.get("kind") == "images" else "points"
        return [
            line(st[key], k)
            for key in SWEEPS
            if key in st
            for k in metrics[kind]
            if k not in st[key].get("not_computed", {})
        ]

    names = [n for n in ctx.configs if judge(ctx.studies.get(n) or {})]
    return each(
        ctx,
        names,
        "no run with a truncation study that could compute these metrics",
        judge,
        source="studies",
        head=f"claim holds where ρ {'<' if sign < 0 else '>'} 0 ({what}); ",
    )


@claim(
    "Truncation raises quality: as the threshold τ (StyleGAN: ψ) shrinks, precision (2-D: high-quality %) rises.",
    "course: the truncation trick; Brock et al. 2019 (BigGAN), Kynkäänniemi et al. 2019, Fig. 8",
)
def truncation_quality(ctx: Context) -> Verdict:
    return _truncation(ctx, TRUNC_QUALITY, -1, "quality rises as the threshold shrinks")


@claim(
    "Truncation costs diversity: as τ (ψ) shrinks, recall and coverage (2-D: modes captured) fall.",
    "course: the truncation trick; Kynkäänniemi et al. 2019, Fig. 8",
)
def truncation_diversity(ctx: Context) -> Verdict:
    return _truncation(ctx, TRUNC_DIVERSITY, +1, "diversity falls as the threshold shrinks")


@claim(
    "Interpolating between latents changes the image smoothly.",
    "course: latent space interpolation; Radford et al. 2016, sec. 6.1",
)
def interpolation_smooth(ctx: Context) -> Verdict:
    def judge(st: dict):
        return [
            (
                space.replace("_", " "),
                (
                    Margin(r.get("stretch"), STRETCH_MAX, higher=False),
                    Margin(r.get("excess_changes"), EXCESS_MAX, higher=False),
                ),
                f"path length {num(r['ppl_mean'], 0)} (median {num(r['ppl_median'], 0)}), "
                f"stretch {num(r['stretch'])}, {num(r['class_changes'])} class changes per path of which "
                f"{num(r['excess_changes'])} beyond the ends' {num(r['ends_differ'])}",
            )
            for space, r in st["interpolation"]["spaces"].items()
        ]

    names = [n for n in ctx.configs if "interpolation" in (ctx.studies.get(n) or {})]
    return each(
        ctx,
        names,
        "no image run with an interpolation study",
        judge,
        source="studies",
        head=f"claim holds at stretch ≤ {STRETCH_MAX} and ≤ {EXCESS_MAX} excess class change per path in every space; ",
    )


def _stylegan_studies(ctx: Context, key: str) -> list[str]:
    """Runs with a w space (StyleGAN's mapping output) whose study has `key`."""
    return [
        n for n in ctx.configs if "w" in (ctx.studies.get(n) or {}).get("latent_spaces", []) and key in ctx.studies[n]
    ]


@claim(
    "StyleGAN's paths in w are smoother (shorter perceptual path) than in z.",
    "Karras et al. 2019, sec. 4.2, Table 3",
)
def stylegan_w_smoother(ctx: Context) -> Verdict:
    def judge(st: dict):
        sp = st["interpolation"]["spaces"]
        w, z = sp["w_lerp"]["ppl_mean"], sp["z_slerp"]["ppl_mean"]
        return (
            difference(z, w),
            f"path length {num(w, 0)} with lerp in w vs {num(z, 0)} with slerp in z "
            f"(medians {num(sp['w_lerp']['ppl_median'], 0)} vs {num(sp['z_slerp']['ppl_median'], 0)})",
        )

    return each(
        ctx,
        _stylegan_studies(ctx, "interpolation"),
        "no stylegan run with an interpolation study",
        judge,
        source="studies",
    )


@claim(
    "In StyleGAN the coarse styles decide the class: a mixed image takes the coarse source's class.",
    "Karras et al. 2019, sec. 3.1, Fig. 3",
)
def stylegan_mixing_coarse(ctx: Context) -> Verdict:
    def judge(st: dict):
        m = st["mixing"]
        return (
            difference(m["follows_coarse"], m["follows_fine"]),
            f"of mixed images whose two sources differ in class, {pct(m['follows_coarse'])} % take the "
            f"coarse source's class (styles < {m['crossover']} of {m['n_styles']}), {pct(m['follows_fine'])} % the "
            "fine source's",
        )

    return each(
        ctx, _stylegan_studies(ctx, "mixing"), "no stylegan run with a style-mixing study", judge, source="studies"
    )


# ---------------------------------------------------------------------------- gradients (the toy set-up)
VANISH_MAX = 0.01  # "vanishes": the farthest distance's pull is at most 1 % of the sweep's largest
KEEP_MIN = (
    0.5  # "does not": the farthest distance's pull is at least half the nearest's, and every pull is towards the data
)


@claim(
    "The GAN loss's gradient vanishes when generated samples are too easy to tell from real ones; "
    "the Wasserstein critic's does not.",
    "course: Wasserstein GANs; Arjovsky & Bottou 2017, Arjovsky et al. 2017",
)
def gan_gradient_vanishes(ctx: Context) -> Verdict:
    """On the toy 1-D set-up (study@<toy run>, ganlab.studies.gradients): the generator's pull
    towards the data, −dL_G/dθ, under a trained discriminator with the minimax loss, and under a
    WGAN-GP critic, as the generated distribution moves from 0.5 to 16 data std away."""

    def judge(st: dict):
        g = st["gradients"]
        d, mm, wc, ns = g["distances"], g["grad_minimax"], g["grad_critic"], g["grad_non_saturating"]
        peak = max(mm)
        return [
            (
                "(minimax loss)",
                Margin(mm[-1] / peak if peak > 0 else None, VANISH_MAX, higher=False),
                f"pull {num(mm[-1], 3) if abs(mm[-1]) >= 1e-3 else f'{mm[-1]:.1e}'} at distance {d[-1]:g} against "
                f"{num(peak, 3)} at its largest (vanishes at ≤ {VANISH_MAX:g}×); mean D(G(z)) there "
                f"{g['d_fake'][-1]:.1e}",
            ),
            (
                "(WGAN-GP critic)",
                (min(wc) > 0, Margin(wc[-1] / wc[0] if wc[0] else None, KEEP_MIN)),
                f"pull {num(wc[0], 3)} at distance {d[0]:g} → {num(wc[-1], 3)} at {d[-1]:g} (holds at ≥ {KEEP_MIN:g}× "
                "and "
                f"every pull towards the data); the non-saturating loss for comparison: {num(ns[0], 3)} → "
                f"{num(ns[-1], 3)}",
            ),
        ]

    names = [n for n in ctx.configs if "gradients" in (ctx.studies.get(n) or {})]
    return each(ctx, names, "needs a toy1d run (its study sweeps the generator's distance)", judge, source="studies")


ROTATION_MIN = 1.0  # "rotates": an eigenvalue pair of the joint field with |imaginary| > real part


@claim(
    "GAN training is a saddle-point problem and unstable: near the equilibrium the players' joint "
    "gradient field rotates, and θ oscillates around the data mean instead of descending to it.",
    "course: Nash equilibrium; Mescheder et al. 2017 (the numerics of GANs)",
)
def saddle_point_oscillates(ctx: Context) -> Verdict:
    """The toy game (study@<toy run>): the Jacobian of the simultaneous gradient field at the
    equilibrium (θ = μ, D = 1/2) has a complex pair whose imaginary part exceeds its real part, and
    in the trained run every seed's θ overshoots the data mean by more than it still wanders around
    it over the last third of training (its late amplitude), which gradient descent on one potential
    could not do."""

    def judge(st: dict):
        sd = st["saddle"]
        pair = max((e for e in sd["eigenvalues"] if e[1] > 0), key=lambda e: e[1], default=None)
        parts = [
            (
                "(joint field)",
                Margin(sd["rotation"], ROTATION_MIN, strict=True),
                f"eigenvalues at the equilibrium {', '.join(f'{re:.3g}{im:+.3g}i' for re, im in sd['eigenvalues'])}; "
                f"|im| / re = {num(sd['rotation'])} (rotates at > {ROTATION_MIN:g})"
                if pair
                else "no complex eigenvalue: no rotation",
            )
        ]
        for i, (over, late, cross) in enumerate(zip(sd["overshoot"], sd["late_amplitude"], sd["crossings"])):
            parts.append(
                (
                    f"(seed {st['seeds'][i] if i < len(st.get('seeds', [])) else i})",
                    difference(over, late),
                    f"θ overshoots μ = {num(sd['mu'])} by {num(over)}, then wanders ±{num(late)} over the last third; "
                    f"crosses μ {cross} times in {sd['rounds']} rounds",
                )
            )
        return parts

    names = [n for n in ctx.configs if "saddle" in (ctx.studies.get(n) or {})]
    return each(ctx, names, "needs a toy1d run (its study linearises the toy game)", judge, source="studies")


NOISE_SAME_MIN = 0.9  # "keeps the class": at least 90 % of re-noised images keep their class
NOISE_PIXEL_MAX = 0.25  # "moves pixels little": at most a quarter of the change fresh styles make
STYLE_SAME_MAX = 0.5  # "resampling the styles changes the class": at most half keep it


@claim(
    "In StyleGAN the noise inputs change only fine detail: fresh noise keeps the class and moves pixels "
    "little; fresh styles change the class.",
    "course: StyleGAN; Karras et al. 2019, sec. 3.2",
)
def stylegan_noise_fine(ctx: Context) -> Verdict:
    def judge(st: dict):
        n = st["noise"]
        return [
            (
                "(fresh noise)",
                (
                    Margin(n["noise_same_class"], NOISE_SAME_MIN),
                    Margin(
                        n["noise_pixel_change"] / n["style_pixel_change"] if n["style_pixel_change"] else None,
                        NOISE_PIXEL_MAX,
                        higher=False,
                    ),
                ),
                f"same class {pct(n['noise_same_class'])} % (holds at ≥ {pct(NOISE_SAME_MIN)} %), mean |Δpixel| "
                f"{num(n['noise_pixel_change'], 4)} against {num(n['style_pixel_change'], 4)} with fresh styles "
                f"(holds at ≤ {NOISE_PIXEL_MAX:g}×)",
            ),
            (
                "(fresh styles)",
                Margin(n["style_same_class"], STYLE_SAME_MAX, higher=False),
                f"same class {pct(n['style_same_class'])} % (holds at ≤ {pct(STYLE_SAME_MAX)} %)",
            ),
        ]

    names = [n for n in ctx.configs if "noise" in (ctx.studies.get(n) or {})]
    return each(ctx, names, "needs a stylegan run with studies", judge, source="studies")
