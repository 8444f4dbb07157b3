"""The course's claims, each checked against measured numbers.

A claim is a small function from the evaluated runs to a Verdict (pass / fail / undecided / n/a, with the
evidence in words and numbers), so the claims table can never disagree with the metrics. The
thresholds are fixed here, in the open, and never tuned to a result: a claim the numbers do
not support is shown failing. A claim whose runs are absent from params.yaml is `n/a`.

Runs are found by what they are (family, dataset recipe, options), not by name, so a user's
own runs are checked too.

Each claim is a function from the evaluated runs (Context) to a Verdict, registered with
`@claim(id, text, source)` in the module of its subject: points.py, images.py, studies.py,
translation.py (the table lists them in that order, each in definition order), then any other
module of this package, found like families. Adding a claim is one function in one file. `each` is
the per-run loop every claim over runs, pairs of runs or study results shares. A claim whose
code raises is shown as `error` with the exception, never as a scientific `fail`.

Decisions from seeds: a judgement may be a Margin (a value against its threshold, with the
value's CONFIDENCE interval) instead of a bare bool. A margin decides only when its interval lies on
one side of the threshold; one that straddles it is `undecided`, never pass or fail. The interval
of a run's metric is Student's t over its seeds (the metric is a mean over seeds); of the
difference of two runs, Welch's t over both runs' seeds; of a run's early-vs-late change, the
paired t of the per-seed changes. A comparison of runs needs at least MIN_SEEDS seeds per run of
its kind; a run with one seed has no interval over seeds: a fraction then uses its sampling
interval over the run's samples (said as such), any other value decides on its own (said too).

Converged before compared: a claim that judges what runs learnt (modes, classes, a comparison of
runs) first asks each run its kind's convergence condition (`converged`), fixed here from the
method's purpose and the perfect generator's value, never from a result: a 2-D run must put at
least half as many samples near a mode as the data itself do (HALF_OF_PERFECT of the chi-square
share within n_sigma standard deviations, metrics.json's high_quality_pct_perfect); an image or translation run's
Fréchet distance must be
within FD_MULTIPLE times its noise floor (the distance between two real samples of its size). A
run that misses its condition makes its judgement undecided, with the reason.

The verdict of several judgements (all must hold): fail if any decidedly fails, else undecided if
any is undecided (each says what would decide it), else pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field

STATUSES = ("pass", "fail", "undecided", "n/a", "error")
CONFIDENCE = 0.90  # two-sided: a margin decides when its 90 % interval is on one side
MIN_SEEDS = {"points": 5}  # seeds per run a comparison of runs needs; other kinds: DEFAULT_MIN_SEEDS
DEFAULT_MIN_SEEDS = 3
HALF_OF_PERFECT = 0.5  # a 2-D run has converged at >= half the perfect generator's high-quality share
FD_MULTIPLE = 10.0  # an image run has converged at a Fréchet distance <= 10 x its noise floor
MORE_SEEDS = {
    "points": "more seeds (runs.<run>.seeds)",
    "images": "at least 3 seeds per run (profiles/gpu.yaml trains 3)",
}


@dataclass
class Verdict:
    status: str  # "pass", "fail", "undecided", "n/a" (or "error": set by check_all only)
    evidence: str


@dataclass
class Interval:
    lo: float
    hi: float
    source: str  # e.g. "t over 5 seeds", "Welch t over 5 + 5 seeds", "sampling, 1 seed of 2,500 samples"

    def text(self) -> str:
        return f"{100 * CONFIDENCE:.0f} % interval [{self.lo:+.3g}, {self.hi:+.3g}] ({self.source})"


@dataclass
class Margin:
    """One comparison a verdict rests on: `value` against `bound` (holds if value >= bound, or
    <= with higher=False; strictly with strict=True), decided by `interval` (the value's
    CONFIDENCE interval; None: decided by the value alone, e.g. one measurement of a study).
    `why`: a reason it cannot decide (too few seeds, a run not converged), which makes it undecided."""

    value: float | None
    bound: float
    interval: Interval | None = None
    _: KW_ONLY
    higher: bool = True
    strict: bool = False
    why: str | None = None

    def _holds(self, x: float) -> bool:
        d = (x - self.bound) * (1 if self.higher else -1)
        return d > 0 if self.strict else d >= 0

    @property
    def margin(self) -> float | None:
        return None if self.value is None else (self.value - self.bound) * (1 if self.higher else -1)

    @property
    def status(self) -> str:
        if self.value is None:
            return "fail"  # a metric that is missing (a diverged run): the claim does not hold
        if self.why:
            return "undecided"
        if self.interval is None:
            return "pass" if self._holds(self.value) else "fail"
        ends = {self._holds(self.interval.lo), self._holds(self.interval.hi)}
        return "undecided" if len(ends) == 2 else "pass" if ends == {True} else "fail"

    def __bool__(self) -> bool:
        return self.status == "pass"

    def text(self) -> str:
        if self.margin is None:
            return ""
        m = f"margin {self.margin + 0.0:+.3g}"  # + 0.0: no "-0"
        if self.why:
            return f"{m}; undecided: {self.why}"
        if self.interval is None:
            return f"{m}, one measurement"
        straddles = " straddles the bound: undecided, more seeds would decide it" if self.status == "undecided" else ""
        return f"{m}, {self.interval.text()}{straddles}"


@dataclass
class Undecided:
    """A judgement that cannot be made (a run not converged): undecided, with the reason."""

    why: str
    status: str = "undecided"

    def text(self) -> str:
        return f"undecided: {self.why}"


def _status(good) -> str:
    return good.status if isinstance(good, (Margin, Undecided)) else "pass" if good else "fail"


def _t(n: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.5 + CONFIDENCE / 2, n))


def t_interval(values: list[float], over: float = 1.0) -> Interval | None:
    """Student's t CONFIDENCE interval of the mean of `values` (each divided by `over`); None under 2 values."""
    import numpy as np

    x = np.asarray(values, dtype=np.float64) / over
    if len(x) < 2 or not np.isfinite(x).all():
        return None
    if np.ptp(x) == 0:  # the same in every seed (exactly: no rounding in a mean of equal values)
        return Interval(float(x[0]), float(x[0]), f"t over {len(x)} seeds, the same in every seed")
    half = _t(len(x) - 1) * x.std(ddof=1) / len(x) ** 0.5
    return Interval(float(x.mean() - half), float(x.mean() + half), f"t over {len(x)} seeds")


def welch_interval(a: list[float], b: list[float]) -> Interval | None:
    """Welch's t CONFIDENCE interval of mean(a) - mean(b) (two independent runs' seeds; the
    Welch-Satterthwaite degrees of freedom); None unless each has 2 values or more."""
    import numpy as np

    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(x) < 2 or len(y) < 2 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        return None
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    d = float(x.mean() - y.mean())
    if np.ptp(x) == np.ptp(y) == 0:
        d = float(x[0] - y[0])
        return Interval(d, d, f"Welch t over {len(x)} + {len(y)} seeds, the same in every seed")
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    half = _t(df) * (vx + vy) ** 0.5
    return Interval(d - half, d + half, f"Welch t over {len(x)} + {len(y)} seeds")


def per_seed(m: dict, key: str) -> list[float]:
    """A run's per-seed values of metric `key` (metrics.json's per_seed; the mean alone if absent)."""
    vals = (m.get("per_seed") or {}).get(key)
    return list(vals) if vals else ([] if m.get(key) is None else [m[key]])


def min_seeds(m: dict) -> int:
    return MIN_SEEDS.get(m.get("kind"), DEFAULT_MIN_SEEDS)


def seed_margin(m: dict, key: str, bound: float, over: float = 1.0, fraction: bool = False, **how) -> Margin:
    """Metric `key` of a run (its mean over seeds, divided by `over`) against `bound`, with the t
    interval over its seeds. With one seed, a `fraction` (in [0, 1], of the run's generated
    samples) gets its sampling interval; another value has none (decided on its own)."""
    vals, value = per_seed(m, key), m.get(key)
    interval = t_interval(vals, over)
    if interval is None and fraction and len(vals) == 1:
        interval = sampling_interval(m, key)
    return Margin(None if value is None else value / over, bound, interval, **how)


def values_margin(values: list[float], bound: float, value: float | None = None, **how) -> Margin:
    """A margin on per-seed values derived by a claim (e.g. a ratio per seed): their mean (or
    `value`) against `bound`, with their t interval."""
    import numpy as np

    if value is None and values and np.isfinite(values).all():
        value = float(np.mean(values))
    return Margin(value, bound, t_interval(values), **how)


def sampling_interval(m: dict, key: str, n: int | None = None) -> Interval | None:
    """The normal CONFIDENCE interval of a fraction p over n samples (default: the run's generated
    samples), p +- z sqrt(p (1 - p) / n): what one seed's evaluation alone can vouch for."""
    from scipy import stats

    p, n = m.get(key), n or m.get("n_generated") or m.get("n_samples")
    if p is None or not n or not 0 <= p <= 1:
        return None
    half = float(stats.norm.ppf(0.5 + CONFIDENCE / 2)) * (p * (1 - p) / n) ** 0.5
    return Interval(p - half, p + half, f"sampling only: 1 seed, {n:,} samples")


def difference(a: float | None, b: float | None, strict: bool = True) -> Margin:
    """a > b for one measurement each (a study's): no interval, decided by the values."""
    return Margin(None if a is None or b is None else a - b, 0.0, strict=strict)


def run_difference(ma: dict, mb: dict, key: str, strict: bool = True) -> Margin:
    """Metric `key` of run ma above run mb's (their metrics.json): the difference of their means,
    decided by Welch's t interval over their seeds; undecided if either run has fewer seeds than
    its kind needs (MIN_SEEDS), with what would decide it."""
    a, b = ma.get(key), mb.get(key)
    value = None if a is None or b is None else a - b
    need, have = max(min_seeds(ma), min_seeds(mb)), min(len(per_seed(ma, key)), len(per_seed(mb, key)))
    why = (
        (
            f"{have} seed(s) per run; a comparison decides from ≥ {need} seeds each: "
            f"{MORE_SEEDS.get(ma.get('kind'), MORE_SEEDS['images'])}"
        )
        if have < need
        else None
    )
    return Margin(value, 0.0, welch_interval(per_seed(ma, key), per_seed(mb, key)), strict=strict, why=why)


def paired_change(m: dict, first: str, then: str, strict: bool = True) -> Margin:
    """Within one run, metric `first` above metric `then` (e.g. early above late in training):
    the paired t interval of the per-seed differences."""
    a, b = per_seed(m, first), per_seed(m, then)
    if m.get(first) is None or m.get(then) is None:
        return Margin(None, 0.0, strict=strict)
    diffs = [x - y for x, y in zip(a, b)] if len(a) == len(b) > 1 else []
    return values_margin(diffs, 0.0, value=None if diffs else m[first] - m[then], strict=strict)


@dataclass
class Claim:
    id: str
    text: str
    source: str
    check: Callable[[Context], Verdict]


@dataclass
class Context:
    runs: dict[str, dict]  # run name -> metrics.json (completed evaluation)
    configs: dict[str, object]  # run name -> run config
    datasets: dict[str, object]  # dataset name -> recipe config
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

    def twins(self, name: str, **changes) -> list[str]:
        """Runs with `name`'s config except `changes` (same family, dataset, seeds, steps and every
        other setting): the controlled comparison of one option."""
        import dataclasses

        want = {**dataclasses.asdict(self.configs[name]), **changes}
        return [
            n for n, cfg in self.configs.items() if n != name and n in self.runs and dataclasses.asdict(cfg) == want
        ]

    def not_converged(self, name: str) -> str | None:
        """Why run `name` misses its kind's convergence condition (None: it meets it, or its kind
        has none, e.g. the 1-D toy). See the module's docstring for the conditions."""
        m = self.runs[name]
        perfect = m.get("high_quality_pct_perfect")  # the evaluation's: its dimension and n_sigma
        if m.get("high_quality_pct") is not None and perfect:
            need = HALF_OF_PERFECT * perfect
            if m["high_quality_pct"] < need:
                return (
                    f"{name} has not converged: {m['high_quality_pct']:.1f} % of its samples are high quality, under "
                    f"{need:.1f} % (half the perfect generator's {perfect:.1f} %); more steps or better settings "
                    "would decide it"
                )
        for fd in ("fd", "fd_b"):
            if m.get(fd) is not None and m.get(f"{fd}_floor"):
                if m[fd] > FD_MULTIPLE * m[f"{fd}_floor"]:
                    return (
                        f"{name} has not converged: Fréchet distance {m[fd]:.1f}, over {FD_MULTIPLE:g} x its noise "
                        "floor "
                        f"{m[f'{fd}_floor']:.2f}; more steps or better settings would decide it"
                    )
                break
        return None


CLAIMS: list[Claim] = []  # in table order


def claim(text: str, source: str, id: str | None = None):
    """Register a check function as a claim: the statement, where it comes from, and its id (the
    function's name unless given); the ids are unique."""

    def register(check: Callable[[Context], Verdict]):
        cid = id or check.__name__
        if any(c.id == cid for c in CLAIMS):
            raise ValueError(f"claim {cid!r} is registered twice")
        CLAIMS.append(Claim(cid, text, source, check))
        return check

    return register


def num(x, nd: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{nd}f}"


def pct(x) -> str:
    return num(None if x is None else 100 * x, 1)


def each(
    ctx: Context, items: list, missing: str, judge, source: str = "runs", head: str = "", converged: bool | str = False
) -> Verdict:
    """The per-run loop of a claim: the verdict of every judgement (see `verdict`), n/a (evidence
    `missing`) if `items` is empty.

    An item is a run name, or a tuple (name, *extra), e.g. a run and its baseline's name.
    `judge(data, *extra)` gets the name's entry in ctx.<source> (ctx.runs: the metrics;
    source="studies": the study results) and returns (good, text), written "name: text", or a
    list of (part, good, text), written "name part: text" each. With `converged`, every run the
    item names (the name and any extra that is a run; with "first", the name only) must meet its
    convergence condition (Context.not_converged), else its judgements are undecided with the reason. The evidence is
    `head`, then the lines joined by "; "."""
    if not items:
        return Verdict("n/a", missing)
    table, parts = getattr(ctx, source), []
    for item in items:
        name, *extra = item if isinstance(item, tuple) else (item,)
        result = judge(table[name], *extra)
        result = result if isinstance(result, list) else [("", *result)]
        gated = (name,) if converged == "first" else (name, *extra) if converged else ()
        why = [w for n in gated if isinstance(n, str) and n in ctx.runs for w in [ctx.not_converged(n)] if w]
        parts += [
            (f"{name}{' ' + part if part else ''}", Undecided("; ".join(why)) if why else good, text)
            for part, good, text in result
        ]
    return verdict(parts, head)


def verdict(parts: list[tuple[str, object, str]], head: str = "") -> Verdict:
    """The verdict of judgements (label, good, text), all of which must hold; `good` is a bool, a
    Margin, an Undecided or a tuple of them. Fail if any decidedly fails; else undecided if any is
    undecided (its interval straddles its bound, too few seeds, a run not converged); else pass.
    Margins' intervals and reasons are written after their judgement's text."""
    lines, statuses = [], []
    for label, good, text in parts:
        goods = good if isinstance(good, tuple) else (good,)
        statuses += [_status(g) for g in goods]
        notes = [g.text() for g in goods if isinstance(g, (Margin, Undecided)) and g.text()]
        lines.append(f"{label}: {text}" + (f" [{'; '.join(notes)}]" if notes else ""))
    status = "fail" if "fail" in statuses else "undecided" if "undecided" in statuses else "pass"
    return Verdict(status, head + "; ".join(lines))


def check_all(ctx: Context) -> list[dict]:
    """Every claim's row: id, text, source, status and evidence. A claim whose code raises is an
    `error` with the exception in the evidence (a bug is not a negative result)."""
    rows = []
    for c in CLAIMS:
        try:
            v = c.check(ctx)
            if v.status not in STATUSES[:4]:
                raise ValueError(f"status {v.status!r}; allowed: {', '.join(STATUSES[:4])}")
        except Exception as err:  # shown, not raised: the rest of the report stands
            v = Verdict("error", f"the claim's code raised {type(err).__name__}: {err}")
        rows.append({"id": c.id, "text": c.text, "source": c.source, "status": v.status, "evidence": v.evidence})
    return rows


SUBJECTS = ("points", "images", "studies", "translation")  # the table's order; other modules follow by name


def _discover() -> None:
    """Import every module of this package (importing registers its claims): the course's
    subjects first, in SUBJECTS order, then any other module (a user's own claims) by name."""
    from ganlab import plugins

    plugins.modules(__name__, __path__, first=SUBJECTS)


_discover()
