"""prepare@<dataset>: generate one dataset into data/<dataset>/ (data.npz + meta.json + checksums.json).

Usage: PYTHONPATH=src python stages/prepare.py <dataset> [--params params.yaml]
"""

from pathlib import Path

from ganlab import config, io

params, name, cfg = config.stage_start(__doc__, "datasets", "prepare")  # pins the CPU kernels: before numpy loads
from ganlab import data  # noqa: E402

io.start_outputs(Path("data") / name)
meta = data.prepare(cfg, Path("data") / name)
print(f"[{name}] {meta['kind']}, dim {meta['dim']}, splits {meta['splits']}")
config.params_unchanged()  # dvc must not record params this stage did not run with
