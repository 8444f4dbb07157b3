"""The `ganlab` command: look at and use trained runs.

  ganlab info                          families, dataset recipes, and the runs in params.yaml
                                       with their status
  ganlab sample <run> --n N --out F    draw N samples (1 to 100,000) from a trained run (.npy, or .png
                                       plot / image grid of every sample, 10 a row); a translation run
                                       translates the first N held-out inputs. The latents are those
                                       evaluate@ draws: --latent-seed defaults to params' evaluation.seed,
                                       so --n <evaluation.n_samples> gives the samples evaluate@ scores
  ganlab progress <run>                how far a run has trained (its checkpoint while train@<run> runs
                                       or was killed, else its finished model): steps, seconds, pace,
                                       the last logged losses, and a point run's modes at each snapshot

Errors (unknown run, model not trained yet, a diverged seed whose samples are not finite, an
argument out of range, --out naming a folder, an unreadable params file) are one line on stderr
that names what is wrong and what is allowed, exit status 2; nothing is written then. Arguments
are checked before any work: --n from 1 to 100,000 (N_MAX), --seed-index from 0 to the run's seeds
less one, --latent-seed from 0 to 2**31 - 1 (what torch's generators take beside the run's seed).

`info` never stops on one run's files: a corrupt models/<run>/status.json or
reports/runs/<run>/train_time.json shows as "unreadable (why; the command that rebuilds it)" on
that run's line, and the listing goes on (exit 0).

`progress` reads a folder that training replaces whole (io.atomic_dir) through one opened
directory, retrying when it was replaced under the read (io.read_folder_verified), so a reader
never pairs one version's checksums.json with another's file. When a checkpoint and a finished
model are both there (a retrain killed or under way), it shows the newer and names the other.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganlab import config, io

N_MAX = 100_000  # ganlab sample --n: samples a call may draw (one array in memory, one figure)
SEED_MAX = 2**31 - 1  # --latent-seed: added to the run's seeds (each <= 2**31 - 1) for torch's generators
COLS = 10  # images per row of `sample`'s grid


def _die(message: str) -> None:
    print(f"ganlab: {message}", file=sys.stderr)
    raise SystemExit(2)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage + message: one line instead
        _die(f"{message} (see `{self.prog} --help`)")


def _count(lo: int, hi: int):
    """argparse type: an integer from lo to hi, else an error naming the range (checked before any work)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"expected an integer from {lo:,} to {hi:,}, got {text!r}")
        return value

    return parse


def _load_params(path: str):
    try:
        return config.load_or_exit(path)
    except OSError as err:  # e.g. no permission to read it
        _die(f"--params {path}: unreadable ({err.strerror or err})")


def _run_state(name: str, models: str) -> str:
    """A run's line in `info`: its status and training time, or why a file of it is unreadable."""
    status_file = Path(models) / name / "status.json"
    time_file = Path("reports/runs") / name / "train_time.json"  # host-dependent: not in models/
    if not status_file.exists():
        return "not trained (dvc repro train@" + name + ")"
    try:
        st = io.read_verified(status_file, f"dvc repro train@{name}", io.read_json)
        state = st["status"] + (f" at step {st['diverged_at_step']}" if st.get("diverged_at_step") else "")
    except (io.FileError, KeyError, TypeError, AttributeError) as err:
        why = err if isinstance(err, io.FileError) else f"{status_file}: no {err} field"
        return f"unreadable ({why})"
    if time_file.exists():
        try:
            state += f", {float(io.read_json(time_file)['seconds']):.1f} s"
        except (OSError, ValueError, KeyError, TypeError) as err:
            state += (
                f", training time unreadable ({time_file}: {type(err).__name__}; `dvc repro train@{name}` rewrites it)"
            )
    return state


def cmd_info(args) -> None:
    from ganlab.data import list_recipes
    from ganlab.families import get_family, list_families

    params = _load_params(args.params)  # first: a bad file prints only its one line
    print("families:")
    for name in list_families():
        doc = (sys.modules[get_family(name).__module__].__doc__ or "").strip().splitlines()
        print(f"  {name:10s} {doc[0] if doc else ''}")
    print("dataset recipes: " + ", ".join(list_recipes()))
    print("datasets (params.yaml): " + ", ".join(f"{n} ({c.recipe})" for n, c in params.datasets.items()))
    print("runs (params.yaml):")
    for name, cfg in params.runs.items():
        metrics_file = Path("reports/runs") / name / "metrics.json"
        state = _run_state(name, args.models)
        evaluated = "evaluated" if metrics_file.exists() else "not evaluated"
        print(f"  {name:16s} {cfg.family:8s} on {cfg.dataset:8s} seeds {cfg.seeds}: {state}; {evaluated}")


def _check_out(out: Path) -> None:
    """--out: a .npy or .png file name whose folder is (or can be) a folder, checked before any work."""
    if out.is_dir():
        _die(f"--out {out} is a folder; give a file name ending in .npy or .png (e.g. {out / 'samples.png'})")
    if out.suffix not in (".npy", ".png"):
        _die(f"--out must end in .npy or .png, got {out.name!r}")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                _die(f"--out {out}: {parent} is a file, not a folder")
            break


def image_rows(x, cols: int = COLS):
    """Images (n, C, H, W) -> (rows, cols, C, H, W), the last row padded with blank (white) cells."""
    import numpy as np

    rows = -(-len(x) // cols)
    pad = np.ones((rows * cols - len(x), *x.shape[1:]), x.dtype)
    return np.concatenate([x, pad]).reshape(rows, cols, *x.shape[1:])


def cmd_sample(args) -> None:
    import numpy as np

    out = Path(args.out)
    _check_out(out)
    params = _load_params(args.params)
    if args.run not in params.runs:
        _die(f"unknown run {args.run!r}; runs in {args.params}: {', '.join(params.runs) or 'none'}")
    model_dir = Path(args.models) / args.run
    if not (model_dir / "weights.pt").exists():
        trained = sorted(p.parent.name for p in Path(args.models).glob("*/weights.pt"))
        _die(
            f"run {args.run!r} has no trained model in {model_dir}; run `dvc repro train@{args.run}` "
            f"(trained runs: {', '.join(trained) or 'none'})"
        )
    latent_seed = params.evaluation.seed if args.latent_seed is None else args.latent_seed

    import torch

    from ganlab.nn.seeded import SeedRNG
    from ganlab.training.loop import load_model

    try:
        model, cfg, meta = load_model(model_dir)
    except io.FileError as err:  # corrupt or torn model files: name them and the rebuild
        _die(str(err))
    if not 0 <= args.seed_index < len(cfg.seeds):
        _die(
            f"--seed-index must be from 0 to {len(cfg.seeds) - 1} (the run trained seeds {cfg.seeds}), "
            f"got {args.seed_index}"
        )
    with torch.no_grad():
        if model.translation:  # image-to-image: the dataset's held-out inputs, not noise
            from ganlab import data as datasets

            try:
                arrays, _ = datasets.load(Path(args.data) / cfg.dataset)
            except io.FileError as err:
                _die(str(err))
            inputs = model.test_inputs(arrays, args.n)
            x = model.translate(inputs.expand(model.n_seeds, *inputs.shape))[args.seed_index].float().numpy()
        else:
            x = (
                model.generate(model.latent(args.n, SeedRNG(cfg.seeds, offset=latent_seed)))[args.seed_index]
                .float()
                .numpy()
            )
    if not np.isfinite(x).all():
        try:
            st = io.read_verified(model_dir / "status.json", f"dvc repro train@{args.run}", io.read_json)
            when = f"diverged at step {st['diverged_at_step']}" if st.get("diverged_at_step") else st["status"]
        except (io.FileError, KeyError, TypeError, AttributeError):
            when = "status unreadable"
        _die(
            f"run {args.run!r} seed {cfg.seeds[args.seed_index]} gives non-finite samples (the run {when}); "
            f"nothing written to {out}"
        )
    seed = cfg.seeds[args.seed_index]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".npy":  # images: float32 in [-1, 1], shape (n, C, H, W)
            io.write_with(out, lambda f: np.save(f, x))
        elif meta["kind"] == "images":
            from ganlab.report.figures import image_grid

            grid = image_rows(x, min(COLS, len(x)))
            io.write_with(out, lambda f: image_grid(grid, f"{args.run}: {len(x)} samples (seed {seed})", f))
        else:
            io.write_with(out, lambda f: _scatter(x, f"{args.run}: {len(x)} samples (seed {seed})", f))
    except OSError as err:  # read-only folder, disk full: one line, no partial file (written atomically)
        _die(f"cannot write {out}: {err.strerror or err}")
    print(f"wrote {len(x)} samples of shape {tuple(x.shape[1:])} to {out}")


def _scatter(x, title: str, f) -> None:
    """A point run's samples: a histogram in 1-D, a scatter of the first two coordinates above."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4))
    if x.shape[1] == 1:
        ax.hist(x[:, 0], bins=60, color="tab:orange")
    else:
        ax.scatter(x[:, 0], x[:, 1], s=3, c="tab:orange")
        ax.set_aspect("equal")
        if x.shape[1] > 2:
            title += f", the first 2 of {x.shape[1]} coordinates"
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(f, dpi=90, format="png")
    plt.close(fig)


def _coverage_table(steps, samples, meta: dict, n_sigma: float, n_eval: int) -> list[str]:
    """A point run's modes captured, high-quality % and reverse KL at each snapshot step."""
    import numpy as np

    from ganlab.evaluation.points import coverage_over_training

    rows = coverage_over_training(samples, meta, n_sigma)
    n = np.asarray(samples).shape[2]
    lines = [
        f"modes over training: the snapshots' {n:,} fixed-latent samples per seed (the evaluation scores "
        f"{n_eval:,}), mean ± std over seeds:",
        f"  {'step':>9s}  {'modes (of ' + str(len(meta['centres'])) + ')':>16s}  {'high quality %':>15s}  "
        f"{'reverse KL':>14s}",
    ]
    for step, row in zip(steps, rows):
        cells = []
        for key, digits in (("modes_captured", 1), ("high_quality_pct", 1), ("reverse_kl", 3)):
            v = np.asarray(row[key], dtype=float)
            cells.append("n/a" if np.isnan(v).all() else f"{np.nanmean(v):.{digits}f} ± {np.nanstd(v):.{digits}f}")
        lines.append(f"  {int(step):>9,d}  {cells[0]:>16s}  {cells[1]:>15s}  {cells[2]:>14s}")
    return lines


def _describe(st: dict) -> str:
    return f"{st['status']}, {st['steps_done']:,} of {st['steps']:,} steps"


def cmd_progress(args) -> None:
    import dataclasses
    import json

    import torch

    params = _load_params(args.params)
    if args.run not in params.runs:
        _die(f"unknown run {args.run!r}; runs in {args.params}: {', '.join(params.runs) or 'none'}")
    cfg = params.runs[args.run]
    model_dir, ckpt = Path(args.models) / args.run, Path(args.checkpoints) / args.run / "ckpt.pt"
    rebuild = f"dvc repro train@{args.run}"
    from ganlab.training.loop import code_hash, config_hash

    try:
        # Both folders are replaced whole while train@ runs: read each through one opened directory.
        check = io.read_folder_verified(
            ckpt.parent, {ckpt.name: lambda f: torch.load(f, map_location="cpu", weights_only=True)}, None
        )
        finished = io.read_folder_verified(model_dir, {"status.json": json.load}, rebuild)
        if check is None and finished is None:
            _die(
                f"run {args.run!r} has neither a checkpoint ({ckpt}) nor a trained model ({model_dir}); "
                f"`dvc repro train@{args.run}` writes a checkpoint every {cfg.checkpoint_every:,} steps"
            )
        # The newer of the two is shown, the other named: a checkpoint beside a finished model is a
        # retrain under way or killed; a model newer than a checkpoint, a run killed as it completed.
        if check is not None and (finished is None or check[1] >= finished[1]):
            ck = check[0][ckpt.name]
            steps = sorted(int(k) for k in ck["snaps"])
            samples = [ck["snaps"][k]["samples"].numpy() for k in sorted(ck["snaps"], key=int)]
            history, done, total, seconds, trained = ck["history"], ck["step"], cfg.steps, ck["seconds"], None
            head = (
                f"{args.run}: in training (checkpoint {ckpt}), {done:,} of {total:,} steps ({100 * done / total:.1f} %)"
            )
            if ck.get("hash") != config_hash(cfg):
                head += (
                    f"\n  this checkpoint was made for other params than {args.params}'s: "
                    f"train@{args.run} would start over, not resume it"
                )
            # the rest of what train@ resumes on (ganlab.training.loop.resume_key): the data and the code
            key = ck.get("key") if isinstance(ck.get("key"), dict) else {}
            sums = Path(args.data) / cfg.dataset / io.CHECKSUMS
            if key.get("data") is not None and sums.exists() and key["data"] != io.sha256(sums):
                head += (
                    f"\n  this checkpoint was made on other data than {sums.parent}/ holds now: "
                    f"train@{args.run} would start over, not resume it"
                )
            if key.get("code") is not None and key["code"] != code_hash():
                head += (
                    f"\n  this checkpoint was made by other code (the ganlab sources, torch or numpy): "
                    f"train@{args.run} would start over, not resume it"
                )
            if finished is not None:
                head += (
                    f"\n  {model_dir}/ holds an older finished model ({_describe(finished[0]['status.json'])}): "
                    f"train@{args.run} is training anew, or was killed while it did"
                )
        else:
            files, _ = io.read_folder_verified(
                model_dir,
                {
                    "status.json": json.load,
                    "history.json": json.load,
                    "snapshots.npz": io.read_npz,
                    "config.json": json.load,
                },
                rebuild,
            )
            status, history = files["status.json"], files["history.json"]
            steps, samples = files["snapshots.npz"]["steps"], files["snapshots.npz"]["samples"]
            trained = files["config.json"]["config"]
            done, total = status["steps_done"], status["steps"]
            timing = Path("reports/runs") / args.run / "train_time.json"
            try:
                seconds = io.read_json(timing)["seconds"] if timing.exists() else None
            except (OSError, ValueError, KeyError, TypeError):
                seconds = None  # host-dependent, not checksummed: shown when readable
            head = f"{args.run}: trained ({status['status']}), {done:,} of {total:,} steps"
            if check is not None:
                head += (
                    f"\n  a checkpoint older than this model ({ckpt}, step {check[0][ckpt.name]['step']:,}) is left "
                    f"from a run killed as it completed"
                )
        meta = io.read_verified(
            Path(args.data) / cfg.dataset / "meta.json", f"dvc repro prepare@{cfg.dataset}", io.read_json
        )
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
        print(
            f"  last logged (step {last['step']:,}): "
            + ", ".join(
                f"{k} {v:.4g}"
                for k, v in last.items()
                if k != "step" and not k.endswith("_seeds") and isinstance(v, float)
            )
        )
    if meta.get("kind") == "points" and "centres" in meta and len(steps):
        print("\n".join(_coverage_table(steps, samples, meta, params.evaluation.n_sigma, params.evaluation.n_samples)))


def main(argv: list[str] | None = None) -> None:
    ap = _Parser(prog="ganlab", description="Use the runs of a ganlab pipeline.")
    ap.add_argument("--params", default="params.yaml", help="params file (default params.yaml)")
    ap.add_argument("--models", default="models", help="folder of trained runs (default models)")
    ap.add_argument(
        "--data", default="data", help="folder of prepared datasets (default data): translation runs' inputs"
    )
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="families, datasets, runs and their status").set_defaults(fn=cmd_info)
    s = sub.add_parser("sample", help="draw samples from a trained run")
    s.add_argument("run")
    s.add_argument("--n", type=_count(1, N_MAX), default=1000, help=f"number of samples, 1 to {N_MAX:,} (default 1000)")
    s.add_argument(
        "--out", required=True, help="output file: .npy (array) or .png (plot, or a grid of every image, 10 a row)"
    )
    s.add_argument("--seed-index", type=int, default=0, help="which of the run's seeds, from 0 (default 0: the first)")
    s.add_argument(
        "--latent-seed",
        type=_count(0, SEED_MAX),
        default=None,
        help="seed offset of the latent draws, 0 to 2**31 - 1 (default: params' evaluation.seed, the latents "
        "evaluate@ draws: --n evaluation.n_samples gives exactly the samples it scores)",
    )
    s.set_defaults(fn=cmd_sample)
    s = sub.add_parser("progress", help="how far a run has trained, and a point run's modes at each snapshot")
    s.add_argument("run")
    s.add_argument("--checkpoints", default="checkpoints", help="folder of checkpoints (default checkpoints)")
    s.set_defaults(fn=cmd_progress)
    args = ap.parse_args(argv)
    try:
        args.fn(args)
    except BrokenPipeError:  # `ganlab progress run | head`: the reader left; no traceback
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
