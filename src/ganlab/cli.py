"""The `ganlab` command: look at and use trained runs.

  ganlab info                          families, dataset recipes, and the runs in params.yaml
                                       with their status
  ganlab sample <run> --n N --out F    draw N samples from a trained run (.npy, or .png plot / image grid);
                                       a translation run translates the first N held-out inputs
  ganlab progress <run>                how far a run has trained (its checkpoint while train@<run> runs
                                       or was killed, else its finished model): steps, seconds, pace,
                                       the last logged losses, and a point run's modes at each snapshot

Errors (unknown run, model not trained yet, a diverged seed whose samples are not finite)
name what exists and exit with status 2; nothing is written then.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganlab import config, io


def _die(message: str) -> None:
    print(f"ganlab: {message}", file=sys.stderr)
    raise SystemExit(2)


def cmd_info(args) -> None:
    from ganlab.data import list_recipes
    from ganlab.families import get_family, list_families

    print("families:")
    for name in list_families():
        doc = (sys.modules[get_family(name).__module__].__doc__ or "").strip().splitlines()
        print(f"  {name:10s} {doc[0] if doc else ''}")
    print("dataset recipes: " + ", ".join(list_recipes()))
    params = config.load_or_exit(args.params)
    print("datasets (params.yaml): " + ", ".join(f"{n} ({c.recipe})" for n, c in params.datasets.items()))
    print("runs (params.yaml):")
    for name, cfg in params.runs.items():
        status_file = Path(args.models) / name / "status.json"
        metrics_file = Path("reports/runs") / name / "metrics.json"
        time_file = Path("reports/runs") / name / "train_time.json"      # host-dependent: not in models/
        if status_file.exists():
            st = io.read_json(status_file)
            state = st["status"] + (f" at step {st['diverged_at_step']}" if st.get("diverged_at_step") else "")
            if time_file.exists():
                state += f", {io.read_json(time_file)['seconds']:.1f} s"
        else:
            state = "not trained (dvc repro train@" + name + ")"
        evaluated = "evaluated" if metrics_file.exists() else "not evaluated"
        print(f"  {name:16s} {cfg.family:8s} on {cfg.dataset:8s} seeds {cfg.seeds}: {state}; {evaluated}")


def cmd_sample(args) -> None:
    import numpy as np

    params = config.load_or_exit(args.params)
    if args.run not in params.runs:
        _die(f"unknown run {args.run!r}; runs in {args.params}: {', '.join(params.runs) or 'none'}")
    model_dir = Path(args.models) / args.run
    if not (model_dir / "weights.pt").exists():
        trained = sorted(p.parent.name for p in Path(args.models).glob("*/weights.pt"))
        _die(f"run {args.run!r} has no trained model in {model_dir}; run `dvc repro train@{args.run}` "
             f"(trained runs: {', '.join(trained) or 'none'})")
    if args.n < 1:
        _die(f"--n must be a positive integer, got {args.n}")
    out = Path(args.out)
    if out.suffix not in (".npy", ".png"):
        _die(f"--out must end in .npy or .png, got {out.name!r}")

    import torch

    from ganlab.nn.seeded import SeedRNG
    from ganlab.training.loop import load_model
    try:
        model, cfg, meta = load_model(model_dir)
    except io.FileError as err:      # corrupt or torn model files: name them and the rebuild
        _die(str(err))
    if args.seed_index >= len(cfg.seeds):
        _die(f"--seed-index must be below {len(cfg.seeds)} (the run trained seeds {cfg.seeds})")
    with torch.no_grad():
        if model.translation:       # image-to-image: the dataset's held-out inputs, not noise
            from ganlab import data as datasets
            try:
                arrays, _ = datasets.load(Path(args.data) / cfg.dataset)
            except io.FileError as err:
                _die(str(err))
            inputs = model.test_inputs(arrays, args.n)
            x = model.translate(inputs.expand(model.n_seeds, *inputs.shape))[args.seed_index].float().numpy()
        else:
            x = model.generate(model.latent(args.n, SeedRNG(cfg.seeds, offset=args.latent_seed)))[args.seed_index].float().numpy()
    if not np.isfinite(x).all():
        st = io.read_json(model_dir / "status.json")
        when = f"diverged at step {st['diverged_at_step']}" if st.get("diverged_at_step") else st["status"]
        _die(f"run {args.run!r} seed {cfg.seeds[args.seed_index]} gives non-finite samples (the run {when}); "
             f"nothing written to {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".npy":
        np.save(out, x)         # images: float32 in [-1, 1], shape (n, C, H, W)
    elif meta["kind"] == "images":
        from ganlab.report.figures import image_grid
        cols = min(10, args.n)
        rows = args.n // cols
        image_grid(x[:rows * cols].reshape(rows, cols, *x.shape[1:]),
                   f"{args.run}: {rows * cols} samples (seed {cfg.seeds[args.seed_index]})", out)
    else:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(4, 4))
        if x.shape[1] == 1:
            ax.hist(x[:, 0], bins=60, color="tab:orange")
        else:
            ax.scatter(x[:, 0], x[:, 1], s=3, c="tab:orange")
            ax.set_aspect("equal")
        ax.set_title(f"{args.run}: {args.n} samples (seed {cfg.seeds[args.seed_index]})", fontsize=9)
        fig.tight_layout()
        fig.savefig(out, dpi=90)
    print(f"wrote {args.n} samples of shape {tuple(x.shape[1:])} to {out}")


def _coverage_table(steps, samples, meta: dict, n_sigma: float, n_eval: int) -> list[str]:
    """A point run's modes captured, high-quality % and reverse KL at each snapshot step."""
    import numpy as np

    from ganlab.evaluation.points import coverage_over_training
    rows = coverage_over_training(samples, meta, n_sigma)
    n = np.asarray(samples).shape[2]
    lines = [f"modes over training: the snapshots' {n:,} fixed-latent samples per seed (the evaluation scores "
             f"{n_eval:,}), mean ± std over seeds:",
             f"  {'step':>9s}  {'modes (of ' + str(len(meta['centres'])) + ')':>16s}  {'high quality %':>15s}  {'reverse KL':>14s}"]
    for step, row in zip(steps, rows):
        cells = []
        for key, digits in (("modes_captured", 1), ("high_quality_pct", 1), ("reverse_kl", 3)):
            v = np.asarray(row[key], dtype=float)
            cells.append("n/a" if np.isnan(v).all() else f"{np.nanmean(v):.{digits}f} ± {np.nanstd(v):.{digits}f}")
        lines.append(f"  {int(step):>9,d}  {cells[0]:>16s}  {cells[1]:>15s}  {cells[2]:>14s}")
    return lines


def cmd_progress(args) -> None:
    import dataclasses
    import json

    params = config.load_or_exit(args.params)
    if args.run not in params.runs:
        _die(f"unknown run {args.run!r}; runs in {args.params}: {', '.join(params.runs) or 'none'}")
    cfg = params.runs[args.run]
    model_dir, ckpt = Path(args.models) / args.run, Path(args.checkpoints) / args.run / "ckpt.pt"
    from ganlab.training.loop import config_hash
    try:
        if (model_dir / "status.json").exists():
            rebuild = f"dvc repro train@{args.run}"
            status = io.read_verified(model_dir / "status.json", rebuild, io.read_json)
            history = io.read_verified(model_dir / "history.json", rebuild, io.read_json)
            snaps = io.read_verified(model_dir / "snapshots.npz", rebuild, io.read_npz)
            steps, samples = snaps["steps"], snaps["samples"]
            trained = io.read_json(model_dir / "config.json")["config"]
            done, total = status["steps_done"], status["steps"]
            timing = Path("reports/runs") / args.run / "train_time.json"
            seconds = io.read_json(timing)["seconds"] if timing.exists() else None
            head = f"{args.run}: trained ({status['status']}), {done:,} of {total:,} steps"
        elif ckpt.exists():
            import torch
            ck = io.read_verified(ckpt, None, lambda p: torch.load(p, map_location="cpu", weights_only=True))
            steps = sorted(int(k) for k in ck["snaps"])
            samples = [ck["snaps"][k]["samples"].numpy() for k in sorted(ck["snaps"], key=int)]
            history, done, total, seconds, trained = ck["history"], ck["step"], cfg.steps, ck["seconds"], None
            head = f"{args.run}: in training (checkpoint {ckpt}), {done:,} of {total:,} steps ({100 * done / total:.1f} %)"
            if ck.get("hash") != config_hash(cfg):
                head += (f"\n  this checkpoint was made for other params than {args.params}'s: "
                         f"train@{args.run} would start over, not resume it")
        else:
            _die(f"run {args.run!r} has neither a checkpoint ({ckpt}) nor a trained model ({model_dir}); "
                 f"`dvc repro train@{args.run}` writes a checkpoint every {cfg.checkpoint_every:,} steps")
        meta = io.read_verified(Path(args.data) / cfg.dataset / "meta.json", f"dvc repro prepare@{cfg.dataset}", io.read_json)
    except io.FileError as err:
        _die(str(err))
    if trained is not None and trained != json.loads(json.dumps(dataclasses.asdict(cfg))):
        head += f"\n  trained with other params than {args.params}'s: `dvc repro` would retrain it"
    print(head)
    if seconds is not None and done:
        pace = f"{seconds:,.0f} s of training, {1000 * seconds / done:.1f} s per 1,000 steps"
        if done < total:
            pace += f"; about {(total - done) * seconds / done:,.0f} s to go at that pace"
        print("  " + pace)
    if history:
        last = history[-1]
        print(f"  last logged (step {last['step']:,}): " + ", ".join(
            f"{k} {v:.4g}" for k, v in last.items() if k != "step" and not k.endswith("_seeds") and isinstance(v, float)))
    if meta.get("kind") == "points" and "centres" in meta and len(steps):
        print("\n".join(_coverage_table(steps, samples, meta, params.evaluation.n_sigma, params.evaluation.n_samples)))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="ganlab", description="Use the runs of a ganlab pipeline.")
    ap.add_argument("--params", default="params.yaml", help="params file (default params.yaml)")
    ap.add_argument("--models", default="models", help="folder of trained runs (default models)")
    ap.add_argument("--data", default="data", help="folder of prepared datasets (default data): translation runs' inputs")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="families, datasets, runs and their status").set_defaults(fn=cmd_info)
    s = sub.add_parser("sample", help="draw samples from a trained run")
    s.add_argument("run")
    s.add_argument("--n", type=int, default=1000, help="number of samples (default 1000)")
    s.add_argument("--out", required=True, help="output file: .npy (array) or .png (plot)")
    s.add_argument("--seed-index", type=int, default=0, help="which of the run's seeds (default 0: the first)")
    s.add_argument("--latent-seed", type=int, default=0, help="seed for the latent draws (default 0)")
    s.set_defaults(fn=cmd_sample)
    s = sub.add_parser("progress", help="how far a run has trained, and a point run's modes at each snapshot")
    s.add_argument("run")
    s.add_argument("--checkpoints", default="checkpoints", help="folder of checkpoints (default checkpoints)")
    s.set_defaults(fn=cmd_progress)
    args = ap.parse_args(argv)
    try:
        args.fn(args)
    except BrokenPipeError:        # `ganlab progress run | head`: the reader left; no traceback
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1)


if __name__ == "__main__":
    main()
