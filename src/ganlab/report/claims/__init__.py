"""The course's claims, each checked against measured numbers.

A claim is a small function from the evaluated runs to a Verdict (pass / fail / n/a, with the
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

Margins: a judgement may be a Margin (a value against its threshold, with the value's spread
over seeds) instead of a bare bool. A verdict whose deciding margins are inside their spread is
`fragile`, not pass or fail: another seed, or another CPU's kernels (which change a run's
trajectory as a seed does), could flip it. Where a run has one seed its spread over seeds is
not measured; for a fraction of n samples the binomial sampling error sqrt(p (1 - p) / n) is
then used as the least spread there is (another seed adds its own on top).
"""
from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from typing import Callable

STATUSES = ("pass", "fail", "fragile", "n/a", "error")


@dataclass
class Verdict:
    status: str      # "pass", "fail", "fragile", "n/a" (or "error": set by check_all only)
    evidence: str


@dataclass
class Margin:
    """One comparison a verdict rests on: `value` against `bound` (holds if value >= bound, or
    <= with higher=False; strictly with strict=True), and `spread`, the value's standard
    deviation over seeds (or the sampling error, `spread_from` says which; None: not measured).
    Fragile if the margin |value - bound| is inside the spread. Truthy if it holds."""
    value: float | None
    bound: float
    spread: float | None = None
    _: KW_ONLY
    higher: bool = True
    strict: bool = False
    spread_from: str = "seeds"

    @property
    def margin(self) -> float | None:
        return None if self.value is None else (self.value - self.bound) * (1 if self.higher else -1)

    def __bool__(self) -> bool:
        d = self.margin
        return d is not None and (d > 0 if self.strict else d >= 0)

    @property
    def fragile(self) -> bool:
        return self.margin is not None and bool(self.spread) and abs(self.margin) < self.spread

    def text(self) -> str:
        if self.margin is None:
            return ""
        m = f"margin {self.margin + 0.0:+.3g}"        # + 0.0: no "-0"
        if self.spread is None:
            return f"{m}, spread over seeds not measured"
        if not self.spread:
            return f"{m}, the same in every seed"
        return (f"{m} {'inside' if self.fragile else 'outside'} the "
                f"{'spread over seeds' if self.spread_from == 'seeds' else 'sampling error (1 seed)'} ±{self.spread:.3g}")


def seed_spread(m: dict, key: str) -> float | None:
    """The std over seeds of metric `key` of a run (metrics.json), None if it has one seed."""
    if len(m.get("seeds_evaluated", [])) < 2:
        return None
    return m.get(f"{key}_std")


def fraction_spread(m: dict, key: str, n: int | None = None) -> dict:
    """Margin's spread and spread_from for a fraction metric: over seeds where there are several,
    else the binomial sampling error of the fraction over n samples (default: the run's
    generated samples). Use as Margin(value, bound, **fraction_spread(m, key))."""
    s = seed_spread(m, key)
    p, n = m.get(key), n or m.get("n_generated") or m.get("n_samples")
    if s is not None or p is None or not n:
        return {"spread": s, "spread_from": "seeds"}
    return {"spread": (max(p * (1 - p), 0.0) / n) ** 0.5, "spread_from": "samples"}


def difference(a: float | None, b: float | None, sa: float | None, sb: float | None, strict: bool = True) -> Margin:
    """a > b as a Margin on a - b; the spread of the difference of independent runs,
    sqrt(sa^2 + sb^2), is measured only where both are."""
    spread = None if sa is None or sb is None else (sa * sa + sb * sb) ** 0.5
    return Margin(None if a is None or b is None else a - b, 0.0, spread, strict=strict)


def run_difference(ma: dict, mb: dict, key: str) -> Margin:
    """Metric `key` of run ma above run mb's (their metrics.json), with both runs' seed spreads."""
    return difference(ma.get(key), mb.get(key), seed_spread(ma, key), seed_spread(mb, key))


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


    def twins(self, name: str, **changes) -> list[str]:
        """Runs with `name`'s config except `changes` (same family, dataset, seeds, steps and every
        other setting): the controlled comparison of one option."""
        import dataclasses
        want = {**dataclasses.asdict(self.configs[name]), **changes}
        return [n for n, cfg in self.configs.items() if n != name and n in self.runs and dataclasses.asdict(cfg) == want]


CLAIMS: list[Claim] = []   # in table order


def claim(id: str, text: str, source: str):
    """Register a check function as a claim; the ids are unique."""
    def register(check: Callable[[Context], Verdict]):
        if any(c.id == id for c in CLAIMS):
            raise ValueError(f"claim {id!r} is registered twice")
        CLAIMS.append(Claim(id, text, source, check))
        return check
    return register


def num(x, nd: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{nd}f}"


def pct(x) -> str:
    return num(None if x is None else 100 * x, 1)


def each(ctx: Context, items: list, missing: str, judge, source: str = "runs", head: str = "") -> Verdict:
    """The per-run loop of a claim: pass if every judgement holds, fail if any does not, n/a
    (evidence `missing`) if `items` is empty.

    An item is a run name, or a tuple (name, *extra), e.g. a run and its baseline's name.
    `judge(data, *extra)` gets the name's entry in ctx.<source> (ctx.runs: the metrics;
    source="studies": the study results) and returns (ok, text), written "name: text", or a
    list of (part, ok, text), written "name part: text" each. The evidence is `head`, then the
    lines joined by "; "."""
    if not items:
        return Verdict("n/a", missing)
    table, parts = getattr(ctx, source), []
    for item in items:
        name, *extra = item if isinstance(item, tuple) else (item,)
        result = judge(table[name], *extra)
        parts += [(f"{name}{' ' + part if part else ''}", good, text)
                  for part, good, text in (result if isinstance(result, list) else [("", *result)])]
    return verdict(parts, head)


def verdict(parts: list[tuple[str, object, str]], head: str = "") -> Verdict:
    """The verdict of judgements (label, good, text), all of which must hold; `good` is a bool, a
    Margin or a tuple of them. Pass if all hold, fail if not, unless the margins that decide it
    are inside their spread: fragile (a pass with any fragile margin; a fail whose every failing
    judgement is a fragile margin). Margins are written after their judgement's text."""
    lines, checks = [], []
    for label, good, text in parts:
        goods = good if isinstance(good, tuple) else (good,)
        checks += goods
        notes = [g.text() for g in goods if isinstance(g, Margin) and g.text()]
        lines.append(f"{label}: {text}" + (f" [{'; '.join(notes)}]" if notes else ""))
    ok = all(bool(g) for g in checks)
    fragile = (any(isinstance(g, Margin) and g.fragile for g in checks) if ok
               else all(isinstance(g, Margin) and g.fragile for g in checks if not bool(g)))
    status = "fragile" if fragile else "pass" if ok else "fail"
    return Verdict(status, head + (f"as measured: {'pass' if ok else 'fail'}, but inside the spread; " if fragile else "")
                   + "; ".join(lines))


def check_all(ctx: Context) -> list[dict]:
    """Every claim's row: id, text, source, status and evidence. A claim whose code raises is an
    `error` with the exception in the evidence (a bug is not a negative result)."""
    rows = []
    for c in CLAIMS:
        try:
            v = c.check(ctx)
            if v.status not in STATUSES[:4]:
                raise ValueError(f"status {v.status!r}; allowed: {', '.join(STATUSES[:4])}")
        except Exception as err:   # noqa: BLE001  (shown, not raised: the rest of the report stands)
            v = Verdict("error", f"the claim's code raised {type(err).__name__}: {err}")
        rows.append({"id": c.id, "text": c.text, "source": c.source, "status": v.status, "evidence": v.evidence})
    return rows


SUBJECTS = ("points", "images", "studies", "translation")   # the table's order; other modules follow by name


def _discover() -> None:
    """Import every module of this package (importing registers its claims): the course's
    subjects first, in SUBJECTS order, then any other module (a user's own claims) by name."""
    from ganlab import plugins

    plugins.modules(__name__, __path__, first=SUBJECTS)


_discover()
