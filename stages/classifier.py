"""classifier@<dataset>: train the evaluation classifier of one image dataset.

Usage: PYTHONPATH=src python stages/classifier.py <dataset> [--params params.yaml]
Writes models/classifiers/<dataset>/ (weights.pt + config.json, atomically),
reports/classifiers/<dataset>/metrics.json (results only) and classifier_time.json (wall seconds,
device: host-dependent, read only by the report). Point datasets are scored in data space: dvc's
foreach cannot skip them and evaluate@<run> depends on models/classifiers/<dataset> for every
run, so for them the stage writes only a marker (classifier.json) and loads no classifier code.
Unpaired translation sets (meta a_shape) get a second classifier for domain A in
models/classifiers/<dataset>/a/ (the main one is domain B's, the `train` split's).
"""

from pathlib import Path

from ganlab import config, io, pinning

params, name, cfg = config.stage_start(__doc__, "datasets", "classifier")  # pins the CPU kernels first
from ganlab.data import get_recipe  # noqa: E402  (numpy: after the pin)

model_dir = Path("models/classifiers") / name
report = Path("reports/classifiers") / name / "metrics.json"
timing = report.with_name("classifier_time.json")
io.start_outputs(model_dir, report, timing)
kind = get_recipe(cfg.recipe).describe(cfg)["kind"]
if kind != "images":
    marker = {"kind": kind, "classifier": None, "why": "point datasets are scored in data space"}
    with io.atomic_dir(model_dir) as tmp:
        io.write_json(tmp / "classifier.json", marker)
    io.write_json(report, marker)
    io.write_json(timing, {"seconds": 0.0, "why": marker["why"]})
    print(f"[{name}] {kind}: no classifier ({marker['why']})")
else:
    from ganlab.classifier import train_classifier  # torch-heavy: image datasets only

    m = train_classifier(params.classifier, Path("data") / name, model_dir, device=params.device)
    if "a_shape" in get_recipe(cfg.recipe).describe(cfg):  # unpaired: domain A's own classifier
        a = train_classifier(params.classifier, Path("data") / name, model_dir / "a", device=params.device, domain="a")
        m.update({"a_test_accuracy": a["test_accuracy"]})
        m["time"]["seconds"] += a["time"]["seconds"]
    if name in params.inception.datasets:  # Inception reference statistics, once for every run of the dataset
        from ganlab.config import resolve_device
        from ganlab.inception import write_reference

        ref = write_reference(params.inception, Path("data") / name, model_dir, str(resolve_device(params.device)))
        m["inception_reference"] = {k: ref[k] for k in ("reference_split", "reference_n", "channels")}
    timed = m.pop("time")
    io.write_json(report, {"kind": kind, **m})
    io.write_json(timing, {**timed, "cpu": pinning.settings()})
    r2 = ", ".join(f"{k} {v:.3f}" for k, v in m.items() if k.startswith("r2_") and v is not None)
    print(
        f"[{name}] test accuracy {100 * m['test_accuracy']:.2f} %{', R² ' + r2 if r2 else ''}, "
        f"{m['n_train']} training images, {timed['seconds']:.1f} s"
    )
config.params_unchanged()  # dvc must not record params this stage did not run with
