"""What trains is what params.yaml and dvc.lock say: one YAML meaning for ganlab and
dvc, a params file that validation can walk safely, reserved names, bounded sizes, names that
never reach a shell, and params frozen while a stage runs.

Every case that touches disk compares every file under data/, models/ and reports/ before and
after (nothing already computed is lost or changed). The dvc cases run in one small scratch repo.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import TINY, make_repo, run_stage, sh
from test_validation import snapshot

from ganlab import config
from ganlab.config import ConfigError, validate

# ---------------------------------------------------------------------------- one YAML meaning

TRICKY = """\
steps: 0200
seeds: [010]
clock: 3:20
octal: 0o10
hexa: 0x10
yes_word: yes
off_word: Off
small: 4e-3
big: 1E6
under: 1_000
plus: +12
none: ~
inf: .inf
date: 2001-12-14
"""


def test_ganlab_reads_params_as_dvc_does(tmp_path):
    """The reader is dvc's: for each of YAML 1.1's and 1.2's disagreements, ganlab's value is the
    one dvc records in dvc.lock (PyYAML's YAML 1.1 gives 128, [8] and 200)."""
    from dvc.utils.serialize import load_yaml

    path = tmp_path / "p.yaml"
    path.write_text(TRICKY)
    ours, dvcs = config.read_yaml(path), load_yaml(path)
    assert ours == dvcs
    assert ours["steps"] == 200 and ours["seeds"] == [10] and ours["clock"] == "3:20" and ours["yes_word"] == "yes"
    assert yaml.safe_load("steps: 0200\nclock: 3:20")["steps"] == 128  # what YAML 1.1 makes of them
    raw = copy.deepcopy(TINY)
    raw["runs"]["gan-ring"]["steps"] = "3:20"
    with pytest.raises(ConfigError, match=r"runs.gan-ring.steps: expected an integer, got '3:20'"):
        validate(raw)


@pytest.mark.parametrize(
    "value", ["4e-3", "0200", "3:20", "yes", "null", "1_000", "0x10", "2001-12-14", "'quoted'", "a: b"]
)
def test_dumped_params_read_back_unchanged(tmp_path, value):
    """apply_profile and the GPU check write params with dump_yaml: a string that YAML 1.2 would
    read as a number or a date is quoted, so the file means what was merged."""
    data = {"runs": {"r": {"family": "gan", "note": value, "n": 200, "x": 0.004}}}
    (tmp_path / "p.yaml").write_text(config.dump_yaml(data))
    assert config.read_yaml(tmp_path / "p.yaml") == data


# ---------------------------------------------------------------------------- files validation can walk


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The tiny project with a dataset prepared and a stand-in evaluation classifier: something
    on disk to lose."""
    import shutil

    from conftest import ROOT

    root = tmp_path_factory.mktemp("guard")
    for name in ("src", "stages"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "params.yaml").write_text(yaml.safe_dump(TINY, sort_keys=False))
    run_stage(root, "stages/prepare.py", "ring8")
    (root / "models/classifiers/glyphs").mkdir(parents=True)
    (root / "models/classifiers/glyphs/weights.pt").write_bytes(b"a classifier")
    return root


def _tiny_text() -> str:
    return yaml.safe_dump(TINY, sort_keys=False)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)

BAD_FILES = [  # (id, bytes of params.yaml, what the one line must say)
    (
        "non-utf8",
        _tiny_text().replace("gan-ring:", "gan-r\xe9ng:").encode("latin-1"),
        "byte 0xe9 is not UTF-8; params files are UTF-8 text",
    ),
    ("deep", ("x: " + "[" * 20_000 + "]" * 20_000 + "\n").encode(), "nested more than 32 levels deep"),
    ("alias-bomb", (_tiny_text() + BOMB).encode(), "more than 100,000 values once YAML aliases are expanded"),
    ("int-key", _tiny_text().replace("  ring8:", "  8:").encode(), "key 8 is int, not a string"),
    ("null-key", _tiny_text().replace("  ring8:", "  ~:").encode(), "key None is NoneType, not a string"),
    ("bad-yaml", (_tiny_text() + "runs: [1\n").encode(), "not valid YAML"),
]


@pytest.mark.parametrize("text,message", [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_one_line(built, text, message):
    """Each stops at once (unchecked, the alias bomb expands inside validation's error message for
    over 60 s; 20,000 brackets give 3,010 lines of RecursionError; a number as a key, a TypeError)."""
    before = snapshot(built)
    (built / "params.yaml").write_bytes(text)
    try:
        proc = subprocess.run(
            [sys.executable, "stages/prepare.py", "ring8"],
            cwd=built,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(built / "src")},
        )
    finally:
        (built / "params.yaml").write_text(_tiny_text())
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("ganlab: params error: "), proc.stderr[
        -2000:
    ]
    assert message in lines[0], lines[0]
    assert len(lines[0]) < 400
    assert snapshot(built) == before


def test_params_that_is_a_folder_is_one_line(built):
    proc = run_stage(built, "stages/prepare.py", "ring8", "--params", "src", check=False)
    assert (
        proc.returncode == 2
        and proc.stderr.strip() == "ganlab: params error: src: not a file; expected a YAML params file"
    )


# ---------------------------------------------------------------------------- names


def test_reserved_run_name_is_refused_and_touches_nothing(built, tiny_params):
    """A run named `classifiers` would be models/classifiers/, every dataset's evaluation
    classifier: train.py (documented usage) would replace that folder."""
    tiny_params["runs"]["classifiers"] = tiny_params["runs"].pop("gan-ring")
    with pytest.raises(
        ConfigError, match=r"runs.classifiers: the name 'classifiers' is reserved \(models/classifiers/"
    ):
        validate(tiny_params)
    before = snapshot(built)
    (built / "params.yaml").write_text(yaml.safe_dump(tiny_params, sort_keys=False))
    try:
        proc = run_stage(built, "stages/train.py", "classifiers", check=False)
    finally:
        (built / "params.yaml").write_text(_tiny_text())
    assert proc.returncode == 2 and "is reserved" in proc.stderr
    assert (
        snapshot(built) == before and (built / "models/classifiers/glyphs/weights.pt").read_bytes() == b"a classifier"
    )


@pytest.mark.parametrize(
    "section,first,second,message",
    [
        ("runs", "gan-ring", "GAN-ring", "runs.GAN-ring: differs from runs.gan-ring only in case"),
        ("datasets", "ring8", "Ring8", "datasets.Ring8: differs from datasets.ring8 only in case"),
        ("runs", "gan-ring", "nul", "runs.nul: the name 'nul' is reserved (a device name on Windows"),
    ],
)
def test_names_one_folder_apart_are_refused(tiny_params, section, first, second, message):
    tiny_params[section][second] = copy.deepcopy(tiny_params[section][first])
    with pytest.raises(ConfigError) as err:
        validate(tiny_params)
    assert message in str(err.value)


# ---------------------------------------------------------------------------- sizes

BOUNDS = [  # (key path with |, value, message): unchecked, each would hang, exhaust memory or traceback
    ("runs|gan-ring|snapshots", 10**9, "runs.gan-ring.snapshots: must be <= 1000, got 1000000000"),
    ("datasets|grid25|side", 10**5, "datasets.grid25.side: must be <= 100, got 100000"),
    ("datasets|grid25|n_train", 10**12, "datasets.grid25.n_train: must be <= 10000000"),
    ("evaluation|n_samples", 10**9, "evaluation.n_samples: must be <= 20000"),
    ("evaluation|stacked_samples", 10**9, "evaluation.stacked_samples: must be <= 200000"),
    ("runs|gan-ring|seeds", list(range(10_000)), "runs.gan-ring.seeds: at most 64 seeds a run"),
    ("runs|gan-ring|batch_size", 10**8, "runs.gan-ring.batch_size: must be <= 65536"),
    ("runs|gan-ring|g_hidden", [16, 10**8], "runs.gan-ring.g_hidden: must be <= 4096, got 100000000"),
    ("study|n_pairs", 10**7, "study.n_pairs: must be <= 10000"),
]


@pytest.mark.parametrize("path,value,message", BOUNDS, ids=[b[0] for b in BOUNDS])
def test_sizes_have_documented_bounds(tiny_params, path, value, message):
    from test_validation import _set

    _set(tiny_params, path, value)
    with pytest.raises(ConfigError) as err:
        validate(tiny_params)
    assert message in str(err.value) and len(str(err.value)) < 300


def test_every_default_and_profile_fits_the_bounds():
    from conftest import ROOT

    raw = config.read_yaml(ROOT / "params.yaml")
    for profile in sorted((ROOT / "profiles").glob("*.yaml")):
        validate(config.overlay(raw, config.read_yaml(profile)), str(profile))


# ---------------------------------------------------------------------------- through dvc

SMALL = {
    **{k: v for k, v in TINY.items() if k not in ("datasets", "runs")},
    "datasets": {"ring8": TINY["datasets"]["ring8"]},
    "runs": {"gan-ring": {**TINY["runs"]["gan-ring"], "seeds": [0], "steps": 40}},
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return make_repo(tmp_path_factory.mktemp("guard-dvc"), SMALL)


def _locked(repo: Path, stage: str) -> dict:
    """The params dvc.lock records for an entry stage: those of its code stamp, whose md5 the lock
    holds (and the stamp on disk has), equal to the whole file's values that check recorded."""
    import hashlib

    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    kind, name = stage.split("@")
    stamp = f"reports/code/{kind}/{name}.json"
    md5 = next(d["md5"] for d in lock[stage]["deps"] if d["path"] == stamp)
    assert hashlib.md5((repo / stamp).read_bytes()).hexdigest() == md5, f"{stamp} is not the one dvc.lock records"
    recorded = json.loads((repo / stamp).read_text())["params"]
    whole = lock["check"]["params"]["params.yaml"]
    assert recorded == config.stage_params(whole, kind, name), "the stamp's params are not check's"
    return recorded


def _status(repo: Path) -> dict:
    status = json.loads(sh(repo, "dvc", "status", "--json").stdout or "{}")
    status.pop("check", None)
    return status


def test_leading_zeros_mean_the_same_to_dvc_and_the_model(repo):
    """`steps: 0030` is 30 for dvc.lock and for the trained model (it trained 24, octal, before)."""
    text = (repo / "params.yaml").read_text()
    (repo / "params.yaml").write_text(text.replace("steps: 40", "steps: 0030"))
    try:
        sh(repo, "dvc", "repro", "train@gan-ring")
        status = json.loads((repo / "models/gan-ring/status.json").read_text())
        assert status["steps"] == status["steps_done"] == 30
        assert _locked(repo, "train@gan-ring")["runs.gan-ring"]["steps"] == 30
        assert "train@gan-ring" not in _status(repo)
    finally:
        (repo / "params.yaml").write_text(text)
        sh(repo, "dvc", "repro", "train@gan-ring")
    assert json.loads((repo / "models/gan-ring/status.json").read_text())["steps"] == 40


def test_a_quote_in_a_name_never_reaches_a_shell(repo):
    """With check skipped (-s), a run named x';touch PWNED;' once ran `touch PWNED` through the
    quoted '${key}' of its command. Now dvc stops first (check never wrote a code file for such a
    name), and with a code file put there by hand no command holds the name: the stage refuses it."""
    text = (repo / "params.yaml").read_text()
    params = yaml.safe_load(text)
    name = "x';touch PWNED;'"
    params["runs"][name] = params["runs"]["gan-ring"]
    before = snapshot(repo)
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    code = repo / "reports/code/train" / f"{name}.json"
    try:
        missing = sh(repo, "dvc", "repro", "-s", "--glob", "train@x*", check=False)
        code.write_bytes((repo / "reports/code/train/gan-ring.json").read_bytes())
        proc = sh(repo, "dvc", "repro", "-s", "--glob", "train@x*", check=False)
    finally:
        (repo / "params.yaml").write_text(text)
        code.unlink(missing_ok=True)
    assert not list(repo.rglob("PWNED")) and not list(repo.parent.rglob("PWNED"))
    assert missing.returncode != 0 and "reports/code/train/x';touch PWNED;'.json" in missing.stderr
    assert proc.returncode != 0 and "bad name" in proc.stdout + proc.stderr
    assert snapshot(repo) == before


def test_a_stage_refuses_params_that_check_has_not_stamped(repo):
    """With check skipped (`dvc repro -s -f`), train@ would run what params.yaml says while dvc.lock
    records its stamp, which holds check's older values: it stops first, names the key, and
    nothing is written or recorded."""
    text = (repo / "params.yaml").read_text()
    lock = (repo / "dvc.lock").read_text()
    before = snapshot(repo)
    (repo / "params.yaml").write_text(text.replace("steps: 40", "steps: 41"))
    try:
        proc = sh(repo, "dvc", "repro", "-s", "-f", "train@gan-ring", check=False)
    finally:
        (repo / "params.yaml").write_text(text)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "runs.gan-ring in params.yaml" in out, out[-2000:]
    assert "is not what check recorded in reports/code/train/gan-ring.json" in out, out[-2000:]
    assert snapshot(repo) == before and (repo / "dvc.lock").read_text() == lock
    assert _locked(repo, "train@gan-ring")["runs.gan-ring"]["steps"] == 40


def test_params_edited_while_training_are_not_recorded(repo):
    """steps changed mid-run: train@ stops at its next checkpoint, writes nothing, dvc records
    nothing; the next repro trains what the file says and dvc.lock agrees with the model."""
    text = (repo / "params.yaml").read_text()
    long = (
        text.replace("steps: 40", "steps: 200000")
        .replace("checkpoint_every: 10", "checkpoint_every: 200")
        .replace("w_every: 10", "w_every: 100000")
        .replace("log_every: 5", "log_every: 100")
    )
    assert long != text
    before = snapshot(repo)
    (repo / "params.yaml").write_text(long)
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        ["dvc", "repro", "train@gan-ring"],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while (
            not (repo / "checkpoints/gan-ring/ckpt.pt").exists() and proc.poll() is None and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        (repo / "params.yaml").write_text(long.replace("steps: 200000", "steps: 60"))
        out, _ = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0, out[-2000:]
    assert "runs.gan-ring changed in params.yaml while train@gan-ring ran" in out, out[-2000:]
    # the finished model of 40 steps and every result are untouched; check ran on the long file
    # (valid) and rewrote the code stamps, which say what the file says (a dvc bookkeeping output)
    results = lambda snap: {k: v for k, v in snap.items() if not k.startswith("reports/code/")}
    assert results(snapshot(repo)) == results(before)
    # dvc recorded nothing: check is stale (the file changed), and rewrites train@'s stamp next
    assert "check" in json.loads(sh(repo, "dvc", "status", "--json").stdout)
    (repo / "params.yaml").write_text(text.replace("steps: 40", "steps: 60"))
    sh(repo, "dvc", "repro", "train@gan-ring")  # the last test of the module: no way back needed
    assert json.loads((repo / "models/gan-ring/status.json").read_text())["steps"] == 60
    assert _locked(repo, "train@gan-ring")["runs.gan-ring"]["steps"] == 60 and "train@gan-ring" not in _status(repo)
