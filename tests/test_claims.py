"""Claims are functions of the numbers: they pass, fail or say n/a exactly as the metrics say."""

from __future__ import annotations

from ganlab.config import validate
from ganlab.report.claims import CLAIMS, Context, Verdict, check_all, claim


def seeded(m: dict, n: int = 5) -> dict:
    """A run's metrics as if each of n seeds measured exactly its values (per_seed lists of n equal
    values: a zero-width interval), unless the test gives per_seed or seeds_evaluated itself."""
    if "per_seed" in m or "seeds_evaluated" in m:
        return m
    return {
        **m,
        "per_seed": {k: [v] * n for k, v in m.items() if isinstance(v, (int, float)) and not isinstance(v, bool)},
    }


def ctx(tiny_params, runs: dict, metrics: dict, seeds: int = 5) -> Context:
    tiny_params["datasets"].update(
        {"glyphs": {"recipe": "glyphs", "image_size": 16}, "stacked": {"recipe": "stacked", "image_size": 16}}
    )
    tiny_params["runs"] = runs
    p = validate(tiny_params)
    return Context(runs={k: seeded(m, seeds) for k, m in metrics.items()}, configs=p.runs, datasets=p.datasets)


# Claims on the latent-space studies and on image translation have their own tests
# (tests/test_studies.py, tests/test_translation.py); "all pass" / "all fail" below cover the rest.
ELSEWHERE = {
    "truncation_quality",
    "truncation_diversity",
    "interpolation_smooth",
    "stylegan_w_smoother",
    "stylegan_mixing_coarse",
    "packing_more_modes",
    "rpgan_more_modes",
    "tuned_gan_covers_grid",
    "gan_gradient_vanishes",
    "saddle_point_oscillates",
    "stylegan_noise_fine",
    "progan_growing_helps",
    "mode_collapse_distinct",
    "feature_matching_more_modes",
    "label_smoothing_more_modes",
    "gan_drops_ring",
} | {c.id for c in CLAIMS if c.check.__module__.endswith(".translation")}  # packing, rpgan, tricks, tuned, ring: below


def verdicts(c: Context) -> dict:
    return {r["id"]: r["status"] for r in check_all(c) if r["id"] not in ELSEWHERE}


def grid_runs():
    return {
        "g": {"family": "gan", "dataset": "grid25"},
        "w": {"family": "wgan_gp", "dataset": "grid25"},
        "m": {"family": "gan", "dataset": "grid25", "minibatch": "mbd"},
        "s": {"family": "gan", "dataset": "grid25", "loss": "saturating"},
        "t": {"family": "toy1d", "dataset": "toy1d"},
    }


def metrics(g_modes, w_modes, m_modes, sat_grad, ns_grad, w_early, w_late, acc, theta):
    base = {"n_modes": 25, "high_quality_pct": 80.0}
    return {
        "g": {**base, "modes_captured": g_modes, "modes_captured_std": 0.5, "train_grad_g_early": ns_grad},
        "w": {
            **base,
            "modes_captured": w_modes,
            "train_w_sliced_early": w_early,
            "train_w_sliced_late": w_late,
            "train_w_critic_early": w_early,
            "train_w_critic_late": w_late,
        },
        "m": {**base, "modes_captured": m_modes},
        "s": {**base, "modes_captured": 3.0, "train_grad_g_early": sat_grad, "train_grad_g_nonsat_early": ns_grad},
        "t": {"d_accuracy": acc, "theta": theta, "theta_std": 0.1, "d_real": 0.6, "d_fake": 0.6},
    }


def image_runs():
    return {
        "dc": {"family": "dcgan", "dataset": "glyphs"},
        "dcs": {"family": "dcgan", "dataset": "stacked"},
        "dcm": {"family": "dcgan", "dataset": "stacked", "minibatch": "mbd"},
        "cg": {"family": "cgan", "dataset": "glyphs"},
        "ac": {"family": "acgan", "dataset": "glyphs"},
        "ig": {"family": "infogan", "dataset": "glyphs"},
    }


def image_metrics(ok: bool) -> dict:
    im = {"kind": "images", "n_classes": 10}
    covered = [10.0, 10.0] if ok else [10.0, 9.0]  # every seed must cover all ten
    return {
        "dc": {**im, "classes_covered": sum(covered) / 2, "per_seed": {"classes_covered": covered}, "label_kl": 0.01},
        "dcs": {**im, "stacked_modes": 990.0 if ok else 991.0, "stacked_kl": 0.3, "n_mode_samples": 26000},
        "dcm": {
            **im,
            "stacked_modes": 991.0 if ok else 991.0,
            "stacked_kl": 0.3,
            "n_mode_samples": 26000,
        },  # strictly more
        "cg": {**im, "cond_accuracy": 0.9 if ok else 0.899},  # thresholds are inclusive
        "ac": {**im, "cond_accuracy": 0.97 if ok else 0.5},
        "ig": {
            **im,
            "code_class_accuracy": 0.8 if ok else 0.79,
            "code_class_chance": 0.1,
            "code_rotation_corr": 0.1,
            "code_thickness_corr": 0.5 if ok else 0.49,
        },
    }


def test_all_pass(tiny_params):
    m = {**metrics(17, 24.7, 22, 0.01, 1.0, 2.0, 0.1, 0.52, 7.4), **image_metrics(True)}
    v = verdicts(ctx(tiny_params, {**grid_runs(), **image_runs()}, m))
    assert v == {k: "pass" for k in v}


def test_all_fail(tiny_params):
    m = {**metrics(25, 25, 25, 0.9, 1.0, 0.1, 2.0, 0.8, 5.0), **image_metrics(False)}
    v = verdicts(ctx(tiny_params, {**grid_runs(), **image_runs()}, m))
    assert v == {k: "fail" for k in v}


def test_na_without_runs(tiny_params):
    v = verdicts(
        ctx(
            tiny_params,
            {"t": {"family": "toy1d", "dataset": "toy1d"}},
            {"t": {"d_accuracy": 0.5, "theta": 7.5, "d_real": 0.5, "d_fake": 0.5}},
        )
    )
    assert v["toy_chance"] == "pass" and all(v[k] == "n/a" for k in v if k != "toy_chance")


def test_boundaries_are_strict(tiny_params):
    # equal coverage is not "more"; a gradient ratio just above 0.5 does not "starve"
    v = verdicts(ctx(tiny_params, grid_runs(), metrics(20, 20, 20, 0.51, 1.0, 1.0, 1.0, 0.5, 7.5)))
    assert (
        v["wgan_gp_beats_gan_grid"]
        == v["mbd_beats_gan_grid"]
        == v["saturating_starves"]
        == v["wgan_gp_w_falls"]
        == "fail"
    )


def test_missing_metric_fails_not_crashes(tiny_params):
    m = metrics(17, 24, 22, 0.01, 1.0, 2.0, 0.1, 0.5, 7.5)
    m["w"]["modes_captured"] = None  # e.g. a diverged run
    assert verdicts(ctx(tiny_params, grid_runs(), m))["wgan_gp_beats_gan_grid"] == "fail"


def test_saturating_uses_same_state_gradient(tiny_params):
    """The evidence is the non-saturating gradient at the saturating run's own states, not
    another run's gradient: a twin with a large gradient must not make the claim pass."""
    m = metrics(17, 24, 22, 0.9, 1.0, 2.0, 0.1, 0.5, 7.5)
    m["s"]["train_grad_g_nonsat_early"] = 1.0  # same-state ratio 0.9: no starvation
    m["g"]["train_grad_g_early"] = 100.0  # a non-saturating twin with huge gradients
    assert verdicts(ctx(tiny_params, grid_runs(), m))["saturating_starves"] == "fail"
    m["s"]["train_grad_g_nonsat_early"] = 10.0  # same-state ratio 0.09: starved
    assert verdicts(ctx(tiny_params, grid_runs(), m))["saturating_starves"] == "pass"


def test_a_claim_that_raises_is_an_error_not_a_fail(tiny_params, monkeypatch):
    """A bug in a claim's code must not read as a negative scientific result."""
    monkeypatch.setattr("ganlab.report.claims.CLAIMS", list(CLAIMS))  # registrations below are undone
    from ganlab.report import claims

    @claim("A claim whose code has a bug.", "tests")  # id: the function's name
    def test_raises(c):
        return c.runs["no such run"]["modes_captured"]

    @claim("A claim that answers something else.", "tests", id="test_bad_status")
    def bad_status(c):
        return Verdict("maybe", "")

    rows = {r["id"]: r for r in claims.check_all(ctx(tiny_params, grid_runs(), {}))}
    assert rows["test_raises"]["status"] == "error"
    assert rows["test_raises"]["evidence"] == "the claim's code raised KeyError: 'no such run'"
    assert rows["test_bad_status"]["status"] == "error" and "status 'maybe'" in rows["test_bad_status"]["evidence"]
    assert {r["status"] for i, r in rows.items() if not i.startswith("test_")} <= {"pass", "fail", "n/a"}
    import pytest

    with pytest.raises(ValueError, match="registered twice"):
        claim("again", "tests")(test_raises)


def test_claims_are_registered_by_subject_in_table_order():
    modules = [c.check.__module__.rsplit(".", 1)[1] for c in CLAIMS]
    assert modules == sorted(modules, key=["points", "images", "studies", "translation"].index)
    assert len({c.id for c in CLAIMS}) == len(CLAIMS) == 32


def test_packing_rpgan_and_trick_claims_compare_each_run_with_its_twin(tiny_params):
    """A packed (RpGAN, feature-matching, label-smoothed, minibatch) run is judged against the run
    with the same settings but pack 1 (the plain loss with the same penalties, the usual G loss,
    real_label 1, no minibatch layer); a run with no twin gives n/a, equal counts fail."""
    runs = {
        "p": {"family": "gan", "dataset": "grid25", "pack": 4},
        "u": {"family": "gan", "dataset": "grid25"},
        "r": {"family": "gan", "dataset": "grid25", "loss": "rpgan", "r1_gamma": 0.1, "r2_gamma": 0.1},
        "n": {"family": "gan", "dataset": "grid25", "r1_gamma": 0.1, "r2_gamma": 0.1},
        "fm": {"family": "gan", "dataset": "grid25", "feature_matching": True},
        "ls": {"family": "gan", "dataset": "grid25", "real_label": 0.9},
        "mb": {"family": "gan", "dataset": "grid25", "minibatch": "mbd", "steps": 7},
        "lone": {"family": "gan", "dataset": "grid25", "pack": 2, "steps": 7},
    }
    m = lambda k, **more: {
        "n_modes": 25,
        "modes_captured": k,
        "modes_captured_std": 0.0,
        "high_quality_pct": 90.0,
        **more,
    }
    c = ctx(
        tiny_params,
        runs,
        {
            "p": m(25.0),
            "u": m(20.0, train_d_real_late=0.97),
            "r": m(24.0),
            "n": m(24.0),
            "fm": m(19.0),
            "ls": m(22.0, train_d_real_late=0.88),
            "mb": m(25.0),
            "lone": m(25.0),
        },
    )
    rows = {r["id"]: r for r in check_all(c)}
    assert rows["feature_matching_more_modes"]["status"] == "fail"  # 19 < 20
    assert rows["feature_matching_more_modes"]["evidence"].startswith("fm: 19.0 ± 0.0 of 25, HQ 90.0 %; u: 20.0")
    assert rows["label_smoothing_more_modes"]["status"] == "pass"  # 22 > 20, spread 0
    assert "(D(real) late 0.880; u: D(real) late 0.970)" in rows["label_smoothing_more_modes"]["evidence"]
    # the minibatch run has no twin ("lone" shares its steps but packs 2): n/a
    assert rows["mbd_beats_gan_grid"]["status"] == "n/a"
    assert rows["packing_more_modes"]["status"] == "pass"
    assert rows["packing_more_modes"]["evidence"].startswith("p: 25.0 ± 0.0 of 25, HQ 90.0 %; u: 20.0")
    assert "lone" not in rows["packing_more_modes"]["evidence"]  # no unpacked twin (steps differ)
    assert rows["rpgan_more_modes"]["status"] == "fail"  # 24 = 24 is not more
    ev = rows["gan_drops_grid"]["evidence"]  # no run at the published conditions: every vanilla run
    assert ev.startswith("no run at the published conditions") and ev.split("; ")[1].startswith("u:")
    assert ev.count("of 25") == 1  # the vanilla run only
    # without twins: n/a
    c = ctx(tiny_params, {"lone": runs["lone"]}, {"lone": m(25.0)})
    assert {r["id"]: r["status"] for r in check_all(c)}["packing_more_modes"] == "n/a"


def test_vanilla_drops_claims_judge_each_vanilla_run_of_their_recipe(tiny_params):
    """gan_drops_ring without a run at the published conditions: every vanilla ring run (not the
    grid's, not the saturating loss's) must capture fewer than all modes on average; one that covers
    the ring fails the claim."""
    runs = {
        "v": {"family": "gan", "dataset": "ring8", "d_act": "maxout", "g_batch_norm": True},
        "sat": {"family": "gan", "dataset": "ring8", "loss": "saturating"},
        "g": {"family": "gan", "dataset": "grid25"},
    }
    m = lambda k, n=8: {"n_modes": n, "modes_captured": k, "modes_captured_std": 0.0, "high_quality_pct": 98.0}
    rows = {r["id"]: r for r in check_all(ctx(tiny_params, runs, {"v": m(6.3), "sat": m(8.0), "g": m(25.0, 25)}))}
    assert rows["gan_drops_ring"]["status"] == "pass"
    assert rows["gan_drops_ring"]["evidence"].startswith(
        "no run at the published conditions (profiles/published.yaml): "
        "every vanilla run judged; v: 6.3 ± 0.0 of 8 modes captured"
    )
    assert "sat" not in rows["gan_drops_ring"]["evidence"] and "g:" not in rows["gan_drops_ring"]["evidence"]
    assert rows["gan_drops_grid"]["status"] == "fail"  # g covers its 25
    runs["tuned"] = {"family": "gan", "dataset": "ring8", "lr_end": 0.0}
    rows = {
        r["id"]: r
        for r in check_all(ctx(tiny_params, runs, {"v": m(6.3), "sat": m(8.0), "g": m(25.0, 25), "tuned": m(8.0)}))
    }
    assert rows["gan_drops_ring"]["status"] == "fail"  # one vanilla run covers the ring


PUB = {
    "family": "gan",
    "g_hidden": [400, 400, 400, 400],
    "d_hidden": [200, 200, 200],
    "d_act": "maxout",
    "g_batch_norm": True,
    "lr_g": 1e-4,
    "lr_d": 1e-4,
    "beta1": 0.8,
    "batch_size": 100,
    "steps": 400000,
}


def test_vanilla_drops_claims_judge_the_published_conditions_where_trained(tiny_params):
    """With a run at PacGAN's published setting (profiles/published.yaml's), gan_drops_* judges it
    alone: the tuned vanilla run that covers the grid is listed, not judged (it has its own claim);
    a run one setting away from the published one (here: the learning rate decayed) is not published."""
    runs = {
        "pub": {**PUB, "dataset": "grid25"},
        "tuned": {"family": "gan", "dataset": "grid25", "lr_end": 0.0},
        "pack": {**PUB, "dataset": "grid25", "pack": 4},
        "near": {**PUB, "dataset": "grid25", "lr_end": 0.5},
    }
    m = lambda k: {"n_modes": 25, "modes_captured": k, "modes_captured_std": 0.5, "high_quality_pct": 90.0}
    rows = {
        r["id"]: r
        for r in check_all(ctx(tiny_params, runs, {"pub": m(18.3), "tuned": m(25.0), "pack": m(24.0), "near": m(25.0)}))
    }
    ev = rows["gan_drops_grid"]["evidence"]
    assert rows["gan_drops_grid"]["status"] == "pass", ev
    assert ev.startswith(
        "at the published conditions (profiles/published.yaml); other vanilla runs, not judged: "
        "tuned 25.0 ± 0.5 of 25, near 25.0 ± 0.5 of 25; pub: 18.3 ± 0.5 of 25 modes captured"
    ), ev
    assert "pack" not in ev  # packed: not vanilla
    # the published run covering the grid fails the claim, whatever the other runs do
    rows = {
        r["id"]: r
        for r in check_all(ctx(tiny_params, runs, {"pub": m(25.0), "tuned": m(17.0), "pack": m(24.0), "near": m(18.0)}))
    }
    assert rows["gan_drops_grid"]["status"] == "fail"
    # published runs on another recipe do not count for this one
    assert rows["gan_drops_ring"]["status"] == "n/a"


def test_tuned_claim_needs_all_seeds_and_both_ablations(tiny_params):
    """The tuned vanilla run is judged with its constant-lr twin and its half-width twin; it must
    cover every mode in every seed (the fewest modes of any seed counts, not the mean)."""
    tuned = {"family": "gan", "dataset": "grid25", "lr_end": 0.0, "g_hidden": [128, 128], "d_hidden": [128, 128]}
    runs = {
        "t": tuned,
        "c": {**tuned, "lr_end": 1.0},
        "w": {**tuned, "g_hidden": [64, 64], "d_hidden": [64, 64]},
        "other": {**tuned, "steps": 9},
    }  # not a twin: steps differ

    def m(per_seed):
        return {
            "n_modes": 25,
            "modes_captured": sum(per_seed) / len(per_seed),
            "modes_captured_std": 0.0,
            "high_quality_pct": 90.0,
            "per_seed": {"modes_captured": per_seed},
        }

    def verdict(t, c, w):
        rows = {r["id"]: r for r in check_all(ctx(tiny_params, runs, {"t": m(t), "c": m(c), "w": m(w), "other": m(t)}))}
        return rows["tuned_gan_covers_grid"]

    row = verdict([25.0, 25.0, 25.0], [20.0, 21.0, 20.0], [21.0, 21.0, 21.0])
    assert row["status"] == "pass", row
    assert row["evidence"].startswith("t: 25.0 ± 0.0 of 25 modes, fewest in a seed 25; t vs c (constant lr): 20.3")
    assert "other" not in row["evidence"]
    assert verdict([25.0, 25.0, 24.0], [20.0] * 3, [21.0] * 3)["status"] == "fail"  # one seed drops a mode
    assert verdict([25.0] * 3, [25.0] * 3, [21.0] * 3)["status"] == "fail"  # constant lr covers too
    assert verdict([25.0] * 3, [20.0] * 3, [25.0] * 3)["status"] == "fail"  # half width covers too
    only = {k: runs[k] for k in ("t", "c")}  # no half-width twin
    rows = check_all(ctx(tiny_params, only, {"t": m([25.0] * 3), "c": m([20.0] * 3)}))
    assert {r["id"]: r["status"] for r in rows}["tuned_gan_covers_grid"] == "n/a"


def test_progan_growing_claim_compares_twins(tiny_params):
    runs = {
        "g": {"family": "progan", "dataset": "glyphs", "steps": 500},
        "f": {"family": "progan", "dataset": "glyphs", "steps": 500, "grow": False},
        "other": {"family": "progan", "dataset": "glyphs", "steps": 700, "grow": False},
    }  # not a twin
    im = {"kind": "images", "precision": 0.5, "recall": 0.5}

    def row(fd_g, fd_f, floor=20.0):
        c = ctx(
            tiny_params,
            runs,
            {
                "g": {**im, "fd": fd_g, "fd_floor": floor},
                "f": {**im, "fd": fd_f, "fd_floor": floor},
                "other": {**im, "fd": 1.0},
            },
            seeds=3,
        )
        return {r["id"]: r for r in check_all(c)}["progan_growing_helps"]

    r = row(150.0, 200.0)
    assert (
        r["status"] == "pass"
        and r["evidence"].startswith("g: FD 150.0 growing, 200.0 for f")
        and "other" not in r["evidence"]
    )
    assert row(200.0, 150.0)["status"] == "fail"
    assert row(150.0, 150.0)["status"] == "fail"
    r = row(150.0, 200.0, floor=2.0)  # FD 75 and 100 times the floor: neither run has converged
    assert (
        r["status"] == "undecided"
        and "g has not converged: Fréchet distance 150.0, over 10 x its noise floor 2.00" in r["evidence"]
    )


def test_mode_collapse_claim_needs_a_collapsed_and_a_filling_run_on_one_dataset(tiny_params):
    runs = {
        "a": {"family": "gan", "dataset": "grid25"},
        "b": {"family": "wgan_gp", "dataset": "grid25"},
        "r": {"family": "gan", "dataset": "ring8"},
    }

    def status(a, b, r):
        m = lambda v: {
            "n_modes": 25,
            "modes_captured": 25.0,
            "modes_captured_std": 0.0,
            "within_mode_spread": v,
            "within_mode_spread_floor": 0.97,
        }
        c = ctx(tiny_params, runs, {"a": m(a), "b": m(b), "r": m(r)})
        return {x["id"]: x for x in check_all(c)}["mode_collapse_distinct"]

    row = status(0.485, 0.776, 0.1)  # ratios 0.5 and 0.8: both bounds inclusive
    assert row["status"] == "pass" and row["evidence"].index("a 0.50") < row["evidence"].index("b 0.80")
    assert status(0.49, 0.77, 0.9)["status"] == "fail"  # grid: 0.51 is not collapsed; ring has one run only
    assert status(0.1, 0.2, 0.9)["status"] == "fail"  # nothing fills the grid's modes
    c = ctx(tiny_params, {"a": runs["a"]}, {"a": {"n_modes": 25, "modes_captured": 25.0}})
    assert {x["id"]: x["status"] for x in check_all(c)}["mode_collapse_distinct"] == "n/a"


def test_t_and_welch_intervals_against_hand_computed_cases():
    """90 % intervals. One run, seeds [1, 2, 3, 4, 5]: mean 3, s = sqrt(2.5), t(0.95, 4) = 2.131847,
    half-width 2.131847 * 1.581139 / sqrt(5) = 1.507443. Two runs, a = [11, 13, 15] (var 4),
    b = [7, 8, 9, 10, 11] (var 2.5): difference 4, se^2 = 4/3 + 2.5/5 = 1.833333, Welch's df =
    1.833333^2 / ((4/3)^2 / 2 + 0.5^2 / 4) = 3.361345 / 0.951389 = 3.533, t(0.95, 3.533) = 2.251...;
    checked against scipy's own Welch test (ttest_ind(equal_var=False).confidence_interval)."""
    import numpy as np
    from scipy import stats

    from ganlab.report.claims import t_interval, welch_interval

    i = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert np.isclose(i.lo, 3 - 1.507443, atol=1e-6) and np.isclose(i.hi, 3 + 1.507443, atol=1e-6)
    assert i.source == "t over 5 seeds" and t_interval([3.0]) is None
    assert t_interval([2.0, 2.0, 2.0]).lo == t_interval([2.0, 2.0, 2.0]).hi == 2.0  # the same in every seed
    a, b = [11.0, 13.0, 15.0], [7.0, 8.0, 9.0, 10.0, 11.0]
    w = welch_interval(a, b)
    df = (4 / 3 + 0.5) ** 2 / ((4 / 3) ** 2 / 2 + 0.5**2 / 4)
    assert np.isclose(df, 3.533, atol=1e-3)
    half = stats.t.ppf(0.95, df) * (4 / 3 + 0.5) ** 0.5
    assert np.isclose(w.lo, 4 - half, atol=1e-9) and np.isclose(w.hi, 4 + half, atol=1e-9)
    ref = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.9)
    assert np.isclose(w.lo, ref.low, atol=1e-9) and np.isclose(w.hi, ref.high, atol=1e-9)
    assert welch_interval([1.0], b) is None


def test_margin_decides_only_when_its_interval_is_on_one_side():
    from ganlab.report.claims import Interval, Margin

    assert Margin(0.9, 0.9).status == "pass" and Margin(0.9, 0.9, strict=True).status == "fail"
    assert Margin(0.3, 0.5, higher=False) and Margin(None, 0.5).status == "fail"  # a missing metric fails
    iv = lambda lo, hi: Interval(lo, hi, "t over 5 seeds")
    assert Margin(0.95, 0.9, iv(0.92, 0.98)).status == "pass"
    assert Margin(0.85, 0.9, iv(0.80, 0.88)).status == "fail"
    straddle = Margin(0.91, 0.9, iv(0.87, 0.95))
    assert straddle.status == "undecided" and not straddle and "straddles the bound: undecided" in straddle.text()
    assert Margin(0.0, 0.0, iv(0.0, 0.0), strict=True).status == "fail"  # equal in every seed: not more
    assert Margin(25.0, 25.0, iv(25.0, 25.0), higher=False).text() == (
        "margin +0, 90 % interval [+25, +25] (t over 5 seeds)"
    )
    assert Margin(0.95, 0.9).text() == "margin +0.05, one measurement"
    assert Margin(0.99, 0.9, iv(0.95, 1.0), why="too few seeds").status == "undecided"


def test_verdict_fails_on_any_decided_failure_and_is_otherwise_undecided_if_any_judgement_is():
    from ganlab.report.claims import Interval, Margin, Undecided, verdict

    iv = lambda lo, hi: Interval(lo, hi, "t over 5 seeds")
    holds, straddles, fails = (
        Margin(0.95, 0.9, iv(0.93, 0.97)),
        Margin(0.91, 0.9, iv(0.88, 0.94)),
        Margin(0.5, 0.9, iv(0.4, 0.6)),
    )
    assert verdict([("a", holds, "")]).status == "pass"
    assert verdict([("a", holds, ""), ("b", straddles, "")]).status == "undecided"
    assert verdict([("a", straddles, ""), ("b", fails, "")]).status == "fail"
    assert (
        verdict([("a", (True, Undecided("b has not converged")), "x")]).evidence
        == "a: x [undecided: b has not converged]"
    )
    assert verdict([("a", (False, Undecided("why")), "")]).status == "fail"  # a bare False decides
    assert verdict([("a", (True, Margin(0.95, 0.9)), "x")]).evidence == "a: x [margin +0.05, one measurement]"


def test_a_comparison_needs_enough_seeds_and_says_what_would_decide_it(tiny_params):
    """Packing against its twin: 3 seeds per 2-D run are fewer than the 5 a comparison of point runs
    needs; with 5 the interval decides, and one that straddles 0 is undecided."""
    runs = {"p": {"family": "gan", "dataset": "grid25", "pack": 4}, "u": {"family": "gan", "dataset": "grid25"}}

    def row(p: list, u: list):
        m = lambda v: {
            "kind": "points",
            "n_modes": 25,
            "high_quality_pct": 90.0,
            "modes_captured": sum(v) / len(v),
            "modes_captured_std": 0.0,
            "seeds_evaluated": list(range(len(v))),
            "per_seed": {"modes_captured": v},
        }
        return {r["id"]: r for r in check_all(ctx(tiny_params, runs, {"p": m(p), "u": m(u)}))}["packing_more_modes"]

    r = row([24.0, 25.0, 24.0], [20.0, 21.0, 20.0])
    assert r["status"] == "undecided" and "3 seed(s) per run; a comparison decides from ≥ 5 seeds each" in r["evidence"]
    assert row([24.0, 25.0, 24.0, 25.0, 24.0], [20.0, 21.0, 20.0, 21.0, 20.0])["status"] == "pass"
    r = row([24.0, 20.0, 22.0, 25.0, 19.0], [21.0, 22.0, 20.0, 23.0, 21.0])  # +0.6, spread ~2.5: straddles
    assert r["status"] == "undecided" and "straddles the bound" in r["evidence"]
    assert row([20.0, 21.0, 20.0, 21.0, 20.0], [24.0, 25.0, 24.0, 25.0, 24.0])["status"] == "fail"


def test_a_claim_on_an_unconverged_run_is_undecided(tiny_params):
    """The 2-D condition is half the perfect generator's high-quality share: 3 standard deviations
    in 2-D hold 1 - exp(-4.5) = 98.89 % of a Gaussian, so a run needs 49.44 %."""
    import math

    from ganlab.metrics.coverage import perfect_high_quality_frac

    assert math.isclose(perfect_high_quality_frac(2, 3.0), 1 - math.exp(-4.5), rel_tol=1e-12)
    assert math.isclose(perfect_high_quality_frac(1, 3.0), math.erf(3 / 2**0.5), rel_tol=1e-12)
    runs = {"p": {"family": "gan", "dataset": "grid25", "pack": 4}, "u": {"family": "gan", "dataset": "grid25"}}
    m = lambda k, hq: {
        "n_modes": 25,
        "modes_captured": k,
        "modes_captured_std": 0.0,
        "high_quality_pct": hq,
        "high_quality_pct_perfect": 100 * perfect_high_quality_frac(2, 3.0),
    }
    rows = {r["id"]: r for r in check_all(ctx(tiny_params, runs, {"p": m(25.0, 49.0), "u": m(20.0, 90.0)}))}
    r = rows["packing_more_modes"]
    assert r["status"] == "undecided"
    assert (
        "p has not converged: 49.0 % of its samples are high quality, under 49.4 % (half the perfect generator's 98.9 "
        "%)" in r["evidence"]
    )
    assert rows["gan_drops_grid"]["status"] == "pass"  # u, converged, drops modes
    rows = {r["id"]: r for r in check_all(ctx(tiny_params, runs, {"p": m(25.0, 49.5), "u": m(20.0, 90.0)}))}
    assert rows["packing_more_modes"]["status"] == "pass"
    rows = {r["id"]: r for r in check_all(ctx(tiny_params, runs, {"p": m(25.0, 90.0), "u": m(20.0, 10.0)}))}
    assert rows["packing_more_modes"]["status"] == rows["gan_drops_grid"]["status"] == "undecided"  # the twin has not


def test_requested_class_decides_from_seeds_or_says_one_seed_covers_sampling_only(tiny_params):
    """cgan at 90.2 % over 2,500 samples of one seed: its 90 % sampling interval (±1.645 x 0.594 %)
    straddles the claim's 90 %: undecided; over three seeds the t interval decides."""
    runs = {"cg": {"family": "cgan", "dataset": "glyphs"}}

    def status(acc: list, n=2500):
        m = {
            "kind": "images",
            "n_classes": 10,
            "seeds_evaluated": list(range(len(acc))),
            "n_generated": n,
            "cond_accuracy": sum(acc) / len(acc),
            "per_seed": {"cond_accuracy": acc},
        }
        return {x["id"]: x for x in check_all(ctx(tiny_params, runs, {"cg": m}))}["cgan_requested_class"]

    row = status([0.902])
    assert row["status"] == "undecided" and "sampling only: 1 seed, 2,500 samples" in row["evidence"]
    assert status([0.95])["status"] == "pass" and status([0.85])["status"] == "fail"
    assert status([0.93, 0.89, 0.97])["status"] == "undecided"  # t interval 0.93 ± 2.92 x 0.023: straddles
    assert status([0.93, 0.92, 0.94])["status"] == "pass"


def test_every_verdict_has_its_value_in_the_summary():
    """summary.json holds 1 / 0 / 0.5 for pass / fail / undecided and null for n/a and error; the report
    stage names them back, so every scientific verdict needs a distinct value."""
    from ganlab.report.claims import STATUSES
    from ganlab.report.render import SUMMARY_VALUE

    assert set(SUMMARY_VALUE) == set(STATUSES) - {"n/a", "error"}
    assert len(set(SUMMARY_VALUE.values())) == len(SUMMARY_VALUE) and None not in SUMMARY_VALUE.values()


def test_published_settings_match_the_profile_that_trains_them():
    """PUBLISHED (the claim's copy of PacGAN's setting) finds exactly the vanilla runs of
    profiles/published.yaml over the default params: not the packed ones, not the default runs."""
    from pathlib import Path

    from ganlab import config
    from ganlab.report.claims.points import PUBLISHED

    root = Path(__file__).resolve().parents[1]
    p = validate(
        config.overlay(config.read_yaml(root / "params.yaml"), config.read_yaml(root / "profiles/published.yaml"))
    )
    c = Context(runs={n: {} for n in p.runs}, configs=p.runs, datasets=p.datasets)
    assert c.find("gan", "grid", **PUBLISHED) == ["gan_pub-grid"]
    assert c.find("gan", "ring", **PUBLISHED) == ["gan_pub-ring"]
