"""Run by tests/test_distributed.py, in one process or under torchrun: every family of
tests/test_families.py's CASES trains a few steps at a global batch split over the processes;
rank 0 writes each model's parameters (flattened) to the .pt file named on the command line.
Each rank also checks that its parameters equal rank 0's (ganlab.distributed.check_in_sync)."""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from test_families import CASES, make, real_fn

from ganlab import distributed
from ganlab.nn.seeded import SeedRNG

STEPS = 3
torch.set_num_threads(1)
distributed.init(torch.device("cpu"))
rank, world = distributed.rank(), distributed.world()
only = sys.argv[2].split(",") if len(sys.argv) > 2 else None
out = {}
for family, kind in CASES:
    if only and family not in only:
        continue
    torch.manual_seed(0)
    model, kind = make(family, seeds=(0,), kind=kind)
    if world > 1:  # this process's share of the same global batch
        torch.manual_seed(0)
        model, kind = make(family, seeds=(0,), kind=kind, batch_size=model.cfg.batch_size // world)
    distributed.broadcast_module(model)
    rng = SeedRNG([0], offset=11, shard=(rank, world))
    real = real_fn(kind, rng)
    for _ in range(STEPS):
        model.train_step(real, rng)
    distributed.check_in_sync(model)
    out[f"{family}/{kind}"] = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
if rank == 0:
    torch.save(out, sys.argv[1])
distributed.shutdown()
