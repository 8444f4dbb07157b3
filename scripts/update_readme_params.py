"""Regenerate the README's params reference from the config dataclasses.

    PYTHONPATH=src python scripts/update_readme_params.py
Replaces everything between the `## Params reference` intro paragraph and `## Layout`.
"""
import subprocess
import sys
from pathlib import Path

readme = Path(__file__).resolve().parents[1] / "README.md"
ref = subprocess.run([sys.executable, "-m", "ganlab.config"], capture_output=True, text=True, check=True).stdout.strip()
text = readme.read_text()
head, rest = text.split("## Params reference", 1)
intro = rest.split("\n\n")[1]                 # the paragraph under the heading stays
tail = rest.split("## Layout", 1)[1]
readme.write_text(f"{head}## Params reference\n\n{intro}\n\n{ref}\n\n## Layout{tail}")
print(f"README params reference updated ({len(ref.splitlines())} lines)")
