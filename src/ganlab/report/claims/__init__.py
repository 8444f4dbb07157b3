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
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

STATUSES = ("pass", "fail", "n/a", "error")


@dataclass
class Verdict:
    status: str      # "pass", "fail", "n/a" (or "error": set by check_all only)
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
    table, lines, ok = getattr(ctx, source), [], True
    for item in items:
        name, *extra = item if isinstance(item, tuple) else (item,)
        result = judge(table[name], *extra)
        for part, good, text in result if isinstance(result, list) else [("", *result)]:
            ok = ok and bool(good)
            lines.append(f"{name}{' ' + part if part else ''}: {text}")
    return Verdict("pass" if ok else "fail", head + "; ".join(lines))


def check_all(ctx: Context) -> list[dict]:
    """Every claim's row: id, text, source, status and evidence. A claim whose code raises is an
    `error` with the exception in the evidence (a bug is not a negative result)."""
    rows = []
    for c in CLAIMS:
        try:
            v = c.check(ctx)
            if v.status not in STATUSES[:3]:
                raise ValueError(f"status {v.status!r}; allowed: {', '.join(STATUSES[:3])}")
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
