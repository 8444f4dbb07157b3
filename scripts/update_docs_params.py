"""Regenerate docs/params.md, the params reference, from the config dataclasses.

    PYTHONPATH=src python scripts/update_docs_params.py
Writes a short header and the output of `python -m ganlab.config`; tests/test_config.py fails
while the file is stale (after a new family, recipe or config field, run this).
"""

import subprocess
import sys
from pathlib import Path

HEADER = """# Params reference

Generated from the config dataclasses: `PYTHONPATH=src python scripts/update_docs_params.py` writes
this file from the output of `PYTHONPATH=src python -m ganlab.config` (`tests/test_config.py` checks it
is current). Every run takes the keys of "every family" plus those of its family. Validation of the
whole file before any work: the README's [Reliability](../README.md#reliability) section. Back to the
[README](../README.md) or the [docs index](README.md).
"""

root = Path(__file__).resolve().parents[1]
ref = subprocess.run([sys.executable, "-m", "ganlab.config"], capture_output=True, text=True, check=True).stdout.strip()
out = root / "docs" / "params.md"
out.parent.mkdir(exist_ok=True)
out.write_text(f"{HEADER}\n{ref}\n")
print(f"{out.relative_to(root)} written ({len(ref.splitlines())} lines of reference)")
