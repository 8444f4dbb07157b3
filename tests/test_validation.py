"""Validation finishes the job: names are data, bad values stop before any work.

Every case: one line on stderr naming the key path and what is allowed, exit status 2, and
nothing on disk touched (the stage that would run first, prepare@, is run on the bad file
after a good build, and every file under data/ is compared byte for byte).
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest
import torch
import yaml
from conftest import run_stage

from ganlab import config
from ganlab.config import ConfigError, validate
from ganlab.families import get_family, list_families

BAD_NAMES = [
    "x;rm${IFS}-rf${IFS}models",
    "gan ring",
    "gan-ring.v2",
    "a..b",
    "a<b",
    "a&b",
    "a$b",
    "a'b",
    'a"b',
    "a\nb",
    "-flag",
    "_x",
    "",
    "a/b",
    "x" * 65,
]


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("section", ["runs", "datasets"])
def test_bad_names_are_rejected_with_the_rule(tiny_params, section, name):
    entries = tiny_params[section]
    first = next(iter(entries))
    entries[name] = entries.pop(first)
    if section == "datasets":  # keep the runs pointing at it, so only the name is wrong
        for run in tiny_params["runs"].values():
            if run["dataset"] == first:
                run["dataset"] = name
    with pytest.raises(ConfigError) as err:
        validate(tiny_params)
    msg = str(err.value)
    assert msg.startswith(f"{section}.") and "names must match [A-Za-z0-9][A-Za-z0-9_-]*" in msg
    assert repr(name) in msg


def test_every_default_name_fits_the_rule():
    p = config.load(Path(__file__).resolve().parents[1] / "params.yaml")
    for name in [*p.datasets, *p.runs]:
        assert config._NAME.fullmatch(name), name


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for sub in ("data", "models", "reports")
        if (root / sub).exists()
        for p in sorted((root / sub).rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The tiny project with a dataset prepared: something on disk to lose. Each test writes
    its own params.yaml (from TINY) before it runs a stage."""
    import shutil

    from conftest import ROOT, TINY

    root = tmp_path_factory.mktemp("validation")
    for name in ("src", "stages"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "params.yaml").write_text(yaml.safe_dump(TINY, sort_keys=False))
    run_stage(root, "stages/prepare.py", "ring8")
    return root


def _set(params: dict, path: str, value) -> None:
    *keys, last = path.split("|")
    node = params
    for k in keys:
        node = node[k]
    node[last] = value


# (key path, value, what the one-line message must say). Paths use | so names may hold dots.
BAD_VALUES = [
    ("datasets|ring8|std", math.inf, r"datasets.ring8.std: expected a finite number, got inf"),
    ("datasets|ring8|std", math.nan, r"datasets.ring8.std: expected a finite number, got nan"),
    (
        "datasets|mix",
        {"recipe": "mixture", "centres": [[0.0, math.nan], [1.0, 1.0]]},
        r"datasets.mix.centres[0][1]: expected a finite number, got nan",
    ),
    ("runs|gan-ring|lr_g", math.inf, r"runs.gan-ring.lr_g: expected a finite number, got inf"),
    ("runs|gan-ring|seeds", [-1], r"runs.gan-ring.seeds: must be >= 0, got -1"),
    ("runs|gan-ring|seeds", [2**64], r"runs.gan-ring.seeds: must be <= 2147483647, got 18446744073709551616"),
    ("evaluation|seed", 2**40, r"evaluation.seed: must be <= 2147483647"),
    (
        "runs|x;rm${IFS}-rf${IFS}data",
        {"family": "gan", "dataset": "ring8"},
        r"runs.x;rm${IFS}-rf${IFS}data: bad name 'x;rm${IFS}-rf${IFS}data'; names must match",
    ),
    (
        "datasets|glyphs12",
        {"recipe": "glyphs", "image_size": 12},
        r"runs.dc.dataset: family dcgan needs square images of side 4 * 2^k >= 8 (8, 16, 32, ...), got 12x12",
    ),
]


@pytest.mark.parametrize("path,value,message", BAD_VALUES, ids=[b[0] + "=" + repr(b[1])[:20] for b in BAD_VALUES])
def test_bad_values_exit_2_with_one_line_and_touch_nothing(built, tiny_params, path, value, message):
    _set(tiny_params, path, value)
    if path == "datasets|glyphs12":
        tiny_params["runs"]["dc"] = {"family": "dcgan", "dataset": "glyphs12"}
    if path == "datasets|mix":
        tiny_params["runs"]["gan-mix"] = {"family": "gan", "dataset": "mix"}
    before = snapshot(built)
    (built / "params.yaml").write_text(yaml.safe_dump(tiny_params, sort_keys=False))
    # check validates the whole file (every other stage follows it); an entry's stage its own entry
    stages = [("stages/check.py",)] + ([("stages/prepare.py", "ring8")] if "ring8" in path else [])
    for stage in stages:
        proc = run_stage(built, *stage, check=False)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ganlab: params error: "), proc.stderr
        assert message in lines[0], lines[0]
        assert snapshot(built) == before


def test_duplicate_keys_are_rejected_with_their_line(built, tiny_params):
    text = yaml.safe_dump(tiny_params, sort_keys=False)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("steps: 40"))
    lines.insert(at + 1, lines[at].replace("40", "4000"))  # gan-ring's steps twice
    (built / "params.yaml").write_text("\n".join(lines) + "\n")
    before = snapshot(built)
    proc = run_stage(built, "stages/prepare.py", "ring8", check=False)
    assert proc.returncode == 2
    assert f"line {at + 2}: key 'steps' is given twice in one mapping (first on line {at + 1})" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(built) == before


def test_floats_without_a_dot_are_numbers(tmp_path, tiny_params):
    text = yaml.safe_dump(tiny_params, sort_keys=False).replace(
        "steps: 40\n", "steps: 40\n    lr_g: 4e-3\n    lr_d: 1E-4\n"
    )
    (tmp_path / "params.yaml").write_text(text)
    p = config.load(tmp_path / "params.yaml")
    assert p.runs["gan-ring"].lr_g == 0.004 and p.runs["gan-ring"].lr_d == 1e-4
    # what PyYAML alone makes of it: a string, not a number
    assert yaml.safe_load("lr_g: 4e-3")["lr_g"] == "4e-3"
    assert config.read_yaml(tmp_path / "params.yaml")["runs"]["gan-ring"]["lr_g"] == 0.004


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_without_cuda_is_a_params_error(built, tiny_params, device):
    tiny_params["device"] = device
    (built / "params.yaml").write_text(yaml.safe_dump(tiny_params, sort_keys=False))
    before = snapshot(built)
    proc = run_stage(built, "stages/prepare.py", "ring8", check=False)
    assert proc.returncode == 2
    assert f"device: {device!r} asked for, but this machine has no CUDA device; allowed here: auto, cpu" in proc.stderr
    assert snapshot(built) == before


# ------------------------------------------------------------------ image sizes, asked of the family


def _meta(fam, side: int) -> dict:
    base = {"kind": "images", "dim": side * side, "classes": 10}
    if fam.translation:
        if fam.translation == "paired":
            inner = max(side // 4, 1) if fam.name == "srgan" else side
            return {**base, "shape": [1, side, side], "input_shape": [1, inner, inner], "pairing": "paired"}
        return {**base, "shape": [3, side, side], "a_shape": [3, side, side], "pairing": "unpaired"}
    return {**base, "shape": [1, side, side]}


def _variants(name: str) -> list[dict]:
    # narrow networks: the sizes a family takes do not depend on its width
    extra = {
        "srgan": {"content": "pixel", "width": 4},
        "progan": {"phase_steps": 1, "fade_steps": 1, "steps": 20},
        "cyclegan": {"width": 4, "n_blocks": 1},
        "pix2pix": {"width": 4},
    }.get(name, {})
    more = {"pix2pix": [{"d_layers": 2}], "cyclegan": [{"d_layers": 2, "n_down": 2}]}.get(name, [])
    return [extra] + [{**extra, **m} for m in more]


@pytest.mark.parametrize("family", list_families())
def test_check_dataset_says_exactly_which_image_sizes_train(family):
    """The family's answer before any work equals what its networks do: for every side in the
    list, check_dataset is None exactly when one training step runs."""
    from ganlab.config import build
    from ganlab.families.base import RealBatches
    from ganlab.nn.seeded import SeedRNG

    fam = get_family(family)
    torch.manual_seed(0)
    for extra in _variants(family):
        cfg = build(fam.Config, {"family": family, "dataset": "d", "seeds": [0], "batch_size": 4, **extra}, "r")
        for side in (4, 6, 8, 12, 16, 20, 24):
            meta = _meta(fam, side)
            why = fam.check_dataset(meta, cfg)
            if why and "trains on" in why.message:  # not image data of this kind at all
                continue
            try:
                model = fam(cfg, meta, torch.device("cpu"))
                rng = SeedRNG([0], torch.device("cpu"))
                u8 = lambda shape: torch.randint(0, 256, (8, *shape), dtype=torch.uint8)
                batches = RealBatches(
                    u8(meta["shape"]),
                    torch.randint(0, 10, (8,)),
                    rng,
                    inputs=u8(meta["input_shape"]) if "input_shape" in meta else None,
                    domain_a=u8(meta["a_shape"]) if "a_shape" in meta else None,
                )
                model.train_step(batches, rng)
                trains = None
            except Exception as err:  # any failure: the sizes are not usable
                trains = f"{type(err).__name__}: {err}"
            assert (why is None) == (trains is None), (family, extra, side, why, trains)


def test_glyphs_12_with_dcgan_is_rejected_before_prepare(built, tiny_params):
    tiny_params["datasets"]["glyphs12"] = {"recipe": "glyphs", "image_size": 12, "n_train": 200, "n_test": 100}
    tiny_params["runs"]["dc"] = {"family": "dcgan", "dataset": "glyphs12"}
    (built / "params.yaml").write_text(yaml.safe_dump(tiny_params, sort_keys=False))
    proc = run_stage(built, "stages/check.py", check=False)  # what dvc runs before any prepare@
    assert proc.returncode == 2 and "runs.dc.dataset: family dcgan needs square images" in proc.stderr
    for stage in (("prepare.py", "glyphs12"), ("train.py", "dc")):  # and the run's own stages
        proc = run_stage(built, f"stages/{stage[0]}", stage[1], check=False)
        if stage[0] == "train.py":
            assert proc.returncode == 2 and "runs.dc.dataset: family dcgan needs square images" in proc.stderr
    assert not (built / "models" / "dc").exists()


@pytest.mark.parametrize("path,value,message", BAD_VALUES, ids=[b[0] + "=" + repr(b[1])[:20] for b in BAD_VALUES])
def test_config_errors_are_structured(tiny_params, path, value, message):
    """Every validation answer carries its key path and its message as two fields (shown as
    `key: message`), and keeps both when pickled: nobody parses the text back."""
    import pickle

    _set(tiny_params, path, value)
    if path == "datasets|glyphs12":
        tiny_params["runs"]["dc"] = {"family": "dcgan", "dataset": "glyphs12"}
    with pytest.raises(ConfigError) as caught:
        validate(tiny_params)
    err = caught.value
    want_key, want_message = message.split(": ", 1)
    assert err.key == want_key
    assert err.message.startswith(want_message)
    assert str(err) == f"{err.key}: {err.message}"
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), again.key, again.message) == (ConfigError, err.key, err.message)
