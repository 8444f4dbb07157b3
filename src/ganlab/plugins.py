"""Discovery, one way for every registry: families, dataset recipes, evaluation kinds and
metrics, claims. Each is "a file in the right folder".

Lookups are lazy: `names` and `index` read the folder (file names, or a top-level literal of
each file, with ast) without importing anything, and `load` imports the one module asked for.
A stage that trains `family: dcgan` therefore imports families/dcgan.py and what it imports,
not every family: ganlab.dag computes that closure the same way (its walker binds a registry's
`load(__name__, ...)` to the module of the entry at hand), and each stage depends on it alone.
`modules` imports them all (whole-file validation, the report, the docs).
"""

from __future__ import annotations

import ast
import functools
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType


def names(path, skip: tuple[str, ...] = ()) -> list[str]:
    """The public modules of a package (its `__path__`), by name: not starting with "_", not in `skip`."""
    return sorted(i.name for i in pkgutil.iter_modules(path) if not i.name.startswith("_") and i.name not in skip)


def load(package: str, name: str) -> ModuleType:
    """Import one module of a package: `package.name`."""
    return importlib.import_module(f"{package}.{name}")


def modules(package: str, path, skip: tuple[str, ...] = (), first: tuple[str, ...] = ()) -> list[ModuleType]:
    """Import every public module of `package` (see `names`); those in `first` in that order, then the rest by name."""
    found = names(path, skip)
    ordered = [n for n in first if n in found] + [n for n in found if n not in first]
    return [load(package, n) for n in ordered]


def _files(path, skip: tuple[str, ...]) -> dict[str, Path]:
    """name -> file of each public single-file module of a package."""
    out = {}
    for name in names(path, skip):
        file = next((Path(p) / f"{name}.py" for p in path if (Path(p) / f"{name}.py").is_file()), None)
        if file is not None:  # sub-packages hold no registered entries
            out[name] = file
    return out


def _parse(file: Path) -> ast.Module:
    return _parsed(str(file), file.stat().st_mtime_ns)


@functools.cache
def _parsed(file: str, mtime_ns: int) -> ast.Module:
    """One parse per file version (a registry is asked once per entry: the check stage asks ~100 times)."""
    return ast.parse(Path(file).read_text(encoding="utf-8"), file)


def decorated(path, decorator: str, skip: tuple[str, ...] = ()) -> dict[str, set[str]]:
    """{module name: the first arguments (string literals) of its `@decorator("...", ...)` uses}, for
    the public modules of a package that use it, read without importing them."""
    out: dict[str, set[str]] = {}
    for name, file in _files(path, skip).items():
        for node in ast.walk(_parse(file)):
            for deco in getattr(node, "decorator_list", ()):
                if (
                    isinstance(deco, ast.Call)
                    and isinstance(deco.func, ast.Name)
                    and deco.func.id == decorator
                    and deco.args
                    and isinstance(deco.args[0], ast.Constant)
                ):
                    out.setdefault(name, set()).add(deco.args[0].value)
    return out


def index(package: str, path, attribute: str, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """{key: module name} over the public modules of a package, read without importing them: the keys
    of each module's top-level `attribute = {...}` (a dict literal) or its items (a tuple or list of
    strings). A key found in two modules is an error naming both."""
    out: dict[str, str] = {}
    for name, file in _files(path, skip).items():
        for node in _parse(file).body:
            target = (
                node.targets[0]
                if isinstance(node, ast.Assign) and len(node.targets) == 1
                else node.target
                if isinstance(node, ast.AnnAssign)
                else None
            )
            if not (isinstance(target, ast.Name) and target.id == attribute and node.value is not None):
                continue
            value = node.value
            items = (
                value.keys
                if isinstance(value, ast.Dict)
                else value.elts
                if isinstance(value, (ast.Tuple, ast.List))
                else []
            )
            for key in items:
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    raise RuntimeError(
                        f"{package}.{name}.{attribute}: keys must be string literals (read without importing)"
                    )
                if key.value in out:
                    raise RuntimeError(
                        f"{key.value!r} is defined twice: in {attribute} of {package}.{out[key.value]} "
                        f"and of {package}.{name}"
                    )
                out[key.value] = name
    return out
