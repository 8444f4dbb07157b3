"""study@<run>: the latent-space studies of one trained run (ganlab.studies).

Usage: PYTHONPATH=src python stages/study.py <run> [--params params.yaml]
Writes reports/runs/<run>/study/ (results.json and figures, atomically) and the summary
reports/runs/<run>/study.json. Which studies a run gets follows from its family class and
dataset (ganlab.studies.applicable); dvc's foreach cannot skip runs, so the others (conditional
families, translation runs) get only a marker, without loading a model: under dvc, from the plan
check wrote into the run's code stamp (ganlab.dag.study_plan), without loading torch either.
"""

from pathlib import Path

from ganlab import config, io, pinning

quick = config.current_stamp("study", "runs")  # under dvc, params as check stamped them: its plan
if quick and not quick[1]["plan"]["studies"]:
    run, plan = quick[0], quick[1]["plan"]
    family, studies, why = plan["inputs"][f"runs.{run}"]["family"], [], plan["why"]
else:
    params, run, cfg = config.stage_start(__doc__, "runs", "study")  # pins the CPU kernels first
    from ganlab.data import get_recipe
    from ganlab.families import get_family
    from ganlab.studies import applicable

    ds = params.datasets[cfg.dataset]
    family = cfg.family
    studies, why = applicable(get_family(cfg.family), get_recipe(ds.recipe).describe(ds))
out_dir, summary_file = Path("reports/runs") / run / "study", Path("reports/runs") / run / "study.json"
timing = summary_file.with_name("study_time.json")  # wall seconds: host-dependent, apart from the results
io.start_outputs(out_dir, summary_file, timing)
if not studies:
    marker = {"run": run, "family": family, "applicable": False, "why": why}
    with io.atomic_dir(out_dir) as tmp:
        io.write_json(tmp / "results.json", marker)
    io.write_json(summary_file, marker)
    io.write_json(timing, {"seconds": 0.0, "why": why})
    print(f"[{run}] no study: {why}")
else:
    from ganlab.studies.results import summarise, write_study  # loads models: applicable runs only
    from ganlab.studies.run import study_run

    res = study_run(
        run,
        studies,
        params.study,
        params.evaluation,
        model_dir=Path("models") / run,
        data_dir=Path("data") / cfg.dataset,
        classifier_dir=Path("models/classifiers") / cfg.dataset,
    )
    timed = res.pop("time")
    with io.atomic_dir(out_dir) as tmp:
        write_study(res, tmp, data_dir=Path("data") / cfg.dataset)
    s = summarise(res)
    io.write_json(summary_file, s)
    io.write_json(timing, {**timed, "cpu": pinning.settings()})
    print(
        f"[{run}] {', '.join(studies)} in {timed['seconds']:.1f} s: "
        + ", ".join(f"{k} {v:.3g}" for k, v in s.items() if isinstance(v, float))
    )
config.params_unchanged()  # dvc must not record params this stage did not run with
