"""evaluate@<run>: the driver, the same for every kind of data.

1. load the run (model, config, status) and its dataset;
2. the kind module (ganlab.evaluation.registry.kind(): the family's `translation`, else the
   dataset's kind) draws the samples: one per scorable seed, FLOOR_DRAWS other real samples
   for the noise floors, baselines (e.g. bicubic upsampling), and facts about the evaluation (`info`);
3. every registered metric of that kind scores every seed; metrics with a floor also score
   each of the floors' real samples (averaged, with their std), and every metric scores the baselines
   (`<baseline>_<key>`);
   a key the data does not allow (registry.NotComputed: e.g. the binned LP above 2-D, PRDC on k or
   fewer images) goes to `not_computed` with its reason instead of a number, and the kind's notes on
   how it sampled (a split smaller than n_samples) to `evaluation_notes`: evaluate@ never stops there;
4. per key: mean and std over the scored seeds, and the per-seed values; the family's own
   final numbers; early/late summaries of the training log; units, the headline keys and the
   leaderboard layout (what the report reads, so it never imports this package);
5. figures that need the model, then reports/runs/<run>/metrics.json.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ganlab import data as datasets
from ganlab import io, pinning
from ganlab.evaluation import registry

EARLY = 0.1  # "early" and "late" in training: the first and last 10 % of logged points


def _agg(values: list[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return float("nan"), float("nan")
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def training_summary(
    history: list[dict], keep: list[int] | None = None
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Early/late means of logged curves: the evidence for claims about training dynamics. Returns
    the means over seeds, and per seed (of the seeds in `keep`; where the log has `<key>_seeds`)
    for the claims' intervals over seeds."""
    out: dict[str, float] = {}
    seeds: dict[str, list[float]] = {}
    if not history:
        return out, seeds
    k = max(1, int(round(EARLY * len(history))))
    for key in ("w_sliced", "w_critic", "grad_g", "grad_g_nonsat", "d_real", "d_fake"):
        rows = [r for r in history if r.get(key) is not None and np.isfinite(r[key])]
        if len(rows) >= 2:
            kk = max(1, min(k, len(rows) // 2))
            for when, part in (("early", rows[:kk]), ("late", rows[-kk:])):
                out[f"train_{key}_{when}"] = float(np.mean([r[key] for r in part]))
                per = [r.get(f"{key}_seeds") for r in part]
                if keep is not None and all(isinstance(p, list) and len(p) > max(keep, default=-1) for p in per):
                    seeds[f"train_{key}_{when}"] = [float(np.mean([p[i] for p in per])) for i in keep]
    return out, seeds


def kind_of(model, meta: dict) -> str:
    """The kind of data a run is evaluated as: its translation pairing, else the dataset's kind."""
    return model.translation or meta["kind"]


def score(metrics: list, sample, ev, only: tuple[str, ...] | None = None, floor: bool = False) -> dict[str, float]:
    """Every metric (or those named in `only`; with floor=True those that have a floor) on one sample."""
    out: dict[str, float] = {}
    for m in metrics:
        if (floor and not m.floor) or (only is not None and m.name not in only):
            continue
        out.update(m.fn(sample, ev))
    return out


def score_all(kind: str, batch, ev) -> dict:
    """{"per_seed": {key: [value per scored seed]}, "keep": [seed indices], "floor": {key: value},
    "floor_std": {key: std}, "baselines": {"<name>_<key>": value}, "not_computed": {key: why}} for one
    kind's samples.

    `batch.floor` is one real-vs-real sample or a list of independent ones: the floor is then the
    mean over them and "floor_std" their std (a single draw of, e.g., EMD between two 2,500-point
    samples of grid25 varies by about 20 %: docs/metrics.md)."""
    metrics = registry.metrics_of(kind)
    keep = sorted(batch.seeds)
    floor_samples = batch.floor if isinstance(batch.floor, list) else [batch.floor]
    if batch.workers > 1:  # independent per seed: a thread pool where the work releases the GIL
        with ThreadPoolExecutor(max_workers=batch.workers) as pool:
            floor_jobs = [pool.submit(score, metrics, f, ev, None, True) for f in floor_samples]
            jobs = [pool.submit(score, metrics, batch.seeds[i], ev) for i in keep]
            results, floors = [j.result() for j in jobs], [j.result() for j in floor_jobs]
    else:
        floors = [score(metrics, f, ev, floor=True) for f in floor_samples]
        results = [score(metrics, batch.seeds[i], ev) for i in keep]
    not_computed: dict[str, str] = {}  # key -> why (registry.NotComputed), from any sample
    floors, results = [_numbers(f, not_computed) for f in floors], [_numbers(m, not_computed) for m in results]
    floor = {k: float(np.mean([f[k] for f in floors])) for k in floors[0]}
    floor_std = {k: float(np.std([f[k] for f in floors], ddof=1)) for k in floors[0]} if len(floors) > 1 else {}
    per_seed: dict[str, list[float]] = {}
    for m in results:
        for k, v in m.items():
            per_seed.setdefault(k, []).append(v)
    if not keep:  # no seed could be scored: the keys exist, as null
        for m in metrics:
            for k in m.headline:
                if k not in m.optional:
                    per_seed.setdefault(k, [])
    baselines = {
        f"{name}_{k}": v
        for name, (sample, only) in batch.baselines.items()
        for k, v in _numbers(score(metrics, sample, ev, only), {}).items()
    }
    return {
        "per_seed": per_seed,
        "keep": keep,
        "floor": floor,
        "floor_std": floor_std,
        "baselines": baselines,
        "not_computed": not_computed,
    }


def _numbers(scores: dict, not_computed: dict[str, str]) -> dict[str, float]:
    """The scores that are numbers; the reasons of the others (registry.NotComputed) go to not_computed."""
    for k, v in scores.items():
        if isinstance(v, registry.NotComputed):
            not_computed.setdefault(k, v.reason)
    return {k: v for k, v in scores.items() if not isinstance(v, registry.NotComputed)}


def measure(model, cfg, meta: dict, arrays: dict, ev, classifier_dir: Path | None = None) -> dict:
    """Every registered metric of the run's kind on a model in memory (no files written):
    {"kind", "per_seed", "keep", "floor", "baselines", "not_computed", "info", "not_scored", "notes"}; "notes":
    what the kind module says about how it sampled (e.g. a split smaller than n_samples)."""
    kind = kind_of(model, meta)
    batch = registry.kind(kind).prepare(model, cfg, meta, arrays, ev, classifier_dir)
    return {
        "kind": kind,
        **score_all(kind, batch, ev),
        "info": batch.info,
        "not_scored": batch.not_scored,
        "notes": list(batch.notes),
    }


def describe(kind: str, meta: dict, ev, out: dict, final_units: dict | None = None) -> dict:
    """What the report needs to show a run's metrics `out`, from the registry and the kind
    module: "units" (of the keys scored per seed), "headline" (the keys of the per-run table
    and summary.json: the metrics' in registration order, the family's final numbers, the
    kind's facts) and "board" (its leaderboard layout)."""
    metrics, module = registry.metrics_of(kind), registry.kind(kind)
    final_units = final_units or {}
    units = {**{k: u for m in metrics for k, u in m.units.items()}, **final_units}
    board = module.board(meta, ev)
    return {
        "units": {k: u for k, u in units.items() if k in out.get("per_seed", {})},
        "headline": [k for m in metrics for k in m.headline if k in out]
        + [k for k in final_units if k in out]
        + [k for k in module.HEADLINE_INFO if k in out],
        "board": {**board, "columns": [asdict(c) for c in board["columns"]]},
    }


def sampling_speed(model, seeds: list[int], n: int = 256, min_seconds: float = 0.25, max_reps: int = 50) -> dict:
    """How fast the run's generators produce samples: latents (translation families: random
    inputs) for n samples per seed are drawn once, one warm-up pass, then generate() is timed,
    repeated until min_seconds have passed (at most max_reps passes). All seeds' models run at
    once (one batched pass makes len(seeds) x n samples), so samples_per_second counts every
    seed's samples. Wall-clock and host-dependent: evaluate@ writes it beside metrics.json, in
    eval_time.json, never into metrics.json."""
    import time

    import torch

    from ganlab.nn.seeded import SeedRNG

    with torch.no_grad():
        z = model.latent(n, SeedRNG(seeds, offset=987))
        model.generate(z)
        sync = torch.cuda.synchronize if model.device.type == "cuda" else (lambda: None)
        sync()
        reps, start = 0, time.perf_counter()
        while reps < max_reps and (reps == 0 or time.perf_counter() - start < min_seconds):
            model.generate(z)
            reps += 1
        sync()
        seconds = time.perf_counter() - start
    return {
        "samples_per_second": len(seeds) * n * reps / seconds,
        "samples_per_pass": len(seeds) * n,
        "passes": reps,
        "seconds": seconds,
        "device": str(model.device),
        "threads": torch.get_num_threads(),
    }


def evaluate_run(
    run: str, ev, model_dir: Path, data_dir: Path, out_dir: Path, classifier_dir: Path | None = None
) -> dict:
    from ganlab.report import figures
    from ganlab.training.loop import load_model

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    rebuild = f"dvc repro train@{model_dir.name}"
    status = io.read_verified(model_dir / "status.json", rebuild, io.read_json)
    model, cfg, _ = load_model(model_dir)
    arrays, meta = datasets.load(data_dir)
    res = measure(model, cfg, meta, arrays, ev, classifier_dir)
    kind, module = res["kind"], registry.kind(res["kind"])
    per_seed, keep = res["per_seed"], res["keep"]
    final = model.final_metrics()
    for k, v in final.items():
        if isinstance(v, list):
            per_seed[k] = [v[i] for i in keep]

    out = {
        "run": run,
        "family": cfg.family,
        "variant": model.variant(cfg),
        "dataset": cfg.dataset,
        "kind": meta["kind"],
        "status": status["status"],
        "diverged_at_step": status["diverged_at_step"],
        "steps_done": status["steps_done"],
        "seeds": cfg.seeds,
        "seeds_evaluated": [cfg.seeds[i] for i in keep],
        # seeds left out, and why (e.g. ganlab.metrics.unscorable: non-finite or absurd samples)
        "seeds_not_scored": {str(cfg.seeds[i]): why for i, why in sorted(res["not_scored"].items())},
        **res["info"],
        **res["baselines"],
    }
    # only where there is something to say, so that other runs' metrics.json stay as they were
    if res["not_computed"]:
        out["not_computed"] = res["not_computed"]  # {key: why}: metrics not defined for this data
    if res["notes"]:
        out["evaluation_notes"] = res["notes"]  # how the samples were drawn, where it differs
    for k, vals in per_seed.items():
        out[k], out[f"{k}_std"] = _agg(vals)
    out.update({k: v for k, v in final.items() if not isinstance(v, list)})
    for k, v in res["floor"].items():
        out[f"{k}_floor"] = v
    for k, v in res["floor_std"].items():
        out[f"{k}_floor_std"] = v
    summary, summary_seeds = training_summary(io.read_verified(model_dir / "history.json", rebuild, io.read_json), keep)
    out.update(summary)
    per_seed.update(summary_seeds)  # the early/late curves per seed: the claims' intervals, not the board's means
    out["per_seed"] = per_seed
    out.update(describe(kind, meta, ev, out, model.final_units))

    with io.atomic_dir(out_dir / "figures") as tmp:
        figures.run_figures(run, model_dir, meta, tmp, n_sigma=ev.n_sigma)
        for name, (grid, title) in module.figures(model, meta, arrays).items():
            figures.image_grid(grid, f"{run}: {title}", tmp / f"{name}.png")
    io.write_json(out_dir / "eval_time.json", {**sampling_speed(model, cfg.seeds), "cpu": pinning.settings()})
    io.write_json(out_dir / "metrics.json", out)
    return out
