"""Claims are functions of the numbers: they pass, fail or say n/a exactly as the metrics say."""
from __future__ import annotations

from ganlab.config import validate
from ganlab.report.claims import CLAIMS, Context, Verdict, check_all, claim


def ctx(tiny_params, runs: dict, metrics: dict) -> Context:
    tiny_params["datasets"].update({"glyphs": {"recipe": "glyphs", "image_size": 16},
                                    "stacked": {"recipe": "stacked", "image_size": 16}})
    tiny_params["runs"] = runs
    p = validate(tiny_params)
    return Context(runs=metrics, configs=p.runs, datasets=p.datasets)


# Claims on the latent-space studies and on image translation have their own tests
# (tests/test_studies.py, tests/test_translation.py); "all pass" / "all fail" below cover the rest.
ELSEWHERE = {"truncation_quality", "truncation_diversity", "interpolation_smooth", "stylegan_w_smoother",
             "stylegan_mixing_coarse", "packing_more_modes", "rpgan_more_modes", "tuned_gan_covers_grid",
             "gan_gradient_vanishes", "saddle_point_oscillates", "stylegan_noise_fine",
             "progan_growing_helps", "mode_collapse_distinct", "feature_matching_more_modes", "label_smoothing_more_modes",
             "gan_drops_ring"} \
    | {c.id for c in CLAIMS if c.check.__module__.endswith(".translation")}   # packing, rpgan, tricks, tuned, ring: below


def verdicts(c: Context) -> dict:
    return {r["id"]: r["status"] for r in check_all(c) if r["id"] not in ELSEWHERE}


def grid_runs():
    return {"g": {"family": "gan", "dataset": "grid25"}, "w": {"family": "wgan_gp", "dataset": "grid25"},
            "m": {"family": "gan", "dataset": "grid25", "minibatch": "mbd"},
            "s": {"family": "gan", "dataset": "grid25", "loss": "saturating"},
            "t": {"family": "toy1d", "dataset": "toy1d"}}


def metrics(g_modes, w_modes, m_modes, sat_grad, ns_grad, w_early, w_late, acc, theta):
    base = {"n_modes": 25, "high_quality_pct": 80.0}
    return {"g": {**base, "modes_captured": g_modes, "modes_captured_std": 0.5, "train_grad_g_early": ns_grad},
            "w": {**base, "modes_captured": w_modes, "train_w_sliced_early": w_early, "train_w_sliced_late": w_late,
                  "train_w_critic_early": w_early, "train_w_critic_late": w_late},
            "m": {**base, "modes_captured": m_modes},
            "s": {**base, "modes_captured": 3.0, "train_grad_g_early": sat_grad, "train_grad_g_nonsat_early": ns_grad},
            "t": {"d_accuracy": acc, "theta": theta, "theta_std": 0.1, "d_real": 0.6, "d_fake": 0.6}}


def image_runs():
    return {"dc": {"family": "dcgan", "dataset": "glyphs"}, "dcs": {"family": "dcgan", "dataset": "stacked"},
            "dcm": {"family": "dcgan", "dataset": "stacked", "minibatch": "mbd"},
            "cg": {"family": "cgan", "dataset": "glyphs"}, "ac": {"family": "acgan", "dataset": "glyphs"},
            "ig": {"family": "infogan", "dataset": "glyphs"}}


def image_metrics(ok: bool) -> dict:
    im = {"kind": "images", "n_classes": 10}
    covered = [10.0, 10.0] if ok else [10.0, 9.0]        # every seed must cover all ten
    return {"dc": {**im, "classes_covered": sum(covered) / 2, "per_seed": {"classes_covered": covered}, "label_kl": 0.01},
            "dcs": {**im, "stacked_modes": 990.0 if ok else 991.0, "stacked_kl": 0.3, "n_mode_samples": 26000},
            "dcm": {**im, "stacked_modes": 991.0 if ok else 991.0, "stacked_kl": 0.3, "n_mode_samples": 26000},  # strictly more
            "cg": {**im, "cond_accuracy": 0.9 if ok else 0.899},     # thresholds are inclusive
            "ac": {**im, "cond_accuracy": 0.97 if ok else 0.5},
            "ig": {**im, "code_class_accuracy": 0.8 if ok else 0.79, "code_class_chance": 0.1,
                   "code_rotation_corr": 0.1, "code_thickness_corr": 0.5 if ok else 0.49}}


def test_all_pass(tiny_params):
    m = {**metrics(17, 24.7, 22, 0.01, 1.0, 2.0, 0.1, 0.52, 7.4), **image_metrics(True)}
    v = verdicts(ctx(tiny_params, {**grid_runs(), **image_runs()}, m))
    assert v == {k: "pass" for k in v}


def test_all_fail(tiny_params):
    m = {**metrics(25, 25, 25, 0.9, 1.0, 0.1, 2.0, 0.8, 5.0), **image_metrics(False)}
    v = verdicts(ctx(tiny_params, {**grid_runs(), **image_runs()}, m))
    assert v == {k: "fail" for k in v}


def test_na_without_runs(tiny_params):
    v = verdicts(ctx(tiny_params, {"t": {"family": "toy1d", "dataset": "toy1d"}},
                     {"t": {"d_accuracy": 0.5, "theta": 7.5, "d_real": 0.5, "d_fake": 0.5}}))
    assert v["toy_chance"] == "pass" and all(v[k] == "n/a" for k in v if k != "toy_chance")


def test_boundaries_are_strict(tiny_params):
    # equal coverage is not "more"; a gradient ratio just above 0.5 does not "starve"
    v = verdicts(ctx(tiny_params, grid_runs(), metrics(20, 20, 20, 0.51, 1.0, 1.0, 1.0, 0.5, 7.5)))
    assert v["wgan_gp_beats_gan_grid"] == v["mbd_beats_gan_grid"] == v["saturating_starves"] == v["wgan_gp_w_falls"] == "fail"


def test_missing_metric_fails_not_crashes(tiny_params):
    m = metrics(17, 24, 22, 0.01, 1.0, 2.0, 0.1, 0.5, 7.5)
    m["w"]["modes_captured"] = None          # e.g. a diverged run
    assert verdicts(ctx(tiny_params, grid_runs(), m))["wgan_gp_beats_gan_grid"] == "fail"


def test_saturating_uses_same_state_gradient(tiny_params):
    """The evidence is the non-saturating gradient at the saturating run's own states, not
    another run's gradient: a twin with a large gradient must not make the claim pass."""
    m = metrics(17, 24, 22, 0.9, 1.0, 2.0, 0.1, 0.5, 7.5)
    m["s"]["train_grad_g_nonsat_early"] = 1.0       # same-state ratio 0.9: no starvation
    m["g"]["train_grad_g_early"] = 100.0             # a non-saturating twin with huge gradients
    assert verdicts(ctx(tiny_params, grid_runs(), m))["saturating_starves"] == "fail"
    m["s"]["train_grad_g_nonsat_early"] = 10.0      # same-state ratio 0.09: starved
    assert verdicts(ctx(tiny_params, grid_runs(), m))["saturating_starves"] == "pass"


def test_a_claim_that_raises_is_an_error_not_a_fail(tiny_params, monkeypatch):
    """A bug in a claim's code must not read as a negative scientific result."""
    monkeypatch.setattr("ganlab.report.claims.CLAIMS", list(CLAIMS))   # registrations below are undone
    from ganlab.report import claims

    @claim("test_raises", "A claim whose code has a bug.", "tests")
    def raises(c):
        return c.runs["no such run"]["modes_captured"]

    @claim("test_bad_status", "A claim that answers something else.", "tests")
    def bad_status(c):
        return Verdict("maybe", "")

    rows = {r["id"]: r for r in claims.check_all(ctx(tiny_params, grid_runs(), {}))}
    assert rows["test_raises"]["status"] == "error"
    assert rows["test_raises"]["evidence"] == "the claim's code raised KeyError: 'no such run'"
    assert rows["test_bad_status"]["status"] == "error" and "status 'maybe'" in rows["test_bad_status"]["evidence"]
    assert {r["status"] for i, r in rows.items() if not i.startswith("test_")} <= {"pass", "fail", "n/a"}
    import pytest
    with pytest.raises(ValueError, match="registered twice"):
        claim("test_raises", "again", "tests")(raises)


def test_claims_are_registered_by_subject_in_table_order():
    modules = [c.check.__module__.rsplit(".", 1)[1] for c in CLAIMS]
    assert modules == sorted(modules, key=["points", "images", "studies", "translation"].index)
    assert len({c.id for c in CLAIMS}) == len(CLAIMS) == 32


def test_packing_rpgan_and_trick_claims_compare_each_run_with_its_twin(tiny_params):
    """A packed (RpGAN, feature-matching, label-smoothed, minibatch) run is judged against the run
    with the same settings but pack 1 (the plain loss with the same penalties, the usual G loss,
    real_label 1, no minibatch layer); a run with no twin gives n/a, equal counts fail."""
    runs = {"p": {"family": "gan", "dataset": "grid25", "pack": 4}, "u": {"family": "gan", "dataset": "grid25"},
            "r": {"family": "gan", "dataset": "grid25", "loss": "rpgan", "r1_gamma": 0.1, "r2_gamma": 0.1},
            "n": {"family": "gan", "dataset": "grid25", "r1_gamma": 0.1, "r2_gamma": 0.1},
            "fm": {"family": "gan", "dataset": "grid25", "feature_matching": True},
            "ls": {"family": "gan", "dataset": "grid25", "real_label": 0.9},
            "mb": {"family": "gan", "dataset": "grid25", "minibatch": "mbd", "steps": 7},
            "lone": {"family": "gan", "dataset": "grid25", "pack": 2, "steps": 7}}
    m = lambda k, **more: {"n_modes": 25, "modes_captured": k, "modes_captured_std": 0.0, "high_quality_pct": 90.0, **more}  # noqa: E731
    c = ctx(tiny_params, runs, {"p": m(25.0), "u": m(20.0, train_d_real_late=0.97), "r": m(24.0), "n": m(24.0),
                                "fm": m(19.0), "ls": m(22.0, train_d_real_late=0.88), "mb": m(25.0), "lone": m(25.0)})
    rows = {r["id"]: r for r in check_all(c)}
    assert rows["feature_matching_more_modes"]["status"] == "fail"    # 19 < 20
    assert rows["feature_matching_more_modes"]["evidence"].startswith("fm: 19.0 ± 0.0 of 25, HQ 90.0 %; u: 20.0")
    assert rows["label_smoothing_more_modes"]["status"] == "pass"     # 22 > 20, spread 0
    assert "(D(real) late 0.880; u: D(real) late 0.970)" in rows["label_smoothing_more_modes"]["evidence"]
    # the minibatch run has no twin ("lone" shares its steps but packs 2): n/a
    assert rows["mbd_beats_gan_grid"]["status"] == "n/a"
    assert rows["packing_more_modes"]["status"] == "pass"
    assert rows["packing_more_modes"]["evidence"].startswith("p: 25.0 ± 0.0 of 25, HQ 90.0 %; u: 20.0")
    assert "lone" not in rows["packing_more_modes"]["evidence"]       # no unpacked twin (steps differ)
    assert rows["rpgan_more_modes"]["status"] == "fail"               # 24 = 24 is not more
    ev = rows["gan_drops_grid"]["evidence"]      # no run at the published conditions: every vanilla run
    assert ev.startswith("no run at the published conditions") and ev.split("; ")[1].startswith("u:")
    assert ev.count("of 25") == 1                                        # the vanilla run only
    # without twins: n/a
    c = ctx(tiny_params, {"lone": runs["lone"]}, {"lone": m(25.0)})
    assert {r["id"]: r["status"] for r in check_all(c)}["packing_more_modes"] == "n/a"


def test_vanilla_drops_claims_judge_each_vanilla_run_of_their_recipe(tiny_params):
    """gan_drops_ring without a run at the published conditions: every vanilla ring run (not the
    grid's, not the saturating loss's) must capture fewer than all modes on average; one that covers
    the ring fails the claim."""
    runs = {"v": {"family": "gan", "dataset": "ring8", "d_act": "maxout", "g_batch_norm": True},
            "sat": {"family": "gan", "dataset": "ring8", "loss": "saturating"},
            "g": {"family": "gan", "dataset": "grid25"}}
    m = lambda k, n=8: {"n_modes": n, "modes_captured": k, "modes_captured_std": 0.0, "high_quality_pct": 98.0}  # noqa: E731
    rows = {r["id"]: r for r in check_all(ctx(tiny_params, runs, {"v": m(6.3), "sat": m(8.0), "g": m(25.0, 25)}))}
    assert rows["gan_drops_ring"]["status"] == "pass"
    assert rows["gan_drops_ring"]["evidence"].startswith("no run at the published conditions (profiles/published.yaml): "
                                                         "every vanilla run judged; v: 6.3 ± 0.0 of 8 modes captured")
    assert "sat" not in rows["gan_drops_ring"]["evidence"] and "g:" not in rows["gan_drops_ring"]["evidence"]
    assert rows["gan_drops_grid"]["status"] == "fail"                 # g covers its 25
    runs["tuned"] = {"family": "gan", "dataset": "ring8", "lr_end": 0.0}
    rows = {r["id"]: r for r in check_all(ctx(tiny_params, runs, {"v": m(6.3), "sat": m(8.0), "g": m(25.0, 25),
                                                                  "tuned": m(8.0)}))}
    assert rows["gan_drops_ring"]["status"] == "fail"                 # one vanilla run covers the ring


PUB = {"family": "gan", "g_hidden": [400, 400, 400, 400], "d_hidden": [200, 200, 200], "d_act": "maxout",
       "g_batch_norm": True, "lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.8, "batch_size": 100, "steps": 400000}


def test_vanilla_drops_claims_judge_the_published_conditions_where_trained(tiny_params):
    """With a run at PacGAN's published setting (profiles/published.yaml's), gan_drops_* judges it
    alone: the tuned vanilla run that covers the grid is listed, not judged (it has its own claim);
    a run one setting away from the published one (here: the learning rate decayed) is not published."""
    runs = {"pub": {**PUB, "dataset": "grid25"}, "tuned": {"family": "gan", "dataset": "grid25", "lr_end": 0.0},
            "pack": {**PUB, "dataset": "grid25", "pack": 4}, "near": {**PUB, "dataset": "grid25", "lr_end": 0.5}}
    m = lambda k: {"n_modes": 25, "modes_captured": k, "modes_captured_std": 0.5, "high_quality_pct": 90.0}  # noqa: E731
    rows = {r["id"]: r for r in check_all(ctx(tiny_params, runs, {"pub": m(18.3), "tuned": m(25.0), "pack": m(24.0),
                                                                  "near": m(25.0)}))}
    ev = rows["gan_drops_grid"]["evidence"]
    assert rows["gan_drops_grid"]["status"] == "pass", ev
    assert ev.startswith("at the published conditions (profiles/published.yaml); other vanilla runs, not judged: "
                         "tuned 25.0 ± 0.5 of 25, near 25.0 ± 0.5 of 25; pub: 18.3 ± 0.5 of 25 modes captured"), ev
    assert "pack" not in ev                                           # packed: not vanilla
    # the published run covering the grid fails the claim, whatever the other runs do
    rows = {r["id"]: r for r in check_all(ctx(tiny_params, runs, {"pub": m(25.0), "tuned": m(17.0), "pack": m(24.0),
                                                                  "near": m(18.0)}))}
    assert rows["gan_drops_grid"]["status"] == "fail"
    # published runs on another recipe do not count for this one
    assert rows["gan_drops_ring"]["status"] == "n/a"


def test_tuned_claim_needs_all_seeds_and_both_ablations(tiny_params):
    """The tuned vanilla run is judged with its constant-lr twin and its half-width twin; it must
    cover every mode in every seed (the fewest modes of any seed counts, not the mean)."""
    tuned = {"family": "gan", "dataset": "grid25", "lr_end": 0.0, "g_hidden": [128, 128], "d_hidden": [128, 128]}
    runs = {"t": tuned, "c": {**tuned, "lr_end": 1.0}, "w": {**tuned, "g_hidden": [64, 64], "d_hidden": [64, 64]},
            "other": {**tuned, "steps": 9}}                      # not a twin: steps differ
    def m(per_seed):
        return {"n_modes": 25, "modes_captured": sum(per_seed) / len(per_seed), "modes_captured_std": 0.0,
                "high_quality_pct": 90.0, "per_seed": {"modes_captured": per_seed}}
    def verdict(t, c, w):
        rows = {r["id"]: r for r in check_all(ctx(tiny_params, runs, {"t": m(t), "c": m(c), "w": m(w), "other": m(t)}))}
        return rows["tuned_gan_covers_grid"]
    row = verdict([25.0, 25.0, 25.0], [20.0, 21.0, 20.0], [21.0, 21.0, 21.0])
    assert row["status"] == "pass", row
    assert row["evidence"].startswith("t: 25.0 ± 0.0 of 25 modes, fewest in a seed 25; t vs c (constant lr): 20.3")
    assert "other" not in row["evidence"]
    assert verdict([25.0, 25.0, 24.0], [20.0] * 3, [21.0] * 3)["status"] == "fail"     # one seed drops a mode
    assert verdict([25.0] * 3, [25.0] * 3, [21.0] * 3)["status"] == "fail"             # constant lr covers too
    assert verdict([25.0] * 3, [20.0] * 3, [25.0] * 3)["status"] == "fail"             # half width covers too
    only = {k: runs[k] for k in ("t", "c")}                                             # no half-width twin
    rows = check_all(ctx(tiny_params, only, {"t": m([25.0] * 3), "c": m([20.0] * 3)}))
    assert {r["id"]: r["status"] for r in rows}["tuned_gan_covers_grid"] == "n/a"


def test_progan_growing_claim_compares_twins(tiny_params):
    runs = {"g": {"family": "progan", "dataset": "glyphs", "steps": 500},
            "f": {"family": "progan", "dataset": "glyphs", "steps": 500, "grow": False},
            "other": {"family": "progan", "dataset": "glyphs", "steps": 700, "grow": False}}   # not a twin
    im = {"kind": "images", "seeds_evaluated": [0], "precision": 0.5, "recall": 0.5}
    def row(fd_g, fd_f):
        c = ctx(tiny_params, runs, {"g": {**im, "fd": fd_g}, "f": {**im, "fd": fd_f}, "other": {**im, "fd": 1.0}})
        return {r["id"]: r for r in check_all(c)}["progan_growing_helps"]
    r = row(150.0, 200.0)
    assert r["status"] == "pass" and r["evidence"].startswith("g: FD 150.0 growing, 200.0 for f") and "other" not in r["evidence"]
    assert row(200.0, 150.0)["status"] == "fail"
    assert row(150.0, 150.0)["status"] == "fail"


def test_mode_collapse_claim_needs_a_collapsed_and_a_filling_run_on_one_dataset(tiny_params):
    runs = {"a": {"family": "gan", "dataset": "grid25"}, "b": {"family": "wgan_gp", "dataset": "grid25"},
            "r": {"family": "gan", "dataset": "ring8"}}
    def status(a, b, r):
        m = lambda v: {"n_modes": 25, "modes_captured": 25.0, "modes_captured_std": 0.0,   # noqa: E731
                       "within_mode_spread": v, "within_mode_spread_floor": 0.97}
        c = ctx(tiny_params, runs, {"a": m(a), "b": m(b), "r": m(r)})
        return {x["id"]: x for x in check_all(c)}["mode_collapse_distinct"]
    row = status(0.485, 0.776, 0.1)                       # ratios 0.5 and 0.8: both bounds inclusive
    assert row["status"] == "pass" and row["evidence"].index("a 0.50") < row["evidence"].index("b 0.80")
    assert status(0.49, 0.77, 0.9)["status"] == "fail"   # grid: 0.51 is not collapsed; ring has one run only
    assert status(0.1, 0.2, 0.9)["status"] == "fail"     # nothing fills the grid's modes
    c = ctx(tiny_params, {"a": runs["a"]}, {"a": {"n_modes": 25, "modes_captured": 25.0}})
    assert {x["id"]: x["status"] for x in check_all(c)}["mode_collapse_distinct"] == "n/a"


def test_margin_holds_and_is_fragile_inside_its_spread():
    from ganlab.report.claims import Margin, difference
    assert Margin(0.9, 0.9) and not Margin(0.9, 0.9, strict=True) and Margin(0.3, 0.5, higher=False)
    assert not Margin(None, 0.5) and not Margin(None, 0.5).fragile
    assert Margin(0.91, 0.9, 0.02).fragile and not Margin(0.95, 0.9, 0.02).fragile
    assert not Margin(25.0, 25.0, 0.0).fragile          # every seed exactly at the bound: no spread, not fragile
    assert Margin(25.0, 25.0, 0.0, higher=False).text() == "margin +0, the same in every seed"
    assert "not measured" in Margin(0.95, 0.9).text() and "inside" in Margin(0.91, 0.9, 0.02).text()
    d = difference(10.0, 8.0, 1.5, 2.0)                  # spread of a difference: sqrt(1.5^2 + 2^2) = 2.5
    assert d and d.margin == 2.0 and d.spread == 2.5 and d.fragile
    assert difference(10.0, 8.0, None, 2.0).spread is None


def test_verdict_is_fragile_when_its_deciding_margin_is_inside_the_spread():
    from ganlab.report.claims import Margin, verdict
    robust, shaky = Margin(0.95, 0.9, 0.01), Margin(0.91, 0.9, 0.02)
    assert verdict([("a", robust, "")]).status == "pass"
    v = verdict([("a", robust, ""), ("b", shaky, "")])
    assert v.status == "fragile" and v.evidence.startswith("as measured: pass")
    assert verdict([("a", Margin(0.89, 0.9, 0.02), ""), ("b", robust, "")]).status == "fragile"   # its one failure could flip
    assert verdict([("a", Margin(0.5, 0.9, 0.02), ""), ("b", Margin(0.89, 0.9, 0.02), "")]).status == "fail"  # one robust failure
    assert verdict([("a", (False, shaky), "")]).status == "fail"                                   # a bare False is robust
    assert verdict([("a", (True, Margin(0.95, 0.9)), "x")]).evidence == "a: x [margin +0.05, spread over seeds not measured]"


def test_requested_class_margin_against_seeds_or_the_sampling_error(tiny_params):
    """cgan at 90.2 % over 2,500 samples of one seed: the binomial error alone (±0.59 %) exceeds the
    0.2 % margin, so the verdict is fragile; over three seeds their spread decides."""
    runs = {"cg": {"family": "cgan", "dataset": "glyphs"}}
    def status(**m):
        c = ctx(tiny_params, runs, {"cg": {"kind": "images", "n_classes": 10, "seeds_evaluated": [0], **m}})
        return {x["id"]: x for x in check_all(c)}["cgan_requested_class"]
    row = status(cond_accuracy=0.902, n_generated=2500)
    assert row["status"] == "fragile" and "sampling error (1 seed) ±0.00595" in row["evidence"]
    assert status(cond_accuracy=0.95, n_generated=2500)["status"] == "pass"
    assert status(cond_accuracy=0.85, n_generated=2500)["status"] == "fail"
    three = {"seeds_evaluated": [0, 1, 2], "n_generated": 2500}
    assert status(cond_accuracy=0.93, cond_accuracy_std=0.04, **three)["status"] == "fragile"
    assert status(cond_accuracy=0.93, cond_accuracy_std=0.01, **three)["status"] == "pass"


def test_every_verdict_has_its_value_in_the_summary():
    """summary.json holds 1 / 0 / 0.5 for pass / fail / fragile and null for n/a and error; the report
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
    p = validate(config.overlay(config.read_yaml(root / "params.yaml"), config.read_yaml(root / "profiles/published.yaml")))
    c = Context(runs={n: {} for n in p.runs}, configs=p.runs, datasets=p.datasets)
    assert c.find("gan", "grid", **PUBLISHED) == ["gan_pub-grid"]
    assert c.find("gan", "ring", **PUBLISHED) == ["gan_pub-ring"]
