"""dvc.yaml matches the code: every stage depends on every ganlab module its command can import.

The walker is ganlab.dag's (static, ast; see its docstring). The check and report stages list
their code deps in dvc.yaml; every other stage depends on reports/code/<stage>/<entry>.json, the
files of its own entry's closure, which check writes. Here: the walker on made-up packages
(lazy, relative, dynamic and registry imports, bound and unbound), dvc.yaml's deps against it,
and each entry's file against the real params. tests/test_pipeline.py checks that running a
stage entry imports nothing outside its file (python's import log).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from ganlab import config, dag
from ganlab.dag import closure as import_closure

SRC = ROOT / "src"
SCRIPT = re.compile(r"\bpython\s+(stages/\w+\.py)\b")
ENTRY_STAGES = set(dag.STAGES)


def stages(dvc_yaml: Path = ROOT / "dvc.yaml") -> dict[str, dict]:
    """stage name -> its definition (the `do` body for foreach stages), templates unresolved."""
    spec = yaml.safe_load(dvc_yaml.read_text())["stages"]
    return {name: s.get("do", s) for name, s in spec.items()}


def dep_paths(stage: dict) -> list[str]:
    return [next(iter(d)) if isinstance(d, dict) else d for d in stage.get("deps", [])]


def uncovered(stage: dict, root: Path = ROOT) -> tuple[str, list[str]]:
    """(the stage's script, the files of its import closure that no dep covers), as repo paths."""
    scripts = SCRIPT.findall(stage["cmd"])
    assert len(scripts) == 1, f"expected one `python stages/<x>.py` in {stage['cmd']!r}"
    script = scripts[0]
    deps = [d.rstrip("/") for d in dep_paths(stage)]
    files = {script} | {p.relative_to(root).as_posix() for p in import_closure(root / script, root / "src")}
    return script, sorted(f for f in files if not any(f == d or f.startswith(d + "/") for d in deps))


@pytest.mark.parametrize("name", sorted(set(stages()) - ENTRY_STAGES))
def test_deps_cover_the_import_closure(name):
    script, missing = uncovered(stages()[name])
    assert not missing, (
        f"dvc.yaml stage {name} runs {script}, which imports {missing}: add them (or their folder) to its deps"
    )


@pytest.mark.parametrize("name", sorted(ENTRY_STAGES))
def test_entry_stages_depend_on_their_code_file(name):
    """An entry stage's code deps: its script, its code file (and a run's family module, which dvc's
    templating reaches); no folder of src/ganlab, which would make every entry stale on any edit."""
    code = [d for d in dep_paths(stages()[name]) if d.startswith(("src/", "stages/", "reports/code/"))]
    expected = [f"stages/{name}.py"] + (["src/ganlab/families/${item.family}.py"] if dag.STAGES[name] == "runs" else [])
    assert code == expected + [f"reports/code/{name}/${{key}}.json"], f"{name}: {code}"
    check = stages()["check"]
    assert {"src/ganlab", "stages"} <= set(dep_paths(check)) and not check.get("always_changed")
    assert check["params"] == [{"params.yaml": None}]  # the whole file
    assert any(next(iter(o)) == "reports/code" for o in check["outs"])


@pytest.fixture(scope="module")
def default_stamps():
    raw = config.read_yaml(ROOT / "params.yaml")
    return dag.stamps(config.validate(raw), raw)


def test_code_files_follow_the_entry(default_stamps):
    """Each entry's files: its script and closure; a run's family, and the modules that family
    imports, but no other family; its dataset's recipe module only; its kind's evaluation module only."""
    from ganlab.families import list_families

    params = config.load(ROOT / "params.yaml")
    fam = lambda files: (
        {Path(f).stem for f in files if f.startswith("src/ganlab/families/")}
        - {"__init__", "base", "_translation", "_adversarial"}
    )
    for run, cfg in params.runs.items():
        train = default_stamps["train"][run]["files"]
        assert "stages/train.py" in train and "src/ganlab/training/loop.py" in train
        assert f"src/ganlab/families/{cfg.family}.py" in train
        assert fam(train) <= {cfg.family, "dcgan", "gan"}, (run, fam(train))
        evaluate = default_stamps["evaluate"][run]["files"]
        kinds = {Path(f).stem for f in evaluate if f.startswith("src/ganlab/evaluation/")} - {
            "__init__",
            "registry",
            "run",
        }
        points = params.datasets[cfg.dataset].recipe in ("toy1d", "ring", "grid", "mixture")
        assert kinds == {"points"} if points else "points" not in kinds, (run, kinds)  # translation imports images
    assert fam(default_stamps["train"]["cgan-glyphs"]["files"]) == {"cgan"}  # the conditional body is shared
    assert {f for f in default_stamps["prepare"]["ring8"]["files"] if f.startswith("src/ganlab/data/")} == {
        "src/ganlab/data/__init__.py",
        "src/ganlab/data/mixtures.py",
    }
    assert "src/ganlab/data/glyphs.py" in default_stamps["prepare"]["stacked"]["files"]  # stacked draws glyphs
    assert len(list_families()) == 13


def test_closure_follows_lazy_relative_and_dynamic_imports():
    """The walker itself: function-level imports (srgan -> ganlab.classifier), relative
    imports (metrics/wasserstein -> metrics/__init__), package __init__ files, and the
    family registry's lazy load bound to one family, or every family when unbound."""
    bind = {
        "ganlab.families": {"ganlab.families.srgan"},
        "ganlab.data": {"ganlab.data.translation"},
        "ganlab.evaluation": {"ganlab.evaluation.translation"},
    }
    train = {p.relative_to(SRC).as_posix() for p in import_closure(ROOT / "stages/train.py", bind=bind)}
    assert {
        "ganlab/__init__.py",
        "ganlab/config.py",
        "ganlab/io.py",
        "ganlab/training/loop.py",
        "ganlab/families/__init__.py",
        "ganlab/families/srgan.py",
        "ganlab/families/_translation.py",
        "ganlab/classifier.py",
        "ganlab/metrics/__init__.py",
        "ganlab/metrics/wasserstein.py",
        "ganlab/data/__init__.py",
        "ganlab/data/glyphs.py",
        "ganlab/nn/translation.py",
        "ganlab/losses.py",
    } <= train
    assert not any(p.startswith(("ganlab/report/", "ganlab/studies/", "ganlab/evaluation/")) for p in train)
    assert "ganlab/families/gan.py" not in train and "ganlab/data/mixtures.py" not in train
    unbound = {p.relative_to(SRC).as_posix() for p in import_closure(ROOT / "stages/train.py")}
    assert {"ganlab/families/gan.py", "ganlab/families/cyclegan.py", "ganlab/data/mixtures.py"} <= unbound


def test_registry_loads_are_bound_and_others_are_not(tmp_path):
    """plugins.load(__name__, x) reaches the bound module; plugins.modules, import_module of a
    computed name and a load in an unbound package reach every module of the package."""
    pkg = tmp_path / "src/ganlab/reg"
    pkg.mkdir(parents=True)
    (tmp_path / "stages").mkdir()
    (tmp_path / "src/ganlab/__init__.py").write_text("")
    (pkg / "__init__.py").write_text("from ganlab import plugins\ndef get(n):\n    return plugins.load(__name__, n)\n")
    for m in ("a", "b"):
        (pkg / f"{m}.py").write_text("")
    (tmp_path / "src/ganlab/helper.py").write_text("")
    (pkg / "a.py").write_text("from ganlab import helper\n")
    (tmp_path / "src/ganlab/plugins.py").write_text("")
    (tmp_path / "stages/x.py").write_text("from ganlab.reg import get\n")
    rel = lambda bind: sorted(
        p.relative_to(tmp_path / "src").as_posix()
        for p in import_closure(tmp_path / "stages/x.py", tmp_path / "src", bind)
    )
    assert rel({"ganlab.reg": {"ganlab.reg.a"}}) == [
        "ganlab/__init__.py",
        "ganlab/helper.py",
        "ganlab/plugins.py",
        "ganlab/reg/__init__.py",
        "ganlab/reg/a.py",
    ]
    assert "ganlab/reg/b.py" in rel(None) and "ganlab/reg/b.py" in rel({"ganlab.other": set()})
    (pkg / "__init__.py").write_text(
        "import importlib\ndef get(n):\n    return importlib.import_module(f'ganlab.reg.{n}')\n"
    )
    assert "ganlab/reg/b.py" in rel({"ganlab.reg": {"ganlab.reg.a"}})  # only plugins.load is bound


def test_uncovered_import_is_reported(tmp_path):
    """A stage whose deps miss a module it imports (lazily, two hops away) fails the check."""
    (tmp_path / "src/ganlab/sub").mkdir(parents=True)
    (tmp_path / "stages").mkdir()
    (tmp_path / "src/ganlab/__init__.py").write_text("")
    (tmp_path / "src/ganlab/sub/__init__.py").write_text("from .a import f\n")
    (tmp_path / "src/ganlab/sub/a.py").write_text("def f():\n    from ganlab import b\n")
    (tmp_path / "src/ganlab/b.py").write_text("")
    (tmp_path / "stages/x.py").write_text("from ganlab.sub import f\n")
    stage = {
        "cmd": "PYTHONPATH=src python stages/x.py '${key}'",
        "deps": ["stages/x.py", "src/ganlab/sub", "src/ganlab/__init__.py"],
    }
    assert uncovered(stage, tmp_path) == ("stages/x.py", ["src/ganlab/b.py"])
    stage["deps"].append("src/ganlab/b.py")
    assert uncovered(stage, tmp_path) == ("stages/x.py", [])


@pytest.mark.parametrize("name", sorted(stages()))
def test_commands_hold_no_template(name):
    """No ${...} in any command: a stage reads its entry from dvc's DVC_STAGE, so no name from
    params.yaml reaches a shell, quoted or not (a name holding a quote once broke out of '${key}'
    when `dvc repro -s` skipped check; tests/test_params_guard.py runs that case)."""
    cmd = stages()[name]["cmd"]
    assert "${" not in cmd and "'" not in cmd and '"' not in cmd, f"stage {name}: {cmd!r}"


@pytest.mark.parametrize("name", sorted(stages()))
def test_each_stage_declares_its_params_once(name):
    """A stage's params reach dvc.lock one way: an entry stage's through its code stamp (it
    declares no dvc params, so a no-op `dvc status` reads params.yaml once, for check), the
    report's through dvc.yaml, check's as the whole file. The script names its stage, whose keys
    (config.STAGE_PARAMS) it checks again before it ends."""
    script = SCRIPT.findall(stages()[name]["cmd"])[0]
    text = (ROOT / script).read_text()
    assert "stage_start(__doc__, " in text and f', "{name}")' in text, f"{script} does not name its stage {name}"
    keys = list(config.STAGE_PARAMS[name])
    declared = stages()[name].get("params", [])
    if name in ENTRY_STAGES:
        assert declared == [] and f"reports/code/{name}/${{key}}.json" in dep_paths(stages()[name])
    elif name == "check":
        assert declared == [{"params.yaml": None}] and keys == []
    else:
        assert declared == keys
    if keys:
        assert "params_unchanged" in text, f"{script} never checks its params again"


def test_stamps_hold_each_entrys_params(default_stamps):
    """The stamp of train@gan-ring holds device and runs.gan-ring as params.yaml says them (so an
    edit to that run changes that file only), evaluate@'s the evaluation section."""
    raw = config.read_yaml(ROOT / "params.yaml")
    cpu = raw.get("cpu")  # how torch computes (ganlab.pinning): every entry stage's numbers follow it
    assert default_stamps["train"]["gan-ring"]["params"] == {
        "cpu": cpu,
        "device": raw["device"],
        "runs.gan-ring": raw["runs"]["gan-ring"],
    }
    assert default_stamps["evaluate"]["gan-ring"]["params"] == {
        "cpu": cpu,
        "evaluation": raw["evaluation"],
        "inception": raw.get("inception"),
    }
    assert default_stamps["prepare"]["ring8"]["params"] == {"cpu": cpu, "datasets.ring8": raw["datasets"]["ring8"]}
    edited = {**raw, "runs": {**raw["runs"], "gan-ring": {**raw["runs"]["gan-ring"], "steps": 11}}}
    after = dag.stamps(config.validate(edited), edited)
    changed = {f"{st}@{n}" for st in after for n in after[st] if after[st][n] != default_stamps[st][n]}
    # train@'s params, and study@'s plan, which names the run entry it was decided from (it reruns
    # after the new model anyway); no other run's, no evaluate@ (it follows the model)
    assert changed == {"train@gan-ring", "study@gan-ring"}


def _edit_marks(tmp_path, module: str) -> set[str]:
    """The stage entries whose code file changes when `module` (a path under src/ganlab) is edited."""
    import shutil

    root = tmp_path / module.replace("/", "_")
    for name in ("src", "stages"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    raw = config.read_yaml(ROOT / "params.yaml")
    params = config.validate(raw)
    before = dag.stamps(params, raw, root)
    path = root / "src/ganlab" / module
    path.write_text(path.read_text() + "# an edit\n")
    after = dag.stamps(params, raw, root)
    return {f"{stage}@{name}" for stage in after for name in after[stage] if after[stage][name] != before[stage][name]}


def _defined_in(module) -> set[str]:
    """The ganlab modules whose code a module's namespace holds (its classes' bases included)."""
    import inspect

    out = {module.__name__}
    for value in vars(module).values():
        for obj in inspect.getmro(value) if inspect.isclass(value) else (value,):
            owner = getattr(obj, "__module__", None)
            if isinstance(owner, str) and owner.startswith("ganlab."):
                out.add(owner)
    return out


@pytest.mark.parametrize("family", __import__("ganlab.families", fromlist=["x"]).list_families())
def test_editing_a_family_marks_exactly_its_runs(tmp_path, family):
    """Every family module, against Python's own view (the family classes' MRO): the edit marks
    train@, evaluate@ and study@ of the default runs whose family is, or derives from, it."""
    from ganlab.families import get_family

    params = config.load(ROOT / "params.yaml")
    runs = {
        r
        for r, cfg in params.runs.items()
        if f"ganlab.families.{family}" in {c.__module__ for c in get_family(cfg.family).__mro__}
    }
    assert _edit_marks(tmp_path, f"families/{family}.py") == {
        f"{s}@{r}" for s in ("train", "evaluate", "study") for r in runs
    }


@pytest.mark.parametrize(
    "module",
    sorted(
        {
            m.rpartition(".")[2]
            for m in map(
                __import__("ganlab.data", fromlist=["x"]).recipe_module,
                __import__("ganlab.data", fromlist=["x"]).list_recipes(),
            )
        }
    ),
)
def test_editing_a_recipe_module_marks_exactly_its_datasets(tmp_path, module):
    """Every recipe module: the edit marks prepare@ and classifier@ of the default datasets whose
    recipe it defines or whose recipe module uses its code (stacked draws glyphs), and every stage
    of the runs on them."""
    import importlib

    from ganlab import data

    params = config.load(ROOT / "params.yaml")
    datasets = {
        d
        for d, cfg in params.datasets.items()
        if f"ganlab.data.{module}" in _defined_in(importlib.import_module(data.recipe_module(cfg.recipe)))
    }
    runs = {r for r, cfg in params.runs.items() if cfg.dataset in datasets}
    expected = {f"{s}@{d}" for s in ("prepare", "classifier") for d in datasets} | {
        f"{s}@{r}" for s in ("train", "evaluate", "study") for r in runs
    }
    assert _edit_marks(tmp_path, f"data/{module}.py") == expected


@pytest.mark.parametrize("module", ["points", "images", "translation"])
def test_editing_a_kind_module_marks_exactly_the_evaluations_of_that_kind(tmp_path, module):
    """Every evaluation kind module: the edit marks evaluate@ of the runs evaluated as that kind,
    or as a kind whose module uses its code (translation scores with the images classifier)."""
    import importlib

    from ganlab.data import get_recipe
    from ganlab.evaluation import registry
    from ganlab.families import get_family

    params = config.load(ROOT / "params.yaml")
    runs = set()
    for r, cfg in params.runs.items():
        ds = params.datasets[cfg.dataset]
        kind = get_family(cfg.family).translation or get_recipe(ds.recipe).describe(ds)["kind"]
        if f"ganlab.evaluation.{module}" in _defined_in(
            importlib.import_module(f"ganlab.evaluation.{registry.kind_modules()[kind]}")
        ):
            runs.add(r)
    assert runs and _edit_marks(tmp_path, f"evaluation/{module}.py") == {f"evaluate@{r}" for r in runs}


def test_committed_lock_holds_exactly_the_pipelines_stages():
    """dvc keeps a stage's lock entry after its run leaves params.yaml; the committed dvc.lock (and the fingerprint
    read from it) must hold the pipeline's stages only: `python scripts/prune_lock.py` drops the others."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "scripts/prune_lock.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("dvc.lock: 0 stale entries")
    locked = set(yaml.safe_load((ROOT / "dvc.lock").read_text())["stages"])
    params = config.read_yaml(ROOT / "params.yaml")
    for run in params["runs"]:
        assert {f"train@{run}", f"evaluate@{run}", f"study@{run}"} <= locked, run
