"""The DVC pipeline end to end on tiny params: repro, cache, one-run reruns, bad params."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import make_repo, sh

DVC = shutil.which("dvc")
pytestmark = pytest.mark.skipif(DVC is None, reason="dvc is not installed")


def stale(cwd: Path) -> set[str]:
    """Stages dvc would rerun (`dvc status`)."""
    return set(json.loads(sh(cwd, "dvc", "status", "--json").stdout or "{}"))


def ran_stages(out: str) -> set[str]:
    return {line.split("'")[1] for line in out.splitlines() if line.startswith("Running stage")}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    from conftest import TINY

    return make_repo(tmp_path_factory.mktemp("pipeline"), TINY)


def test_repro_builds_report(repo):
    for path in (
        "reports/index.html",
        "reports/README.md",
        "reports/summary.json",
        "reports/runs/toy/metrics.json",
        "reports/runs/gan-ring/figures/samples.png",
        "models/wgan_gp-grid/weights.pt",
        "data/grid25/meta.json",
    ):
        assert (repo / path).exists(), path
    summary = json.loads((repo / "reports/summary.json").read_text())
    assert set(summary["runs"]) == {"toy", "gan-ring", "wgan_gp-grid"}
    assert set(summary["claims"]) >= {"toy_chance", "gan_drops_grid", "wgan_gp_w_falls", "saturating_starves"}
    # the scorecard: every run, its numbers from the run's own files
    ring = json.loads((repo / "reports/runs/gan-ring/metrics.json").read_text())
    speed = json.loads((repo / "reports/runs/gan-ring/eval_time.json").read_text())
    assert speed["samples_per_second"] > 0  # in the run's time file; the report holds results only
    assert set(summary["scorecard"]) == {"toy", "gan-ring", "wgan_gp-grid"}
    assert summary["scorecard"]["gan-ring"]["quality"] == ring["high_quality_pct"]
    assert summary["scorecard"]["gan-ring"]["coverage"] == 100 * ring["modes_captured"] / ring["n_modes"]
    assert "sampling" not in summary["scorecard"]["gan-ring"] and "train_seconds" not in summary["runs"]["gan-ring"]
    assert summary["scorecard"]["toy"]["latent"] is None and summary["scorecard"]["toy"]["interpretable"] is None
    assert summary["claims"]["gan_gradient_vanishes"] == 1  # study@toy: the gradient sweep
    assert (repo / "reports/runs/toy/study/gradients.png").stat().st_size > 1000
    html = (repo / "reports/index.html").read_text()
    assert "Claims from the course, checked" in html and "PacGAN (Lin et al. 2018), Table 1" in html
    assert "the scorecard" in html and "not available for GANs" in (repo / "reports/README.md").read_text()
    assert "runs/gan-ring/figures/samples.png" in html
    metrics = json.loads(sh(repo, "dvc", "metrics", "show", "--json").stdout)
    assert metrics  # dvc reads the declared metrics files


def test_second_repro_reruns_nothing(repo):
    assert stale(repo) == set()
    out = sh(repo, "dvc", "repro").stdout
    assert ran_stages(out) == set() and "Data and pipelines are up to date" in out
    # Bytecode Python writes next to the sources (here: as another Python version would) is not
    # a code change: .dvcignore keeps it out of the stages' dependency hashes.
    stray = repo / "src/ganlab/families/__pycache__/gan.cpython-399.pyc"
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"not source")
    try:
        assert stale(repo) == set()
    finally:
        stray.unlink()


def test_a_code_edit_reruns_only_the_runs_that_import_it(repo):
    """An edit to one family's module: dvc status shows check, that family's runs (the family
    file, which dvc's templating reaches) and the report; once check has refreshed the code files,
    exactly those. An edit to the points evaluation: every point run's evaluate@, nothing else."""
    wgan_gp = ("train@wgan_gp-grid", "evaluate@wgan_gp-grid", "study@wgan_gp-grid")
    for path, first, then in (
        ("src/ganlab/families/wgan_gp.py", {"check", *wgan_gp, "report"}, {*wgan_gp, "report"}),
        (
            "src/ganlab/evaluation/points.py",
            {"check"},  # the report reads no evaluation code
            {"evaluate@toy", "evaluate@gan-ring", "evaluate@wgan_gp-grid"},
        ),
    ):  # report: when their output changes
        original = (repo / path).read_text()
        (repo / path).write_text(original + "# an edit\n")
        try:
            assert stale(repo) == first, path
            sh(repo, "dvc", "repro", "check")
            assert stale(repo) == then, path
        finally:
            (repo / path).write_text(original)
            sh(repo, "dvc", "repro", "check")
        assert stale(repo) == set()


def test_changing_one_run_reruns_only_that_run(repo):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["runs"]["gan-ring"]["steps"] = 30
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    # dvc status lists the stages whose own inputs changed: check (the params file) and the report
    # (it reads every run); train@gan-ring follows once check rewrites its stamp, which holds the
    # run's params, and evaluate@gan-ring once the model changes (the experiment below shows the
    # full rerun set).
    assert stale(repo) == {"check", "report"}
    sh(repo, "git", "checkout", "params.yaml")
    assert stale(repo) == set()

    # The same through an experiment, as the README shows it.
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-qm", "baseline")
    out = sh(repo, "dvc", "exp", "run", "-S", "runs.gan-ring.steps=30").stdout
    assert ran_stages(out) == {"check", "train@gan-ring", "evaluate@gan-ring", "study@gan-ring", "report"}
    # dvc exp show leads with the run's scores: the first column after the experiment's own is
    # from evaluate@'s metrics.json, not training losses, classifiers or markers
    header = sh(repo, "dvc", "exp", "show", "--only-changed", "--csv").stdout.splitlines()[0].split(",")
    first = header[header.index("Created") + 1]
    assert first.startswith("reports/runs/gan-ring/metrics.json:"), header[:8]
    # A key left at its default is not in params.yaml: Hydra's `+` adds it (README says so).
    out = sh(repo, "dvc", "exp", "run", "-S", "+runs.wgan_gp-grid.lr_g=0.002").stdout
    assert ran_stages(out) == {"check", "train@wgan_gp-grid", "evaluate@wgan_gp-grid", "study@wgan_gp-grid", "report"}
    shown = sh(repo, "dvc", "exp", "show", "--json").stdout
    assert "gan-ring" in shown


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for sub in ("data", "models", "reports")
        for p in sorted((root / sub).rglob("*"))
        if p.is_file() and p.name != "params_check.json"
    }


def refused_repro(repo: Path, params_text: str, *messages: str) -> subprocess.CompletedProcess:
    """`dvc repro` with params.yaml set to `params_text`: it must exit non-zero, print every one
    of `messages` and change nothing under data/, models/, reports/; params.yaml is restored."""
    before = _snapshot(repo)
    (repo / "params.yaml").write_text(params_text)
    try:
        proc = sh(repo, "dvc", "repro", check=False)
        assert proc.returncode != 0
        for message in messages:
            assert message in proc.stdout + proc.stderr
        assert _snapshot(repo) == before
        return proc
    finally:
        sh(repo, "git", "checkout", "params.yaml")


def test_bad_params_stop_repro_and_touch_nothing(repo):
    """check stops it; its own outputs (the code files every stage depends on) are kept too,
    so after the fix no stage is stale for a missing code file."""
    assert (repo / "reports/code/prepare/ring8.json").exists()
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["runs"]["gan-ring"]["lr_d"] = -1.0
    refused_repro(repo, yaml.safe_dump(params, sort_keys=False), "runs.gan-ring.lr_d: must be > 0, got -1.0")
    assert not [s for s in stale(repo) if s.startswith(("prepare@", "classifier@"))]  # their code files are there


@pytest.mark.parametrize(
    "section,name",
    [
        ("runs", "x;rm${IFS}-rf${IFS}models"),  # would delete models/ if a name reached a shell
        ("datasets", "x';touch${IFS}pwned;'"),  # breaks out of single quotes
        ("runs", "x$(touch pwned)"),  # command substitution
        ("runs", "gan ring"),
        ("runs", "a..b"),
        ("datasets", "a<b"),
        ("runs", "a&b"),
        ("runs", 'a"b'),
    ],
)
def test_names_are_data_never_shell(repo, section, name):
    """A bad name stops `dvc repro` at the check stage, before any stage's command (where the
    name would reach a shell) runs: exit non-zero, the rule named, nothing on disk changed."""
    params = yaml.safe_load((repo / "params.yaml").read_text())
    if section == "runs":
        params["runs"][name] = {"family": "gan", "dataset": "ring8", "steps": 3}
    else:
        params["datasets"][name] = {"recipe": "ring", "n_train": 200, "n_test": 100}
    proc = refused_repro(
        repo,
        yaml.safe_dump(params, sort_keys=False),
        f"{section}.{name}: bad name",
        "names must match [A-Za-z0-9][A-Za-z0-9_-]*",
    )
    assert ran_stages(proc.stdout) == {"check"}
    assert not (repo / "pwned").exists()


def test_an_unknown_key_stops_repro_even_when_no_stage_reruns(repo):
    refused_repro(
        repo,
        (repo / "params.yaml").read_text() + "evalution:\n  n_samples: 300\n",
        "evalution: unknown section; allowed: device, evaluation, datasets, runs",
    )


# One tiny image dataset (a paired sr set: dcgan trains on its targets, srgan on the pairs), its
# classifier, and the two runs: the smallest project where the classifier's reach shows.
IMAGES = {
    "device": "cpu",
    "evaluation": {"n_samples": 100, "sliced_projections": 16},
    "classifier": {"epochs": 1, "min_steps": 0, "batch_size": 64},  # min_steps 0: epochs decide
    "study": {"n_samples": 100, "tau_uniform": [1.0, 0.5], "n_pairs": 64, "n_steps": 32},
    "datasets": {"sr": {"recipe": "sr_glyphs", "image_size": 16, "n_train": 200, "n_test": 100}},  # SSIM: >= 11 px
    "runs": {
        "dcgan-sr": {
            "family": "dcgan",
            "dataset": "sr",
            "seeds": [0],
            "steps": 2,
            "batch_size": 16,
            "width": 8,
            "z_dim": 8,
            "log_every": 1,
            "w_every": 2,
            "snapshots": 2,
        },
        "srgan-sr": {
            "family": "srgan",
            "dataset": "sr",
            "seeds": [0],
            "steps": 2,
            "batch_size": 8,
            "width": 4,
            "n_blocks": 1,
            "d_width": 4,
            "content_net_epochs": 1,
            "log_every": 1,
            "w_every": 2,
            "snapshots": 2,
        },
    },
}


def test_classifier_change_retrains_no_run(tmp_path):
    """classifier.* reaches the classifier and what it scores (evaluate@, study@ of image runs,
    the report), never a train@: srgan's content loss uses its own net, not the classifier."""
    root = make_repo(tmp_path, IMAGES)
    assert stale(root) == set()
    assert (root / "reports/runs/srgan-sr/train_time.json").exists()
    for run in IMAGES["runs"]:  # host-dependent values stay out of what other stages read
        status = json.loads((root / f"models/{run}/status.json").read_text())
        assert not {"seconds", "device", "resumed_from_step"} & set(status), run
        assert "train_seconds" not in json.loads((root / f"reports/runs/{run}/metrics.json").read_text())
    for path in ("models/classifiers/sr/config.json", "reports/classifiers/sr/metrics.json"):
        content = json.loads((root / path).read_text())
        assert not {"seconds", "train_seconds", "device"} & set(content.get("metrics", content)), path
    assert json.loads((root / "reports/classifiers/sr/classifier_time.json").read_text())["seconds"] > 0
    for run in IMAGES["runs"]:  # wall seconds of the studies only in study_time.json
        assert "seconds" not in json.loads((root / f"reports/runs/{run}/study.json").read_text())
        assert not any(
            k.startswith("seconds") for k in json.loads((root / f"reports/runs/{run}/study/results.json").read_text())
        )
        assert "seconds" in json.loads((root / f"reports/runs/{run}/study_time.json").read_text())
    summary = json.loads((root / "reports/summary.json").read_text())
    assert "train_seconds" not in summary["runs"]["srgan-sr"]  # the report reads no *_time.json

    # srgan-sr has no study: under dvc its marker comes from check's plan without loading torch,
    # and is the file the full start writes (by hand, no DVC_STAGE)
    import os
    import subprocess
    import sys

    marker = (root / "reports/runs/srgan-sr/study.json").read_bytes()
    assert json.loads(marker)["applicable"] is False
    for env, args in (({"DVC_STAGE": "study@srgan-sr"}, []), ({}, ["srgan-sr"])):
        env = {
            **{k: v for k, v in os.environ.items() if k != "DVC_STAGE"},
            **env,
            "PYTHONPATH": str(root / "src"),
            "PYTHONPROFILEIMPORTTIME": "1",
        }
        proc = subprocess.run(
            [sys.executable, "stages/study.py", *args], cwd=root, env=env, capture_output=True, text=True, check=True
        )
        loaded = {
            line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")
        }
        assert ("torch" in loaded) is bool(args), sorted(m for m in loaded if m.startswith("ganlab"))
        assert (root / "reports/runs/srgan-sr/study.json").read_bytes() == marker
    assert stale(root) == set()

    params = yaml.safe_load((root / "params.yaml").read_text())
    params["classifier"]["epochs"] = 2
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert stale(root) == {"check"}  # params.yaml changed; check rewrites classifier@sr's stamp
    sh(root, "dvc", "repro", "check")
    assert stale(root) == {"classifier@sr"}  # its params are in its stamp; no other stamp changed
    sh(root, "dvc", "repro", "classifier@sr")
    # what the new classifier reaches: everything that reads models/classifiers/sr, nothing else
    assert stale(root) == {"evaluate@dcgan-sr", "evaluate@srgan-sr", "study@dcgan-sr", "study@srgan-sr", "report"}


def test_a_stage_imports_nothing_outside_its_code_file(repo):
    """The walker's word against Python's: each stage entry, run by hand with Python's import log
    (PYTHONPROFILEIMPORTTIME), loads no ganlab module that is not in its reports/code file. (Last
    in this module: rerunning train@toy rewrites its train_time.json.)"""
    import os
    import subprocess
    import sys

    entries = [
        ("prepare", "ring8"),
        ("classifier", "grid25"),
        ("train", "toy"),
        ("evaluate", "gan-ring"),
        ("study", "gan-ring"),
        ("evaluate", "toy"),
    ]
    for stage, name in entries:
        env = {**os.environ, "PYTHONPATH": str(repo / "src"), "PYTHONPROFILEIMPORTTIME": "1"}
        proc = subprocess.run(
            [sys.executable, f"stages/{stage}.py", name], cwd=repo, env=env, capture_output=True, text=True, check=True
        )
        loaded = {
            line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")
        }
        loaded = {m for m in loaded if m == "ganlab" or m.startswith("ganlab.")}
        files = json.loads((repo / f"reports/code/{stage}/{name}.json").read_text())["files"]
        known = {f[4:-3].replace("/", ".").removesuffix(".__init__") for f in files if f.startswith("src/")}
        assert loaded and loaded <= known, (stage, name, sorted(loaded - known))
        assert "ganlab.families.toy1d" not in loaded or name == "toy"  # one family, not all
