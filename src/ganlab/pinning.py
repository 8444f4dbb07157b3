"""The same numbers on every x86-64 CPU (issue 31): torch's CPU kernels chosen alike on every host,
fixed in each stage process before torch loads.

torch picks its CPU kernels by what the processor offers: ATen's vectorised kernels by ISA (AVX2,
AVX-512), oneDNN's convolutions by ISA (AVX2, AVX-512, AMX), MKL's matrix products by vendor and
ISA. Two hosts then round differently and training drifts apart (issue 31: 7 of 32 verdicts
differed between a Xeon and an EPYC). With `cpu.pinned: true` (the default) every stage sets, before
anything imports torch:

- ATEN_CPU_CAPABILITY=avx2: ATen's kernels at AVX2, which every x86-64 server and laptop CPU of
  the last decade has (a CPU without it runs ATen's default; its numbers may differ);
- ONEDNN_MAX_CPU_ISA=AVX2: oneDNN's convolutions at AVX2 (no AVX-512, no AMX);
- MKL_CBWR=COMPATIBLE: MKL's conditional-numerical-reproducibility branch that it honours on AMD
  and Intel alike (its AVX2/AVX512 branches are Intel-only requests).

A value the user set in the environment is overridden while pinned (else the numbers would differ
again), and kept as it is with `cpu.pinned: false` (torch's own choice: faster on some CPUs, see
bench/bench_pinning.py, whose `isa+mkl` variant is this one).

The thread count matters too: the convolutional families' weights after 20 steps differ between 1
and 2 threads on one CPU (oneDNN and ATen split their reductions by thread; the MLP families' do
not: docs/results.md). `cpu.threads` (default 2) sets OMP_NUM_THREADS, torch's intra-op thread
count, in every stage (0: torch's default, all cores, so the numbers follow the machine's core
count); a section's own `cpu_threads` (runs, classifier, study) still overrides it for that work.
`settings()` reads back, after torch has loaded, what is in effect; the stages write it to their
*_time.json files.
"""
from __future__ import annotations

import os
import sys

PINNED = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "COMPATIBLE"}


def apply(pinned: bool, threads: int = 0) -> None:
    """Pin (or leave) torch's CPU kernels and fix (or leave) its thread count, for this process and
    its children (torchrun's included); before torch loads."""
    want = {**(PINNED if pinned else {}), **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    if "torch" in sys.modules and any(os.environ.get(k) != v for k, v in want.items()):
        raise RuntimeError("ganlab.pinning.apply: torch is already loaded, so its CPU kernels can no "
                           "longer be pinned; call apply() before anything imports torch")
    os.environ.update(want)
    os.environ["GANLAB_CPU_PINNED"] = "1" if pinned else "0"


def settings() -> dict:
    """What this process runs with (torch loaded): pinned or not, the variables, ATen's capability
    as torch reports it, and torch's thread count."""
    import torch
    return {"pinned": os.environ.get("GANLAB_CPU_PINNED") == "1",
            "env": {k: os.environ.get(k) for k in PINNED},
            "aten_capability": torch.backends.cpu.get_cpu_capability(),
            "threads": torch.get_num_threads()}
