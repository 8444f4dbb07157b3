"""The code each stage entry runs, and its fingerprint: what makes `dvc status` follow the run.

dvc's templating reaches a run's `family` but not its dataset's recipe module, nor the kind of
data its evaluation uses (dvc 3 has no nested interpolation), and a family's module imports
others (cgan -> dcgan -> gan -> base). So the check stage writes, for every stage entry
(`train@gan-grid`, `prepare@ring8`, ...), `reports/code/<stage>/<entry>.json`: the sha256 of every
file under src/ganlab that the entry's script can import, and that entry's stage depends on it.
An edit to families/cyclegan.py changes the files of cyclegan runs' entries only; check reruns
(it depends on src/ganlab), and dvc then reruns exactly the stages whose file changed.

The closure is static (ast): every `import` / `from ... import` anywhere in a module (inside
functions too: the stages import torch-heavy code lazily), relative imports resolved, each
package's `__init__` counted when anything under it is imported. Registries load their entries
by name (ganlab.plugins): a `plugins.load(<package>, ...)` call counts as importing the modules
that `bind` names for that package (the entry's family, its dataset's recipe module, its kind's
evaluation modules), or every module of the package when `bind` names none; `plugins.modules`,
`import_module` of a computed name and `pkgutil.iter_modules` count as importing every module of
the package. tests/test_dag.py checks that running a stage entry imports nothing outside it.
Modules outside src/ganlab (torch, numpy, ...) are the environment's business, not the DAG's.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

SRC = Path(__file__).resolve().parents[1]
STAGES = {"prepare": "datasets", "classifier": "datasets", "train": "runs", "evaluate": "runs", "study": "runs"}


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
    out = set()
    for p in src.joinpath(*package.split(".")).rglob("*.py"):
        if "__pycache__" not in p.parts:
            parts = p.relative_to(src).with_suffix("").parts
            out.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def with_parents(name: str) -> set[str]:
    """Importing a.b.c runs a/__init__ and a/b/__init__ first."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def _reached_package(call: ast.Call, package: str) -> str:
    """The package a registry call reaches into: its first argument `__name__` (the calling
    package), `<pkg>.__name__` (ganlab.<pkg>), an f-string "ganlab.x.{...}" (ganlab.x), else the
    calling package."""
    arg = call.args[0] if call.args else None
    if isinstance(arg, ast.Attribute) and arg.attr == "__name__" and isinstance(arg.value, ast.Name):
        return f"ganlab.{arg.value.id}"
    if isinstance(arg, ast.JoinedStr):
        prefix = ""
        for v in arg.values:
            if isinstance(v, ast.Constant):
                prefix += str(v.value)
            elif (
                isinstance(v, ast.FormattedValue)
                and isinstance(v.value, ast.Name)
                and v.value.id == "__name__"
                and not prefix
            ):
                prefix = package
            else:
                break
        if "." in prefix:
            return prefix.rsplit(".", 1)[0]
    return package


def _call_name(fn: ast.expr) -> str:
    """`plugins.load` -> "load"; `importlib.import_module` / `import_module` -> "import_module";
    `pkgutil.iter_modules` / `iter_modules` -> "iter_modules"; anything else -> ""."""
    if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name):
        owner, attr = fn.value.id, fn.attr
        if (owner, attr) in {
            ("plugins", "load"),
            ("plugins", "modules"),
            ("importlib", "import_module"),
            ("pkgutil", "iter_modules"),
        }:
            return attr
    if isinstance(fn, ast.Name) and fn.id in ("import_module", "iter_modules"):
        return fn.id
    return ""


@functools.cache
def _facts(name: str, path: Path, mtime: int) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """(the modules one file names in import statements, its registry calls as (call, package))."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    calls: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names}  # `from pkg import submodule`
        elif isinstance(node, ast.Call) and name != "ganlab.plugins":  # plugins: its callers say which package
            call = _call_name(node.func)
            if call == "import_module" and node.args and isinstance(node.args[0], ast.Constant):
                found.add(str(node.args[0].value))
            elif call:
                calls.append((call, _reached_package(node, package or name)))
    return frozenset(found), tuple(calls)


def direct_imports(name: str, path: Path, src: Path = SRC, bind: dict[str, set[str]] | None = None) -> set[str]:
    """The ganlab modules one file imports (anywhere in it), as dotted names."""
    static, calls = _facts(name, path, path.stat().st_mtime_ns)
    found = set(static)
    for call, reached in calls:
        if call == "load" and bind is not None and reached in bind:
            found |= bind[reached]
        else:
            found |= package_modules(reached, src)
    out = set()
    for mod in found:
        out |= {m for m in with_parents(mod) if module_file(m, src) is not None}
    return out


def closure(script: Path, src: Path = SRC, bind: dict[str, set[str]] | None = None) -> set[Path]:
    """Every file under src/ganlab that running `script` can import (see the module docstring)."""
    todo = list(direct_imports("__main__", script, src, bind))
    seen: set[str] = set()
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += direct_imports(m, module_file(m, src), src, bind) - seen
    return {module_file(m, src) for m in seen}


def bindings(params, stage: str, name: str) -> dict[str, set[str]]:
    """What the registries load for one stage entry: its dataset's recipe module and, for a run,
    its family's module and its kind's evaluation modules (params: a whole validated Params)."""
    from ganlab.data import get_recipe, recipe_module
    from ganlab.evaluation import registry
    from ganlab.families import get_family

    if STAGES[stage] == "datasets":  # validating a dataset entry loads no family, no kind
        return {
            "ganlab.data": {recipe_module(params.datasets[name].recipe)},
            "ganlab.families": set(),
            "ganlab.evaluation": set(),
        }
    run = params.runs[name]
    ds = params.datasets[run.dataset]
    family = get_family(run.family)
    kind = family.translation or get_recipe(ds.recipe).describe(ds)["kind"]
    return {
        "ganlab.families": {f"ganlab.families.{run.family}"},
        "ganlab.data": {recipe_module(ds.recipe)},
        "ganlab.evaluation": {f"ganlab.evaluation.{m}" for m in registry.modules_of(kind)},
    }


def files(stage: str, bind: dict[str, set[str]], root: Path | None = None) -> list[str]:
    """The repo paths of one stage entry's code: its script and its closure, sorted."""
    root = root or SRC.parent
    script = root / "stages" / f"{stage}.py"
    found = {script} | closure(script, root / "src", bind)
    return sorted(p.relative_to(root).as_posix() for p in found)


def stamps(params, raw: dict, root: Path | None = None) -> dict[str, dict[str, dict]]:
    """{stage: {entry: {"stage", "params", "files": {path: sha256}}}} for every entry stage of a
    validated Params (raw: the same file as read, whose values of the stage's params the stamp
    holds, config.STAGE_PARAMS)."""
    from ganlab import config, io

    root = root or SRC.parent
    digest: dict[str, str] = {}
    out: dict[str, dict[str, dict]] = {}
    known: dict[tuple, list[str]] = {}  # runs of one family, recipe and kind share a closure
    for stage, section in STAGES.items():
        for name in getattr(params, section):
            bind = bindings(params, stage, name)
            key = (stage, *sorted((k, tuple(sorted(v))) for k, v in bind.items()))
            paths = known[key] = known.get(key) or files(stage, bind, root)
            for p in paths:
                if p not in digest:
                    digest[p] = io.sha256(root / p)
            stamp = {
                "stage": f"{stage}@{name}",
                "params": config.stage_params(raw, stage, name),
                "files": {p: digest[p] for p in paths},
            }
            if stage == "study":
                stamp["plan"] = study_plan(params, raw, name)
            out.setdefault(stage, {})[name] = stamp
    return out


def study_plan(params, raw: dict, run: str) -> dict:
    """Which studies study@<run> runs (ganlab.studies.applicable), decided here, where every family
    is loaded anyway, so that a run without studies writes its marker without loading torch; with
    the raw entries the decision read (`inputs`), which the stage compares with the file first."""
    from ganlab.data import get_recipe
    from ganlab.families import get_family
    from ganlab.studies import applicable

    cfg = params.runs[run]
    ds = params.datasets[cfg.dataset]
    studies, why = applicable(get_family(cfg.family), get_recipe(ds.recipe).describe(ds))
    inputs = {f"runs.{run}": raw["runs"][run], f"datasets.{cfg.dataset}": raw["datasets"][cfg.dataset]}
    return {"inputs": inputs, "studies": studies, "why": why}


def write_stamps(params, raw: dict, folder: str | Path) -> None:
    """reports/code/<stage>/<entry>.json for every stage entry, written as one folder (atomically:
    entries no longer in params.yaml disappear with it)."""
    from ganlab import io

    with io.atomic_dir(folder) as tmp:
        for stage, entries in stamps(params, raw).items():
            (tmp / stage).mkdir()
            for name, stamp in entries.items():
                io.write_json(tmp / stage / f"{name}.json", stamp)
