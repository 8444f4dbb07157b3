"""The same numbers on every x86-64 CPU: torch's CPU kernels chosen alike on every host,
fixed in each stage process before torch loads.

torch picks its CPU kernels by what the processor offers: ATen's vectorised kernels by ISA (AVX2,
AVX-512), oneDNN's convolutions by ISA (AVX2, AVX-512, AMX), MKL's matrix products by vendor and
ISA. Two hosts then round differently and training drifts apart (unpinned, 7 of 32 verdicts
differed between a Xeon and an EPYC). With `cpu.pinned: true` (the default) every stage sets, before
anything imports torch:

- ATEN_CPU_CAPABILITY=avx2: ATen's kernels at AVX2, which every x86-64 server and laptop CPU of
  the last decade has (a CPU without it runs ATen's default; its numbers may differ);
- ONEDNN_MAX_CPU_ISA=AVX2: oneDNN's convolutions at AVX2 (no AVX-512, no AMX);
- MKL_CBWR=COMPATIBLE: MKL's conditional-numerical-reproducibility branch that it honours on AMD
  and Intel alike (its AVX2/AVX512 branches are Intel-only requests);
- OPENBLAS_CORETYPE=Haswell: the OpenBLAS inside numpy and scipy (the metrics' linear algebra, e.g.
  the Fréchet distance's matrix square root, and numpy work in training) at its AVX2 kernels, on CPUs
  that have AVX2 and FMA (elsewhere it is left to choose: forcing it would crash). Measured: with
  torch pinned but OpenBLAS free, an AVX-512 EPYC and an AVX2-only EPYC trained 26 of 30 models bit for
  bit alike but differed in 41 outputs (4 models, most image metrics); with this pin, the same
  (docs/results.md, "The same numbers on every CPU").

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
OPENBLAS = {"OPENBLAS_CORETYPE": "Haswell"}  # only where the CPU has AVX2 and FMA (has_avx2)


def has_avx2() -> bool:
    """The CPU has AVX2 and FMA (Linux: /proc/cpuinfo; elsewhere unknown, so False)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx2" in flags and "fma" in flags


def apply(pinned: bool, threads: int = 0) -> None:
    """Pin (or leave) torch's CPU kernels and fix (or leave) its thread count, for this process and
    its children (torchrun's included); before torch loads."""
    want = {**(PINNED if pinned else {}), **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    if pinned and has_avx2():
        want.update(OPENBLAS)
    if "torch" in sys.modules and any(os.environ.get(k) != v for k, v in want.items()):
        raise RuntimeError(
            "ganlab.pinning.apply: torch is already loaded, so its CPU kernels can no "
            "longer be pinned; call apply() before anything imports torch"
        )
    # numpy's OpenBLAS reads OPENBLAS_CORETYPE when numpy loads: the stages import numpy only after
    # this call (settings()["blas"] says what OpenBLAS chose; tests/test_pinning.py checks every stage);
    # a process that loaded numpy earlier (the CLI) keeps its choice, and only its children get the pin.
    os.environ.update(want)
    os.environ["GANLAB_CPU_PINNED"] = "1" if pinned else "0"


def settings() -> dict:
    """What this process runs with (torch loaded): pinned or not, the variables, ATen's capability
    as torch reports it, and torch's thread count."""
    import torch
    from threadpoolctl import threadpool_info

    return {
        "pinned": os.environ.get("GANLAB_CPU_PINNED") == "1",
        "env": {k: os.environ.get(k) for k in {**PINNED, **OPENBLAS}},
        "aten_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        # numpy's and scipy's BLAS as loaded: the kernels OpenBLAS chose (its `architecture`)
        "blas": sorted({f"{i.get('internal_api')}:{i.get('architecture')}" for i in threadpool_info()}),
    }
