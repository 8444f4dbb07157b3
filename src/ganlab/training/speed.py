"""The GPU-path options of a run (`runs.<name>.precision`, `compile`, `tf32`, `cudnn_benchmark`).

All are off by default, so the default pipeline's numbers are fp32 eager numbers on any CPU:
bf16 pays only on CPUs with bf16 matrix units, and not for every family (this project's Xeon
with AMX: progan -12 %, dcgan +11 %, wgan_gp +48 % images/s, bench/bench_images.py; a laptop
without them loses), and a compile gains little on a CPU (dcgan +5 %, wgan_gp -10 %). profiles/gpu.yaml turns on tf32
and cudnn_benchmark; bf16 and
compile are measured by bench/bench_images.py and bench/gpu_check.py before a profile turns them on.

- precision "bf16": each training step runs under torch.autocast(bfloat16): matmuls and
  convolutions in bfloat16, weights, optimiser states, gradients and losses in fp32, backward
  outside autocast (ganlab.families.base.step), weight casts not cached (a step holds several
  updates). bfloat16 has fp32's exponent range, so no loss
  scaling is needed. Snapshots and evaluation stay fp32.
- compile: every network of the family (its child modules that hold parameters) is compiled in
  place with nn.Module.compile, so state_dict keys, checkpoints and models/<run>/weights.pt are
  those of an eager run. A forward pass that a penalty differentiates twice (WGAN-GP, R1) runs
  eagerly (ganlab.losses.twice_differentiated): AOTAutograd has no double backward.
- tf32, cudnn_benchmark: torch.backends flags, set on CUDA only (process-wide: each train stage
  is its own process).
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn


def configure(model: nn.Module, cfg, device: torch.device) -> list[str]:
    """Apply a run's options to its freshly built family; return the names of the networks
    compiled (none unless cfg.compile)."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = cfg.tf32
        torch.backends.cudnn.allow_tf32 = cfg.tf32
        torch.backends.cudnn.benchmark = cfg.cudnn_benchmark
    compiled = []
    if cfg.compile:
        # the seed-stacked networks share one forward code object, which dynamo caches per object:
        # G and D, train and eval, batch and snapshot shapes, inputs with and without grad
        # exceed the default 8 graphs, after which it would run eagerly without a word.
        torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 64)
        for name, net in model.named_children():
            if any(True for _ in net.parameters()):
                net.compile(dynamic=False)  # a few static shapes per run: one graph each
                compiled.append(name)
    return compiled


def autocast(cfg, device: torch.device):
    """The context of one training step: bf16 autocast when cfg.precision is bf16."""
    if cfg.precision == "bf16":
        # cache_enabled=False: a step holds several updates (D steps, then G), and autocast's
        # cache would keep serving the bf16 copies of weights made before an update.
        return torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=False)
    return contextlib.nullcontext()
