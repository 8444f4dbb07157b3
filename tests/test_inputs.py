"""Inputs that changed or lie: a checkpoint resumes only on identical inputs (params,
data, code); bad images, 16-bit images and downloads outside the repository in image recipes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import torch
import yaml
from conftest import ROOT, TINY, run_stage


def tree_hashes(root: Path, *subs: str) -> dict[str, str]:
    """sha256 of every file under root/<sub> (data/, models/, reports/ by default), by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for sub in (subs or ("data", "models", "reports"))
        for p in sorted((root / sub).rglob("*"))
        if p.is_file()
    }


def results(root: Path, run: str = "gan-ring") -> dict[str, str]:
    """What train@<run> computed: models/<run>/ and its dvclive log (not train_time.json: wall seconds)."""
    return tree_hashes(root, f"models/{run}", f"reports/runs/{run}/train")


def write_params(root: Path, params: dict) -> None:
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


# ---------------------------------------------------------------------------- resume only on identical inputs


@pytest.fixture(scope="module")
def clean_runs(tmp_path_factory) -> dict[str, dict[str, str]]:
    """gan-ring (40 steps, a checkpoint every 10) trained uninterrupted on ring8 with seed 0 and seed 1."""
    out = {}
    for seed in (0, 1):
        root = tmp_path_factory.mktemp(f"clean{seed}")
        for name in ("src", "stages"):
            shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        params = yaml.safe_load(yaml.safe_dump(TINY))
        params["datasets"]["ring8"]["seed"] = seed
        write_params(root, params)
        run_stage(root, "stages/prepare.py", "ring8")
        run_stage(root, "stages/train.py", "gan-ring")
        out[seed] = results(root)
    assert out[0] != out[1]  # the data seed matters: the resume test below can tell them apart
    return out


def kill_at_step_25(project: Path, monkeypatch) -> None:
    """train@gan-ring SIGKILLed at step 25 (GANLAB_FAULT): the checkpoint on disk is step 20's."""
    monkeypatch.setenv("GANLAB_FAULT", "kill:0:25")
    assert run_stage(project, "stages/train.py", "gan-ring", check=False).returncode != 0
    monkeypatch.delenv("GANLAB_FAULT")
    assert torch.load(project / "checkpoints/gan-ring/ckpt.pt", weights_only=True)["step"] == 20


@pytest.mark.parametrize("change", ["same data again", "other data", "code"])
def test_resume_only_on_identical_inputs(project, tiny_params, clean_runs, monkeypatch, change):
    """Kill train@gan-ring mid-way, change an input, rerun: a checkpoint resumes only if the run's
    params, its dataset's content and the code are those it was saved with; otherwise the run
    starts from step 0, says which input differs, and ends bit-identical to a clean run on the new
    inputs (before the key covered data, it resumed onto the new data and ended elsewhere)."""
    run_stage(project, "stages/prepare.py", "ring8")
    kill_at_step_25(project, monkeypatch)
    if change == "same data again":  # re-prepared, identical bytes: still the same input
        run_stage(project, "stages/prepare.py", "ring8")
    elif change == "other data":
        tiny_params["datasets"]["ring8"]["seed"] = 1
        write_params(project, tiny_params)
        run_stage(project, "stages/prepare.py", "ring8")
    elif change == "code":  # any edit of the ganlab sources, here a comment
        with open(project / "src/ganlab/losses.py", "a") as f:
            f.write("# an edit\n")
    data_before = tree_hashes(project, "data")
    proc = run_stage(project, "stages/train.py", "gan-ring")
    resumed = change == "same data again"  # kill and rerun alone: tests/test_training.py
    notes = [line for line in proc.stderr.splitlines() if "checkpoint" in line]
    if resumed:
        assert notes == ["[gan-ring] resuming from checkpoint at step 20 of 40"], proc.stderr
    else:
        what = {
            "other data": "data; starting from step 0 (data/ring8 holds other data than when it was saved)",
            "code": "code; starting from step 0 (the ganlab sources or the torch/numpy version changed since)",
        }[change]
        assert notes == [f"[gan-ring] checkpoint is for other {what}"], proc.stderr
    timing = yaml.safe_load((project / "reports/runs/gan-ring/train_time.json").read_text())
    assert timing["resumed_from_step"] == (20 if resumed else None)
    assert results(project) == clean_runs[1 if change == "other data" else 0]
    assert tree_hashes(project, "data") == data_before
    assert not (project / "checkpoints/gan-ring").exists()


# ---------------------------------------------------------------------------- image folders: bad and 16-bit images


def png_header(path: Path, width: int, height: int) -> None:
    """A PNG that claims width x height pixels (IHDR) and holds none: what a decompression bomb
    looks like to Pillow, which checks the size when it opens the file."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def image_folder(root: Path, classes=("a", "b"), n: int = 3, seed: int = 0) -> Path:
    """root/imgs/<class>/<i>.png: n noisy 8x8 RGB images per class (noise: they compress badly, so
    a cut file is cut inside its pixel data)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    for c in classes:
        (root / "imgs" / c).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(root / "imgs" / c / f"{i}.png")
    return root / "imgs"


def with_images(project: Path, params: dict, **entry) -> None:
    params["datasets"]["imgs"] = {"recipe": "image_folder", "path": "imgs", "image_size": 8, **entry}
    write_params(project, params)


def spoil(folder: Path, how: str) -> Path:
    """Put one bad image into class a; return its path relative to the project (as prepare names it)."""
    import numpy as np
    from PIL import Image

    bad = (
        folder
        / "a"
        / {
            "truncated png": "cut.png",
            "truncated jpeg": "cut.jpg",
            "empty": "empty.png",
            "bomb": "bomb.png",
            "bomb warning": "big.png",
            "32-bit": "deep.tif",
        }[how]
    )
    if how.startswith("truncated"):
        Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(bad)
        bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    elif how == "empty":
        bad.write_bytes(b"")
    elif how == "bomb":  # 4e8 pixels: over twice Image.MAX_IMAGE_PIXELS (DecompressionBombError)
        png_header(bad, 20_000, 20_000)
    elif how == "bomb warning":  # 1e8 pixels: between 1x and 2x the limit (Pillow only warns)
        png_header(bad, 10_000, 10_000)
    else:
        Image.fromarray(np.full((8, 8), 70_000, np.int32), "I").save(bad)
    return bad.relative_to(folder.parent)


@pytest.mark.parametrize(
    "how, message",
    [
        ("truncated png", r"not a readable image \(OSError: image file is truncated\); replace it or delete it"),
        ("truncated jpeg", r"not a readable image \(OSError: image file is truncated.*\); replace it or delete it"),
        ("empty", r"empty file \(0 bytes\); replace it with the image or delete it"),
        (
            "bomb",
            r"Image size \(400000000 pixels\) exceeds limit of 178956970 pixels, could be decompression bomb DOS "
            r"attack \(Pillow's decompression-bomb guard\); shrink the image \(prepare resizes it to image_size "
            r"anyway\) or delete it",
        ),
        ("bomb warning", r"Image size \(100000000 pixels\) exceeds limit of 89478485 pixels, .* or delete it"),
        (
            "32-bit",
            r"I pixels \(32-bit integers\), which have no agreed 0\.\.255 range; save it with 8 or 16 bits per "
            r"sample, or delete it",
        ),
    ],
)
def test_a_bad_image_stops_prepare_with_one_line(project, tiny_params, how, message):
    """prepare@ on an image folder holding one bad file: one line naming the file and what to do,
    exit 1, no traceback; the dataset prepared before is unchanged."""
    import re

    folder = image_folder(project)
    with_images(project, tiny_params)
    run_stage(project, "stages/prepare.py", "imgs")
    before = tree_hashes(project)
    bad = spoil(folder, how)
    proc = run_stage(project, "stages/prepare.py", "imgs", check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(f"ganlab: image_folder: {re.escape(str(bad))}: {message}", lines[0]), lines
    assert tree_hashes(project) == before


def test_16_bit_pngs_are_scaled_not_saturated(tmp_path):
    """16-bit grayscale PNGs (Pillow mode I;16): 0..65535 maps to 0..255, rounded; before, every
    value above 255 became white."""
    import numpy as np
    from PIL import Image

    from ganlab import data
    from ganlab.config import validate

    values = {
        "dark": np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000,  # 0 .. 63,000
        "light": 65535 - np.arange(64, dtype=np.uint16).reshape(8, 8) * 257,
    }  # 65,535 .. 49,344
    for name, v in values.items():
        (tmp_path / name).mkdir()
        for i in range(2):
            Image.fromarray(v).save(tmp_path / name / f"{i}.png")
            assert Image.open(tmp_path / name / f"{i}.png").mode == "I;16"
    scaled = {k: np.floor(v.astype(np.float64) * 255 / 65535 + 0.5).astype(np.uint8) for k, v in values.items()}
    assert scaled["dark"].ravel()[:4].tolist() == [0, 4, 8, 12] and scaled["dark"].max() == 245
    assert scaled["light"].ravel()[:3].tolist() == [255, 254, 253] and scaled["light"].min() == 192
    for channels in (1, 3):
        cfg = validate(
            {
                "datasets": {
                    "d": {
                        "recipe": "image_folder",
                        "path": str(tmp_path),
                        "image_size": 8,
                        "channels": channels,
                        "test_fraction": 0.5,
                    }
                },
                "runs": {},
            }
        ).datasets["d"]
        arrays, meta = data.get_recipe("image_folder").make(cfg)
        for split in ("train", "test"):
            for x, y in zip(arrays[split], arrays[f"{split}_labels"]):
                assert x.shape == (channels, 8, 8)
                for c in range(channels):
                    np.testing.assert_array_equal(x[c], scaled[meta["class_names"][y]])


# ---------------------------------------------------------------------------- downloads stay inside the repository


@pytest.mark.parametrize("recipe", ["mnist", "fashion_mnist", "cifar10"])
def test_downloads_stay_inside_the_repository(tmp_path, monkeypatch, recipe):
    """download: true with a root outside the repository (where stages run) is refused at
    validation, naming datasets.<name>.root; reading files already outside stays allowed."""
    from ganlab.config import ConfigError, validate

    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)

    def check(root, **entry):
        return validate({"datasets": {"d": {"recipe": recipe, "root": root, **entry}}, "runs": {}}).datasets["d"]

    for root in ("../../..", "/srv/elsewhere", "downloads/../../x"):
        with pytest.raises(
            ConfigError,
            match=rf"^datasets\.d\.root: '{re_escape(root)}' is outside the repository "
            rf"\({re_escape(str(repo))}\), and download is true: downloads stay inside",
        ):
            check(root)
        assert check(root, download=False).root == root  # reading from outside: allowed
        if recipe != "cifar10":
            assert check(root, files="idx").root == root  # idx files are never downloaded
    for root in ("downloads", "data/../downloads", str(repo / "raw"), "."):
        assert check(root).root == root


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_check_stops_a_download_outside_the_repository(project, tiny_params):
    """Through the check stage, as `dvc repro` runs it first: exit 2, one line, nothing written."""
    tiny_params["datasets"]["mnist"] = {"recipe": "mnist", "root": "../../..", "download": True}
    write_params(project, tiny_params)
    proc = run_stage(project, "stages/check.py", check=False)
    assert proc.returncode == 2 and proc.stderr.startswith(
        "ganlab: params error: datasets.mnist.root: '../../..' is outside the repository"
    ), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (project / "reports").exists() and not (project / "data").exists()


# ---------------------------------------------------------------------------- the files a dataset reads are a dependenc


def test_fingerprint_follows_content_not_times(tmp_path, monkeypatch):
    """ganlab.data.fingerprint of an mnist IDX root: changes with a file's bytes, not with its time;
    a generated recipe has none; files whose size, time and inode are known are not read again."""
    import os

    from ganlab import data, io
    from ganlab.config import validate

    root = tmp_path / "mnist"
    root.mkdir()
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (root / name).write_bytes(name.encode())

    def cfg(recipe):
        entry = (
            {"recipe": "mnist", "files": "idx", "root": str(root), "train_from_test": True}
            if recipe == "mnist"
            else {"recipe": recipe}
        )
        return validate({"datasets": {"d": entry}, "runs": {}}).datasets["d"]

    assert data.fingerprint(cfg("ring")) == ({"recipe": "ring", "sources": []}, {})
    first, stats = data.fingerprint(cfg("mnist"))
    assert [(Path(s["path"]).name, s["exists"], s["files"]) for s in first["sources"]] == [
        ("t10k-images-idx3-ubyte.gz", False, 0),
        ("t10k-images-idx3-ubyte", True, 1),
        ("t10k-labels-idx1-ubyte.gz", False, 0),
        ("t10k-labels-idx1-ubyte", True, 1),
    ]
    os.utime(root / "t10k-images-idx3-ubyte", ns=(1, 1))  # touched: same content
    reads = []
    monkeypatch.setattr(io, "sha256", lambda p, real=io.sha256: reads.append(Path(p).name) or real(p))
    again, stats = data.fingerprint(cfg("mnist"), stats)
    assert again == first and reads == ["t10k-images-idx3-ubyte"]  # only the touched file read
    (root / "t10k-labels-idx1-ubyte").write_bytes(b"other labels")
    changed, _ = data.fingerprint(cfg("mnist"), stats)
    assert (
        changed["sources"][3]["sha256"] != first["sources"][3]["sha256"]
        and changed["sources"][:3] == first["sources"][:3]
    )


SOURCES_PARAMS = {
    "device": "cpu",
    "evaluation": {"n_samples": 100, "sliced_projections": 16},
    "classifier": {"epochs": 1, "min_steps": 0, "batch_size": 16},
    "study": {},
    "datasets": {
        "ring8": {"recipe": "ring", "n_train": 200, "n_test": 100},
        "imgs": {"recipe": "image_folder", "path": "imgs", "image_size": 8, "test_fraction": 0.34},
    },
    "runs": {
        "gan-ring": {
            "family": "gan",
            "dataset": "ring8",
            "seeds": [0],
            "steps": 2,
            "batch_size": 16,
            "g_hidden": [4],
            "d_hidden": [4],
            "log_every": 1,
            "w_every": 2,
            "snapshots": 2,
        }
    },
}


def stale(root: Path) -> set[str]:
    import json

    from conftest import sh

    return set(json.loads(sh(root, "dvc", "status", "--json").stdout or "{}"))


@pytest.mark.skipif(shutil.which("dvc") is None, reason="dvc is not installed")
def test_image_folder_contents_are_a_dependency(tmp_path):
    """Adding a class folder and deleting an image make prepare@imgs (and only it) stale once
    check has run (`dvc repro -f check`, as dvc.yaml and the README say: dvc cannot see a folder
    outside the pipeline), and `dvc repro` rebuilds data/imgs from the folder; an image rewritten with
    the same bytes changes nothing. Without check's reports/sources/imgs.json dvc would call everything up to
    date and data/imgs would stay stale."""
    import json

    from conftest import make_repo, sh

    image_folder(tmp_path)
    root = make_repo(tmp_path, SOURCES_PARAMS)
    assert stale(root) == set()
    assert json.loads((root / "reports/sources/ring8.json").read_text()) == {"recipe": "ring", "sources": []}

    same = root / "imgs/a/0.png"
    same.write_bytes(same.read_bytes())  # a new time, the same content
    sh(root, "dvc", "repro", "-f", "check")
    assert stale(root) == set()

    before = tree_hashes(root)
    image_folder(root, classes=("c",), n=2, seed=1)  # a class folder added ...
    (root / "imgs/b/2.png").unlink()  # ... and an image deleted
    assert stale(root) == set()  # dvc alone cannot see it ...
    sh(root, "dvc", "repro", "-f", "check")  # ... check can
    assert stale(root) == {"prepare@imgs"}
    ran = {
        line.split("'")[1] for line in sh(root, "dvc", "repro").stdout.splitlines() if line.startswith("Running stage")
    }
    assert ran == {"prepare@imgs", "classifier@imgs", "report"} and stale(root) == set()
    meta = json.loads((root / "data/imgs/meta.json").read_text())
    assert meta["class_names"] == ["a", "b", "c"] and meta["splits"] == {"train": 5, "test": 2}
    after = tree_hashes(root)
    mine = (
        "data/imgs/",
        "models/classifiers/imgs/",
        "reports/classifiers/imgs/",
        "reports/sources/",
        "reports/index.html",
        "reports/README.md",
        "reports/summary.json",
        "reports/figures/",
    )
    assert {k: v for k, v in after.items() if not k.startswith(mine)} == {
        k: v for k, v in before.items() if not k.startswith(mine)
    }
    assert after["data/imgs/data.npz"] != before["data/imgs/data.npz"]
