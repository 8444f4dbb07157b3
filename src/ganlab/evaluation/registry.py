"""The metric registry: `@metric(kind, units=...)` adds a per-seed metric of one kind of data.

A metric function takes one seed's sample (an object whose attributes the kind module
documents) and the evaluation params, and returns {key: value}; it returns {} where it does
not apply (e.g. the conditional accuracy of an unconditional run). Keys are unique across the
metrics of a kind. The registry keeps registration order: metrics.json, the per-run table and
summary.json list keys in that order.

    @metric("images", units={"my_score": "fraction"})
    def my_score(s, ev):
        return {"my_score": float(...)}

Options: `floor=True` also scores the kind's other real samples in place of the generated one
(the noise floor, `<key>_floor`: the mean over FLOOR_DRAWS independent real samples, with their
std in `<key>_floor_std`); `headline` lists the keys shown in tables and summary.json
(default: every key in `units`); `optional` lists keys that exist only for some data (they get
no null placeholder when no seed could be scored).

A key that is not defined for the data at hand (the binned linear program above 2-D, precision
and recall on fewer than k + 1 images) gets `NotComputed("why")` in place of a number: it is
left out of the scores and metrics.json lists it under `not_computed` ({key: why}), which the
report shows beside the run. Never raise for such data: evaluate@ scores what it can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

# Independent real samples per noise floor, each scored against the same real test set as the
# generated samples, and averaged. One draw is noisy (scripts/floor_spread.py): between grid25's
# 2,500 test points and 40 independent 2,500-point training subsets EMD is 0.190 ± 0.037 (0.122 to
# 0.298); on glyphs FD over 8 draws is 1.91 ± 0.56 (1.24 to 2.89).
FLOOR_DRAWS = 8


@dataclass(frozen=True)
class NotComputed:
    """A metric key's value where the metric is not defined for this data, and why (one line)."""

    reason: str


@dataclass
class Prepared:
    """What a kind module's prepare() hands to the metrics: one sample per scored seed (by seed
    index; the attributes each kind's metrics read are documented in its module), the floor's
    real-versus-real sample or list of independent ones, baselines {name: (sample, metric names or
    None for all)}, the run's sampling facts for metrics.json (`info`), the seeds that could not be
    scored with why, threads for scoring seeds in parallel, and notes on how it sampled."""

    seeds: dict[int, Any]
    floor: Any
    info: dict
    baselines: dict[str, tuple[Any, tuple[str, ...] | None]] = field(default_factory=dict)
    not_scored: dict[int, str] = field(default_factory=dict)
    workers: int = 1
    notes: list[str] = field(default_factory=list)


@runtime_checkable
class Kind(Protocol):
    """A kind of data's evaluation module (points, images, translation): the kinds it serves, the
    headline keys it adds, and three functions."""

    KINDS: tuple[str, ...]
    HEADLINE_INFO: tuple[str, ...]

    def prepare(self, model, cfg, meta: dict, arrays: dict, ev, classifier_dir=None) -> Prepared:
        """Generate and embed what every metric of the kind scores, per seed."""

    def board(self, meta: dict, ev) -> dict:
        """The leaderboard layout: {"columns": [Column], "sort": [(key, "asc" | "desc")], "note": str}."""

    def figures(self, model, meta: dict, arrays: dict) -> dict:
        """{name: (images or points, title)}: the kind's own figures of a run."""


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str
    fn: Callable
    units: dict[str, str]
    headline: tuple[str, ...]
    floor: bool = False
    optional: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Column:
    """A leaderboard column: header, the metrics.json key, decimals, and a display scale
    (100 for fractions shown in %). The floor `<key>_floor` is shown beside it when present."""

    header: str
    key: str
    decimals: int = 3
    scale: float = 1.0


# Shown where a run has them (the datasets in the params' `inception` section): ganlab.evaluation.inception
INCEPTION_COLUMNS = (
    Column("Inception FID", "fid_inception", 2),
    Column("KID", "kid_inception", 4),
    Column("IS", "is_inception", 2),
)

_METRICS: dict[str, dict[str, Metric]] = {}  # kind -> name -> Metric, in registration order


def metric(
    kind: str,
    units: dict[str, str],
    floor: bool = False,
    headline: tuple[str, ...] | None = None,
    optional: tuple[str, ...] = (),
    name: str | None = None,
):
    """Decorator: register fn(sample, ev) -> {key: value} as a metric of `kind` data."""

    def deco(fn: Callable) -> Callable:
        mname = name or fn.__name__
        registered = _METRICS.setdefault(kind, {})
        if mname in registered:
            raise ValueError(f"{kind} metric {mname!r} is already registered")
        taken = {k for m in registered.values() for k in m.units}
        if taken & set(units):
            raise ValueError(f"{kind} metric {mname!r}: keys {sorted(taken & set(units))} belong to another metric")
        registered[mname] = Metric(
            mname, kind, fn, dict(units), tuple(units if headline is None else headline), floor, tuple(optional)
        )
        return fn

    return deco


def kind_modules() -> dict[str, str]:
    """kind name -> the name of its module: the KINDS of each module of this package, read
    without importing it (ganlab.plugins.index)."""
    from ganlab import evaluation, plugins

    return plugins.index(evaluation.__name__, evaluation.__path__, "KINDS", skip=("registry", "run"))


def modules_of(name: str) -> list[str]:
    """The modules that one kind of data needs, read without importing them: its kind module
    first (its metrics lead the tables), then every other module of this package that registers a
    metric of that kind (`@metric("<kind>", ...)`; a new metric can be a file of its own)."""
    from ganlab import evaluation, plugins

    found = kind_modules()
    if name not in found:
        raise KeyError(f"unknown kind of data {name!r}; known: {', '.join(sorted(found))}")
    extra = [
        m
        for m, kinds in plugins.decorated(evaluation.__path__, "metric", skip=("registry", "run")).items()
        if name in kinds and m != found[name]
    ]
    return [found[name], *extra]


def kind(name: str):
    """The module of one kind of data (a `Kind`), imported with the other modules that register its
    metrics (modules_of)."""
    from ganlab import evaluation, plugins

    first, *rest = modules_of(name)
    module = plugins.load(evaluation.__name__, first)
    for other in rest:
        plugins.load(evaluation.__name__, other)
    return module


def metrics_of(kind_name: str) -> list[Metric]:
    """The registered metrics of one kind of data: its kind module's first, then the others', each in
    registration order (whichever kinds a process loaded before: a module may serve several)."""
    module = kind(kind_name).__name__  # importing the kind's modules registers their metrics
    return sorted(_METRICS.get(kind_name, {}).values(), key=lambda m: m.fn.__module__ != module)


def units(kind: str) -> dict[str, str]:
    return {k: u for m in metrics_of(kind) for k, u in m.units.items()}
