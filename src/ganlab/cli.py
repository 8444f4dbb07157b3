"""The `ganlab` command: look at and use trained runs.

  ganlab info                          families, dataset recipes, and the runs in params.yaml
                                       with their status
  ganlab sample <run> --n N --out F    draw N samples from a trained run (.npy, or .png plot / image grid);
                                       a translation run translates the first N held-out inputs

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
    args = ap.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
