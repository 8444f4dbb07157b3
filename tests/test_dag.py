"""dvc.yaml matches the code: every stage's deps cover every ganlab module its command imports,
and every templated argument of a command is quoted.

The import closure is static (ast): from `stages/<stage>.py`, every `import` / `from ... import`
statement anywhere in a module (inside functions too: the stages import torch-heavy code lazily),
relative imports resolved, each package's `__init__` counted when anything under it is imported,
and dynamic discovery (`importlib.import_module` of a computed name, `pkgutil.iter_modules`,
`ganlab.plugins.modules(package, path)`: the registries' one discovery helper)
counted as importing every module of the package it names. Modules outside src/ganlab (torch,
numpy, ...) are the environment's business, not the DAG's.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

SRC = ROOT / "src"
SCRIPT = re.compile(r"\bpython\s+(stages/\w+\.py)\b")


def module_file(name: str, src: Path = SRC) -> Path | None:
    """ganlab.a.b -> src/ganlab/a/b.py or src/ganlab/a/b/__init__.py (None: not ours, or not a module)."""
    if name != "ganlab" and not name.startswith("ganlab."):
        return None
    base = src.joinpath(*name.split("."))
    for p in (base.with_suffix(".py"), base / "__init__.py"):
        if p.is_file():
            return p
    return None


def package_modules(package: str, src: Path = SRC) -> set[str]:
    """Every module under a package (its __init__ included), recursively."""
    root = src.joinpath(*package.split("."))
    out = set()
    for p in root.rglob("*.py"):
        if "__pycache__" in p.parts:
            continue
        parts = p.relative_to(src).with_suffix("").parts
        out.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def with_parents(name: str) -> set[str]:
    """Importing a.b.c runs a/__init__ and a/b/__init__ first."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def _dynamic_package(call: ast.Call, current_package: str) -> str | None:
    """The package an `import_module(<computed name>)` call reaches into: the literal prefix of
    an f-string ("ganlab.data.{x}" -> ganlab.data; "{__name__}.{x}" -> the calling package),
    else the calling package."""
    arg = call.args[0] if call.args else None
    if isinstance(arg, ast.JoinedStr):
        prefix = ""
        for v in arg.values:
            if isinstance(v, ast.Constant):
                prefix += str(v.value)
            elif isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name) and v.value.id == "__name__" and not prefix:
                prefix = current_package
            else:
                break
        if "." in prefix:
            return prefix.rsplit(".", 1)[0]
    return current_package


def direct_imports(name: str, path: Path, src: Path = SRC) -> set[str]:
    """The ganlab modules one file imports (anywhere in it), as dotted names."""
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names}     # `from pkg import submodule`
        elif isinstance(node, ast.Call):
            fn = node.func
            fname = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            if name == "ganlab.plugins":
                continue          # the discovery helper: its callers' calls (below) say which package
            if fname == "import_module" and node.args:
                if isinstance(node.args[0], ast.Constant):
                    found.add(str(node.args[0].value))
                else:
                    found |= package_modules(_dynamic_package(node, package or name), src)
            elif fname == "iter_modules" and package:
                found |= package_modules(package, src)
            elif fname == "modules" and node.args:    # ganlab.plugins.modules(pkg, path)
                arg = node.args[0]
                if isinstance(arg, ast.Name) and arg.id == "__name__":
                    found |= package_modules(package or name, src)
                elif isinstance(arg, ast.Attribute) and arg.attr == "__name__" and isinstance(arg.value, ast.Name):
                    found |= package_modules(f"ganlab.{arg.value.id}", src)
    out = set()
    for mod in found:
        for m in with_parents(mod):
            if module_file(m, src) is not None:
                out.add(m)
    return out


def import_closure(script: Path, src: Path = SRC) -> set[Path]:
    """Every file under src/ganlab that running `script` can import."""
    todo = [m for m in direct_imports("__main__", script, src)]
    seen: set[str] = set()
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo += direct_imports(m, module_file(m, src), src) - seen
    return {module_file(m, src) for m in seen}


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


@pytest.mark.parametrize("name", sorted(stages()))
def test_deps_cover_the_import_closure(name):
    script, missing = uncovered(stages()[name])
    assert not missing, f"dvc.yaml stage {name} runs {script}, which imports {missing}: add them (or their folder) to its deps"


@pytest.mark.parametrize("name", sorted(stages()))
def test_code_deps_exist(name):
    """A dep on code that moved away would silently stop tracking it."""
    for d in dep_paths(stages()[name]):
        if d.startswith(("src/", "stages/")):
            assert (ROOT / d).exists(), f"{name}: dep {d} does not exist"


def test_closure_follows_lazy_relative_and_dynamic_imports():
    """The walker itself: function-level imports (srgan -> ganlab.classifier), relative
    imports (metrics/wasserstein -> metrics/__init__), package __init__ files, and the
    family registry's pkgutil/importlib discovery (every family file)."""
    train = {p.relative_to(SRC).as_posix() for p in import_closure(ROOT / "stages/train.py")}
    assert {"ganlab/__init__.py", "ganlab/config.py", "ganlab/io.py", "ganlab/training/loop.py",
            "ganlab/families/__init__.py", "ganlab/families/srgan.py", "ganlab/families/_translation.py",
            "ganlab/classifier.py", "ganlab/metrics/__init__.py", "ganlab/metrics/wasserstein.py",
            "ganlab/data/__init__.py", "ganlab/data/glyphs.py",
            "ganlab/nn/translation.py", "ganlab/losses.py"} <= train
    assert not any(p.startswith(("ganlab/report/", "ganlab/studies/")) or p.startswith("ganlab/evaluation/") for p in train)


def test_uncovered_import_is_reported(tmp_path):
    """A stage whose deps miss a module it imports (lazily, two hops away) fails the check."""
    (tmp_path / "src/ganlab/sub").mkdir(parents=True)
    (tmp_path / "stages").mkdir()
    (tmp_path / "src/ganlab/__init__.py").write_text("")
    (tmp_path / "src/ganlab/sub/__init__.py").write_text("from .a import f\n")
    (tmp_path / "src/ganlab/sub/a.py").write_text("def f():\n    from ganlab import b\n")
    (tmp_path / "src/ganlab/b.py").write_text("")
    (tmp_path / "stages/x.py").write_text("from ganlab.sub import f\n")
    stage = {"cmd": "PYTHONPATH=src python stages/x.py '${key}'", "deps": ["stages/x.py", "src/ganlab/sub", "src/ganlab/__init__.py"]}
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
def test_stage_freezes_exactly_its_dvc_params(name):
    """Each stage script's stage_start(frozen=...) lists the params keys dvc.yaml gives the stage:
    the keys whose change mid-run the stage refuses are the ones dvc records in dvc.lock."""
    script = SCRIPT.findall(stages()[name]["cmd"])[0]
    text = (ROOT / script).read_text()
    m = re.search(r"stage_start\(__doc__, [^,]+(?:, frozen=(\([^)]*\)))?\)", text)
    assert m, f"{script}: no stage_start call"
    frozen = [k.replace("{name}", "${key}") for k in (eval(m.group(1)) if m.group(1) else ())]
    assert frozen == stages()[name].get("params", []), f"{script}: frozen {frozen} vs dvc.yaml {stages()[name].get('params')}"
    if frozen:
        assert "params_unchanged" in text, f"{script} never checks its params again"
