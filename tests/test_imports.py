"""No import cycles: every module of src/ganlab imports alone in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def modules() -> list[str]:
    out = []
    for p in sorted((SRC / "ganlab").rglob("*.py")):
        parts = p.relative_to(SRC).with_suffix("").parts
        out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def test_every_module_imports_alone():
    """One fresh interpreter per module (a module that only imports after another one has, through
    a cycle, fails here); the interpreters run two at a time."""
    mods = modules()
    assert (
        "ganlab.report.claims" in mods and "ganlab.evaluation.translation" in mods and "ganlab.evaluation.run" in mods
    )
    failed = {}
    for i in range(0, len(mods), 2):
        procs = {
            m: subprocess.Popen(
                [sys.executable, "-c", f"import {m}"],
                env={"PYTHONPATH": str(SRC), "PATH": ""},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for m in mods[i : i + 2]
        }
        for m, p in procs.items():
            _, err = p.communicate(timeout=300)
            if p.returncode:
                failed[m] = err.strip().splitlines()[-1]
    assert not failed, failed
