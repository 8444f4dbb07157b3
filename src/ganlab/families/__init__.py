"""The family registry, torchvision style: `get_family(name)`, `list_families()`.

A family is one module in this folder, named as the family, that defines `FAMILY`, a subclass
of `ganlab.families.base.Family`: its networks, losses and update step, plus a typed Config.
Adding a family is adding a file; the registry finds it, and the tests parametrised over
`list_families()` test it the moment it exists.
"""

from __future__ import annotations

from ganlab import plugins


def list_families() -> list[str]:
    """Every family's name: the public modules of this folder (base excluded), read without importing them."""
    return plugins.names(__path__, skip=("base",))


def get_family(name: str) -> type:
    """The family class of `name`: imports families/<name>.py only (and what it imports)."""
    if name not in list_families():
        raise KeyError(f"unknown family {name!r}; known: {', '.join(list_families())}")
    family = getattr(plugins.load(__name__, name), "FAMILY", None)
    if family is None or family.name != name:
        raise RuntimeError(f"ganlab.families.{name} must define FAMILY, a Family subclass named {name!r}")
    return family
