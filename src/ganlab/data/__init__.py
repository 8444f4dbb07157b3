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

A recipe that reads files from outside the pipeline (an image folder, downloaded files) also
has `sources(cfg) -> [paths]`, the files and folders make() reads; recipes that generate their
data have none. `write_sources` (the check stage, on every `dvc repro`) writes
`reports/sources/<name>.json` for every dataset: a fingerprint of those files' contents, and a
constant for a generated recipe. prepare@<name> depends on that file (dvc's foreach cannot
name an image folder for datasets that have none), so adding, removing or changing an image
reruns prepare@<name> and only it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from types import ModuleType
from typing import Protocol, runtime_checkable

import numpy as np

from ganlab import io, plugins


def _index() -> dict[str, str]:
    """Recipe name -> the name of its module: the keys of each public module's CONFIGS, read
    without importing it (ganlab.plugins.index); a stage imports only its dataset's recipe module."""
    return plugins.index(__name__, __path__, "CONFIGS")


def _no_sources(cfg) -> list[Path]:
    return []


@runtime_checkable
class RecipeModule(Protocol):
    """A recipe module: CONFIGS {recipe name: Config dataclass}, and two functions of a Config."""

    CONFIGS: dict[str, type]

    def describe(self, cfg) -> dict:
        """Kind, shape and what validation needs, known before anything is generated."""

    def make(self, cfg) -> tuple[dict[str, np.ndarray], dict]:
        """(arrays: train, test, ..., meta): the data and what data/<name>/meta.json says of it."""


class Recipe:
    """The recipe functions of one name, looked up in its module (`sources` is optional)."""

    def __init__(self, name: str, module: ModuleType):
        self.name = name
        self.Config = module.CONFIGS[name]
        self.describe = module.describe
        self.make = module.make
        self.sources = getattr(module, "sources", _no_sources)


def list_recipes() -> list[str]:
    return sorted(_index())


def recipe_module(name: str) -> str:
    """The module (ganlab.data.<module>) that defines recipe `name`."""
    recipes = _index()
    if name not in recipes:
        raise KeyError(f"unknown dataset recipe {name!r}; known: {', '.join(sorted(recipes))}")
    return f"{__name__}.{recipes[name]}"


def get_recipe(name: str) -> Recipe:
    module = recipe_module(name)
    return Recipe(name, plugins.load(__name__, module.rpartition(".")[2]))


def prepare(cfg, out_dir: str | Path) -> dict:
    """Generate one dataset and write it atomically to out_dir; return its meta."""
    arrays, meta = get_recipe(cfg.recipe).make(cfg)
    meta = {
        **meta,
        "recipe": dataclasses.asdict(cfg),
        "splits": {k: int(v.shape[0]) for k, v in arrays.items() if k in ("train", "test")},
    }
    with io.atomic_dir(out_dir, checksums=True) as tmp:
        io.write_with(tmp / "data.npz", lambda f: np.savez(f, **arrays))
        io.write_json(tmp / "meta.json", meta)
    return meta


def fingerprint(cfg, known: dict | None = None) -> tuple[dict, dict]:
    """(record, stats) of the files a dataset's recipe reads from outside the pipeline.
    record: per source path, whether it exists, its files' count and bytes, and one sha256 over
    every sub-folder's and file's relative path, size and content: the same on every machine
    that holds the same files (no times in it, so dvc.lock stays comparable). stats: for each
    file, its size, mtime_ns, inode and sha256; a file whose first three equal those in `known`
    (the stats of the previous run) is not read again, so a large folder costs a walk, not a read."""
    record, stats = [], {}
    known = known or {}
    for source in get_recipe(cfg.recipe).sources(cfg):
        h, n, size = hashlib.sha256(), 0, 0
        files = [source] if source.is_file() else []
        for top, dirs, names in os.walk(source, followlinks=True) if source.is_dir() else ():
            dirs.sort()
            h.update(f"d {Path(top).relative_to(source).as_posix()}\n".encode())
            files += [Path(top) / name for name in sorted(names)]
        for path in files:
            st = path.stat()
            stat = [st.st_size, st.st_mtime_ns, st.st_ino]
            old = known.get(str(path))
            digest = old[3] if isinstance(old, list) and old[:3] == stat else io.sha256(path)
            stats[str(path)] = stat + [digest]
            h.update(f"f {path.relative_to(source).as_posix()} {st.st_size} {digest}\n".encode())
            n, size = n + 1, size + st.st_size
        record.append(
            {"path": str(source), "exists": source.exists(), "files": n, "bytes": size, "sha256": h.hexdigest()}
        )
    return {"recipe": cfg.recipe, "sources": record}, stats


def write_sources(datasets: dict, folder: str | Path) -> None:
    """folder/<name>.json (fingerprint's record) for every dataset, and the file stats that the
    next call reuses in folder/.<name>.stats.json; the folder is replaced whole (ganlab.io)."""
    folder = Path(folder)
    with io.atomic_dir(folder) as tmp:
        for name, cfg in datasets.items():
            try:
                known = io.read_json(folder / f".{name}.stats.json")
            except (OSError, ValueError):
                known = None
            record, stats = fingerprint(cfg, known if isinstance(known, dict) else None)
            io.write_json(tmp / f"{name}.json", record)
            if stats:
                io.write_json(tmp / f".{name}.stats.json", stats)


def to_model(x):
    """Stored images (uint8 in [0, 255], numpy or torch) -> what models see: float32 in [-1, 1].
    Point data is returned unchanged (as float32)."""
    if not isinstance(x, np.ndarray) and type(x).__module__.startswith("torch"):  # a tensor (no torch import here)
        return x.float() / 127.5 - 1.0 if str(x.dtype) == "torch.uint8" else x.float()
    x = np.asarray(x)
    return x.astype(np.float32) / 127.5 - 1.0 if x.dtype == np.uint8 else x.astype(np.float32)


def load(data_dir: str | Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read `data/<name>/`: (arrays, meta), both checksum-verified. Plain arrays only: no pickle."""
    data_dir = Path(data_dir)
    rebuild = f"dvc repro prepare@{data_dir.name}"
    if not (data_dir / "meta.json").exists():
        raise io.MissingFileError(f"{data_dir} has no meta.json: run `{rebuild}` first")
    meta = io.read_verified(data_dir / "meta.json", rebuild, io.read_json)
    return io.read_verified(data_dir / "data.npz", rebuild, io.read_npz), meta
