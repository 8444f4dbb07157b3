"""Data parallelism on torch.distributed: one process per device, launched by torchrun.

A run with `processes: N` trains as N processes (ranks) that each hold every network and every
seed, draw B / N of the run's batch B from their own random streams, and average their
gradients before every optimiser step (`average_gradients`, called by the one update step of
every family, ganlab.families.base.step). This is how stylegan2-ada/stylegan3 synchronise
(a flat all-reduce of the gradients of what the optimiser updates) rather than wrapping
networks in DistributedDataParallel: it covers every network and every update (D and G steps,
Q heads, mapping networks, both CycleGAN generators) with no per-family code, and gradient
penalties and other double backward are right by construction, since the reduction happens
after the whole backward (DDP's reducer does not synchronise gradients of gradients).

Backends: nccl on CUDA (one device per process, LOCAL_RANK), gloo on CPU. A process group has a
timeout, so a rank that dies or hangs ends the job with an error instead of a hang. Everything
here is a no-op in a single process: a run with `processes: 1` is bit-for-bit the run it was.
"""

from __future__ import annotations

import datetime
import os

import torch

TIMEOUT_S = int(os.environ.get("GANLAB_DIST_TIMEOUT", "600"))  # collective timeout, seconds


def launched() -> bool:
    """True in a process started by torchrun (or any launcher that sets WORLD_SIZE)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def launch_rank() -> int:
    """This process's rank as the launcher set it (RANK), before the process group exists."""
    return int(os.environ.get("RANK", "0"))


def active() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def world() -> int:
    return torch.distributed.get_world_size() if active() else 1


def rank() -> int:
    return torch.distributed.get_rank() if active() else 0


def under_launcher() -> bool:
    """True in a process that torchrun (or srun with its variables) started, even alone."""
    return "WORLD_SIZE" in os.environ and "MASTER_ADDR" in os.environ


def init(device: torch.device) -> torch.device:
    """Join the process group torchrun describes (env://): nccl on CUDA, gloo on CPU, with a
    timeout; also a group of one (torchrun --nproc-per-node=1), which is how a single GPU checks
    that NCCL starts. On CUDA each process takes the device LOCAL_RANK. Returns the process's device."""
    if not under_launcher() or active():
        return device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    torch.distributed.init_process_group(backend, timeout=datetime.timedelta(seconds=TIMEOUT_S))
    return device


def shutdown() -> None:
    if active():
        torch.distributed.destroy_process_group()


def barrier() -> None:
    if active():
        torch.distributed.barrier()


def average_gradients(params) -> None:
    """Replace every gradient in `params` by its mean over the ranks (one flat all-reduce)."""
    if world() == 1:
        return
    params = [p for p in params if p.grad is not None]
    if not params:
        return
    flat = torch.cat([p.grad.reshape(-1) for p in params])
    torch.distributed.all_reduce(flat)
    flat /= world()
    for p, g in zip(params, flat.split([p.numel() for p in params])):
        p.grad.copy_(g.view(p.grad.shape))  # in place: keeps the gradient's memory layout (channels_last)


def average_(tensor: torch.Tensor) -> torch.Tensor:
    """In place: the tensor's mean over the ranks (e.g. a hand-computed gradient)."""
    if world() > 1:
        torch.distributed.all_reduce(tensor)
        tensor /= world()
    return tensor


def sum_(tensor: torch.Tensor) -> torch.Tensor:
    """In place: the tensor's sum over the ranks (a gradient of a loss summed over the batch)."""
    if world() > 1:
        torch.distributed.all_reduce(tensor)
    return tensor


def max_(tensor: torch.Tensor) -> torch.Tensor:
    """In place: the tensor's maximum over the ranks."""
    if world() > 1:
        torch.distributed.all_reduce(tensor, op=torch.distributed.ReduceOp.MAX)
    return tensor


def broadcast_module(module: torch.nn.Module) -> None:
    """Every parameter and buffer as rank 0 has it (identical start on every rank)."""
    if world() == 1:
        return
    for t in list(module.parameters()) + list(module.buffers()):
        torch.distributed.broadcast(t.data, 0)


def average_buffers(module: torch.nn.Module) -> None:
    """Floating-point buffers (batch norm's running statistics, StyleGAN's w_avg) averaged over
    ranks: each rank's statistics come from its own share of the batch."""
    if world() == 1:
        return
    for b in module.buffers():
        if b.is_floating_point():
            average_(b.data)


def check_in_sync(module: torch.nn.Module) -> None:
    """Raise, naming the ranks, if any rank's parameters differ from rank 0's: every rank applies
    the same averaged gradients, so they must stay bitwise equal (a guard against a family
    update that bypasses ganlab.families.base.step)."""
    if world() == 1:
        return
    prints = gather([float(p.detach().double().sum()) for p in module.parameters()])
    off = [r for r, f in enumerate(prints) if f != prints[0]]
    if off:
        raise RuntimeError(f"data-parallel ranks {off} hold parameters that differ from rank 0's")


def gather(obj) -> list:
    """Every rank's `obj` (picklable), in rank order, on every rank."""
    if world() == 1:
        return [obj]
    out = [None] * world()
    torch.distributed.all_gather_object(out, obj)
    return out


def self_test(device: torch.device) -> str:
    """Collectives on this job's backend: the all-reduce, broadcast and gather that training uses,
    checked against their closed forms. Returns a one-line summary; raises on a wrong value."""
    device = init(device)
    r, n = rank(), world()
    x = torch.full((1000,), float(r + 1), device=device)
    torch.distributed.all_reduce(x)
    if not torch.all(x == n * (n + 1) / 2):
        raise RuntimeError(f"rank {r}: all_reduce gave {x[0].item()}, expected {n * (n + 1) / 2}")
    y = torch.full((3,), float(r), device=device)
    torch.distributed.broadcast(y, 0)
    if not torch.all(y == 0):
        raise RuntimeError(f"rank {r}: broadcast from rank 0 gave {y.tolist()}")
    got = gather(r)
    if got != list(range(n)):
        raise RuntimeError(f"rank {r}: gather gave {got}")
    barrier()
    return f"rank {r} of {n}: {torch.distributed.get_backend()} on {device}: all_reduce, broadcast, gather ok"


if __name__ == "__main__":
    # torchrun --nproc-per-node=N -m ganlab.distributed [cpu|cuda]: check a machine's (or a SLURM
    # allocation's) process group before training on it.
    import sys

    wanted = sys.argv[1] if len(sys.argv) > 1 else ("cuda" if torch.cuda.is_available() else "cpu")
    print(self_test(torch.device(wanted)), flush=True)
    shutdown()
