"""The course's claims, each checked against measured numbers.

A claim is a small function from the evaluated runs to a Verdict (pass / fail / n/a, with the
evidence in words and numbers), so the claims table can never disagree with the metrics. The
thresholds are fixed here, in the open, and never tuned to a result: a claim the numbers do
not support is shown failing. A claim whose runs are absent from params.yaml is `n/a`.

Runs are found by what they are (family, dataset recipe, options), not by name, so a user's
own runs are checked too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

CHANCE_TOL = 0.1     # |D's accuracy - 0.5| below this counts as "near chance"
THETA_TOL = 0.5      # |theta - data mean| below this (in data std units of 1) counts as "near"
STARVE_RATIO = 0.5   # the saturating loss "starves" G if its early gradient norm is at most half
COND_MIN = 0.9       # a conditional GAN "produces the requested class" for >= 90 % of samples
CODE_CLASS_MIN = 0.8 # InfoGAN "discovers the classes": best code -> class map right for >= 80 %
                     # (the paper: 5 % error on MNIST; chance is 10 %)
CODE_FACTOR_MIN = 0.5  # a continuous code "is" a factor if |Pearson r| >= 0.5 with it
STACKED_DROP = 990   # DCGAN "drops stacked modes" if it shows at most 990 of the 1,000 triples


@dataclass
class Verdict:
    status: str      # "pass", "fail" or "n/a"
    evidence: str


@dataclass
class Claim:
    id: str
    text: str
    source: str
    check: Callable[["Context"], Verdict]


@dataclass
class Context:
    runs: dict[str, dict]       # run name -> metrics.json (completed evaluation)
    configs: dict[str, object]  # run name -> run config
    datasets: dict[str, object] # dataset name -> recipe config
    studies: dict[str, dict] = field(default_factory=dict)  # run name -> study results (study@<run>)

    def find(self, family: str, recipe: str | None = None, **options) -> list[str]:
        out = []
        for name, cfg in self.configs.items():
            if name not in self.runs or cfg.family != family:
                continue
            if recipe and self.datasets[cfg.dataset].recipe != recipe:
                continue
            if all(getattr(cfg, k, None) == v for k, v in options.items()):
                out.append(name)
        return out


def _f(x, nd: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{nd}f}"


def _modes(m: dict) -> str:
    return f"{_f(m.get('modes_captured'), 1)} ± {_f(m.get('modes_captured_std'), 1)} of {m.get('n_modes')}"


def toy_chance(ctx: Context) -> Verdict:
    """Chance = 50 % accuracy at telling real from generated (a constant D of any level is at
    chance). The mean outputs are shown too: with the notebook's step 0.01 on the summed loss,
    D's level cycles instead of settling at 0.5 (see the toy1d family docstring)."""
    names = ctx.find("toy1d")
    if not names:
        return Verdict("n/a", "no toy1d run")
    parts, ok = [], True
    for n in names:
        m, mean = ctx.runs[n], ctx.datasets[ctx.configs[n].dataset].mean
        good = (m.get("d_accuracy") is not None and abs(m["d_accuracy"] - 0.5) < CHANCE_TOL
                and m.get("theta") is not None and abs(m["theta"] - mean) < THETA_TOL)
        ok &= good
        parts.append(f"{n}: D's accuracy {_f(m.get('d_accuracy'))} (chance 0.5 ± {CHANCE_TOL}; mean D(real) "
                     f"{_f(m.get('d_real'))}, D(generated) {_f(m.get('d_fake'))}); theta {_f(m.get('theta'))} ± "
                     f"{_f(m.get('theta_std'))} vs data mean {mean} (± {THETA_TOL})")
    return Verdict("pass" if ok else "fail", "; ".join(parts))


def gan_drops_grid(ctx: Context) -> Verdict:
    names = ctx.find("gan", "grid", minibatch="none")
    if not names:
        return Verdict("n/a", "no vanilla gan run on a grid dataset")
    ok = all(ctx.runs[n]["modes_captured"] is not None and ctx.runs[n]["modes_captured"] < ctx.runs[n]["n_modes"] for n in names)
    return Verdict("pass" if ok else "fail",
                   "; ".join(f"{n}: {_modes(ctx.runs[n])} modes captured" for n in names))


def _best(ctx: Context, names: list[str], key: str = "modes_captured") -> str:
    return max(names, key=lambda n: (ctx.runs[n].get(key) or -1, ctx.runs[n].get("high_quality_pct") or -1))


def _more_modes(ctx: Context, better: list[str], worse: list[str], needs: str) -> Verdict:
    """Pass if the best run of `better` captures more modes (mean over seeds) than the best of `worse`."""
    if not better or not worse:
        return Verdict("n/a", f"needs {needs}")
    a, b = _best(ctx, better), _best(ctx, worse)
    ma, mb = ctx.runs[a]["modes_captured"], ctx.runs[b]["modes_captured"]
    ok = ma is not None and mb is not None and ma > mb
    return Verdict("pass" if ok else "fail", f"{a}: {_modes(ctx.runs[a])}; {b}: {_modes(ctx.runs[b])}")


def wgan_gp_beats_gan_grid(ctx: Context) -> Verdict:
    return _more_modes(ctx, ctx.find("wgan_gp", "grid"), ctx.find("gan", "grid", minibatch="none"),
                       "a wgan_gp and a vanilla gan run on a grid dataset")


def wgan_gp_w_falls(ctx: Context) -> Verdict:
    names = ctx.find("wgan_gp")
    if not names:
        return Verdict("n/a", "no wgan_gp run")
    parts, ok = [], True
    for n in names:
        m = ctx.runs[n]
        keys = [("sliced W1 of samples", "train_w_sliced"), ("critic estimate", "train_w_critic")]
        for label, k in keys:
            e, l = m.get(f"{k}_early"), m.get(f"{k}_late")
            good = e is not None and l is not None and l < e
            ok &= good
            parts.append(f"{n} {label}: first 10 % of training {_f(e, 3)} → last 10 % {_f(l, 3)}")
    return Verdict("pass" if ok else "fail", "; ".join(parts))


def saturating_starves(ctx: Context) -> Verdict:
    """Within each saturating run: the generator's gradient norm early in training against the
    non-saturating loss's gradient norm at the same states (logged as grad_g_nonsat)."""
    sat = ctx.find("gan", loss="saturating")
    if not sat:
        return Verdict("n/a", "no gan run with loss: saturating")
    parts, ok = [], True
    for s in sat:
        m = ctx.runs[s]
        gs, gn = m.get("train_grad_g_early"), m.get("train_grad_g_nonsat_early")
        good = gs is not None and gn is not None and gs <= STARVE_RATIO * gn
        ok &= good
        ratio = gs / gn if gs is not None and gn else None
        parts.append(f"{s}: first 10 % of training, mean generator gradient norm {_f(gs, 4)} with the saturating loss vs "
                     f"{_f(gn, 4)} with the non-saturating loss at the same states, ratio {_f(ratio, 3)} "
                     f"(claim holds at ≤ {STARVE_RATIO}); mean D(generated) early {_f(m.get('train_d_fake_early'), 3)}")
    return Verdict("pass" if ok else "fail", "; ".join(parts))


def mbd_beats_gan_grid(ctx: Context) -> Verdict:
    return _more_modes(ctx, ctx.find("gan", "grid", minibatch="mbd") + ctx.find("gan", "grid", minibatch="mbstd"),
                       ctx.find("gan", "grid", minibatch="none"),
                       "a gan run with minibatch discrimination and a vanilla gan run on a grid dataset")


def _image_runs(ctx: Context, family: str, stacked: bool | None = None) -> list[str]:
    names = [n for n in ctx.find(family) if ctx.runs[n].get("kind") == "images"]
    if stacked is not None:
        names = [n for n in names if (ctx.runs[n].get("stacked_modes") is not None
                                      or ctx.datasets[ctx.configs[n].dataset].recipe == "stacked") == stacked]
    return names


def _each(ctx: Context, names: list[str], missing: str, judge) -> Verdict:
    """Pass if `judge(metrics)` -> (ok, evidence) holds for every run in `names`; n/a if none."""
    if not names:
        return Verdict("n/a", missing)
    results = [(n, *judge(ctx.runs[n])) for n in names]
    ok = all(good for _, good, _ in results)
    return Verdict("pass" if ok else "fail", "; ".join(f"{n}: {text}" for n, _, text in results))


def _pct(x) -> str:
    return _f(None if x is None else 100 * x, 1)


def _requested_class(family: str):
    def judge(m: dict):
        acc = m.get("cond_accuracy")
        spread = f" ± {_pct(m['cond_accuracy_std'])}" if len(m.get("seeds_evaluated", [])) > 1 else ""
        return (acc is not None and acc >= COND_MIN,
                f"{_pct(acc)}{spread} % of samples classified as the requested class (claim holds at ≥ {100 * COND_MIN:.0f} %)")
    return lambda ctx: _each(ctx, _image_runs(ctx, family), f"no {family} run on images", judge)


def infogan_classes(ctx: Context) -> Verdict:
    def judge(m: dict):
        acc = m.get("code_class_accuracy")
        return (acc is not None and acc >= CODE_CLASS_MIN,
                f"the best one-to-one map from the categorical code to the classifier's class is right for {_pct(acc)} % "
                f"of samples (chance {_pct(m.get('code_class_chance'))} %; claim holds at ≥ {100 * CODE_CLASS_MIN:.0f} %)")
    return _each(ctx, _image_runs(ctx, "infogan", stacked=False), "no infogan run on a labelled image dataset", judge)


def infogan_factor(ctx: Context) -> Verdict:
    def judge(m: dict):
        best = max(m.get("code_rotation_corr") or 0, m.get("code_thickness_corr") or 0)
        return (best >= CODE_FACTOR_MIN,
                f"the continuous code most correlated with rotation has |r| = {_f(m.get('code_rotation_corr'))}, with stroke "
                f"thickness |r| = {_f(m.get('code_thickness_corr'))} (factors read by the classifier's regression heads; "
                f"claim holds at |r| ≥ {CODE_FACTOR_MIN})")
    names = [n for n in _image_runs(ctx, "infogan") if ctx.runs[n].get("code_rotation_corr") is not None]
    return _each(ctx, names, "no infogan run on a dataset with known rotation and thickness (glyphs)", judge)


def dcgan_covers_classes(ctx: Context) -> Verdict:
    def judge(m: dict):
        per = m.get("per_seed", {}).get("classes_covered", [])
        return (bool(per) and min(per) >= m["n_classes"],
                f"{_f(m.get('classes_covered'), 1)} of {m['n_classes']} classes covered (KL to the real label histogram "
                f"{_f(m.get('label_kl'), 3)} nats)")
    return _each(ctx, _image_runs(ctx, "dcgan", stacked=False), "no dcgan run on a labelled image dataset", judge)


def dcgan_stacked(ctx: Context) -> Verdict:
    def judge(m: dict):
        modes = m.get("stacked_modes")
        return (modes is not None and modes <= STACKED_DROP,
                f"{_f(modes, 1)} of 1,000 modes among {m.get('n_mode_samples')} samples, KL to uniform {_f(m.get('stacked_kl'), 3)} "
                f"(VEEGAN's DCGAN on Stacked MNIST: 99 modes, KL 3.4; claim holds at ≤ {STACKED_DROP} modes)")
    names = [n for n in _image_runs(ctx, "dcgan", stacked=True) if getattr(ctx.configs[n], "minibatch", "none") == "none"]
    return _each(ctx, names, "no plain dcgan run on stacked data", judge)



def mbd_stacked(ctx: Context) -> Verdict:
    """Minibatch discrimination on stacked: more of the 1,000 modes than the plain run on the
    same dataset (the mode count decides; KL and recall are shown beside it)."""
    runs = _image_runs(ctx, "dcgan", stacked=True)
    mb = [n for n in runs if getattr(ctx.configs[n], "minibatch", "none") == "mbd"]
    plain = [n for n in runs if getattr(ctx.configs[n], "minibatch", "none") == "none"]
    pairs = [(a, b) for a in mb for b in plain if ctx.configs[a].dataset == ctx.configs[b].dataset]
    if not pairs:
        return Verdict("n/a", "needs a dcgan run with minibatch: mbd and a plain dcgan run on the same stacked dataset")
    parts, ok = [], True
    for a, b in pairs:
        ma, mb_ = ctx.runs[a], ctx.runs[b]
        good = ma["stacked_modes"] > mb_["stacked_modes"]
        ok &= good
        parts.append(f"{a}: {_f(ma['stacked_modes'], 1)} modes, KL {_f(ma.get('stacked_kl'), 3)}, recall {_f(ma.get('recall'))} "
                     f"vs {b}: {_f(mb_['stacked_modes'], 1)} modes, KL {_f(mb_.get('stacked_kl'), 3)}, recall {_f(mb_.get('recall'))}")
    return Verdict("pass" if ok else "fail", "; ".join(parts))


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
            parts.append(f"{name} ({p} {v[0]:g} → {v[-1]:g}): {k} {_f(m[0], 3)} → {_f(m[-1], 3)}, "
                         f"Spearman ρ({p}, {k}) = {_f(rho)}")
    return Verdict("pass" if ok else "fail", f"claim holds where ρ {'<' if sign < 0 else '>'} 0 ({what}); " + "; ".join(parts))


def truncation_quality(ctx: Context) -> Verdict:
    return _truncation(ctx, TRUNC_QUALITY, -1, "quality rises as the threshold shrinks")


def truncation_diversity(ctx: Context) -> Verdict:
    return _truncation(ctx, TRUNC_DIVERSITY, +1, "diversity falls as the threshold shrinks")


def interpolation_smooth(ctx: Context) -> Verdict:
    names = [n for n in ctx.configs if "interpolation" in (ctx.studies.get(n) or {})]
    if not names:
        return Verdict("n/a", "no image run with an interpolation study")
    parts, ok = [], True
    for n in names:
        for space, r in ctx.studies[n]["interpolation"]["spaces"].items():
            good = r.get("stretch") is not None and r["stretch"] <= STRETCH_MAX and r["excess_changes"] <= EXCESS_MAX
            ok &= good
            parts.append(f"{n} {space.replace('_', ' ')}: path length {_f(r['ppl_mean'], 0)} (median {_f(r['ppl_median'], 0)}), "
                         f"stretch {_f(r['stretch'])}, {_f(r['class_changes'])} class changes per path of which "
                         f"{_f(r['excess_changes'])} beyond the ends' {_f(r['ends_differ'])}")
    return Verdict("pass" if ok else "fail", f"claim holds at stretch ≤ {STRETCH_MAX} and ≤ {EXCESS_MAX} excess class "
                   "change per path in every space; " + "; ".join(parts))


def _stylegan_studies(ctx: Context, key: str) -> list[str]:
    return [n for n in ctx.configs if (ctx.studies.get(n) or {}).get("stylegan") and key in ctx.studies[n]]


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
        parts.append(f"{n}: path length {_f(w, 0)} with lerp in w vs {_f(z, 0)} with slerp in z "
                     f"(medians {_f(sp['w_lerp']['ppl_median'], 0)} vs {_f(sp['z_slerp']['ppl_median'], 0)})")
    return Verdict("pass" if ok else "fail", "; ".join(parts))


def stylegan_mixing_coarse(ctx: Context) -> Verdict:
    names = _stylegan_studies(ctx, "mixing")
    if not names:
        return Verdict("n/a", "no stylegan run with a style-mixing study")
    parts, ok = [], True
    for n in names:
        m = ctx.studies[n]["mixing"]
        good = m["follows_coarse"] is not None and m["follows_fine"] is not None and m["follows_coarse"] > m["follows_fine"]
        ok &= good
        parts.append(f"{n}: of mixed images whose two sources differ in class, {_pct(m['follows_coarse'])} % take the "
                     f"coarse source's class (styles < {m['crossover']} of {m['n_styles']}), {_pct(m['follows_fine'])} % the fine source's")
    return Verdict("pass" if ok else "fail", "; ".join(parts))


CLAIMS = [
    Claim("toy_chance", "The toy GAN's discriminator ends near chance (it cannot tell real from generated) and θ near the data mean.",
          "course notebook: toy 1-D GAN", toy_chance),
    Claim("gan_drops_grid", "The vanilla GAN drops modes on the 25-mode grid.",
          "course; VEEGAN Table 1, PacGAN Table 1", gan_drops_grid),
    Claim("wgan_gp_beats_gan_grid", "WGAN-GP covers more grid modes than the vanilla GAN.",
          "course: Wasserstein GANs", wgan_gp_beats_gan_grid),
    Claim("wgan_gp_w_falls", "The Wasserstein estimate falls during WGAN-GP training.",
          "course; Gulrajani et al. 2017, Fig. 3 / Arjovsky et al. 2017", wgan_gp_w_falls),
    Claim("saturating_starves", "The saturating (minimax) loss starves the generator of gradient early on.",
          "course; Goodfellow et al. 2014, sec. 3", saturating_starves),
    Claim("mbd_beats_gan_grid", "Minibatch discrimination covers more grid modes than the vanilla GAN.",
          "course: tricks for improving performance; Salimans et al. 2016", mbd_beats_gan_grid),
    Claim("dcgan_covers_classes", "DCGAN covers all ten digit classes.",
          "course: DCGAN; Radford et al. 2016", dcgan_covers_classes),
    Claim("dcgan_stacked_drops", "DCGAN drops modes of the 1,000-mode stacked digits.",
          "course: mode collapse; VEEGAN (Srivastava et al. 2017) Table 2", dcgan_stacked),
    Claim("mbd_stacked", "Minibatch discrimination makes DCGAN cover more of the 1,000 stacked modes.",
          "course: tricks for improving performance; Salimans et al. 2016, sec. 3.2", mbd_stacked),
    Claim("cgan_requested_class", "A conditional GAN produces the requested class.",
          "course: conditional GANs; Mirza & Osindero 2014", _requested_class("cgan")),
    Claim("acgan_requested_class", "ACGAN produces the requested class.",
          "course: conditional GANs; Odena et al. 2017", _requested_class("acgan")),
    Claim("infogan_classes", "InfoGAN's categorical code discovers the digit classes without labels.",
          "course: InfoGAN; Chen et al. 2016, sec. 7.1 (5 % error on MNIST)", infogan_classes),
    Claim("infogan_factor", "An InfoGAN continuous code captures an interpretable factor (rotation or stroke width).",
          "course: InfoGAN; Chen et al. 2016, Fig. 2", infogan_factor),
    Claim("truncation_quality", "Truncation raises quality: as the threshold τ (StyleGAN: ψ) shrinks, precision (2-D: high-quality %) rises.",
          "course: the truncation trick; Brock et al. 2019 (BigGAN), Kynkäänniemi et al. 2019, Fig. 8", truncation_quality),
    Claim("truncation_diversity", "Truncation costs diversity: as τ (ψ) shrinks, recall and coverage (2-D: modes captured) fall.",
          "course: the truncation trick; Kynkäänniemi et al. 2019, Fig. 8", truncation_diversity),
    Claim("interpolation_smooth", "Interpolating between latents changes the image smoothly.",
          "course: latent space interpolation; Radford et al. 2016, sec. 6.1", interpolation_smooth),
    Claim("stylegan_w_smoother", "StyleGAN's paths in w are smoother (shorter perceptual path) than in z.",
          "Karras et al. 2019, sec. 4.2, Table 3", stylegan_w_smoother),
    Claim("stylegan_mixing_coarse", "In StyleGAN the coarse styles decide the class: a mixed image takes the coarse source's class.",
          "Karras et al. 2019, sec. 3.1, Fig. 3", stylegan_mixing_coarse),
]


# Image-to-image translation claims live beside their tables (they use the classes above).
from ganlab.report.translation import CLAIMS as _TRANSLATION_CLAIMS  # noqa: E402

CLAIMS += _TRANSLATION_CLAIMS


def check_all(ctx: Context) -> list[dict]:
    rows = []
    for c in CLAIMS:
        try:
            v = c.check(ctx)
        except (KeyError, TypeError) as err:   # a metric missing (e.g. a diverged run): say so
            v = Verdict("fail", f"could not be checked: missing {err}")
        rows.append({"id": c.id, "text": c.text, "source": c.source, "status": v.status, "evidence": v.evidence})
    return rows
