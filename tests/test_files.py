"""Files that lie: corrupt, truncated or missing outputs are named with the command that rebuilds
them, a bad checkpoint is ignored, a killed run keeps its previous log, stale temporaries go."""

from __future__ import annotations

import dataclasses
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from conftest import run_stage

from ganlab import config, data, io
from ganlab.training.loop import Trainer, load_model


def trainer(project: Path, run: str = "gan-ring") -> Trainer:
    cfg = config.load(project / "params.yaml").runs[run]
    return Trainer(
        run,
        cfg,
        project / "data" / cfg.dataset,
        project / "models" / run,
        project / "reports/runs" / run / "train",
        project / "checkpoints" / run,
        device="cpu",
        progress=False,
    )


def prepare(project: Path, name: str) -> None:
    data.prepare(config.load(project / "params.yaml").datasets[name], project / "data" / name)


def entry_offset(path: Path, pick) -> int:
    """Byte offset of the middle of the zip member chosen by pick(infos) (torch and npz files are zips)."""
    with zipfile.ZipFile(path) as z:
        info = pick(z.infolist())
    raw = path.read_bytes()
    h = info.header_offset
    start = h + 30 + int.from_bytes(raw[h + 26 : h + 28], "little") + int.from_bytes(raw[h + 28 : h + 30], "little")
    return start + info.file_size // 2


def largest_tensor(infos):
    return max((i for i in infos if "/data/" in i.filename), key=lambda i: i.file_size)


def flip(path: Path, offset: int | None = None) -> None:
    raw = bytearray(path.read_bytes())
    offset = len(raw) // 2 if offset is None else offset
    raw[offset] ^= 0xFF
    path.write_bytes(bytes(raw))


def damage(path: Path, how: str) -> None:
    if how == "flipped":  # inside a tensor/array, where no zip structure notices
        flip(path, entry_offset(path, largest_tensor if path.suffix == ".pt" else lambda infos: infos[0]))
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "missing":
        path.unlink()
    elif how == "no_checksums":  # e.g. written by an older ganlab, or by hand
        for p in path.parent.glob("checksums*"):
            p.unlink()
    else:
        raise ValueError(how)


def assert_named(err: BaseException | str, path: Path, command: str) -> None:
    text = str(err)
    assert str(path) in text, text
    assert f"dvc repro {command}" in text, text


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """ring8 prepared and gan-ring trained (tiny), once for the module; tests copy from here."""
    from conftest import ROOT, TINY

    root = tmp_path_factory.mktemp("built")
    for name in ("src", "stages", "dvc.yaml", "pyproject.toml"):
        src = ROOT / name
        (shutil.copytree(src, root / name) if src.is_dir() else shutil.copy(src, root / name))
    (root / "params.yaml").write_text(yaml.safe_dump(TINY, sort_keys=False))
    prepare(root, "ring8")
    trainer(root).fit()
    return root


def copy_outputs(built: Path, project: Path) -> None:
    for rel in ("data/ring8", "models/gan-ring", "reports/runs/gan-ring/train"):
        shutil.copytree(built / rel, project / rel)


@pytest.mark.parametrize("how", ["flipped", "truncated", "missing", "no_checksums"])
def test_bad_weights_are_named(built, project, how):
    copy_outputs(built, project)
    weights = project / "models/gan-ring/weights.pt"
    damage(weights, how)
    with pytest.raises(Exception) as err:
        load_model(project / "models/gan-ring")
    # No checksums.json: the whole folder is unchecked; the first file read (config.json) is named.
    assert_named(err.value, weights.parent if how == "no_checksums" else weights, "train@gan-ring")


@pytest.mark.parametrize("how", ["flipped", "truncated", "missing", "no_checksums"])
def test_bad_data_is_named(built, project, how):
    copy_outputs(built, project)
    arrays = project / "data/ring8/data.npz"
    damage(arrays, how)
    with pytest.raises(Exception) as err:
        data.load(project / "data/ring8")
    assert_named(err.value, arrays.parent if how == "no_checksums" else arrays, "prepare@ring8")


def test_stages_print_one_line_not_a_traceback(built, project):
    copy_outputs(built, project)
    damage(project / "models/gan-ring/weights.pt", "flipped")
    proc = run_stage(project, "stages/evaluate.py", "gan-ring", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert_named(proc.stderr, Path("models/gan-ring/weights.pt"), "train@gan-ring")
    assert not (project / "reports/runs/gan-ring/metrics.json").exists()

    damage(project / "data/ring8/data.npz", "truncated")
    proc = run_stage(project, "stages/train.py", "gan-ring", check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert_named(proc.stderr.strip().splitlines()[-1], Path("data/ring8/data.npz"), "prepare@ring8")


def test_bad_classifier_weights_are_named(project, tiny_params):
    from ganlab.classifier import load_classifier, train_classifier

    tiny_params["datasets"]["glyphs"] = {"recipe": "glyphs", "image_size": 8, "n_train": 200, "n_test": 50}
    (project / "params.yaml").write_text(yaml.safe_dump(tiny_params))
    prepare(project, "glyphs")
    cfg = dataclasses.replace(config.load(project / "params.yaml").classifier, epochs=1, min_steps=2, batch_size=32)
    out = project / "models/classifiers/glyphs"
    train_classifier(cfg, project / "data/glyphs", out, device="cpu")
    load_classifier(out)  # intact: loads
    damage(out / "weights.pt", "flipped")
    with pytest.raises(Exception) as err:
        load_classifier(out)
    assert_named(err.value, out / "weights.pt", "classifier@glyphs")


class Killed(Exception):
    pass


def kill_at(t: Trainer, call: int) -> None:
    """Make the trainer's `call`-th update step raise, as a kill would stop it there."""
    real, n = t.model.train_step, {"calls": 0}

    def step(batches, rng):
        n["calls"] += 1
        if n["calls"] == call:
            raise Killed
        return real(batches, rng)

    t.model.train_step = step


def outputs(project: Path) -> tuple[dict, list, dict]:
    model = project / "models/gan-ring"
    w = torch.load(model / "weights.pt", weights_only=True)
    with np.load(model / "snapshots.npz") as z:
        snaps = {k: z[k] for k in z.files}
    return w, io.read_json(model / "history.json"), snaps


def test_corrupt_checkpoint_is_ignored_and_run_restarts(built, project, capsys):
    """gan-ring checkpoints every 10 of 40 steps: stop at step 25, corrupt the step-20 checkpoint,
    rerun: it starts over from step 0 and ends exactly where an uninterrupted run ends."""
    copy_outputs(built, project)
    w_full, h_full, s_full = outputs(project)
    shutil.rmtree(project / "models/gan-ring")
    t = trainer(project)
    kill_at(t, 25)
    with pytest.raises(Killed):
        t.fit()
    ckpt = project / "checkpoints/gan-ring/ckpt.pt"
    assert torch.load(ckpt, weights_only=True)["step"] == 20
    flip(ckpt, entry_offset(ckpt, largest_tensor))
    capsys.readouterr()

    status = trainer(project).fit()
    err = capsys.readouterr().err
    assert "ignoring" in err and str(ckpt) in err and "resuming" not in err, err
    assert status["status"] == "completed" and status["resumed_from_step"] is None
    w, h, s = outputs(project)
    assert all(torch.equal(w[k], w_full[k]) for k in w_full)
    assert h == h_full
    assert all(np.array_equal(s[k], s_full[k]) for k in s_full)


def test_killed_training_keeps_the_previous_log(built, project):
    copy_outputs(built, project)
    metrics = project / "reports/runs/gan-ring/train/metrics.json"
    before = metrics.read_text()
    plots = sorted(p.relative_to(metrics.parent) for p in (metrics.parent / "plots").rglob("*.tsv"))
    assert plots
    t = trainer(project)
    kill_at(t, 12)
    with pytest.raises(Killed):
        t.fit()
    assert metrics.read_text() == before
    assert sorted(p.relative_to(metrics.parent) for p in (metrics.parent / "plots").rglob("*.tsv")) == plots
    assert [p.name for p in metrics.parent.parent.iterdir() if p.name.startswith(".")] == []


def test_diverged_at_once_still_writes_the_log(project):
    """Every step's loss non-finite: the dvclive folder still has what dvc.yaml declares."""
    prepare(project, "ring8")
    t = trainer(project)
    real = t.model.train_step

    def poisoned(batches, rng):
        out = real(batches, rng)
        return {k: v * float("nan") for k, v in out.items() if k.startswith("loss")}  # nothing finite to log

    t.model.train_step = poisoned
    status = t.fit()
    assert status["status"] == "diverged"
    live = project / "reports/runs/gan-ring/train"
    assert (live / "metrics.json").is_file() and (live / "plots/metrics").is_dir()


def test_evaluate_removes_stale_temporaries(built, project):
    copy_outputs(built, project)
    runs = project / "reports/runs/gan-ring"
    stale = [runs / ".figures.k2x9_q0a.tmp", runs / ".figures.old", runs / ".metrics.json.abcd1234.tmp"]
    for p in stale[:2]:
        p.mkdir(parents=True)
        (p / "samples.png").write_bytes(b"half a figure")
    stale[2].write_text("{")
    keep = runs / ".figures-notes.txt"  # not a temporary of an output: left alone
    keep.write_text("mine")
    run_stage(project, "stages/evaluate.py", "gan-ring")
    assert [p for p in stale if p.exists()] == []
    assert keep.exists() and (runs / "figures/samples.png").exists() and (runs / "metrics.json").exists()


def test_a_folder_swapped_in_between_two_looks_is_read_not_missing(tmp_path, monkeypatch):
    """read_folder_verified finds no folder at its path (a writer between atomic_dir's two renames),
    and by the time it looks for the writer's `.<name>.old` the swap has ended and `.old` is removed:
    the folder is there again and is read, not reported absent (`ganlab progress` said "neither a
    checkpoint nor a trained model" about one read in a few hundred while training wrote checkpoints)."""
    import json
    import os

    folder = tmp_path / "ckpt"
    with io.atomic_dir(folder, checksums=True) as tmp:
        (tmp / "status.json").write_text(json.dumps({"step": 7}))
    real_open, misses = os.open, []

    def open_during_a_swap(path, flags, *args, **kwargs):
        if Path(path) == folder and not misses:  # the first look falls inside the swap; .old is already gone
            misses.append(path)
            raise FileNotFoundError(path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(io.os, "open", open_during_a_swap)
    got = io.read_folder_verified(folder, {"status.json": json.load}, None)
    assert misses and got is not None and got[0]["status.json"] == {"step": 7}
    # a folder that is not there at all is still None
    assert io.read_folder_verified(tmp_path / "absent", {"status.json": json.load}, None) is None
