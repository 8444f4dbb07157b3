"""Tests for ganlab.metrics: each Wasserstein variant against a known value or another
solver, and mode coverage against hand-computable cases."""

import math

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from ganlab.metrics.coverage import mode_coverage
from ganlab.metrics.wasserstein import emd, histogram_distance, lp_distance, sliced, w1_1d


def assignment_w1(x, y):
    # equal sizes, uniform weights: the transport LP has a permutation optimum (Birkhoff)
    M = cdist(x, y)
    r, c = linear_sum_assignment(M)
    return M[r, c].mean()


def ring(k=8, radius=1.0):
    angles = 2 * np.pi * np.arange(k) / k
    return radius * np.stack([np.cos(angles), np.sin(angles)], 1)


# --- lp_distance ------------------------------------------------------------------


def test_lp_point_masses():
    grid = np.arange(5.0)
    cost = np.abs(grid[:, None] - grid[None])
    p, q = np.eye(5)[0], np.eye(5)[3]
    assert lp_distance(p, q, cost) == pytest.approx(3.0, abs=1e-12)


def test_lp_hand_example_and_normalisation():
    cost = np.abs(np.arange(3)[:, None] - np.arange(3)[None]).astype(float)
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])
    # every unit of mass must move one step to the right: 0.5*1 + 0.5*1
    assert lp_distance(p, q, cost) == pytest.approx(1.0, abs=1e-12)
    assert lp_distance(10 * p, q, cost) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    "p, q, cost, match",
    [
        ([0.5, -0.1, 0.6], [1, 1, 1], np.ones((3, 3)), "negative"),
        ([1, 1, 1], [1, 1, 1], np.ones((3, 2)), "shape"),
        ([0, 0, 0], [1, 1, 1], np.ones((3, 3)), "zero sum"),
        ([1, np.nan, 1], [1, 1, 1], np.ones((3, 3)), "finite"),
        ([[1, 1]], [1, 1], np.ones((1, 2)), "1-D"),
    ],
)
def test_lp_bad_inputs(p, q, cost, match):
    with pytest.raises(ValueError, match=match):
        lp_distance(p, q, cost)


def test_lp_matches_scipy_1d():
    rng = np.random.default_rng(1)
    for _ in range(10):
        n, m = rng.integers(2, 40, size=2)
        u = rng.random(n) * (rng.random(n) > 0.3)  # some empty bins
        u[0] += 0.1
        v = rng.random(m)
        cu, cv = rng.normal(size=n), rng.normal(size=m)
        got = lp_distance(u, v, np.abs(cu[:, None] - cv[None]))
        want = stats.wasserstein_distance(cu, cv, u_weights=u, v_weights=v)
        assert got == pytest.approx(want, abs=1e-8)


# --- histogram_distance -------------------------------------------------------------


def test_histogram_1d_gaussians():
    rng = np.random.default_rng(2)
    x, y = rng.normal(0, 1, 4000), rng.normal(2, 1, 4000)
    assert abs(histogram_distance(x, y) - 2.0) < 0.15


def test_histogram_2d_shift():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 2))
    y = x + np.array([3.0, 4.0])
    bins = 16
    both = np.vstack([x, y])
    diag = np.linalg.norm((both.max(0) - both.min(0)) / bins) * 1.01  # range is padded by 0.1%
    assert abs(histogram_distance(x, y, bins=bins) - 5.0) <= diag
    # and the approximation is much better than the worst case here
    assert abs(histogram_distance(x, y, bins=bins) - 5.0) < 0.1


def test_histogram_rejects_bad_input():
    with pytest.raises(ValueError, match="dimension"):
        histogram_distance(np.zeros((10, 3)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="outside range"):
        histogram_distance(np.arange(10.0), np.arange(10.0), range=(0, 5))


# --- emd ------------------------------------------------------------------------------


def test_emd_matches_assignment():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(300, 2)), rng.uniform(-1, 2, size=(300, 2))
    assert emd(x, y) == pytest.approx(assignment_w1(x, y), abs=1e-9)


def test_emd_self_and_shift():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 2))
    v = np.array([0.7, -1.9])
    assert emd(x, x) == pytest.approx(0.0, abs=1e-12)
    # translation gives <= |v|; Kantorovich-Rubinstein with f(z) = <z, v/|v|> gives >= |v|
    assert emd(x, x + v) == pytest.approx(np.linalg.norm(v), abs=1e-9)


def test_emd_evaluation_size_converges():
    # 2,500 a side is the evaluation size; POT's default numItermax is too low near 5,000
    # two draws of one distribution: scipy's assignment solver takes ~1 s here but
    # ~8-15 s on shifted clouds, while emd is ~1.5 s either way
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(2500, 2)), rng.normal(size=(2500, 2))
    assert emd(x, y) == pytest.approx(assignment_w1(x, y), abs=1e-9)


def test_emd_raises_when_not_optimal():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(200, 2)), rng.normal(size=(200, 2))
    with pytest.raises(RuntimeError, match="optimality"):
        emd(x, y, num_itermax=10)


def test_emd_unequal_sizes():
    # 2 points vs 1 point: both must travel to the single target
    assert emd([[0.0, 0.0], [2.0, 0.0]], [[1.0, 0.0]]) == pytest.approx(1.0, abs=1e-12)


# --- 1-D closed form and agreement ------------------------------------------------------


def test_w1_1d_shift_is_exact():
    rng = np.random.default_rng(8)
    x = rng.normal(size=3000)
    assert w1_1d(x, x + 1.3) == pytest.approx(1.3, abs=1e-12)


def test_1d_methods_agree():
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=500), rng.standard_t(3, size=500) + 0.4
    want = w1_1d(x, y)
    assert emd(x, y) == pytest.approx(want, abs=1e-9)
    assert sliced(x, y) == pytest.approx(want, abs=1e-6)  # every 1-D direction is +-1
    assert sliced(x[:, None], y[:, None]) == pytest.approx(want, abs=1e-6)
    with pytest.raises(ValueError, match="dimension"):
        w1_1d(np.zeros((5, 2)), np.zeros((5, 2)))


# --- sliced -----------------------------------------------------------------------------


def test_sliced_2d():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(500, 2))
    assert sliced(x, x) == pytest.approx(0.0, abs=1e-12)
    for _ in range(3):
        a, b = rng.normal(size=(200, 2)), rng.uniform(-2, 2, size=(200, 2))
        assert sliced(a, b) <= emd(a, b) + 1e-12  # projections are 1-Lipschitz
    # a shift by v projects to a shift by <v, theta>, and E|cos| = 2/pi in 2-D
    v = np.array([3.0, -1.0])
    norm = np.linalg.norm(v)
    assert sliced(x, x + v, n_projections=2000) == pytest.approx(norm * 2 / np.pi, abs=0.05 * norm)


def test_sliced_equals_pot():
    import ot

    rng = np.random.default_rng(12)
    a, b = rng.normal(size=(300, 5)), rng.uniform(-1, 2, size=(200, 5))
    want = ot.sliced_wasserstein_distance(a, b, n_projections=64, p=1, seed=np.random.RandomState(4))
    assert sliced(a, b, n_projections=64, seed=4) == pytest.approx(want, rel=1e-9)


def test_sliced_is_seeded_and_leaves_global_rng_alone():
    rng = np.random.default_rng(11)
    a, b = rng.normal(size=(100, 2)), rng.normal(size=(100, 2))
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    assert sliced(a, b, seed=3) == sliced(a, b, seed=3)
    assert np.array_equal(np.random.get_state()[1], before)


# --- mode coverage ----------------------------------------------------------------------


def mixture(n, centres, std, weights=None, seed=0):
    rng = np.random.default_rng(seed)
    k = rng.choice(len(centres), size=n, p=weights)
    return centres[k] + std * rng.normal(size=(n, centres.shape[1]))


def test_coverage_perfect_ring():
    c = ring()
    res = mode_coverage(mixture(2500, c, 0.01), c, 0.01)
    assert res["modes_captured"] == 8 and res["n_modes"] == 8 and res["n_samples"] == 2500
    # a 2-D Gaussian puts P(chi2_2 < 9) = 1 - exp(-4.5) of its mass within 3 sigma
    assert res["high_quality_frac"] == pytest.approx(1 - math.exp(-4.5), abs=0.01)
    assert res["reverse_kl"] < 0.01
    assert sum(res["mode_histogram"]) == round(res["high_quality_frac"] * 2500)


def test_coverage_collapsed_to_one_mode():
    c = ring()
    x = c[2] + 0.01 * np.random.default_rng(1).normal(size=(1000, 2))
    res = mode_coverage(x, c, 0.01)
    assert res["modes_captured"] == 1
    assert res["reverse_kl"] == pytest.approx(math.log(8), abs=1e-9)
    assert res["mode_histogram"][2] == sum(res["mode_histogram"])


def test_coverage_nothing_near_any_mode():
    c = ring()
    rng = np.random.default_rng(2)
    angles = rng.uniform(0, 2 * np.pi, 500)
    x = 5 * np.stack([np.cos(angles), np.sin(angles)], 1)  # radius 5, far from the unit ring
    res = mode_coverage(x, c, 0.01)
    assert res["modes_captured"] == 0
    assert res["high_quality_frac"] == 0.0
    assert math.isnan(res["reverse_kl"])
    assert res["mode_histogram"] == [0] * 8


def test_coverage_weights():
    c = ring()
    w = np.array([0.4, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05])
    x = mixture(4000, c, 0.01, weights=w, seed=3)
    assert mode_coverage(x, c, 0.01, weights=w)["reverse_kl"] < 0.01
    # against uniform it pays KL(w || uniform) = log 8 - H(w)
    want = math.log(8) + float(np.sum(w * np.log(w)))
    # sampling error of the estimate: sd 0.012 (seeds 0-299: |error| <= 0.039; seed 3: 0.002)
    assert mode_coverage(x, c, 0.01)["reverse_kl"] == pytest.approx(want, abs=0.06)
    assert want > 0.2


def test_coverage_1d():
    c = np.array([-2.0, 0.0, 2.0])
    x = np.array([-2.0, -1.99, 0.02, 5.0])
    res = mode_coverage(x, c, 0.1)
    assert res["modes_captured"] == 2
    assert res["mode_histogram"] == [2, 1, 0]
    assert res["high_quality_frac"] == 0.75


@pytest.mark.parametrize(
    "samples, centres, std, match",
    [
        (np.zeros((10, 3)), ring(), 0.01, "d=3"),
        (np.zeros((0, 2)), ring(), 0.01, "samples"),
        (np.zeros((10, 2)), np.zeros((0, 2)), 0.01, "centres"),
        (np.zeros((10, 2)), ring(), 0.0, "std"),
        (np.zeros((10, 2)), ring(), np.ones(3), "std"),
    ],
)
def test_coverage_bad_shapes(samples, centres, std, match):
    with pytest.raises(ValueError, match=match):
        mode_coverage(samples, centres, std)


# --- tensors ---------------------------------------------------------------------------


def test_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    x, y = torch.zeros(5, 2, requires_grad=True), torch.ones(5, 2)
    assert emd(x, y) == pytest.approx(math.sqrt(2), abs=1e-12)


def test_within_mode_spread_against_closed_forms():
    """Samples N(c, (k sigma)^2) around the grid's modes: the spread is k, except that the 3-sigma cut
    trims the data's own tails: in 2-D, E[r^2 | r < 3] = 2 - 9 e^-4.5 / (1 - e^-4.5), so the data
    gives sqrt(0.9494) = 0.9744. Points collapsed onto the centres give 0; too few samples per
    mode give nan."""
    from ganlab.metrics.coverage import mode_coverage

    c = np.array([(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)], float)
    rng = np.random.default_rng(0)
    truncated = np.sqrt((2 - 9 * np.exp(-4.5) / (1 - np.exp(-4.5))) / 2)
    for k, want in ((1.0, truncated), (0.5, 0.5), (0.1, 0.1)):
        x = c[rng.integers(25, size=20000)] + rng.normal(0, 0.05 * k, (20000, 2))
        assert mode_coverage(x, c, 0.05)["within_mode_spread"] == pytest.approx(want, rel=0.02)
    assert mode_coverage(np.repeat(c, 10, 0), c, 0.05)["within_mode_spread"] == 0.0
    assert np.isnan(mode_coverage(c[:3], c, 0.05)["within_mode_spread"])


def test_coverage_over_training_per_step_and_seed():
    """`ganlab progress`'s table: each snapshot step's and seed's modes, high-quality % and reverse
    KL, hand-computable here; a seed whose samples cannot be scored gives nan, not a number."""
    from ganlab.evaluation.points import coverage_over_training

    c = ring()
    meta = {"centres": c.tolist(), "std": 0.01, "range": [[-1.5, -1.5], [1.5, 1.5]]}
    at = lambda idx: c[np.asarray(idx)]
    far = np.array([[0.0, 0.0]])  # no mode within 3 std
    samples = np.stack(
        [
            np.stack([at([2] * 8), np.concatenate([at([1] * 4), far.repeat(4, 0)])]),  # step 0
            np.stack([at(range(8)), np.full((8, 2), np.nan)]),  # step 1
        ]
    )  # (T=2, S=2, n=8, 2)
    rows = coverage_over_training(samples, meta, n_sigma=3.0)
    assert rows[0]["modes_captured"] == [1.0, 1.0] and rows[0]["high_quality_pct"] == [100.0, 50.0]
    assert rows[0]["reverse_kl"] == pytest.approx([math.log(8)] * 2)
    assert rows[1]["modes_captured"][0] == 8.0 and rows[1]["high_quality_pct"][0] == 100.0
    assert rows[1]["reverse_kl"][0] == pytest.approx(0.0, abs=1e-12)
    assert all(math.isnan(rows[1][k][1]) for k in ("modes_captured", "high_quality_pct", "reverse_kl"))


@pytest.mark.parametrize("workers", [1, 2])
def test_noise_floor_is_the_mean_over_independent_real_draws(workers):
    """A point run's floors: every floor metric scored on each real-vs-real draw, averaged, with
    the draws' std beside it; checked against POT's exact EMD (not our wrapper) per draw. One draw,
    not in a list (as a plugin kind may give), gives the floor with no std."""
    from types import SimpleNamespace

    import ot

    from ganlab.evaluation import points  # noqa: F401  (registers the point metrics)
    from ganlab.evaluation.run import score_all

    rng = np.random.default_rng(3)
    centres = np.array([[-2.0, 0.0], [2.0, 0.0]])
    meta = {"centres": centres.tolist(), "std": 0.1, "kind": "points", "dim": 2}
    draw = lambda n: centres[rng.integers(0, 2, n)] + 0.1 * rng.standard_normal((n, 2))
    real = draw(300)
    floors = [SimpleNamespace(fake=draw(300), real=real, meta=meta) for _ in range(4)]
    seed = SimpleNamespace(
        fake=draw(300) + 0.5,
        real=real,
        meta=meta,
        d_real=np.full(300, 0.5),
        d_fake=np.full(300, 0.5),
        d_is_probability=True,
    )
    ev = SimpleNamespace(n_sigma=3.0, hist_bins=20, sliced_projections=16, seed=0)
    batch = SimpleNamespace(seeds={0: seed}, floor=floors, baselines={}, workers=workers)
    res = score_all("points", batch, ev)
    w = np.full(300, 1 / 300)
    each = [ot.emd2(w, w, ot.dist(f.fake, real, metric="euclidean")) for f in floors]
    assert len(set(np.round(each, 6))) == 4  # the draws differ
    assert res["floor"]["emd"] == pytest.approx(np.mean(each), rel=1e-6)
    assert res["floor_std"]["emd"] == pytest.approx(np.std(each, ddof=1), rel=1e-6)
    assert {"emd", "w_lp_hist", "w_sliced", "within_mode_spread"} <= set(res["floor_std"])
    assert res["per_seed"]["emd"][0] > max(each)  # shifted by 0.5: above every draw
    res1 = score_all("points", SimpleNamespace(**{**vars(batch), "floor": floors[0]}), ev)
    assert res1["floor"]["emd"] == pytest.approx(each[0], rel=1e-6) and res1["floor_std"] == {}
