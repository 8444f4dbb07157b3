"""Discovery, one way for every registry: families, dataset recipes, evaluation kinds and
metrics, claims. Each is "a file in the right folder"; this imports the folder's modules."""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def modules(package: str, path, skip: tuple[str, ...] = (), first: tuple[str, ...] = ()) -> list[ModuleType]:
    """Import every public module of `package` (its `__path__` is `path`): not starting with
    "_", not in `skip`; those in `first` in that order, then the rest by name."""
    names = sorted(i.name for i in pkgutil.iter_modules(path) if not i.name.startswith("_") and i.name not in skip)
    ordered = [n for n in first if n in names] + [n for n in names if n not in first]
    return [importlib.import_module(f"{package}.{n}") for n in ordered]
