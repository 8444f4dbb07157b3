"""Inception FID, KID and IS through torch-fidelity, with no network and no real weights: a random-weight
file of the architecture torch-fidelity expects stands in for the 2015-12-05 network."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import torch

from ganlab import config
from ganlab import inception as fid
from ganlab.metrics import features as fm


def random_inception_weights(path: Path, seed: int = 0) -> Path:
    """torch-fidelity's InceptionV3 with He-initialised random weights (so that its features neither
    vanish nor explode over ~100 layers), saved where a user's weights file would be."""
    import torch_fidelity.feature_extractor_inceptionv3 as fe

    torch.manual_seed(seed)
    with (
        mock.patch.object(fe, "load_state_dict_from_url", lambda *a, **k: {}),
        mock.patch.object(fe.FeatureExtractorInceptionV3, "load_state_dict", lambda self, *a, **k: None),
    ):
        net = fe.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
    for m in net.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    torch.save(net.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    return random_inception_weights(tmp_path_factory.mktemp("inception") / config.INCEPTION_WEIGHTS_FILE)


class U8(torch.utils.data.Dataset):
    """Images as torch-fidelity's own inputs take them: uint8 (3, H, W)."""

    def __init__(self, x: torch.Tensor):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i]


def two_sets(n1: int = 40, n2: int = 30, side: int = 32):
    g = torch.Generator().manual_seed(1)
    a = torch.rand(n1, 3, side, side, generator=g) * 2 - 1  # model space, [-1, 1]
    b = torch.nn.functional.avg_pool2d(torch.rand(n2, 3, side, side, generator=g) * 2 - 1, 3, 1, 1) * 2
    return a, b.clamp(-1, 1)


def test_fid_kid_is_equal_torch_fidelitys_own_calculate_metrics(weights):
    import torch_fidelity

    a, b = two_sets()
    net = fid.extractor(str(weights))
    fa, fb = fid.features(net, a, batch_size=64), fid.features(net, b, batch_size=64)
    ours = fid.scores(fa, fid.reference(fb, kid_keep=len(b)), kid_subsets=10, kid_subset_size=25, isc_splits=5)
    theirs = torch_fidelity.calculate_metrics(
        input1=U8(fid.to_uint8_rgb(a)),
        input2=U8(fid.to_uint8_rgb(b)),
        cuda=False,
        isc=True,
        fid=True,
        kid=True,
        feature_extractor_weights_path=str(weights),
        kid_subsets=10,
        kid_subset_size=25,
        isc_splits=5,
        batch_size=64,
        save_cpu_ram=True,
        cache=False,
        verbose=False,
    )
    pairs = {
        "fid_inception": "frechet_inception_distance",
        "kid_inception": "kernel_inception_distance_mean",
        "kid_inception_std": "kernel_inception_distance_std",
        "is_inception": "inception_score_mean",
        "is_inception_std": "inception_score_std",
    }
    for ours_key, theirs_key in pairs.items():
        assert ours[ours_key] == pytest.approx(theirs[theirs_key], rel=1e-6), ours_key
    assert ours["fid_inception"] > 1.0 and ours["is_inception"] > 1.0  # not a degenerate network


def test_classifier_space_frechet_distance_is_torch_fidelitys_formula():
    from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric

    rng = np.random.default_rng(0)
    f1, f2 = rng.normal(size=(300, 16)), rng.normal(0.3, 1.2, size=(250, 16))
    theirs = fid_statistics_to_metric(
        fid_features_to_statistics(torch.from_numpy(f1)), fid_features_to_statistics(torch.from_numpy(f2)), False
    )["frechet_inception_distance"]
    assert fm.frechet_distance(f1, f2) == pytest.approx(theirs, rel=1e-6)


def test_fid_of_a_set_against_itself_is_zero_and_kid_of_one_distribution_centres_on_zero():
    rng = np.random.default_rng(0)
    f = torch.from_numpy(rng.normal(size=(400, 64)).astype(np.float32))
    logits = torch.zeros(400, 1008)
    same = fid.scores({"2048": f, "logits_unbiased": logits}, fid.reference({"2048": f}, kid_keep=400), 20, 100, 2)
    sigma_trace = float(np.trace(np.cov(f.numpy(), rowvar=False)))
    assert abs(same["fid_inception"]) < 1e-6 * sigma_trace
    assert same["is_inception"] == pytest.approx(1.0)  # uniform class probabilities: exp(0)
    # two independent draws of one Gaussian vs a shifted one; KID is unbiased, so the first is ~0
    kid_same, kid_shift = [], []
    for seed in range(5):
        r = np.random.default_rng(100 + seed)
        g = {"2048": torch.from_numpy(r.normal(size=(400, 64)).astype(np.float32)), "logits_unbiased": logits}
        shifted = {"2048": g["2048"] + 0.5, "logits_unbiased": logits}
        ref = fid.reference({"2048": f}, kid_keep=400)
        kid_same.append(fid.scores(g, ref, 20, 100, 2, seed=seed)["kid_inception"])
        kid_shift.append(fid.scores(shifted, ref, 20, 100, 2, seed=seed)["kid_inception"])
    assert abs(np.mean(kid_same)) < 0.1 * np.mean(kid_shift), (kid_same, kid_shift)


def test_grayscale_is_repeated_to_rgb_and_the_clean_resize_gives_299():
    x = torch.linspace(-1, 1, 16).view(1, 1, 4, 4)
    u8 = fid.to_uint8_rgb(x)
    assert u8.dtype == torch.uint8 and u8.shape == (1, 3, 4, 4) and (u8[:, 0] == u8[:, 2]).all()
    assert u8[0, 0, 0, 0] == 0 and u8[0, 0, -1, -1] == 255
    assert fid.to_uint8_rgb(x, "clean").shape == (1, 3, 299, 299)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        fid.to_uint8_rgb(torch.zeros(1, 2, 4, 4))


def test_missing_weights_stop_before_any_work_with_one_line(tmp_path, monkeypatch):
    missing = tmp_path / "no" / "weights.pth"
    with pytest.raises(fid.MissingWeights, match=f"no Inception weights at {missing}; download https://"):
        fid.ensure_weights(str(missing), download=False)
    raw = {
        "datasets": {"g": {"recipe": "glyphs", "image_size": 16}},
        "runs": {"d": {"family": "dcgan", "dataset": "g"}},
        "inception": {"datasets": ["g"], "weights": str(missing)},
    }
    with pytest.raises(config.ConfigError, match=r"^inception\.weights: no Inception weights at .*inception\.download"):
        config.check_inception_weights(config.validate(raw))
    allowed = {"datasets": ["g"], "weights": str(missing), "download": True}
    config.check_inception_weights(config.validate({**raw, "inception": allowed}))
    config.check_inception_weights(config.validate({**raw, "runs": {}}))  # no run on the dataset: none needed
    with pytest.raises(config.ConfigError, match=r"^inception\.datasets\[0\]: no dataset 'h'"):
        config.validate({**raw, "inception": {"datasets": ["h"]}})
    with pytest.raises(config.ConfigError, match=r"^inception\.datasets\[0\]: r is points data"):
        config.validate(
            {**raw, "datasets": {**raw["datasets"], "r": {"recipe": "ring"}}, "inception": {"datasets": ["r"]}}
        )


def test_download_is_opt_in_and_lands_in_torch_hubs_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    calls = []

    def fake_download(url, dst, progress=True):
        calls.append(url)
        Path(dst).write_bytes(b"weights")

    monkeypatch.setattr(torch.hub, "download_url_to_file", fake_download)
    with pytest.raises(fid.MissingWeights):
        fid.ensure_weights(None, download=False)
    assert calls == []
    path = fid.ensure_weights(None, download=True)
    assert path == tmp_path / "torch" / "hub" / "checkpoints" / config.INCEPTION_WEIGHTS_FILE and path.is_file()
    assert calls == [config.INCEPTION_WEIGHTS_URL]
    fid.ensure_weights(None, download=True)  # there now: not fetched again
    assert len(calls) == 1


SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist"


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").exists(), reason="no offline MNIST")
def test_mnist_end_to_end_with_random_weights_and_the_reference_computed_once(tmp_path, weights):
    """Real MNIST (the offline test split) through prepare, classifier (+ the Inception reference), a
    short cgan (conditional: its study is a marker, which keeps the test short), evaluate and the report:
    the numbers are meaningless (random weights), the plumbing is real. A second run on the dataset
    reuses the reference: `dvc status` lists its stages, not classifier@mnist."""
    import json

    import yaml
    from conftest import TINY, make_repo, sh

    params = {
        "device": "cpu",
        "evaluation": {"n_samples": 100, "sliced_projections": 16},
        "classifier": {"epochs": 1},
        "study": {"n_pairs": 64, "n_steps": 32},
        "datasets": {
            "mnist": {
                "recipe": "mnist",
                "files": "idx",
                "root": str(SHARED_MNIST),
                "train_from_test": True,
                "n_train": 600,
                "n_test": 200,
                "image_size": 16,
            }
        },
        "runs": {"dc": {"family": "cgan", "dataset": "mnist", "seeds": [0], "steps": 4, "batch_size": 16, "width": 8}},
        "inception": {
            "datasets": ["mnist"],
            "weights": str(weights),
            "reference_n": 64,
            "n_samples": 48,
            "kid_subsets": 5,
            "kid_subset_size": 32,
            "isc_splits": 2,
            "batch_size": 32,
        },
    }
    assert set(params) - {"inception"} <= set(TINY) | {"study"}
    root = make_repo(tmp_path / "p", params)
    m = json.loads((root / "reports/runs/dc/metrics.json").read_text())
    for key in ("fid_inception", "kid_inception", "is_inception"):
        assert np.isfinite(m[key]), key
    proto = m["inception"]  # the protocol, beside the numbers
    assert proto["n_generated"] == 48 and proto["reference"].startswith("64 images of the train split")
    assert proto["channels"] == "grayscale repeated to RGB" and proto["resize"] == "tf_bilinear"
    assert "torch_fidelity" in proto
    assert "Inception FID" in (root / "reports/README.md").read_text()
    ref = root / "models/classifiers/mnist/inception/reference.npz"
    stamp = ref.stat().st_mtime_ns
    params["runs"]["dc2"] = {**params["runs"]["dc"], "seeds": [1]}
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    sh(root, "dvc", "repro", "check")  # rewrites the code stamps: what dvc status compares
    stale = set(json.loads(sh(root, "dvc", "status", "--json").stdout or "{}"))
    assert {"train@dc2", "evaluate@dc2", "study@dc2", "report"} <= stale, stale
    assert not {s for s in stale if s.startswith(("classifier@", "prepare@"))} and "evaluate@dc" not in stale, stale
    assert ref.stat().st_mtime_ns == stamp


def test_the_check_stage_stops_before_any_work_when_the_weights_are_missing(project, tiny_params, tmp_path):
    import yaml
    from conftest import run_stage

    tiny_params["datasets"]["g"] = {"recipe": "glyphs", "image_size": 16}
    tiny_params["runs"]["d"] = {"family": "dcgan", "dataset": "g", "seeds": [0], "steps": 2}
    tiny_params["inception"] = {"datasets": ["g"], "weights": str(tmp_path / "none.pth")}
    (project / "params.yaml").write_text(yaml.safe_dump(tiny_params))
    proc = run_stage(project, "stages/check.py", check=False)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"ganlab: params error: inception.weights: {config.missing_weights_message(tmp_path / 'none.pth')}"
    ]
    assert not (project / "reports").exists()


def test_published_fids_stand_only_beside_runs_measured_the_same_way():
    from types import SimpleNamespace

    from ganlab.evaluation.registry import INCEPTION_COLUMNS
    from ganlab.report import render

    def row(n_generated: int, reference: str, resize: str = "tf_bilinear") -> dict:
        cols = [{"header": c.header, "key": c.key, "decimals": c.decimals, "scale": c.scale} for c in INCEPTION_COLUMNS]
        return {
            "run": "dcgan-cifar10",
            "variant": "dcgan",
            "seeds": [0],
            "seeds_evaluated": [0],
            "status": "completed",
            "fid_inception": 30.0,
            "inception": {"n_generated": n_generated, "reference": reference, "resize": resize},
            "board": {"columns": cols, "sort": [("fid_inception", "asc")], "note": ""},
        }

    cifar = SimpleNamespace(recipe="cifar10")
    fid50k = row(50_000, "50,000 images of the train split (50,000)")
    published = render.board("cifar10", cifar, [fid50k])["references"]
    assert [r[0] for r in published] == ["R3GAN", "StyleGAN2-ADA"] and published[0][4] == "1.96"
    for other in (
        row(10_000, "50,000 images of the train split (50,000)"),  # FID-10k is not FID-50k
        row(50_000, "10,000 images of the test split (10,000)"),
        row(50_000, "50,000 images of the train split (50,000)", resize="clean"),
    ):
        assert render.board("cifar10", cifar, [other])["references"] == []
    assert render.board("my_images", SimpleNamespace(recipe="image_folder"), [fid50k])["references"] == []
