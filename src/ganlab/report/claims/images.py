"""Claims about the image runs: DCGAN's class coverage, mode dropping on stacked digits and what
minibatch discrimination does there, conditional GANs, InfoGAN's codes."""

from __future__ import annotations

from ganlab.report.claims import Context, Margin, Verdict, claim, each, num, pct, run_difference, seed_margin

COND_MIN = 0.9  # a conditional GAN "produces the requested class" for >= 90 % of samples
CODE_CLASS_MIN = 0.8  # InfoGAN "discovers the classes": best code -> class map right for >= 80 %
CODE_FACTOR_MIN = 0.5  # a continuous code "is" a factor if |Pearson r| >= 0.5 with it
STACKED_DROP = 990  # DCGAN "drops stacked modes" if it shows at most 990 of the 1,000 triples


def _image_runs(ctx: Context, family: str, stacked: bool | None = None) -> list[str]:
    names = [n for n in ctx.find(family) if ctx.runs[n].get("kind") == "images"]
    if stacked is not None:
        names = [
            n
            for n in names
            if (
                ctx.runs[n].get("stacked_modes") is not None or ctx.datasets[ctx.configs[n].dataset].recipe == "stacked"
            )
            == stacked
        ]
    return names


@claim("DCGAN covers all ten digit classes.", "course: DCGAN; Radford et al. 2016")
def dcgan_covers_classes(ctx: Context) -> Verdict:
    def judge(m: dict):
        per = m.get("per_seed", {}).get("classes_covered", [])
        return (
            Margin(min(per) if per else None, m["n_classes"]),  # every seed: the fewest decides
            f"{num(m.get('classes_covered'), 1)} of {m['n_classes']} classes covered (KL to the real label histogram "
            f"{num(m.get('label_kl'), 3)} nats)",
        )

    return each(
        ctx, _image_runs(ctx, "dcgan", stacked=False), "no dcgan run on a labelled image dataset", judge, converged=True
    )


@claim(
    "DCGAN drops modes of the 1,000-mode stacked digits.",
    "course: mode collapse; VEEGAN (Srivastava et al. 2017) Table 2",
)
def dcgan_stacked_drops(ctx: Context) -> Verdict:
    def judge(m: dict):
        modes = m.get("stacked_modes")
        return (
            seed_margin(m, "stacked_modes", STACKED_DROP, higher=False),
            f"{num(modes, 1)} of 1,000 modes among {m.get('n_mode_samples')} samples, KL to uniform "
            f"{num(m.get('stacked_kl'), 3)} "
            f"(VEEGAN's DCGAN on Stacked MNIST: 99 modes, KL 3.4; claim holds at ≤ {STACKED_DROP} modes)",
        )

    names = [
        n for n in _image_runs(ctx, "dcgan", stacked=True) if getattr(ctx.configs[n], "minibatch", "none") == "none"
    ]
    return each(ctx, names, "no plain dcgan run on stacked data", judge, converged=True)


@claim(
    "Minibatch discrimination makes DCGAN cover more of the 1,000 stacked modes.",
    "course: tricks for improving performance; Salimans et al. 2016, sec. 3.2",
)
def mbd_stacked(ctx: Context) -> Verdict:
    """Minibatch discrimination on stacked: more of the 1,000 modes than the plain run on the
    same dataset (the mode count decides; KL and recall are shown beside it)."""

    def judge(ma: dict, b: str):
        mb_ = ctx.runs[b]
        return (
            run_difference(ma, mb_, "stacked_modes"),
            f"{num(ma['stacked_modes'], 1)} modes, KL {num(ma.get('stacked_kl'), 3)}, recall {num(ma.get('recall'))} "
            f"vs {b}: {num(mb_['stacked_modes'], 1)} modes, KL {num(mb_.get('stacked_kl'), 3)}, recall "
            f"{num(mb_.get('recall'))}",
        )

    runs = _image_runs(ctx, "dcgan", stacked=True)
    mb = [n for n in runs if getattr(ctx.configs[n], "minibatch", "none") == "mbd"]
    plain = [n for n in runs if getattr(ctx.configs[n], "minibatch", "none") == "none"]
    pairs = [(a, b) for a in mb for b in plain if ctx.configs[a].dataset == ctx.configs[b].dataset]
    return each(
        ctx,
        pairs,
        "needs a dcgan run with minibatch: mbd and a plain dcgan run on the same stacked dataset"
        "; profiles/gpu.yaml has them, 3 seeds each",
        judge,
        converged=True,
    )


def _requested_class(family: str):
    def judge(m: dict):
        acc = m.get("cond_accuracy")
        spread = f" ± {pct(m.get('cond_accuracy_std'))}" if len(m.get("seeds_evaluated", [])) > 1 else ""
        return (
            seed_margin(m, "cond_accuracy", COND_MIN, fraction=True),
            f"{pct(acc)}{spread} % of samples classified as the requested class (claim holds at ≥ "
            f"{100 * COND_MIN:.0f} %)",
        )

    return lambda ctx: each(ctx, _image_runs(ctx, family), f"no {family} run on images", judge, converged=True)


claim(
    "A conditional GAN produces the requested class.",
    "course: conditional GANs; Mirza & Osindero 2014",
    id="cgan_requested_class",
)(_requested_class("cgan"))
claim("ACGAN produces the requested class.", "course: conditional GANs; Odena et al. 2017", id="acgan_requested_class")(
    _requested_class("acgan")
)


@claim(
    "InfoGAN's categorical code discovers the digit classes without labels.",
    "course: InfoGAN; Chen et al. 2016, sec. 7.1 (5 % error on MNIST); reached on real MNIST with the paper's "
    "networks (profiles/infogan.yaml, CPU), not by the default's small networks on glyphs: docs/results.md",
)
def infogan_classes(ctx: Context) -> Verdict:
    def judge(m: dict):
        acc = m.get("code_class_accuracy")
        return (
            seed_margin(m, "code_class_accuracy", CODE_CLASS_MIN, fraction=True),
            f"the best one-to-one map from the categorical code to the classifier's class is right for {pct(acc)} % "
            f"of samples (chance {pct(m.get('code_class_chance'))} %; claim holds at ≥ {100 * CODE_CLASS_MIN:.0f} %)",
        )

    return each(
        ctx,
        _image_runs(ctx, "infogan", stacked=False),
        "no infogan run on a labelled image dataset",
        judge,
        converged=True,
    )


@claim(
    "An InfoGAN continuous code captures an interpretable factor (rotation or stroke width).",
    "course: InfoGAN; Chen et al. 2016, Fig. 2; not reached in any setting measured (default, "
    "profiles/infogan.yaml): docs/results.md",
)
def infogan_factor(ctx: Context) -> Verdict:
    def judge(m: dict):
        key = max(("code_rotation_corr", "code_thickness_corr"), key=lambda k: m.get(k) or 0)
        return (
            seed_margin({**m, key: m.get(key) or 0}, key, CODE_FACTOR_MIN),
            f"the continuous code most correlated with rotation has |r| = {num(m.get('code_rotation_corr'))}, with "
            "stroke "
            f"thickness |r| = {num(m.get('code_thickness_corr'))} (factors read by the classifier's regression heads; "
            f"claim holds at |r| ≥ {CODE_FACTOR_MIN})",
        )

    names = [n for n in _image_runs(ctx, "infogan") if ctx.runs[n].get("code_rotation_corr") is not None]
    return each(
        ctx, names, "no infogan run on a dataset with known rotation and thickness (glyphs)", judge, converged=True
    )


@claim(
    "Growing the networks progressively (4×4 upwards) gives better images than training the same "
    "networks at full resolution from the first step.",
    "course: progressive growing; Karras et al. 2018, sec. 2",
)
def progan_growing_helps(ctx: Context) -> Verdict:
    """Each progan run that grows, against its twin with grow: false (same steps, seeds and every
    other setting): pass if growing gives the lower Fréchet distance on the classifier's features,
    by the interval of the difference over both runs' seeds (both converged)."""
    pairs = [(n, twin) for n in _image_runs(ctx, "progan") if ctx.configs[n].grow for twin in ctx.twins(n, grow=False)]

    def judge(m: dict, twin: str):
        t = ctx.runs[twin]
        fd, fd_t = m.get("fd"), t.get("fd")
        return (
            run_difference(t, m, "fd"),
            f"FD {num(fd, 1)} growing, {num(fd_t, 1)} for {twin} at full resolution throughout "
            f"({num(None if fd is None or fd_t is None else fd_t - fd, 1)} lower with growing); precision "
            f"{num(m.get('precision'), 3)} vs {num(t.get('precision'), 3)}, recall {num(m.get('recall'), 3)} vs "
            f"{num(t.get('recall'), 3)}; {len(m.get('seeds_evaluated', []))} seed(s)",
        )

    return each(
        ctx,
        pairs,
        "needs a progan run and its twin with grow: false; profiles/gpu.yaml has them, 3 seeds each",
        judge,
        converged=True,
    )
