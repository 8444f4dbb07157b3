"""Typed params for ganlab and their validation.

params.yaml has eight sections: `device`, `evaluation`, `classifier` (optional: the evaluation
classifier of every image dataset), `study` (optional: the latent-space studies), `cpu` (optional:
how torch computes on the CPU, ganlab.pinning), `inception` (optional: Inception FID/KID/IS of the
runs on some datasets), `datasets` (name -> recipe + its settings) and `runs` (name -> family +
dataset + hyper-parameters). Every section is a
dataclass whose fields carry a one-line `help` (cleanrl style); the params reference, docs/params.md,
is generated from those strings (`PYTHONPATH=src python scripts/update_docs_params.py` runs this module).

Validation runs on the whole file before any work. Any problem raises ConfigError with one
line that names the key path and what is allowed; stages turn it into exit status 2.

Names are data: every dataset and run name matches NAME_RULE (letters, digits, `_` and `-`,
starting with a letter or digit), because names become stage names, shell arguments and
paths. The file is read strictly: a key given twice is an error with its line number (dvc
rejects such a file too, and the last value would silently win here), and numbers written
without a dot (`4e-3`) are numbers, as in YAML 1.2 and in dvc, not strings.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


class ConfigError(ValueError):
    """A params problem: `key`, where it is (a key path such as `runs.gan-ring.lr`, or the file when the
    problem is the file's), and `message`, what is wrong and what is allowed. Shown as `key: message`."""

    def __init__(self, key: str | Path, message: str):
        self.key, self.message = str(key), message
        super().__init__(f"{self.key}: {message}")

    def __reduce__(self):  # pickles (multiprocessing) with its two fields, not the joined text
        return type(self), (self.key, self.message)


NAME_RULE = "[A-Za-z0-9][A-Za-z0-9_-]* (letters, digits, '_' and '-', starting with a letter or digit; at most 64)"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
SEED_MAX = 2**31 - 1  # seeds are offset by a few million for separate streams; any integer API takes this
MAX_SEEDS = 64  # seeds of one run: each is a copy of both networks, trained in one batched model
# Names the output layout already uses: a run named `classifiers` would be models/classifiers/,
# the folder of every image dataset's evaluation classifier. Windows' device names cannot be
# folders there. Names are also compared without case: on macOS and Windows `GAN-ring` and
# `gan-ring` are one folder.
RESERVED = {"runs": {"classifiers": "models/classifiers/ holds every image dataset's evaluation classifier"}}
DEVICE_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def check_name(name: Any, path: str) -> str:
    """A dataset or run name: one documented pattern, so it is safe as a path, a dvc stage name
    and a shell argument."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(path, f"bad name {show(name)}; names must match {NAME_RULE}")
    return name


# ---------------------------------------------------------------------------- reading YAML

MAX_VALUES = 100_000  # mappings, lists and scalars of one file, YAML aliases expanded (params.yaml: ~3,000)
MAX_DEPTH = 32  # nesting levels (params.yaml: 5)


def _yaml():
    """dvc's own reader (dvc.utils.serialize.parse_yaml): ruamel.yaml's safe loader, YAML 1.2. ganlab
    reads every params file with it, so each value means one thing to both: `0200` is 200 and
    `3:20` a string for ganlab as for dvc.lock (PyYAML's YAML 1.1 made them 128 and 200)."""
    from ruamel.yaml import YAML

    return YAML(typ="safe")


def read_yaml(path: str | Path) -> Any:
    """Read a params or profile file as dvc does (UTF-8, YAML 1.2), then check_tree; every problem
    is a ConfigError naming the file (and the line or key path)."""
    from ruamel.yaml import YAMLError
    from ruamel.yaml.constructor import DuplicateKeyError

    path = Path(path)
    if not path.exists():
        raise ConfigError(path, "file not found")
    if not path.is_file():
        raise ConfigError(path, "not a file; expected a YAML params file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(
            path,
            f"line {line}: byte {raw[err.start]:#04x} is not UTF-8; params files are UTF-8 text (as dvc reads them)",
        ) from None
    try:
        data = _yaml().load(text)
    except DuplicateKeyError:
        raise ConfigError(path, _duplicate_key(text)) from None
    except YAMLError as err:
        raise ConfigError(path, f"not valid YAML: {' '.join(str(err).split())}") from None
    except RecursionError:
        raise ConfigError(
            path, f"nested more than {MAX_DEPTH} levels deep; params are a few levels of mappings"
        ) from None
    check_tree(data, str(path))
    return data


def dump_yaml(data: Any) -> str:
    """Text that read_yaml (and dvc) read back as `data`: written by the same YAML 1.2 library."""
    import io as _io

    y = _yaml()
    y.default_flow_style = False
    y.sort_base_mapping_type_on_output = False
    out = _io.StringIO()
    y.dump(data, out)
    return out.getvalue()


def _duplicate_key(text: str) -> str:
    """The first key given twice in one mapping, with both lines (ruamel's message names the
    mapping's start, not the first occurrence)."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    todo = [_yaml().compose(text)]
    while todo:
        node = todo.pop()
        if isinstance(node, MappingNode):
            seen: dict = {}
            for key, value in node.value:
                line = key.start_mark.line + 1
                if key.value in seen:
                    return (
                        f"line {line}: key {key.value!r} is given twice in one mapping (first on line "
                        f"{seen[key.value]}); each key may appear once"
                    )
                seen[key.value] = line
                todo.append(value)
        elif isinstance(node, SequenceNode):
            todo.extend(node.value)
    return "a key is given twice in one mapping; each key may appear once"


def check_tree(data: Any, source: str) -> None:
    """What validation may walk safely: every mapping key a string (`1:` or `~:` as a key is an
    error, not an int or None that sorts against strings), at most MAX_DEPTH levels, and at most
    MAX_VALUES values once YAML aliases are expanded (a "billion laughs" file stops here, in
    microseconds, instead of in validation's walk)."""
    sizes: dict[int, int] = {}

    def size(node: Any, where: str, depth: int) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        if id(node) in sizes:  # an alias of a node already counted
            return sizes[id(node)]
        if depth >= MAX_DEPTH:
            raise ConfigError(
                where or source, f"nested more than {MAX_DEPTH} levels deep; params are a few levels of mappings"
            )
        total = 1
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(node, dict) and not isinstance(key, str):
                raise ConfigError(
                    where or source,
                    f"key {key!r} is {type(key).__name__}, not a string; "
                    f"names and settings are strings (quote it: '{key}')",
                )
            total += size(
                value,
                f"{where}.{key}"
                if isinstance(node, dict) and where
                else (str(key) if isinstance(node, dict) else f"{where}[{key}]"),
                depth + 1,
            )
            if total > MAX_VALUES:
                raise ConfigError(
                    source,
                    f"more than {MAX_VALUES:,} values once YAML aliases are expanded "
                    f"(at {where or 'the top'}); a params file holds a few thousand",
                )
        sizes[id(node)] = total
        return total

    size(data, "", 0)


def show(value: Any) -> str:
    """repr(value), cut to about 80 characters: error messages stay one short line."""
    import reprlib

    r = reprlib.Repr()
    r.maxstring, r.maxother, r.maxlist, r.maxdict, r.maxlevel, r.maxlong = 70, 70, 8, 8, 3, 40
    return r.repr(value)


def param(default: Any = dataclasses.MISSING, help: str = "", **limits: Any):
    """A dataclass field with a help string and optional limits (gt, ge, lt, le)."""
    if isinstance(default, (list, dict)):
        value = default
        return field(default_factory=lambda: typing.cast(Any, type(value))(value), metadata={"help": help, **limits})
    return field(default=default, metadata={"help": help, **limits})


def fixed(value: Any, why: str):
    """A setting a family does not take: the shared code reads `value`, params may not set it, and
    setting it is an error that says `why` (e.g. stylegan's d_steps: it alternates one D and one G
    step). Declared in the family's Config over the inherited option, so what a family takes is its
    Config's settable fields, and no family inherits an option only to refuse it."""
    factory = (lambda: list(value)) if isinstance(value, list) else dataclasses.MISSING
    default = dataclasses.MISSING if isinstance(value, list) else value
    return field(default=default, default_factory=factory, init=False, metadata={"help": why, "fixed": True})


def settable(cls: type) -> dict[str, dataclasses.Field]:
    """The fields of a config dataclass that params may set (not `fixed`), by name, in order."""
    return {f.name: f for f in dataclasses.fields(cls) if f.init}


# ---------------------------------------------------------------------------- sections


@dataclass
class EvalConfig:
    """How every run is evaluated."""

    n_samples: int = param(
        2500, "generated (and real) samples scored per seed (VEEGAN/PacGAN use 2,500)", ge=100, le=20_000
    )
    n_sigma: float = param(3.0, "a sample is high quality within n_sigma standard deviations of its nearest mode", gt=0)
    hist_bins: int = param(16, "bins per axis for the linear-program Wasserstein distance on histograms", ge=2, le=64)
    sliced_projections: int = param(256, "random directions for sliced Wasserstein", ge=1, le=10_000)
    seed: int = param(1234, "seed for evaluation sampling (latents, real subsets, projections)", ge=0, le=SEED_MAX)
    prdc_k: int = param(
        5, "image runs: nearest neighbours k of precision, recall, density and coverage (Naeem et al. 2020 use 5)", ge=1
    )
    stacked_samples: int = param(
        26000,
        "stacked images: samples whose class triples are counted as modes (VEEGAN/PacGAN: 26,000)",
        ge=100,
        le=200_000,
    )


@dataclass
class InceptionConfig:
    """Inception FID, KID and IS (torch-fidelity) of the image and translation runs on `datasets`."""

    datasets: list[str] = param(
        [],
        "datasets whose image and translation runs get Inception FID/KID/IS; classifier@<dataset> computes the "
        "reference statistics once (the features of `reference_n` images of `reference_split`)",
    )
    reference_split: Literal["train", "test"] = param("train", "the real images the statistics are of (FID-50k: train)")
    reference_n: int = param(50_000, "real images in the reference statistics (at most the split's)", ge=2)
    n_samples: int = param(
        10_000, "generated images scored per seed (translation runs: at most the test split)", ge=2, le=1_000_000
    )
    weights: str | None = param(
        None,
        "the Inception weights file (weights-inception-2015-12-05-6726825d.pth); null: torch hub's cache "
        "(<TORCH_HOME>/hub/checkpoints/)",
    )
    download: bool = param(False, "fetch the weights into torch hub's cache when the file is missing (needs a network)")
    resize: Literal["tf_bilinear", "clean"] = param(
        "tf_bilinear",
        "to 299x299: torch-fidelity's TensorFlow-1-compatible bilinear (published tables), or an antialiased bicubic "
        "resize first (close to clean-fid)",
    )
    precision: Literal["float32", "float64"] = param("float32", "arithmetic inside the Inception network")
    kid_subsets: int = param(100, "KID: random subsets the unbiased MMD is averaged over", ge=1, le=10_000)
    kid_subset_size: int = param(1000, "KID: features per subset (fewer where a side has fewer)", ge=2)
    isc_splits: int = param(10, "Inception Score: splits its mean and std are over", ge=1, le=100)
    batch_size: int = param(64, "images per forward pass of the network", ge=1, le=4096)


@dataclass
class CpuConfig:
    """How torch computes on the CPU, in every stage (ganlab.pinning)."""

    pinned: bool = param(
        True,
        "the same numbers on every x86-64 CPU: before torch loads, each stage caps ATen's and oneDNN's kernels at "
        "AVX2 and puts MKL on its COMPATIBLE branch (ganlab.pinning; what it costs per family: docs/results.md); "
        "false: torch's own choice by CPU, faster on some, numbers differ between CPUs",
    )
    threads: int = param(
        2,
        "torch's CPU threads in every stage (OMP_NUM_THREADS, set before torch loads): the convolutional families' "
        "numbers depend on the count, so it is fixed; 0 = torch's default, all cores (the numbers then follow the "
        "machine). A section's own cpu_threads overrides it for that work",
        ge=0,
        le=1024,
    )


@dataclass
class ClassifierConfig:
    """The evaluation classifier trained per image dataset (classifier@<dataset>, ganlab.classifier)."""

    epochs: int = param(3, "passes over the training split (stacked: over its 3 x N channel images)", ge=1, le=1000)
    min_steps: int = param(
        300,
        "at least this many Adam steps, so that small sets (digits: 1,500 images) get more passes",
        ge=0,
        le=10_000_000,
    )
    batch_size: int = param(128, "images per Adam step", ge=2, le=65_536)
    lr: float = param(0.003, "Adam learning rate at the start; it decays to 0 on a cosine", gt=0)
    width: int = param(
        16, "channels of the first conv layer; they double per 2x downsampling, up to 4 x width", ge=4, le=256
    )
    feature_dim: int = param(
        64, "features (penultimate layer, before its ReLU) that the image metrics use; x3 on stacked", ge=8, le=256
    )
    augment: float = param(
        0.0625,
        "random shift of each training image, per axis, by up to this fraction of its side in whole pixels (1/16: 1 "
        "px at 16x16, 2 at 32x32, none at 8x8); 0 = off",
        ge=0,
        le=0.25,
    )
    factors: list[str] = param(
        ["rotation", "thickness"],
        "known factors regressed by a second head where the dataset stores them (InfoGAN's codes are correlated with "
        "them)",
    )
    factor_weight: float = param(
        1.0, "weight of the factor regression MSE (standardised targets) next to the cross-entropy", ge=0
    )
    seed: int = param(0, "seed for the weights, the batch order and the shifts", ge=0, le=SEED_MAX)
    cpu_threads: int = param(0, "torch CPU threads for training (0 = the stage's, cpu.threads)", ge=0, le=1024)


@dataclass
class StudyConfig:
    """The latent-space studies of every unconditional run (study@<run>, ganlab.studies)."""

    n_samples: int = param(
        1000, "truncation: generated samples per threshold, scored against as many real test samples", ge=100, le=20_000
    )
    tau_uniform: list[float] = param(
        [1.0, 0.75, 0.5, 0.25, 0.1],
        "truncation thresholds for U[-1, 1] latents (dcgan on images) as a fraction of the support's half-width: "
        "every |z_i| <= tau (1 = none)",
        gt=0,
        le=1,
    )
    tau_normal: list[float] = param(
        [4.0, 2.0, 1.0, 0.5, 0.25],
        "truncation thresholds for N(0, I) latents, absolute (in standard deviations): every |z_i| <= tau",
        gt=0,
    )
    psi: list[float] = param(
        [1.0, 0.75, 0.5, 0.25], "StyleGAN: truncation in w space, w = w_avg + psi (w - w_avg) (1 = none)", ge=0, le=1
    )
    n_pairs: int = param(
        128, "interpolation: random latent pairs per space, for the path length and for class changes", ge=64, le=10_000
    )
    n_steps: int = param(
        32, "interpolation: images along each path at which the classifier's class is read", ge=32, le=1024
    )
    epsilon: float = param(1e-4, "path length: the step in t (Karras et al. 2019 use 1e-4)", gt=0, lt=0.1)
    n_mix: int = param(
        500, "StyleGAN style mixing: random pairs of latents whose mixed image is classified", ge=10, le=100_000
    )
    crossover: int = param(0, "StyleGAN style mixing: styles before this layer are coarse (0 = half of them)", ge=0)
    seed: int = param(4321, "seed for the studies' latents", ge=0, le=SEED_MAX)
    cpu_threads: int = param(
        1,
        "torch CPU threads (0 = the stage's, cpu.threads); the studies run many small batches, where extra threads on "
        "a busy CPU cost more than they gain",
        ge=0,
        le=1024,
    )

    def check(self, path: str) -> None:
        for key in ("tau_uniform", "tau_normal", "psi"):
            if len(getattr(self, key)) < 2:
                raise ConfigError(
                    f"{path}.{key}", f"expected at least two values (a sweep), got {show(getattr(self, key))}"
                )


@dataclass
class RunConfig:
    """Settings every family shares; each family's Config adds its own fields."""

    family: str = param(help="the GAN family (ganlab info lists them)")
    dataset: str = param(help="a dataset declared under `datasets`")
    seeds: list[int] = param(
        [0], "seeds trained together as one batched model; metrics report mean and std", ge=0, le=SEED_MAX
    )
    steps: int = param(2000, "generator updates", ge=1)
    batch_size: int = param(256, "samples per batch", ge=1, le=65_536)
    log_every: int = param(50, "steps between logged points (losses, D outputs, gradient norms)", ge=1)
    w_every: int = param(250, "steps between Wasserstein estimates during training", ge=1)
    checkpoint_every: int = param(500, "steps between checkpoints (resume after a crash or kill)", ge=1)
    snapshots: int = param(4, "evenly spaced steps at which samples are kept for figures (plus step 0)", ge=1, le=1000)
    lr_end: float = param(
        1.0, "learning rates decay linearly to this fraction of their start (1 = constant)", ge=0, le=1
    )
    ema_kimg: float = param(
        0.0,
        "the generator's weights averaged over training (Yazici et al. 2019; StyleGAN2-ADA's and R3GAN's G_ema): "
        "half-life of the exponential moving average in thousands of batch_size samples; snapshots, the saved model "
        "and every evaluation use the average (0 = off, the trained weights; StyleGAN2-ADA: 10)",
        ge=0,
    )
    ema_rampup: float = param(
        0.05,
        "ema_kimg: the half-life is at most this fraction of the samples seen so far, so that the average forgets the "
        "random start (StyleGAN2-ADA: 0.05; 0 = no ramp-up)",
        ge=0,
        le=1,
    )
    cpu_threads: int = param(0, "torch CPU threads for training (0 = the stage's, cpu.threads)", ge=0, le=1024)
    processes: int = param(
        1,
        "data-parallel processes (torchrun: one per GPU, or CPU processes); batch_size is split over them",
        ge=1,
        le=1024,
    )
    precision: Literal["fp32", "bf16"] = param(
        "fp32",
        "training arithmetic: fp32, or bf16 (each step under torch.autocast: bfloat16 matmuls and convolutions, fp32 "
        "weights, optimiser states, gradients and evaluation); pays on GPUs with bf16 tensor cores, and on CPUs with "
        "bf16 matrix units only for some families (docs/timing.md)",
    )
    compile: bool = param(
        False,
        "torch.compile every network for training (passes that a gradient penalty differentiates twice run eagerly); "
        "pays on GPUs after a compile of about a minute, rarely on CPU",
    )
    tf32: bool = param(False, "CUDA only: fp32 matmuls and convolutions on TF32 tensor cores (ignored on CPU)")
    cudnn_benchmark: bool = param(
        False,
        "CUDA only: cuDNN times its convolution algorithms on the first batches and keeps the fastest (faster, no "
        "longer bitwise reproducible; ignored on CPU)",
    )


# ---------------------------------------------------------------------------- checking


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (list, tuple):
        inner = _type_name(typing.get_args(tp)[0])
        return "a list of " + {"an integer": "integers", "a number": "numbers", "a string": "strings"}.get(
            inner, f"({inner})"
        )
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false", type(None): "null"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _check_value(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)

    def bad() -> ConfigError:  # built only when raised: the repr of a huge value costs
        return ConfigError(path, f"expected {_type_name(tp)}, got {show(value)}")

    if origin is Literal:
        if value not in typing.get_args(tp):
            raise bad()
        return value
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(tp):
            try:
                return _check_value(option, value, path)
            except ConfigError:
                pass
        raise bad()
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise bad()
        (inner,) = typing.get_args(tp)[:1]
        return [_check_value(inner, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if tp is type(None):
        if value is not None:
            raise bad()
        return None
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad()
        if not math.isfinite(value):
            raise ConfigError(path, f"expected a finite number, got {show(value)}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad()
        return value
    if not isinstance(value, tp):
        raise bad()
    return value


def _check_limits(meta: dict, value: Any, path: str) -> None:
    values = value if isinstance(value, list) else [value]
    for v in values:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            continue
        for key, ok, word in (
            ("gt", lambda a, b: a > b, ">"),
            ("ge", lambda a, b: a >= b, ">="),
            ("lt", lambda a, b: a < b, "<"),
            ("le", lambda a, b: a <= b, "<="),
        ):
            if key in meta and not ok(v, meta[key]):
                raise ConfigError(path, f"must be {word} {meta[key]}, got {show(v)}")


def build(cls: type, data: Any, path: str):
    """Make dataclass `cls` from a mapping, naming the key path of the first problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, f"expected a mapping of settings, got {show(data)}")
    fields = settable(cls)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        name = unknown[0]
        not_taken = {f.name: f for f in dataclasses.fields(cls) if not f.init}
        if name in not_taken:
            raise ConfigError(f"{path}.{name}", f"not a setting of this family: {not_taken[name].metadata['help']}")
        raise ConfigError(f"{path}.{name}", f"unknown key; allowed: {', '.join(sorted(fields))}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, f in fields.items():
        key_path = f"{path}.{name}"
        if name not in data:
            if field_default(f) is dataclasses.MISSING:
                raise ConfigError(key_path, f"required ({f.metadata.get('help', '')})")
            continue
        value = _check_value(hints[name], data[name], key_path)
        _check_limits(f.metadata, value, key_path)
        kwargs[name] = value
    obj = cls(**kwargs)
    check = getattr(obj, "check", None)
    if check is not None:
        check(path)  # cross-field rules, raising ConfigError
    return obj


def field_default(f: dataclasses.Field) -> Any:
    """A dataclass field's default value (its factory called), or dataclasses.MISSING where it has none."""
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING


def build_saved(cls: type, saved: dict, path: str):
    """`cls` from a saved asdict() (a model's config.json), which holds the `fixed` fields too: each must
    still have its fixed value (else the code changed what the model was trained with), then build."""
    fixed_fields = {f.name: f for f in dataclasses.fields(cls) if not f.init}
    for name, f in fixed_fields.items():
        now = field_default(f)
        if name in saved and saved[name] != now:
            raise ConfigError(f"{path}.{name}", f"saved as {show(saved[name])}, but the family now fixes it at {now!r}")
    return build(cls, {k: v for k, v in saved.items() if k not in fixed_fields}, path)


def help_rows(cls: type) -> list[tuple[str, str, str, str]]:
    """(name, type with its bounds, default, help) for each field: feeds the params reference, docs/params.md."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in settable(cls).values():
        default = field_default(f)
        default = "required" if default is dataclasses.MISSING else repr(default)
        limits = [
            f"{word} {f.metadata[key]:,}"
            for key, word in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))
            if key in f.metadata
        ]
        kind = _type_name(hints[f.name]) + (f" ({', '.join(limits)})" if limits else "")
        rows.append((f.name, kind, default, f.metadata.get("help", "")))
    return rows


# ---------------------------------------------------------------------------- the whole file


@dataclass
class Params:
    device: str
    evaluation: EvalConfig
    datasets: dict[str, Any]  # name -> the recipe's Config
    runs: dict[str, Any]  # name -> the family's Config
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    study: StudyConfig = field(default_factory=StudyConfig)
    cpu: CpuConfig = field(default_factory=CpuConfig)
    inception: InceptionConfig = field(default_factory=InceptionConfig)


DEVICE_HELP = "auto (CUDA if present, else CPU), cpu, cuda or cuda:N"


def resolve_device(name: str = "auto"):
    """The params' `device` -> a torch.device (torch is imported here, after validation). It
    lives beside the validation of `device`, not in the training loop, so that the classifier
    (and srgan's content net, which trains through it) need not import the loop."""
    import torch

    if check_device(name) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


SECTIONS = ("device", "evaluation", "datasets", "runs", "classifier", "study", "cpu", "inception")


def validate(raw: Any, source: str = "params.yaml", entry: tuple[str, str] | None = None) -> Params:
    """Check a params mapping; raise ConfigError naming the first bad key path.

    entry=None checks the whole file (the check stage, the report, the CLI): every family and
    recipe module is imported. entry=("runs", name) or ("datasets", name) is what a stage of one
    entry checks: the sections' form, every name, the small sections, and that entry in full (a
    run with its dataset), importing only its family and recipe modules, so that a stage depends on
    the code it uses and not on every family (ganlab.dag). The returned Params then holds that
    entry alone under runs/datasets (its dataset too for a run)."""
    if not isinstance(raw, dict):
        raise ConfigError(source, f"expected a mapping with sections {', '.join(SECTIONS)}")
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(unknown[0], f"unknown section; allowed: {', '.join(SECTIONS)}")

    device = check_device(raw.get("device", "auto"))
    evaluation = build(EvalConfig, raw.get("evaluation"), "evaluation")
    classifier = build(ClassifierConfig, raw.get("classifier"), "classifier")
    study = build(StudyConfig, raw.get("study"), "study")
    cpu = build(CpuConfig, raw.get("cpu"), "cpu")
    inception = build(InceptionConfig, raw.get("inception"), "inception")
    raw_datasets, raw_runs = _mapping(raw.get("datasets"), "datasets"), _mapping(raw.get("runs"), "runs")
    if entry is None:
        want_datasets, want_runs = list(raw_datasets), list(raw_runs)
    else:
        section, name = entry
        table = raw_datasets if section == "datasets" else raw_runs
        if name not in table:
            raise ConfigError(f"{section}.{name}", f"no such entry; {section}: {', '.join(table) or 'none'}")
        want_runs = [name] if section == "runs" else []
        run_dataset = raw_runs[name].get("dataset") if want_runs and isinstance(raw_runs[name], dict) else None
        want_datasets = [name] if section == "datasets" else [run_dataset] if run_dataset in raw_datasets else []
    datasets = {name: _dataset(raw_datasets[name], f"datasets.{name}") for name in want_datasets}
    runs = {name: _run(raw_runs[name], f"runs.{name}", datasets, raw_datasets) for name in want_runs}
    if entry is None:
        _check_inception(inception, datasets)
    return Params(
        device=device,
        evaluation=evaluation,
        datasets=datasets,
        runs=runs,
        classifier=classifier,
        study=study,
        cpu=cpu,
        inception=inception,
    )


INCEPTION_WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"
INCEPTION_WEIGHTS_URL = f"https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/{INCEPTION_WEIGHTS_FILE}"


def inception_weights_path(weights: str | None) -> Path:
    """The file the Inception weights are read from: `inception.weights`, or torch hub's cache
    ($TORCH_HOME/hub/checkpoints, ~/.cache/torch/hub/checkpoints by default: where torch-fidelity's own
    download puts them)."""
    if weights:
        return Path(weights).expanduser()
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "torch"
    )
    return Path(torch_home) / "hub" / "checkpoints" / INCEPTION_WEIGHTS_FILE


def missing_weights_message(path: Path) -> str:
    return (
        f"no Inception weights at {path}; download {INCEPTION_WEIGHTS_URL} to that path "
        "(or name another file in inception.weights, or set inception.download: true to let torch fetch it "
        "into its hub cache)"
    )


def _check_inception(inc: InceptionConfig, datasets: dict) -> None:
    """inception.datasets names declared image datasets."""
    from ganlab.data import get_recipe

    for i, name in enumerate(inc.datasets):
        if name not in datasets:
            raise ConfigError(
                f"inception.datasets[{i}]", f"no dataset {show(name)}; declared: {', '.join(datasets) or 'none'}"
            )
        kind = get_recipe(datasets[name].recipe).describe(datasets[name])["kind"]
        if kind != "images":
            raise ConfigError(f"inception.datasets[{i}]", f"{name} is {kind} data; Inception metrics score images")


def check_inception_weights(params: Params) -> None:
    """If a run asks for Inception metrics (its dataset is in inception.datasets), the weights file must be
    there, or downloading allowed: one line naming the file looked at and how to get it. The check stage
    asks this before any work (a fact of this machine, not of the params' form: validate does not)."""
    inc = params.inception
    if not inc.download and {r.dataset for r in params.runs.values()} & set(inc.datasets):
        path = inception_weights_path(inc.weights)
        if not path.is_file():
            raise ConfigError("inception.weights", missing_weights_message(path))


def _dataset(entry: Any, path: str):
    """One `datasets.<name>` entry, built with its recipe's Config (imports that recipe's module only)."""
    from ganlab.data import get_recipe, list_recipes

    if not isinstance(entry, dict) or "recipe" not in entry:
        raise ConfigError(f"{path}.recipe", f"required; allowed: {', '.join(list_recipes())}")
    recipe = entry["recipe"]
    if recipe not in list_recipes():
        raise ConfigError(f"{path}.recipe", f"unknown recipe {show(recipe)}; allowed: {', '.join(list_recipes())}")
    return build(get_recipe(recipe).Config, entry, path)


def _run(entry: Any, path: str, datasets: dict, declared: dict):
    """One `runs.<name>` entry, built with its family's Config and checked against its dataset
    (imports that family's module and the dataset's recipe module only)."""
    from ganlab.data import get_recipe
    from ganlab.families import get_family, list_families

    if not isinstance(entry, dict) or "family" not in entry:
        raise ConfigError(f"{path}.family", f"required; allowed: {', '.join(list_families())}")
    family = entry["family"]
    if family not in list_families():
        raise ConfigError(f"{path}.family", f"unknown family {show(family)}; allowed: {', '.join(list_families())}")
    cfg = build(get_family(family).Config, entry, path)
    if cfg.dataset not in declared:
        raise ConfigError(
            f"{path}.dataset",
            f"{cfg.dataset!r} is not declared under datasets; declared: {', '.join(sorted(declared)) or 'none'}",
        )
    ds = datasets[cfg.dataset]
    problem = get_family(family).check_dataset(get_recipe(ds.recipe).describe(ds), cfg)
    if problem:  # its key: the run setting at fault, or "dataset"
        raise ConfigError(f"{path}.{problem.key}", problem.message)
    if cfg.batch_size % cfg.processes:
        raise ConfigError(
            f"{path}.batch_size",
            f"{cfg.batch_size} does not split over processes: {cfg.processes} "
            f"(the batch is shared out equally); use a multiple of {cfg.processes}",
        )
    if len(set(cfg.seeds)) != len(cfg.seeds) or not cfg.seeds:
        raise ConfigError(f"{path}.seeds", f"expected a non-empty list of distinct integers, got {show(cfg.seeds)}")
    if len(cfg.seeds) > MAX_SEEDS:
        raise ConfigError(
            f"{path}.seeds",
            f"at most {MAX_SEEDS} seeds a run (each is a copy of both networks), "
            f"got {len(cfg.seeds)}; split them over runs",
        )
    return cfg


def _mapping(value: Any, path: str) -> dict:
    """A `datasets` or `runs` section: every name fits NAME_RULE, none is reserved (RESERVED,
    DEVICE_NAMES), no two differ only in case."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(path, f"expected a mapping of name -> settings, got {show(value)}")
    folded: dict[str, str] = {}
    for name in value:
        check_name(name, f"{path}.{name}" if isinstance(name, str) else path)
        if name in RESERVED.get(path, {}):
            raise ConfigError(
                f"{path}.{name}", f"the name {name!r} is reserved ({RESERVED[path][name]}); choose another"
            )
        if name.lower() in DEVICE_NAMES:
            raise ConfigError(
                f"{path}.{name}",
                f"the name {name!r} is reserved (a device name on Windows, where it "
                f"cannot be a folder); choose another",
            )
        if name.lower() in folded:
            raise ConfigError(
                f"{path}.{name}",
                f"differs from {path}.{folded[name.lower()]} only in case; on macOS and "
                f"Windows both would be one folder; names must differ in more than case",
            )
        folded[name.lower()] = name
    return value


def check_device(device: Any) -> str:
    """`device`: its form, and that what it names exists on this machine (a CUDA device asked
    for where there is none is a params error, not a traceback after work)."""
    if not isinstance(device, str) or not (
        device in ("auto", "cpu", "cuda") or (device.startswith("cuda:") and device[5:].isdigit())
    ):
        raise ConfigError("device", f"expected {DEVICE_HELP}, got {show(device)}")
    if device.startswith("cuda"):
        import torch

        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(device[5:]) if device.startswith("cuda:") else 0
        if index >= n:
            raise ConfigError(
                "device",
                f"{show(device)} asked for, but this machine has "
                f"{'no CUDA device' if n == 0 else f'{n} CUDA device(s): cuda:0..cuda:{n - 1}'}; "
                f"allowed here: auto, cpu{'' if n == 0 else ', cuda'}",
            )
    return device


def load(path: str | Path = "params.yaml") -> Params:
    return validate(read_yaml(path), str(path))


def overlay(base: Any, over: Any) -> Any:
    """A profile over params: mappings merge key by key, every other value replaces."""
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: overlay(base.get(k), v) for k, v in over.items()}}
    return over


def load_or_exit(path: str | Path = "params.yaml") -> Params:
    """For the CLI: on a params problem print one line and exit with status 2. Pins torch's CPU
    kernels as the file says (`cpu.pinned`) when torch has not loaded yet, as the stages do, so
    that `ganlab sample` draws what evaluate@ scored."""
    try:
        raw = read_yaml(path)
        if "torch" not in sys.modules:
            pin(raw)
        return validate(raw, str(path))
    except ConfigError as err:
        fail(str(err))


def fail(message: str) -> None:
    """For stage scripts and the CLI: one line on stderr, exit status 2."""
    print(f"ganlab: params error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _file_error_hook(kind, err, tb) -> None:
    """Stage scripts: a missing or corrupt input (ganlab.io.FileError, whose message names the
    file and the `dvc repro` that rebuilds it) is one line on stderr, not a traceback; Python
    then exits with status 1. Everything else keeps its traceback."""
    from ganlab.io import FileError

    if issubclass(kind, FileError):
        print(f"ganlab: {err}", file=sys.stderr)
    else:
        sys.__excepthook__(kind, err, tb)


_FROZEN: tuple[Path, str, str | None, dict[str, Any]] | None = None  # stage_start -> params_unchanged
RAW: dict | None = None  # the params file as stage_start read and validated it (check stamps from it)

# The params each stage reads ({name}: its entry). The check stage writes an entry stage's values
# into that entry's code stamp (reports/code/<stage>/<entry>.json, ganlab.dag), on which the stage
# depends: dvc.lock records the stamp's hash, and only check parses params.yaml for dvc (one whole-
# file params dep), which keeps a no-op `dvc status` from reading the file once per stage. The
# report, which reads every run, lists its keys in dvc.yaml.
STAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "check": (),
    "prepare": ("cpu", "datasets.{name}"),
    "classifier": ("cpu", "device", "classifier", "inception"),
    "train": ("cpu", "device", "runs.{name}"),
    "evaluate": ("cpu", "evaluation", "inception"),
    "study": ("cpu", "study", "evaluation"),
    "report": ("datasets", "runs"),
}


def pin(raw: Any) -> None:
    """Pin torch's CPU kernels and thread count as the file's `cpu` section says (ganlab.pinning),
    before validation, which may load torch with a family's module. A malformed value pins with the
    defaults, and validation then refuses it."""
    from ganlab import pinning

    cpu = raw.get("cpu") if isinstance(raw, dict) else None
    cpu = cpu if isinstance(cpu, dict) else {}
    threads = cpu.get("threads", 2)
    threads = threads if isinstance(threads, int) and not isinstance(threads, bool) and 0 <= threads <= 1024 else 2
    pinning.apply(cpu.get("pinned") is not False, threads)


def stage_params(raw: Any, stage: str, name: str | None) -> dict[str, Any]:
    """{"runs.gan-ring": {...}, "device": "cpu"}: the raw values (as dvc reads them) of what `stage`
    reads for entry `name`; None where absent."""
    return {key.format(name=name): _lookup(raw, key, name) for key in STAGE_PARAMS[stage]}


def _lookup(raw: Any, key: str, name: str | None) -> Any:
    """raw["runs"]["gan-ring"] for key "runs.{name}" (names hold no dots); None where absent."""
    node = raw
    for part in key.format(name=name).split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _name_from_dvc(section: str) -> str:
    """The entry a dvc stage runs for, from dvc's DVC_STAGE (`<stage>@<name>`): dvc.yaml's commands
    carry no ${key}, so no name ever reaches a shell, whatever a params file holds."""
    stage = Path(sys.argv[0]).stem
    kind, at, name = os.environ.get("DVC_STAGE", "").rpartition(":")[2].partition("@")
    if not at or kind != stage:
        fail(
            f"{section}: which entry? give its name (python stages/{stage}.py <name>) or run the stage "
            f"through dvc (`dvc repro {stage}@<name>`)"
        )
    return name


def stage_start(doc: str, section: str | None, stage: str):
    """The shared start of every stage script: parse `[<name>] [--params FILE]` (no name: dvc's
    DVC_STAGE names it), validate what the stage uses (validate's `entry`: that entry in full, the
    rest of the file in form; the check stage validates all of it before any other) and look the
    name up in `section` (exit 2 on a problem); from here on a bad input file ends the stage with one line
    (_file_error_hook).
    `stage`: the stage's name; its params (STAGE_PARAMS) are frozen: under dvc, an entry stage stops
    if they differ from its code stamp's (params.yaml changed after check ran: dvc would record
    the stamp, not what the stage ran with), and params_unchanged() stops it if they change while
    it runs.
    Returns (params, name, entry); name and entry are None when section is None."""
    import argparse

    global _FROZEN, RAW
    sys.excepthook = _file_error_hook
    ap = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    if section:
        ap.add_argument(
            "name", nargs="?", help=f"a key of `{section}` in the params file (default: the one dvc's DVC_STAGE names)"
        )
    ap.add_argument("--params", default="params.yaml")
    args = ap.parse_args()
    name = (args.name if args.name is not None else _name_from_dvc(section)) if section else None
    try:
        raw = read_yaml(args.params)
        pin(raw)
        params = validate(raw, args.params, entry=(section, name) if section else None)
    except ConfigError as err:
        fail(str(err))
    _FROZEN = (Path(args.params), stage, name, stage_params(raw, stage, name))
    RAW = raw
    if section and os.environ.get("DVC_STAGE"):
        _matches_stamp(stage, name, _FROZEN[3], args.params)
    if not section:
        return params, None, None
    entries = getattr(params, section)
    return params, name, entries[name]


def params_unchanged() -> None:
    """Exit 2 if a params key that this stage reads (STAGE_PARAMS) changed since the stage began.
    The report's keys are dvc params, which dvc reads for dvc.lock only after the command ends: a
    stage that went on would let dvc record values it did not run with (and call the result up to
    date). The entry stages' values reach dvc.lock through their code stamp, which only check
    rewrites; they stop all the same, so that what a run wrote is never older than the file.
    A stage that fails is not recorded; `dvc repro` then runs it again with the new values.
    train@ calls this before it writes anything; the short stages after they write."""
    if _FROZEN is None:
        return
    path, stage, name, before = _FROZEN
    where = os.environ.get("DVC_STAGE") or Path(sys.argv[0]).stem + (f"@{name}" if name else "")
    try:
        raw = read_yaml(path)
    except ConfigError as err:
        fail(f"{path} changed while {where} ran and is no longer valid ({err}); dvc records nothing of this run")
    for key, now in stage_params(raw, stage, name).items():
        if now != before[key]:
            fail(
                f"{key} changed in {path} while {where} ran (it started with {show(before[key])}, "
                f"the file now says {show(now)}); dvc records nothing of this run: `dvc repro` runs it again"
            )


def current_stamp(stage: str, section: str) -> tuple[str, dict] | None:
    """(entry, its code stamp) when dvc runs the stage (DVC_STAGE, no arguments) and params.yaml
    still says what check validated and stamped: the stage's params and the stamp's plan inputs
    (ganlab.dag.study_plan). A stage may then act on the stamp without validating the file again
    (which loads the run's family and torch); None otherwise, and the stage starts in full."""
    import json

    if len(sys.argv) != 1 or not os.environ.get("DVC_STAGE"):
        return None
    kind, at, name = os.environ["DVC_STAGE"].rpartition(":")[2].partition("@")
    if kind != stage or not at:
        return None
    try:
        check_name(name, section)
        stamp = json.loads(stamp_path(stage, name).read_text())
        raw = read_yaml("params.yaml")
    except (OSError, ValueError, ConfigError):
        return None
    if not isinstance(raw, dict):  # the full start says what is wrong, in one line
        return None
    want = {
        **stage_params(raw, stage, name),
        **{k: _lookup(raw, k, None) for k in stamp.get("plan", {}).get("inputs", {})},
    }
    have = {**stamp.get("params", {}), **stamp.get("plan", {}).get("inputs", {})}
    if want != have or not isinstance(raw.get(section), dict) or name not in raw[section]:
        return None
    global _FROZEN, RAW
    sys.excepthook = _file_error_hook
    pin(raw)
    _FROZEN, RAW = (Path("params.yaml"), stage, name, stage_params(raw, stage, name)), raw
    return name, stamp


def stamp_path(stage: str, name: str) -> Path:
    """An entry stage's code stamp (written by check, ganlab.dag): reports/code/<stage>/<entry>.json."""
    return Path("reports/code") / stage / f"{name}.json"


def _matches_stamp(stage: str, name: str, values: dict[str, Any], source: str) -> None:
    """Under dvc: exit 2 unless the stage's params equal those check wrote into its code stamp
    (dvc.lock records the stamp; a stage run on other values would be recorded as the stamp's)."""
    import json

    path = stamp_path(stage, name)
    try:
        recorded = json.loads(path.read_text())["params"]
    except (OSError, ValueError, KeyError, TypeError):
        fail(f"{path} is missing or unreadable: it is written by the check stage (`dvc repro` runs it first)")
    for key, now in values.items():
        if key not in recorded or recorded[key] != now:
            fail(
                f"{key} in {source} ({show(now)}) is not what check recorded in {path} "
                f"({show(recorded.get(key))}): {source} changed after check ran; `dvc repro` runs check first"
            )


if __name__ == "__main__":  # python -m ganlab.config --markdown: the params reference (docs/params.md)
    from ganlab.data import get_recipe, list_recipes
    from ganlab.families import get_family, list_families

    def table(cls: type, title: str, skip: tuple = ()) -> str:
        lines = [f"**{title}**", "", "| key | type | default | meaning |", "|---|---|---|---|"]
        lines += [f"| `{n}` | {t} | `{d}` | {h} |" for n, t, d, h in help_rows(cls) if n not in skip]
        why: dict[str, list[str]] = {}  # the options the family does not take, grouped by reason
        for f in (f for f in dataclasses.fields(cls) if not f.init):
            why.setdefault(f.metadata["help"], []).append(f"`{f.name}`")
        if why:
            groups = [f"{', '.join(names)} ({reason})" for reason, names in why.items()]
            lines += ["", "Not taken (setting one is an error): " + "; ".join(groups) + "."]
        return "\n".join(lines) + "\n"

    out = [
        f"**`device`**: {DEVICE_HELP}.\n",
        table(EvalConfig, "`evaluation`"),
        table(ClassifierConfig, "`classifier` (optional; the evaluation classifier of every image dataset)"),
        table(StudyConfig, "`study` (optional; the latent-space studies of study@<run>)"),
        table(CpuConfig, "`cpu` (optional; how torch computes on the CPU in every stage, ganlab.pinning)"),
        table(InceptionConfig, "`inception` (optional; Inception FID/KID/IS through torch-fidelity, docs/metrics.md)"),
        table(RunConfig, "`runs.<name>` (every family)"),
    ]
    common = {f.name for f in dataclasses.fields(RunConfig)}
    for fam in list_families():
        out.append(table(get_family(fam).Config, f"`runs.<name>` with `family: {fam}`", skip=tuple(common)))
    for rec in list_recipes():
        out.append(table(get_recipe(rec).Config, f"`datasets.<name>` with `recipe: {rec}`"))
    print("\n".join(out))
