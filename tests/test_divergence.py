"""A diverged run is a result: the pipeline goes on, the report says so.

Through `dvc repro` on a tiny project whose only run diverges before its first log point
(learning rates 1e6), and on the evaluation of seeds whose samples are NaN or absurdly large.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY, make_repo, run_stage, sh

DVC = shutil.which("dvc")


def declared_outputs(root: Path) -> list[Path]:
    """Every out, metric and plot path of every stage, as dvc resolves dvc.yaml."""
    import dvc.repo

    with dvc.repo.Repo(str(root)) as repo:
        return [Path(o.fs_path) for stage in repo.index.stages for o in stage.outs]


@pytest.fixture(scope="module")
def diverged(tmp_path_factory) -> Path:
    if DVC is None:
        pytest.skip("dvc is not installed")
    params = copy.deepcopy(TINY)
    params["datasets"] = {"ring8": params["datasets"]["ring8"]}
    params["runs"] = {"gan-ring": {**params["runs"]["gan-ring"], "lr_g": 1e6, "lr_d": 1e6}}
    return make_repo(tmp_path_factory.mktemp("diverged"), params)


def test_repro_completes_with_every_output(diverged):
    status = json.loads((diverged / "models/gan-ring/status.json").read_text())
    assert status["status"] == "diverged" and 1 <= status["diverged_at_step"] < 5  # before the first log point
    for path in declared_outputs(diverged):
        assert path.exists(), path
    assert json.loads(sh(diverged, "dvc", "status", "--json").stdout or "{}").keys() <= {"check"}


def test_report_shows_the_run_as_diverged_with_its_step(diverged):
    step = json.loads((diverged / "models/gan-ring/status.json").read_text())["diverged_at_step"]
    m = json.loads((diverged / "reports/runs/gan-ring/metrics.json").read_text())
    assert m["status"] == "diverged" and m["seeds_evaluated"] == []
    assert m["seeds_not_scored"] == {"0": "non-finite samples", "1": "non-finite samples"}

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.chunks = []

        def handle_data(self, data):
            self.chunks.append(data)

    page = Text()
    page.feed((diverged / "reports/index.html").read_text())
    text = " ".join(" ".join(page.chunks).split())
    assert f"diverged at step {step}" in text and f"non-finite loss at step {step}" in text
    assert "Not scored: seed 0 (non-finite samples); seed 1 (non-finite samples)." in text
    md = (diverged / "reports/README.md").read_text()
    assert f"diverged at step {step}" in md
    assert json.loads((diverged / "reports/summary.json").read_text())["runs"]["gan-ring"]["diverged"] == 1


def test_sample_from_a_diverged_seed_says_so(diverged):
    env = {**os.environ, "PYTHONPATH": str(diverged / "src")}
    out = diverged / "samples.npy"
    proc = subprocess.run(
        [sys.executable, "-m", "ganlab.cli", "sample", "gan-ring", "--n", "10", "--out", str(out)],
        cwd=diverged,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert "seed 0 gives non-finite samples (the run diverged at step" in proc.stderr
    assert not out.exists()


def test_nan_and_absurd_seeds_are_left_out_not_crashed(project, tiny_params):
    """Two seeds, one NaN and one finite but ~1e20 (the case that made the transport LP fail):
    evaluation scores neither, says why, and writes every output."""
    from ganlab import config
    from ganlab.evaluation.run import measure
    from ganlab.metrics import unscorable
    from ganlab.training.loop import load_model

    run_stage(project, "stages/prepare.py", "ring8")
    run_stage(project, "stages/train.py", "gan-ring")
    model, cfg, meta = load_model(project / "models/gan-ring")
    from ganlab import data

    arrays, _ = data.load(project / "data/ring8")
    real_generate = model.generate

    def broken(z):
        x = real_generate(z).clone()
        x[0, 3] = float("nan")
        x[1] *= 1e20
        return x

    model.generate = broken
    ev = config.load(project / "params.yaml").evaluation
    res = measure(model, cfg, meta, arrays, ev)
    assert res["keep"] == []
    assert res["not_scored"][0] == "non-finite samples"
    assert res["not_scored"][1].startswith("samples more than 1000 x the data's extent outside its range")
    # the rule itself: the data's own samples, and samples a few extents away, are scored
    lo, hi = meta["range"]
    assert unscorable(arrays["test"], lo, hi) is None
    assert unscorable(arrays["test"] * 100, lo, hi) is None
    assert unscorable(np.full((4, 2), np.inf), lo, hi) == "non-finite samples"


def test_evaluate_stage_on_nan_and_huge_seeds(project, tiny_params):
    """The same through the evaluate stage: the weights of seed 0 made NaN and of seed 1 made
    huge (its last layer times 1e20), saved as the trainer saves them."""
    run_stage(project, "stages/prepare.py", "ring8")
    run_stage(project, "stages/train.py", "gan-ring")
    from ganlab import io
    from ganlab.training.loop import load_model

    model, cfg, _ = load_model(project / "models/gan-ring")
    with torch.no_grad():
        last = [p for n, p in model.G.named_parameters()][-2:]  # the output layer's weight and bias
        for p in last:
            p[0] = float("nan")
            p[1] *= 1e20
    torch.save(model.state_dict(), project / "models/gan-ring/weights.pt")
    io.write_checksums(project / "models/gan-ring")  # as the trainer writes them
    proc = run_stage(project, "stages/evaluate.py", "gan-ring")
    m = json.loads((project / "reports/runs/gan-ring/metrics.json").read_text())
    assert m["seeds_evaluated"] == [] and set(m["seeds_not_scored"]) == {"0", "1"}, proc.stdout
    assert (project / "reports/runs/gan-ring/figures").is_dir()
