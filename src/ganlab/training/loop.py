"""The training loop every family shares.

It owns what is not the family's business: seeding, the device, the real data (resident on
the device as one tensor, batches indexed from it), logging with dvclive, snapshots for
figures, checkpoints and resume, the divergence guard, and the progress bar. It only calls
the Family interface (ganlab.families.base), so it has no branch per family.

Determinism: training draws come from one torch.Generator per seed (ganlab.nn.seeded.SeedRNG)
and nothing else; logging, snapshots and Wasserstein estimates use their own fixed latents and
real subsets, so they never shift the training stream. A checkpoint stores weights, optimiser
states, the generator's average (ema_kimg), generator states, the partial log accumulators and
the step, so a run killed at any point and rerun ends with exactly the numbers of an
uninterrupted run on CPU. The checkpoint
folder carries a checksum (ganlab.io); a checkpoint that fails it, or was made from other
inputs, is ignored with a message and the run starts over from step 0, ending where an
uninterrupted run ends.

Resume only on identical inputs: a checkpoint records the key of everything training reads
(`resume_key`): the run's params (`config_hash`, the process count and the device type), the
dataset's content (the sha256 of data/<dataset>/checksums.json, which lists the sums of
data.npz and meta.json) and the code (`code_hash`). A checkpoint whose key differs in any part
is not resumed; one line says which part (params, data, code).

No host synchronisation per step: per-step outputs are summed on the device and read back
(`.cpu()`) only every `log_every` steps; the first non-finite loss is tracked on the device.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ganlab import data as datasets
from ganlab import distributed, io
from ganlab.config import resolve_device
from ganlab.families import get_family
from ganlab.families.base import RealBatches
from ganlab.nn.seeded import SeedRNG
from ganlab.training import ema, speed

CKPT_NAME = "ckpt.pt"
N_FIXED = 1000  # samples per seed in snapshots and in-loop Wasserstein estimates
N_KEEP_IMAGES = 100  # of which image snapshots keep the first 100 (figures show at most 100)
TRAIN_OFFSET, FIXED_OFFSET = 1_000_003, 2_000_003  # seed offsets: separate streams


def config_hash(cfg) -> str:
    """The run's own settings (what `ganlab progress` compares a checkpoint with)."""
    return hashlib.sha256(json.dumps(dataclasses.asdict(cfg), sort_keys=True).encode()).hexdigest()[:16]


def code_hash() -> str:
    """The code that trains: every .py file of the ganlab package (path and bytes), plus the torch
    and numpy versions. The whole package rather than the modules loaded when a Trainer starts:
    that set depends on what the process imported before (a stage, the test suite, a notebook)
    and misses the lazy imports of the loop itself (ganlab.metrics in the Wasserstein
    estimates), so the same code could give two keys. The price of the superset: an edit to code
    training never reads (the report) also makes a killed run start over, which is always safe."""
    root = Path(__file__).resolve().parents[1]  # src/ganlab
    h = hashlib.sha256(f"torch {torch.__version__} numpy {np.__version__}\n".encode())
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" not in path.parts:
            h.update(f"{path.relative_to(root).as_posix()} {path.stat().st_size}\n".encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def resume_key(cfg, world: int, device: torch.device, data_dir: Path) -> dict[str, object]:
    """What a checkpoint must match to be resumed, by part: params (the run's settings, the
    process count, the device type), data (data/<dataset>/checksums.json), code (code_hash)."""
    return {
        "params": [config_hash(cfg), world, device.type],
        "data": io.sha256(Path(data_dir) / io.CHECKSUMS),
        "code": code_hash(),
    }


def snapshot_steps(steps: int, n: int) -> list[int]:
    return sorted({0, steps} | {round(k * steps / n) for k in range(1, n)})


def _to_cpu(v):
    if isinstance(v, torch.Tensor):
        return v.detach().cpu()
    if isinstance(v, dict):
        return {k: _to_cpu(x) for k, x in v.items()}
    return v


def display_grid(meta: dict, n1d: int = 200, n2d: int = 64) -> np.ndarray:
    """Points where the discriminator is drawn for figures: a line (1-D) or a square mesh (2-D)."""
    if meta["kind"] != "points":
        return np.zeros((0, meta["dim"]), np.float32)
    lo, hi = np.asarray(meta["range"][0]), np.asarray(meta["range"][1])
    pad = 0.25 * (hi - lo) + 1e-6
    lo, hi = lo - pad, hi + pad
    if meta["dim"] == 1:
        return np.linspace(lo[0], hi[0], n1d)[:, None].astype(np.float32)
    if meta["dim"] == 2:
        xs, ys = np.linspace(lo[0], hi[0], n2d), np.linspace(lo[1], hi[1], n2d)
        return np.stack(np.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2).astype(np.float32)
    return np.zeros((0, meta["dim"]), np.float32)


def complete_live_dir(live_dir: Path, step: int) -> None:
    """dvc.yaml declares <live>/metrics.json and <live>/plots/metrics for every train stage; dvclive
    writes them only once a finite metric was logged (not for a run that diverged before its
    first log point), so make sure both exist."""
    (live_dir / "plots" / "metrics").mkdir(parents=True, exist_ok=True)
    if not (live_dir / "metrics.json").exists():
        io.write_json(live_dir / "metrics.json", {"step": step})


def w_estimate(fake: np.ndarray, real: np.ndarray, seed: int = 0) -> float:
    """In-loop Wasserstein-1 estimate: closed form in 1-D, sliced above (images: on pixels)."""
    from ganlab.metrics import wasserstein

    fake, real = fake.reshape(len(fake), -1), real.reshape(len(real), -1)
    if fake.shape[-1] == 1:
        return wasserstein.w1_1d(fake[:, 0], real[:, 0])
    return wasserstein.sliced(fake, real, n_projections=128, seed=seed)


@dataclasses.dataclass(frozen=True)
class Fault:
    """An injected failure, for the tests of data-parallel failure handling: `kill` (SIGKILL, as a
    crashed node) or `raise` (an exception) on `rank` just before the update of step `step`."""

    how: str
    rank: int
    step: int

    @classmethod
    def parse(cls, spec: str) -> Fault | None:
        """ "kill:<rank>:<step>" or "raise:<rank>:<step>" (stages/train.py reads it from GANLAB_FAULT); "" is None."""
        if not spec:
            return None
        how, rank, step = spec.split(":")
        if how not in ("kill", "raise"):
            raise ValueError(f"GANLAB_FAULT: expected kill:<rank>:<step> or raise:<rank>:<step>, got {spec!r}")
        return cls(how, int(rank), int(step))

    def strike(self, rank: int, step: int) -> None:
        if (rank, step) != (self.rank, self.step):
            return
        if self.how == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError(f"injected fault (GANLAB_FAULT) on rank {rank} at step {step}")


@dataclasses.dataclass
class LoopState:
    """What the training loop carries from one step to the next, and a checkpoint saves: the logged
    points, the snapshots, the running sums of the step outputs since the last log point, the first
    step with a non-finite loss (-1: none yet) and the seconds of earlier attempts."""

    first_bad: torch.Tensor
    start: int = 0
    history: list[dict] = dataclasses.field(default_factory=list)
    snaps: dict[int, dict] = dataclasses.field(default_factory=dict)
    acc: dict[str, torch.Tensor] = dataclasses.field(default_factory=dict)
    n_acc: int = 0
    seconds_before: float = 0.0
    status: str = "completed"
    bad_step: int | None = None


class Trainer:
    def __init__(
        self,
        run: str,
        cfg,
        data_dir: Path,
        model_dir: Path,
        live_dir: Path,
        ckpt_dir: Path,
        device: str = "auto",
        progress: bool | None = None,
        fault: Fault | None = None,
    ):
        self.run, self.cfg, self.data_dir = run, cfg, Path(data_dir)
        self.model_dir, self.live_dir, self.ckpt_path = Path(model_dir), Path(live_dir), Path(ckpt_dir) / CKPT_NAME
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.fault = fault
        self._join(device)
        arrays, labels, inputs = self._load()
        self.model, self.compiled = self._build_model()
        # every rank draws from the same streams and keeps its share of each batch (SeedRNG shard)
        self.rng = SeedRNG(cfg.seeds, self.device, offset=TRAIN_OFFSET, shard=(self.rank, self.world))
        self.batches = RealBatches(
            self.data, labels, self.rng, inputs=inputs.get("train_input"), domain_a=inputs.get("a_train")
        )
        self._fix_display(arrays["train"])
        self.hash = config_hash(cfg)
        # ema_kimg: the generator's weights averaged over training (ganlab.training.ema), None when off
        self.ema = (
            ema.Average(self.model.generator_params(), cfg.batch_size, cfg.ema_kimg, cfg.ema_rampup)
            if cfg.ema_kimg > 0
            else None
        )

    def _join(self, device: str) -> None:
        """The device, and under torchrun the process group: the model in this process sees batch_size /
        processes of every batch (ganlab.distributed); cfg (saved, hashed) keeps the run's."""
        self.device = distributed.init(resolve_device(device))
        self.rank, self.world = distributed.rank(), distributed.world()
        if self.world != self.cfg.processes:
            raise ValueError(
                f"runs.{self.run}.processes is {self.cfg.processes}, but {self.world} processes were started "
                f"(torchrun --nproc-per-node x --nnodes): start {self.cfg.processes}, or set processes: {self.world}"
            )
        self.main = self.rank == 0
        if self.cfg.cpu_threads and self.device.type == "cpu":
            torch.set_num_threads(self.cfg.cpu_threads)

    def _load(self) -> tuple[dict, torch.Tensor | None, dict[str, torch.Tensor]]:
        """The dataset, resident on the device as stored (images stay uint8: 4x less memory; RealBatches
        converts each batch to model space): sets meta, the resume key and the training data; returns
        the arrays, the class labels (or None) and the translation inputs (each target's input, paired;
        domain A, unpaired). A missing or corrupt dataset: one line naming it."""
        arrays, self.meta = datasets.load(self.data_dir)
        self.key = resume_key(self.cfg, self.world, self.device, self.data_dir)
        self.data = torch.from_numpy(arrays["train"]).to(self.device)
        labels = arrays.get("train_labels")
        labels = torch.from_numpy(labels).to(self.device) if labels is not None and labels.ndim == 1 else None
        inputs = {k: torch.from_numpy(arrays[k]).to(self.device) for k in ("train_input", "a_train") if k in arrays}
        return arrays, labels, inputs

    def _build_model(self):
        """The family's model, the same start on every rank, seeded by the first seed; compiled and
        tuned as the run says (speed.configure; precision is applied in fit)."""
        cfg = self.cfg
        torch.manual_seed(cfg.seeds[0])
        local = dataclasses.replace(cfg, batch_size=cfg.batch_size // self.world) if self.world > 1 else cfg
        model = get_family(cfg.family)(local, self.meta, self.device)
        distributed.broadcast_module(model)
        if self.world > 1 and self.device.type == "cuda":
            # batch norm over the whole batch where the backend has it (SyncBatchNorm is CUDA-only);
            # on CPU each rank normalises its share (docs/scaling.md). Not yet run on a GPU.
            torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return model, speed.configure(model, cfg, self.device)

    def _fix_display(self, train: np.ndarray) -> None:
        """What snapshots and in-loop Wasserstein estimates show, the same at every log point: fixed
        latents (their own stream), a fixed real subset, and the mesh where D is drawn (points)."""
        fixed = SeedRNG(self.cfg.seeds, self.device, offset=FIXED_OFFSET)
        self.z_fixed = self.model.fixed_input(N_FIXED, fixed, self.batches)
        pick = np.random.default_rng(self.cfg.seeds[0]).choice(len(train), size=min(N_FIXED, len(train)), replace=False)
        self.real_fixed = datasets.to_model(train[pick])
        self.n_keep = N_KEEP_IMAGES if self.meta["kind"] == "images" else N_FIXED
        grid = display_grid(self.meta)
        self.grid = torch.from_numpy(grid).to(self.device).expand(self.model.n_seeds, -1, -1)

    def averaged(self):
        """The block sees the averaged generator (ema_kimg), or the trained one when off."""
        return self.ema.swapped() if self.ema is not None else contextlib.nullcontext()

    def set_lr(self, step: int) -> None:
        """Linear decay to lr_end x start over training; a function of the step only, so a
        resumed run needs no scheduler state."""
        frac = 1.0 - (1.0 - self.cfg.lr_end) * step / self.cfg.steps
        for opt in self.model.optimizers().values():
            for group in opt.param_groups:
                group.setdefault("initial_lr", group["lr"])
                group["lr"] = group["initial_lr"] * frac

    # ------------------------------------------------------------------ snapshots, estimates
    @torch.no_grad()
    def snapshot(self) -> dict[str, np.ndarray]:
        self.model.eval()
        with self.averaged():
            out = {"samples": self.model.generate(self.z_fixed[:, : self.n_keep]).float().cpu().numpy()}
        if self.grid.shape[1]:
            out["d_grid"] = self.model.d_display(self.grid).float().cpu().numpy()
        self.model.train()
        return out

    @torch.no_grad()
    def w_now(self) -> list[float]:
        with self.averaged():
            fake = self.model.generate(self.z_fixed).float().cpu().numpy()
        return [
            w_estimate(f, self.real_fixed, seed=i) if np.isfinite(f).all() else float("nan") for i, f in enumerate(fake)
        ]

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, state: dict, local: dict) -> None:
        """`state`: the same on every rank; `local`: this rank's own (its random streams, its
        partial log sums), gathered so that rank 0 saves every rank's. Rank 0 writes; the
        others wait, so a checkpoint on disk is one all ranks reached."""
        local = {**local, "rng": self.rng.get_state(), "torch_rng": torch.get_rng_state()}
        ranks = distributed.gather({k: _to_cpu(v) for k, v in local.items()})
        if self.main:
            # checkpoints/<run>/ is replaced whole: ckpt.pt and its checksums.json appear together.
            with io.atomic_dir(self.ckpt_path.parent, checksums=True) as tmp:
                ck = {
                    "hash": self.hash,
                    "world": self.world,
                    "key": self.key,
                    "model": self.model.state_dict(),
                    "optim": {k: o.state_dict() for k, o in self.model.optimizers().items()},
                    "ema": None if self.ema is None else self.ema.state(),
                    "ranks": ranks,
                    **state,
                }
                io.write_with(tmp / CKPT_NAME, lambda f: torch.save(ck, f))  # a full disk: one line (io.WriteError)
        distributed.barrier()

    def load_checkpoint(self) -> dict | None:
        if not self.ckpt_path.exists():
            return None
        try:
            ck = io.read_verified(self.ckpt_path, None, lambda p: torch.load(p, map_location="cpu", weights_only=True))
        except io.FileError as err:  # corrupt, torn or foreign: start over, never resume from garbage
            print(f"[{self.run}] ignoring checkpoint {err}; starting from step 0", file=sys.stderr)
            return None
        saved = ck.get("key") if isinstance(ck.get("key"), dict) else {}  # none: an older ganlab's
        differ = [part for part in self.key if saved.get(part) != self.key[part]]
        if differ:  # params covers `processes`: a checkpoint of another process count is not resumed
            why = {
                "params": "the run's params, process count or device differ",
                "data": f"{self.data_dir} holds other data than when it was saved",
                "code": "the ganlab sources or the torch/numpy version changed since",
            }
            print(
                f"[{self.run}] checkpoint is for other {' and '.join(differ)}; starting from step 0 "
                f"({'; '.join(why[p] for p in differ)})",
                file=sys.stderr,
            )
            return None
        self.model.load_state_dict(ck["model"])
        for k, o in self.model.optimizers().items():
            o.load_state_dict(ck["optim"][k])
        if self.ema is not None:
            self.ema.load(ck["ema"])
        mine = ck["ranks"][self.rank]
        self.rng.set_state(mine["rng"])
        torch.set_rng_state(mine["torch_rng"])
        return {**ck, **mine}

    # ------------------------------------------------------------------ the loop
    def fit(self, guard: Callable[[], None] | None = None) -> dict:
        """Train (resuming from a checkpoint if there is a good one), write models/<run>/ and the
        dvclive log, remove the checkpoint; return the status record with the host's values
        (seconds, device, resumed_from_step) added.

        dvclive writes into a temporary folder that replaces live_dir whole at the end, so a
        kill leaves the previous complete log in place; whatever the outcome, the new folder
        has metrics.json and plots/metrics/ (the outputs dvc.yaml declares).
        `guard` runs on rank 0 after each checkpoint and once more after training, before any output
        is written or the checkpoint removed: stages/train.py passes config.params_unchanged, which
        exits if the run's params changed meanwhile, leaving the old outputs as they were."""
        if not self.main:  # data parallel: rank 0 alone writes
            history, snaps, status_rec, host = self._fit(None, None)
            distributed.check_in_sync(self.model)
            distributed.average_buffers(self.model)
            distributed.barrier()
            return {**status_rec, **host}
        with io.atomic_dir(self.live_dir) as live_dir:
            history, snaps, status_rec, host = self._fit(live_dir, guard)
            if guard is not None:
                guard()
            complete_live_dir(live_dir, status_rec["steps_done"])
            distributed.check_in_sync(self.model)
            distributed.average_buffers(self.model)  # batch-norm statistics of every rank's share
            # models/<run>/ before the new log replaces the old: if it cannot be written (a full
            # disk), the previous model and its log both stay, and so does the last checkpoint
            self._write_outputs(history, snaps, status_rec)
        shutil.rmtree(self.ckpt_path.parent, ignore_errors=True)
        distributed.barrier()
        return {**status_rec, **host}

    def _fit(
        self, live_dir: Path | None, guard: Callable[[], None] | None
    ) -> tuple[list[dict], dict[int, dict], dict, dict]:
        """The loop: resume, then per step a training step, every log_every a log point, every
        checkpoint_every a checkpoint (and the guard); returns the history, the snapshots, the
        status record and the host's values."""
        from dvclive import Live
        from tqdm import tqdm

        cfg = self.cfg
        snap_at = snapshot_steps(cfg.steps, cfg.snapshots)
        st = self._resume()
        live = Live(str(live_dir), dvcyaml=False, save_dvc_exp=False, report=None, resume=False) if self.main else None
        for rec in st.history:  # replay what the checkpoint already logged
            self._log(live, rec)
        t0 = time.perf_counter()
        bar = tqdm(
            total=cfg.steps, initial=st.start, desc=self.run, disable=not (self.progress and self.main), mininterval=1.0
        )
        for step in range(st.start, cfg.steps):
            if self.main and step in snap_at and step not in st.snaps:
                st.snaps[step] = self.snapshot()
            if self.fault is not None:
                self.fault.strike(self.rank, step)
            self._step(step, st)
            done = step + 1
            if done % cfg.log_every == 0 or done == cfg.steps:
                rec = self._log_point(done, st)
                self._log(live, rec)
                bar.set_postfix({k: f"{rec[k]:.3g}" for k in ("loss_d", "loss_g") if k in rec}, refresh=False)
            bar.update(1)
            if st.status == "diverged":
                print(f"[{self.run}] diverged: non-finite loss at step {st.bad_step}; stopping", file=sys.stderr)
                break
            if done % cfg.checkpoint_every == 0 and done < cfg.steps:
                self._checkpoint(done, st, st.seconds_before + time.perf_counter() - t0)
                if guard is not None and self.main:
                    guard()
        bar.close()
        if st.status == "completed" and self.main:
            st.snaps[cfg.steps] = self.snapshot()
        if live is not None:
            live.end()
        return (st.history, st.snaps, *self._records(st, st.seconds_before + time.perf_counter() - t0))

    def _resume(self) -> LoopState:
        """The loop's state from a good checkpoint of this run, or a fresh one."""
        st = LoopState(first_bad=torch.tensor(-1, device=self.device))
        ck = self.load_checkpoint()
        if ck is not None:
            st.start, st.history, st.seconds_before = ck["step"], ck["history"], ck["seconds"]
            st.snaps = {int(k): {n: v.numpy() for n, v in s.items()} for k, s in ck["snaps"].items()}
            st.acc = {k: v.to(self.device) for k, v in ck["acc"].items()}
            st.n_acc, st.first_bad = ck["n_acc"], ck["first_bad"].to(self.device)
            print(f"[{self.run}] resuming from checkpoint at step {st.start} of {self.cfg.steps}", file=sys.stderr)
        return st

    def _step(self, step: int, st: LoopState) -> None:
        """One update of every seed; its outputs join the running sums, a non-finite loss is noted."""
        self.set_lr(step)
        with speed.autocast(self.cfg, self.device):
            out = self.model.train_step(self.batches, self.rng)
        if self.ema is not None:
            self.ema.update(step + 1)
        for k, v in out.items():
            st.acc[k] = st.acc[k] + v if k in st.acc else v.clone()
        st.n_acc += 1
        losses = torch.stack([out[k] for k in out if k.startswith("loss")])
        st.first_bad = torch.where((st.first_bad < 0) & ~torch.isfinite(losses).all(), step + 1, st.first_bad)

    def _log_point(self, done: int, st: LoopState) -> dict:
        """The means since the last log point (over ranks too), the Wasserstein estimate every
        w_every; a non-finite loss on any rank marks the run diverged (every rank stops together)."""
        rec = {"step": done}
        distributed.max_(st.first_bad)  # every rank stops at the same step
        for k, v in st.acc.items():
            per_seed = (distributed.average_(v) / st.n_acc).float().cpu().tolist()  # mean over ranks
            rec[k] = float(np.mean(per_seed))
            rec[f"{k}_seeds"] = per_seed
        st.acc, st.n_acc = {}, 0
        if int(st.first_bad) >= 0:
            st.status, st.bad_step = "diverged", int(st.first_bad)
        elif self.main and (done % self.cfg.w_every == 0 or done == self.cfg.steps):
            rec["w_sliced_seeds"] = self.w_now()
            rec["w_sliced"] = float(np.mean(rec["w_sliced_seeds"]))
        st.history.append(rec)
        return rec

    def _checkpoint(self, done: int, st: LoopState, seconds: float) -> None:
        self.save_checkpoint(
            {
                "step": done,
                "history": st.history,
                "seconds": seconds,
                "snaps": {k: {n: torch.from_numpy(v) for n, v in s.items()} for k, s in st.snaps.items()},
            },
            {"acc": st.acc, "n_acc": st.n_acc, "first_bad": st.first_bad},
        )

    def _records(self, st: LoopState, seconds: float) -> tuple[dict, dict]:
        """models/<run>/status.json's record and the host's values.

        status.json holds only what the same params give on any host: evaluate@ and study@ depend
        on models/<run>, so wall time, the device and whether a kill made the run resume stay out of
        it (they would rerun them, and break dvc's run cache across machines). fit returns them too;
        stages/train.py writes them to reports/runs/<run>/train_time.json, which no stage reads."""
        status_rec = {
            "status": st.status,
            "diverged_at_step": st.bad_step,
            "steps_done": (st.bad_step if st.status == "diverged" else self.cfg.steps),
            "steps": self.cfg.steps,
            "seeds": self.cfg.seeds,
        }
        host = {
            "seconds": round(seconds, 3),
            "resumed_from_step": st.start or None,
            "device": str(self.device),
            "processes": self.world,
        }
        return status_rec, host

    def _log(self, live, rec: dict) -> None:
        if live is None:
            return
        live.step = rec["step"]
        for k, v in rec.items():
            if k != "step" and not k.endswith("_seeds") and np.isfinite(v):
                live.log_metric(f"train/{k}", v)

    def _write_outputs(self, history: list[dict], snaps: dict[int, dict], status: dict) -> None:
        steps = sorted(snaps)
        with io.atomic_dir(self.model_dir, checksums=True) as tmp:
            with self.averaged():  # ema_kimg: the saved generator (and its final numbers) is the average
                state = self.model.state_dict()
                io.write_with(tmp / "weights.pt", lambda f: torch.save(state, f))
                io.write_json(tmp / "final.json", self.model.final_metrics())
            io.write_json(
                tmp / "config.json",
                {
                    "family": self.cfg.family,
                    "config": dataclasses.asdict(self.cfg),
                    "meta": {k: v for k, v in self.meta.items() if k != "recipe"},
                },
            )
            io.write_json(tmp / "history.json", history)
            arrays = {
                "steps": np.array(steps),
                "samples": np.stack([snaps[s]["samples"] for s in steps]),
                "real": self.real_fixed[: self.n_keep],
            }
            if "d_grid" in snaps[steps[0]]:
                arrays["d_grid"] = np.stack([snaps[s]["d_grid"] for s in steps])
                arrays["grid"] = self.grid[0].cpu().numpy()
            io.write_with(tmp / "snapshots.npz", lambda f: np.savez(f, **arrays))
            io.write_json(tmp / "status.json", status)


def load_model(model_dir: str | Path, device: str = "cpu"):
    """Rebuild a trained family from models/<run>/ (config.json + weights.pt, weights_only), both
    verified against its checksums.json (io.FileError names `dvc repro train@<run>`)."""
    from ganlab.config import build_saved

    model_dir = Path(model_dir)
    rebuild = f"dvc repro train@{model_dir.name}"
    info = io.read_verified(model_dir / "config.json", rebuild, io.read_json)
    family = get_family(info["family"])
    cfg = build_saved(family.Config, info["config"], "config")
    dev = resolve_device(device)
    model = family(cfg, info["meta"], dev)
    model.load_state_dict(
        io.read_verified(
            model_dir / "weights.pt", rebuild, lambda p: torch.load(p, map_location=dev, weights_only=True)
        )
    )
    model.eval()
    return model, cfg, info["meta"]
