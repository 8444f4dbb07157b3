"""Claims about the point-data runs: the toy 1-D GAN, and the vanilla GAN, WGAN, WGAN-GP and
minibatch discrimination on the PacGAN/VEEGAN 2-D mixtures."""

from __future__ import annotations

from ganlab.report.claims import (
    Context,
    Verdict,
    claim,
    each,
    num,
    paired_change,
    per_seed,
    run_difference,
    seed_margin,
    values_margin,
    verdict,
)

CHANCE_TOL = 0.1  # |D's accuracy - 0.5| below this counts as "near chance"
THETA_TOL = 0.5  # |theta - data mean| below this (in data std units of 1) counts as "near"
STARVE_RATIO = 0.5  # the saturating loss "starves" G if its early gradient norm is at most half


def _modes(m: dict) -> str:
    return f"{num(m.get('modes_captured'), 1)} ± {num(m.get('modes_captured_std'), 1)} of {m.get('n_modes')}"


@claim(
    "The toy GAN's discriminator ends near chance (it cannot tell real from generated) and θ near the data mean.",
    "course notebook: toy 1-D GAN",
)
def toy_chance(ctx: Context) -> Verdict:
    """Chance = 50 % accuracy at telling real from generated (a constant D of any level is at
    chance), judged per seed: the mean over seeds of |accuracy - 0.5| and of |theta - data mean|,
    with their intervals. The mean outputs are shown too: with the notebook's step 0.01 on the summed loss,
    D's level cycles instead of settling at 0.5 (see the toy1d family docstring)."""

    def judge(m: dict, mean: float):
        def near(key: str, centre: float, tol: float):  # per seed |value - centre|, their mean within tol
            return values_margin([abs(v - centre) for v in per_seed(m, key)], tol, higher=False, strict=True)

        return (
            (near("d_accuracy", 0.5, CHANCE_TOL), near("theta", mean, THETA_TOL)),
            f"D's accuracy {num(m.get('d_accuracy'))} (chance 0.5 ± {CHANCE_TOL}; mean D(real) "
            f"{num(m.get('d_real'))}, D(generated) {num(m.get('d_fake'))}); theta {num(m.get('theta'))} ± "
            f"{num(m.get('theta_std'))} vs data mean {mean} (± {THETA_TOL})",
        )

    names = [(n, ctx.datasets[ctx.configs[n].dataset].mean) for n in ctx.find("toy1d")]
    return each(ctx, names, "no toy1d run", judge)


VANILLA = {
    "minibatch": "none",
    "pack": 1,
    "loss": "non_saturating",
    "r1_gamma": 0.0,
    "r2_gamma": 0.0,
    "feature_matching": False,
    "real_label": 1.0,
}


# PacGAN's vanilla-GAN setting on the 2-D mixtures (Lin et al. 2018, Table 1's "GAN" rows; the sources
# are cited in profiles/published.yaml): G of 4 x 400 with batch norm, D of 3 x 200 maxout units of 5
# pieces, Adam 1e-4 (beta1 0.8) at a constant rate, batches of 100, 400,000 steps, latent N(0, I) in 2-D.
PUBLISHED = {
    **VANILLA,
    "g_hidden": [400, 400, 400, 400],
    "d_hidden": [200, 200, 200],
    "d_act": "maxout",
    "maxout_pieces": 5,
    "g_batch_norm": True,
    "lr_g": 1e-4,
    "lr_d": 1e-4,
    "beta1": 0.8,
    "beta2": 0.999,
    "batch_size": 100,
    "steps": 400_000,
    "lr_end": 1.0,
    "z_dim": None,
    "z_dist": "normal",
}


def _vanilla_drops(ctx: Context, recipe: str) -> Verdict:
    """The course's statement is the published finding, so it is judged on the vanilla runs (BCE,
    non-saturating G, no packing, penalty or minibatch layer) at the published conditions
    (PUBLISHED, profiles/published.yaml) where any was trained; the other vanilla runs of the recipe
    (the tuned ones, whose own claim is tuned_gan_covers_grid) are listed, not judged: a tuned run
    answers another question, so it has a claim of its own. Without a run at the published
    conditions, every vanilla run of the recipe is judged: the default pipeline's. Pass if every
    judged run captures fewer than all modes on average."""
    vanilla = ctx.find("gan", recipe, **VANILLA)
    published = ctx.find("gan", recipe, **PUBLISHED)
    others = [n for n in vanilla if n not in published]
    if published:
        head = (
            "at the published conditions (profiles/published.yaml); other vanilla runs, not judged: "
            + (", ".join(f"{n} {_modes(ctx.runs[n])}" for n in others) or "none")
            + "; "
        )
    else:
        head = "no run at the published conditions (profiles/published.yaml): every vanilla run judged; "
    return each(
        ctx,
        published or vanilla,
        f"no vanilla gan run on a {recipe} dataset",
        lambda m: (
            seed_margin(m, "modes_captured", m["n_modes"], higher=False, strict=True),
            f"{_modes(m)} modes captured",
        ),
        head=head,
        converged=True,
    )


@claim(
    "The vanilla GAN drops modes on the 25-mode grid.",
    "course; VEEGAN Table 1, PacGAN Table 1 (17.3 ± 0.8 of 25)",
)
def gan_drops_grid(ctx: Context) -> Verdict:
    return _vanilla_drops(ctx, "grid")


@claim(
    "The vanilla GAN drops modes on the 8-mode ring.",
    "course; VEEGAN Table 1, PacGAN Table 1 (6.3 ± 0.5 of 8)",
)
def gan_drops_ring(ctx: Context) -> Verdict:
    return _vanilla_drops(ctx, "ring")


@claim(
    "Tuned (learning rate decayed to 0, hidden layers of twice the width), the vanilla GAN covers every grid mode in "
    "every seed; either change alone drops modes.",
    "this lab's sweep (docs/results.md, profiles/modes.yaml)",
)
def tuned_gan_covers_grid(ctx: Context) -> Verdict:
    """Each vanilla grid run with the learning rate decayed to 0 that has both one-change twins:
    the same run at a constant learning rate (lr_end 1) and the same run at half the hidden widths.
    Pass if the tuned run captures all modes in every seed and each twin captures fewer on average."""
    items = []
    for name in ctx.find("gan", "grid", **VANILLA):
        cfg = ctx.configs[name]
        if cfg.lr_end != 0.0 or any(w % 2 for w in cfg.g_hidden + cfg.d_hidden):
            continue
        const = ctx.twins(name, lr_end=1.0)
        narrow = ctx.twins(name, g_hidden=[w // 2 for w in cfg.g_hidden], d_hidden=[w // 2 for w in cfg.d_hidden])
        if const and narrow:
            items.append((name, const[0], narrow[0]))

    def judge(m: dict, const: str, narrow: str):
        seeds = (m.get("per_seed") or {}).get("modes_captured") or []
        fewest = min(seeds) if seeds else None
        parts = [
            ("", fewest is not None and fewest == m["n_modes"], f"{_modes(m)} modes, fewest in a seed {num(fewest, 0)}")
        ]
        for label, twin in (("constant lr", const), ("half width", narrow)):
            t = ctx.runs[twin]
            parts.append(
                (
                    f"vs {twin} ({label})",
                    seed_margin(t, "modes_captured", t["n_modes"], higher=False, strict=True),
                    f"{_modes(t)} modes",
                )
            )
        return parts

    return each(
        ctx,
        items,
        "needs the tuned vanilla grid run and its two one-change twins (profiles/modes.yaml)",
        judge,
        converged=True,
    )


COLLAPSED = 0.5  # a run "collapses" within its modes if its samples fill at most half the data's spread
FILLS = 0.8  # ... and "fills" them at 0.8 of it or more


@claim(
    "Mode collapse (the generator maps many latents to a few points) is distinct from mode dropping: "
    "on the same data one run collapses within its modes while another fills them.",
    "course: mode collapse vs mode dropping",
)
def mode_collapse_distinct(ctx: Context) -> Verdict:
    """Per point dataset (the 1-D toy included): each run's within-mode spread (the std of its high-quality
    samples around their mode's mean, in mode stds; mean over seeds) against the real data's
    (the floor, about 0.97), beside its modes captured. Among the runs that meet their convergence
    condition, pass if on some dataset one run's ratio is at most COLLAPSED and another's at least
    FILLS (each decided by its interval over seeds); runs that miss it are listed, not judged."""
    by_ds: dict[str, list[str]] = {}
    for name, m in ctx.runs.items():
        if m.get("within_mode_spread") is not None and m.get("within_mode_spread_floor"):
            by_ds.setdefault(ctx.configs[name].dataset, []).append(name)
    if not by_ds:
        return Verdict("n/a", "no 2-D point run with a within-mode spread")

    def margin(n: str, bound: float, **how):
        m = ctx.runs[n]
        return seed_margin(m, "within_mode_spread", bound, over=m["within_mode_spread_floor"], **how)

    def ratio(n: str) -> float:
        return ctx.runs[n]["within_mode_spread"] / ctx.runs[n]["within_mode_spread_floor"]

    lines = [
        f"{ds}: "
        + ", ".join(
            f"{n} {num(ratio(n))} of the data's spread ({_modes(ctx.runs[n])} modes)" for n in sorted(names, key=ratio)
        )
        for ds, names in by_ds.items()
    ]

    def judged(ds: str) -> Verdict:  # one dataset: its most collapsed converged run against its fullest
        ok = [n for n in by_ds[ds] if not ctx.not_converged(n)]
        if len(by_ds[ds]) < 2:
            return Verdict("fail", f"one run only on {ds}: it cannot both collapse and fill")
        if len(ok) < 2:
            return Verdict(
                "undecided",
                f"{len(ok)} converged run(s) on {ds}, 2 needed: "
                + "; ".join(ctx.not_converged(n) for n in by_ds[ds] if ctx.not_converged(n)),
            )
        lo, hi = min(ok, key=ratio), max(ok, key=ratio)
        return verdict(
            [
                (f"{lo} collapses", margin(lo, COLLAPSED, higher=False), f"{num(ratio(lo))} of the data's spread"),
                (f"{hi} fills", margin(hi, FILLS), f"{num(ratio(hi))} of the data's spread"),
            ]
        )

    # the claim needs one dataset: a pass on any, else undecided if any dataset's verdict is
    ds, v = min(((d, judged(d)) for d in by_ds), key=lambda dv: ("pass", "undecided", "fail").index(dv[1].status))
    return Verdict(
        v.status,
        f"collapsed at ≤ {COLLAPSED:g}, fills at ≥ {FILLS:g}; " + "; ".join(lines) + f"; judged on {ds}: {v.evidence}",
    )


def _option_pairs(ctx: Context, families: tuple[str, ...], option: dict, baseline: dict) -> list[tuple[str, str]]:
    """(run with `option`, its twin with `baseline` instead and everything else equal)."""
    pairs = []
    for fam in families:
        for name in ctx.find(fam):
            cfg = ctx.configs[name]
            if all(ok(getattr(cfg, k)) for k, ok in option.items()):
                pairs += [(name, twin) for twin in ctx.twins(name, **baseline(cfg))]
    return pairs


def _mode_count(m: dict) -> tuple[str, str]:
    """The key of a run's modes captured and how to show them: 2-D mixtures (of n_modes, with high
    quality %) or stacked images (of 1,000 class triples, with the KL of their histogram)."""
    if "stacked_modes" in m:
        return "stacked_modes", f"{num(m['stacked_modes'], 1)} of 1000 modes, KL {num(m.get('stacked_kl'), 3)}"
    return "modes_captured", f"{_modes(m)}, HQ {num(m.get('high_quality_pct'), 1)} %"


def _more_modes_than_twin(ctx: Context, pairs: list[tuple[str, str]], missing: str, extra=None) -> Verdict:
    """Each run against its twin: more modes (mean over seeds), decided by the interval of the
    difference over both runs' seeds; both runs must have converged. `extra(m)` adds a run's own
    evidence (e.g. D's output on real samples)."""

    def judge(m: dict, twin: str):
        (key, text_a), (_, text_b) = _mode_count(m), _mode_count(ctx.runs[twin])
        more = f" ({extra(m)}; {twin}: {extra(ctx.runs[twin])})" if extra else ""
        return run_difference(m, ctx.runs[twin], key), f"{text_a}; {twin}: {text_b}{more}"

    return each(ctx, pairs, f"{missing}; profiles/modes.yaml has such twins", judge, converged=True)


@claim(
    "Packing (the discriminator judges m samples at once) covers more modes than the same network unpacked.",
    "PacGAN, Lin et al. 2018, Table 1",
)
def packing_more_modes(ctx: Context) -> Verdict:
    pairs = _option_pairs(ctx, ("gan", "dcgan", "wgan", "wgan_gp"), {"pack": lambda m: m > 1}, lambda cfg: {"pack": 1})
    return _more_modes_than_twin(ctx, pairs, "needs a packed run and its unpacked twin (same settings, pack: 1)")


@claim(
    "The relativistic pairing loss (RpGAN) with R1 + R2 covers more modes than the plain GAN loss with the same "
    "penalties.",
    "R3GAN, Huang et al. 2024, sec. 2",
)
def rpgan_more_modes(ctx: Context) -> Verdict:
    pairs = _option_pairs(
        ctx, ("gan", "dcgan"), {"loss": lambda v: v == "rpgan"}, lambda cfg: {"loss": "non_saturating"}
    )
    return _more_modes_than_twin(
        ctx, pairs, "needs an rpgan run and its twin with loss non_saturating (same penalties)"
    )


@claim(
    "Feature matching (the generator matches the mean of the discriminator's hidden features on real data) covers "
    "more modes than the same network with the usual generator loss.",
    "course: tricks for improving performance; Salimans et al. 2016, sec. 3.1",
)
def feature_matching_more_modes(ctx: Context) -> Verdict:
    pairs = _option_pairs(ctx, ("gan", "dcgan"), {"feature_matching": bool}, lambda cfg: {"feature_matching": False})
    return _more_modes_than_twin(
        ctx, pairs, "needs a feature_matching run and its twin (same settings, feature_matching: false)"
    )


@claim(
    "One-sided label smoothing (real samples' target below 1, 0.9 in the paper; generated ones keep 0) covers more "
    "modes than the same network without it.",
    "course: tricks for improving performance; Salimans et al. 2016, sec. 3.4",
)
def label_smoothing_more_modes(ctx: Context) -> Verdict:
    """The discriminator's mean output on real samples over the last 10 % of training is shown
    beside the modes: smoothing is meant to keep it from saturating at 1."""
    pairs = _option_pairs(ctx, ("gan", "dcgan"), {"real_label": lambda a: a < 1}, lambda cfg: {"real_label": 1.0})
    return _more_modes_than_twin(
        ctx,
        pairs,
        "needs a run with real_label < 1 and its twin (same settings, real_label: 1.0)",
        lambda m: f"D(real) late {num(m.get('train_d_real_late'), 3)}",
    )


def _best(ctx: Context, names: list[str], key: str = "modes_captured") -> str:
    return max(names, key=lambda n: (ctx.runs[n].get(key) or -1, ctx.runs[n].get("high_quality_pct") or -1))


def _more_modes(ctx: Context, better: list[str], worse: list[str], needs: str) -> Verdict:
    """Pass if the best run of `better` captures more modes (mean over seeds) than the best of `worse`
    (the interval of the difference over their seeds; both must have converged)."""

    def judge(ma: dict, b: str):
        mb = ctx.runs[b]
        return run_difference(ma, mb, "modes_captured"), f"{_modes(ma)}; {b}: {_modes(mb)}"

    pair = [(_best(ctx, better), _best(ctx, worse))] if better and worse else []
    return each(ctx, pair, f"needs {needs}", judge, converged=True)


@claim("WGAN-GP covers more grid modes than the vanilla GAN.", "course: Wasserstein GANs")
def wgan_gp_beats_gan_grid(ctx: Context) -> Verdict:
    return _more_modes(
        ctx,
        ctx.find("wgan_gp", "grid"),
        ctx.find("gan", "grid", **VANILLA),
        "a wgan_gp and a vanilla gan run on a grid dataset",
    )


@claim(
    "The Wasserstein estimate falls during WGAN-GP training.",
    "course; Gulrajani et al. 2017, Fig. 3 / Arjovsky et al. 2017",
)
def wgan_gp_w_falls(ctx: Context) -> Verdict:
    def falls(m: dict, label: str, k: str):
        early, late = m.get(f"{k}_early"), m.get(f"{k}_late")
        return (
            label,
            paired_change(m, f"{k}_early", f"{k}_late"),
            f"first 10 % of training {num(early, 3)} → last 10 % {num(late, 3)}",
        )

    return each(
        ctx,
        ctx.find("wgan_gp"),
        "no wgan_gp run",
        lambda m: [falls(m, "sliced W1 of samples", "train_w_sliced"), falls(m, "critic estimate", "train_w_critic")],
    )


def _ratios(m: dict, num_key: str, den_key: str) -> list[float]:
    """A run's per-seed ratios of two metrics ([] without per-seed values or with a zero)."""
    a, b = per_seed(m, num_key), per_seed(m, den_key)
    return [x / y for x, y in zip(a, b)] if len(a) == len(b) > 1 and 0 not in b else []


@claim(
    "The saturating (minimax) loss starves the generator of gradient early on.",
    "course; Goodfellow et al. 2014, sec. 3",
)
def saturating_starves(ctx: Context) -> Verdict:
    """Within each saturating run: the generator's gradient norm early in training against the
    non-saturating loss's gradient norm at the same states (logged as grad_g_nonsat), as a ratio per
    seed where the log has the seeds' curves."""

    def judge(m: dict):
        gs, gn = m.get("train_grad_g_early"), m.get("train_grad_g_nonsat_early")
        ratio = gs / gn if gs is not None and gn else None
        ratios = _ratios(m, "train_grad_g_early", "train_grad_g_nonsat_early")
        margin = values_margin(ratios, STARVE_RATIO, value=None if ratios else ratio, higher=False)
        return (
            margin,
            f"first 10 % of training, mean generator gradient norm {num(gs, 4)} with the saturating loss vs "
            f"{num(gn, 4)} with the non-saturating loss at the same states, ratio {num(margin.value, 3)} "
            f"({'mean over seeds' if ratios else 'of the means'}) "
            f"(claim holds at ≤ {STARVE_RATIO}); mean D(generated) early {num(m.get('train_d_fake_early'), 3)}",
        )

    return each(ctx, ctx.find("gan", loss="saturating"), "no gan run with loss: saturating", judge)


@claim(
    "Minibatch discrimination covers more grid modes than the same network without it.",
    "course: tricks for improving performance; Salimans et al. 2016, sec. 3.2",
)
def mbd_beats_gan_grid(ctx: Context) -> Verdict:
    """Against its twin (the same settings with minibatch: none), as the other tricks are."""
    pairs = [
        (n, twin)
        for n in ctx.find("gan", "grid", minibatch="mbd") + ctx.find("gan", "grid", minibatch="mbstd")
        for twin in ctx.twins(n, minibatch="none")
    ]
    return _more_modes_than_twin(
        ctx, pairs, "needs a gan run with a minibatch layer on a grid dataset and its twin (minibatch: none)"
    )
