"""The family registry, torchvision style: `get_family(name)`, `list_families()`.

A family is one module in this folder that defines `FAMILY`, a subclass of
`ganlab.families.base.Family`: its networks, losses and update step, plus a typed Config.
Adding a family is adding a file; the registry finds it, and the tests parametrised over
`list_families()` test it the moment it exists.
"""
from __future__ import annotations

from ganlab import plugins

_REGISTRY: dict[str, type] = {}


def _discover() -> dict[str, type]:
    if not _REGISTRY:
        for module in plugins.modules(__name__, __path__, skip=("base",)):
            family = getattr(module, "FAMILY", None)
            if family is not None:
                _REGISTRY[family.name] = family
    return _REGISTRY


def list_families() -> list[str]:
    return sorted(_discover())


def get_family(name: str) -> type:
    families = _discover()
    if name not in families:
        raise KeyError(f"unknown family {name!r}; known: {', '.join(sorted(families))}")
    return families[name]
