"""Dataset recipes, registered by name, and the on-disk contract of `data/<dataset>/`.

A recipe module is a public module of this package with `CONFIGS = {recipe name: Config
dataclass}` (each Config's `recipe` field names it), `describe(cfg)` (kind and shape, known
before anything is generated: validation uses it) and `make(cfg) -> (arrays, meta)`. The
registry finds the modules as the family registry does (ganlab.families): adding a recipe is
adding a file, or a name to an existing module's CONFIGS. `prepare` writes
`data/<name>/data.npz` (plain arrays: train, test, ...), `meta.json` (kind, dim, value range,
mode centres and std, split sizes, recipe params) and their `checksums.json` atomically;
`load` verifies both files against it (ganlab.io) and names `dvc repro prepare@<name>` when
one is missing or corrupt.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from types import ModuleType

import numpy as np

from ganlab import io, plugins

_REGISTRY: dict[str, ModuleType] = {}


def _discover() -> dict[str, ModuleType]:
    """Recipe name -> its module: every module of this package not starting with `_` that has
    CONFIGS (importing them is cheap: numpy and ganlab.config; torch and the real-data readers
    load inside make)."""
    if not _REGISTRY:
        found: dict[str, ModuleType] = {}
        for module in plugins.modules(__name__, __path__):
            for name in getattr(module, "CONFIGS", {}):
                if name in found:
                    raise RuntimeError(f"dataset recipe {name!r} is defined twice: in CONFIGS of "
                                       f"{found[name].__name__} and of {module.__name__}")
                found[name] = module
        _REGISTRY.update(found)
    return _REGISTRY


class Recipe:
    """The recipe functions of one name, looked up in its module."""

    def __init__(self, name: str, module: ModuleType):
        self.name = name
        self.Config = module.CONFIGS[name]
        self.describe = module.describe
        self.make = module.make


def list_recipes() -> list[str]:
    return sorted(_discover())


def get_recipe(name: str) -> Recipe:
    recipes = _discover()
    if name not in recipes:
        raise KeyError(f"unknown dataset recipe {name!r}; known: {', '.join(list_recipes())}")
    return Recipe(name, recipes[name])


def prepare(cfg, out_dir: str | Path) -> dict:
    """Generate one dataset and write it atomically to out_dir; return its meta."""
    arrays, meta = get_recipe(cfg.recipe).make(cfg)
    meta = {**meta, "recipe": dataclasses.asdict(cfg),
            "splits": {k: int(v.shape[0]) for k, v in arrays.items() if k in ("train", "test")}}
    with io.atomic_dir(out_dir, checksums=True) as tmp:
        io.write_with(tmp / "data.npz", lambda f: np.savez(f, **arrays))
        io.write_json(tmp / "meta.json", meta)
    return meta


def to_model(x):
    """Stored images (uint8 in [0, 255], numpy or torch) -> what models see: float32 in [-1, 1].
    Point data is returned unchanged (as float32)."""
    if not isinstance(x, np.ndarray) and type(x).__module__.startswith("torch"):    # a tensor (no torch import here)
        return x.float() / 127.5 - 1.0 if str(x.dtype) == "torch.uint8" else x.float()
    x = np.asarray(x)
    return x.astype(np.float32) / 127.5 - 1.0 if x.dtype == np.uint8 else x.astype(np.float32)


def to_uint8(x):
    """Model-space images in [-1, 1] (numpy) -> uint8 in [0, 255], for figures and files."""
    return np.clip(np.round((np.asarray(x, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def load(data_dir: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read `data/<name>/`: (arrays, meta), both checksum-verified. Plain arrays only: no pickle."""
    data_dir = Path(data_dir)
    rebuild = f"dvc repro prepare@{data_dir.name}"
    if not (data_dir / "meta.json").exists():
        raise io.MissingFileError(f"{data_dir} has no meta.json: run `{rebuild}` first")
    meta = io.read_verified(data_dir / "meta.json", rebuild, io.read_json)
    return io.read_verified(data_dir / "data.npz", rebuild, io.read_npz), meta
