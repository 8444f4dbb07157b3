"""Merge a params profile (e.g. profiles/gpu.yaml) over params.yaml, validate, and write it.

    PYTHONPATH=src python scripts/apply_profile.py profiles/gpu.yaml [--params params.yaml] [--out FILE]

Mappings merge key by key (ganlab.config.overlay); other values replace. The result is
validated like any params file before anything is written (exit 2 on a problem), and written
atomically. Comments of params.yaml are not kept; `git checkout params.yaml` restores it.
"""

import argparse
from pathlib import Path

from ganlab import config, io

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("profile")
ap.add_argument("--params", default="params.yaml")
ap.add_argument("--out", default=None, help="where to write (default: the params file itself)")
args = ap.parse_args()
try:
    merged = config.overlay(config.read_yaml(args.params), config.read_yaml(args.profile))
    config.validate(merged, f"{args.params} + {args.profile}")
except (config.ConfigError, OSError) as err:
    config.fail(str(err))
out = Path(args.out or args.params)
io.write_text(out, config.dump_yaml(merged))  # YAML 1.2, as read back by ganlab and dvc
print(f"wrote {out}: {args.params} with {args.profile} over it")
