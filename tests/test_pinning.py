"""ganlab.pinning: every stage process computes with torch's CPU kernels pinned, whatever the
environment says, unless params.yaml turns it off. Each stage runs in its own process,
which reads its settings back after the stage's own code, in that process."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import run_stage

from ganlab import pinning

READ_BACK = (
    "import json, runpy, sys; sys.argv = [{script!r}, *{args!r}]; "
    "runpy.run_path({script!r}, run_name='__main__'); "
    "from ganlab import pinning; print('SETTINGS', json.dumps(pinning.settings()))"
)

# What a user's shell might hold: ATen at its baseline kernels, MKL on its own dispatch. Pinned
# stages override both; unpinned ones keep them (so the test tells the two apart on any CPU).
USER_ENV = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "AUTO", "OMP_NUM_THREADS": "1"}


def settings_after(project, script: str, *args: str) -> dict:
    import os

    saved = {k: os.environ.get(k) for k in [*USER_ENV, "ONEDNN_MAX_CPU_ISA", "OPENBLAS_CORETYPE", "GANLAB_CPU_PINNED"]}
    os.environ.update(USER_ENV)
    os.environ.pop("ONEDNN_MAX_CPU_ISA", None)
    os.environ.pop("OPENBLAS_CORETYPE", None)
    os.environ.pop("GANLAB_CPU_PINNED", None)
    try:
        proc = run_stage(project, "-c", READ_BACK.format(script=script, args=list(args)))
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return json.loads([line for line in proc.stdout.splitlines() if line.startswith("SETTINGS ")][-1][9:])


def pinned_env() -> dict:
    """What a pinned stage's environment holds: torch's pins, and OpenBLAS's where the CPU has AVX2."""
    return {**pinning.PINNED, "OPENBLAS_CORETYPE": "Haswell" if pinning.has_avx2() else None}


def test_every_stage_process_is_pinned(project):
    for script, name in (
        ("stages/prepare.py", "ring8"),
        ("stages/classifier.py", "ring8"),
        ("stages/train.py", "gan-ring"),
        ("stages/evaluate.py", "gan-ring"),
        ("stages/study.py", "gan-ring"),
    ):
        got = settings_after(project, script, name)
        assert got["pinned"] is True and got["env"] == pinned_env(), (script, got)
        if pinning.has_avx2():  # numpy's and scipy's OpenBLAS loaded with the kernels asked for
            assert got["blas"] and all(b.endswith(":Haswell") for b in got["blas"] if b.startswith("openblas")), got
        assert got["aten_capability"] == "AVX2", (script, got)  # not the environment's DEFAULT
        # cpu.threads (2) for every stage; the studies' own cpu_threads (1) overrides it for their work
        assert got["threads"] == (1 if script == "stages/study.py" else 2), (script, got)
    # what each torch stage records beside its results (read by people, never by a stage)
    for path in (
        "reports/runs/gan-ring/train_time.json",
        "reports/runs/gan-ring/eval_time.json",
        "reports/runs/gan-ring/study_time.json",
    ):
        cpu = json.loads((project / path).read_text())["cpu"]
        assert cpu["pinned"] is True and cpu["env"] == pinned_env() and cpu["aten_capability"] == "AVX2", path


def test_unpinned_stages_keep_the_environment(project):
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["cpu"] = {"pinned": False, "threads": 0}
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run_stage(project, "stages/prepare.py", "ring8")
    got = settings_after(project, "stages/train.py", "gan-ring")
    assert got["pinned"] is False and got["aten_capability"] == "DEFAULT" and got["threads"] == 1, got
    assert got["env"] == {
        "ATEN_CPU_CAPABILITY": "default",
        "ONEDNN_MAX_CPU_ISA": None,
        "MKL_CBWR": "AUTO",
        "OPENBLAS_CORETYPE": None,
    }
    assert json.loads((project / "reports/runs/gan-ring/train_time.json").read_text())["cpu"]["pinned"] is False


def test_pinning_after_torch_loaded_is_refused():
    """In a process where torch already runs unpinned, apply() cannot pin it: it says so."""
    import subprocess
    import sys

    code = (
        "import os; [os.environ.pop(k, None) for k in ('ATEN_CPU_CAPABILITY', 'ONEDNN_MAX_CPU_ISA', 'MKL_CBWR')]; "
        "import torch; from ganlab import pinning; pinning.apply(True)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0 and "torch is already loaded" in proc.stderr


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_pinned_must_be_true_or_false(tiny_params, value):
    from ganlab.config import ConfigError, validate

    tiny_params["cpu"] = {"pinned": value}
    with pytest.raises(ConfigError, match=r"cpu.pinned: expected true or false"):
        validate(tiny_params)
