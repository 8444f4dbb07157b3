"""ganlab: a reproducible laboratory for generative adversarial networks.

The house, and what may depend on what (tests/test_dag.py and tests/test_architecture.py check
the parts that can be checked):

- stages/ (outside the package) are thin scripts, one per DVC stage; they call the library.
- config.py, io.py: params validation and the file contract (atomic writes, checksums).
- plugins.py, dag.py: lazy registries (a stage imports its own entry's family, recipe and kind
  modules only) and the code each stage entry can import (reports/code/<stage>/<entry>.json, the
  dependency that makes a code edit rerun exactly the runs that use it).
- data/: dataset recipes, one file each, discovered by name; the on-disk contract of data/<name>/.
- nn/: network building blocks under the seed-batched convention (nn/seeded.py).
- families/: one file per GAN family, discovered by name; the Family base (families/base.py)
  declares everything shared code may ask of a model. Families import nn, data, losses and
  config; never evaluation, studies or report.
- training/: the one loop every family trains in (logging, checkpoints, divergence).
- metrics/: the mathematics of the metrics, plain functions of arrays.
- evaluation/: what a run is scored with, a registry of per-seed metrics by kind of data.
- studies/: latent-space studies of trained runs.
- classifier.py: the evaluation classifier whose features and labels score image runs.
- inception.py: the Inception network's side (weights, a dataset's reference statistics, features of a
  run's samples) of the Inception FID/KID/IS that evaluation/inception.py registers.
- report/: reads only files (metrics.json, study results, params) and renders the report and
  its claims; it imports no model code and reads no *_time.json (the report holds results only).
- cli.py: the `ganlab` command.
"""

__version__ = "0.1.0"
