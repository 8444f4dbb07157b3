"""Image recipes beyond glyphs: sklearn `digits`, `stacked` glyphs (1,000 modes), and the real
datasets (`mnist` / `fashion_mnist` / `cifar10` / `image_folder`) read offline: from the MNIST
test split in ../shared/datasets/mnist, from tiny IDX files and PNG folders written here. No test
touches the network (download is false wherever torchvision could fetch)."""

from __future__ import annotations

import gzip
import re
import shutil

import numpy as np
import pytest
from conftest import ROOT

from ganlab import data
from ganlab.config import ConfigError, build, validate
from ganlab.data import digits, real, stacked
from ganlab.data.glyphs import FACTORS, glyph_masks, render

SHARED_MNIST = ROOT.parent / "shared" / "datasets" / "mnist"
MNIST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # published, t10k


def dataset(entry: dict):
    """One params entry through the real validation (as prepare sees it)."""
    return validate({"datasets": {"d": entry}, "runs": {}}).datasets["d"]


def make(entry: dict):
    cfg = dataset(entry)
    return data.get_recipe(cfg.recipe).make(cfg)


def check_contract(arrays, meta, shape, label_shape=()):
    for split in ("train", "test"):
        x, y = arrays[split], arrays[f"{split}_labels"]
        assert x.dtype == np.uint8 and x.shape[1:] == tuple(shape)
        assert y.dtype == np.int64 and y.shape == (len(x), *label_shape)
        assert 0 <= y.min() and y.max() <= 9
    assert meta["kind"] == "images" and meta["shape"] == list(shape) and meta["dim"] == int(np.prod(shape))
    assert meta["classes"] == len(meta["class_names"]) and meta["storage"].startswith("uint8 in [0, 255]")


# ---------------------------------------------------------------------------- digits


def test_digits_split_balance_and_range():
    from sklearn.datasets import load_digits

    arrays, meta = make({"recipe": "digits"})
    check_contract(arrays, meta, (1, 16, 16))
    assert len(arrays["train"]) == 1500 and len(arrays["test"]) == 297
    assert meta["source"] == "scikit-learn load_digits (UCI optdigits test set)"
    assert arrays["train"].min() == 0 and arrays["train"].max() == 255
    full = np.bincount(load_digits().target, minlength=10)
    test = np.bincount(arrays["test_labels"], minlength=10)
    np.testing.assert_array_equal(test + np.bincount(arrays["train_labels"], minlength=10), full)
    assert np.abs(test - full * 297 / 1797).max() < 1  # stratified: each class its share, +-1
    assert test.sum() == 297 and full.sum() == 1797


def test_digits_native_size_is_a_partition_of_the_sklearn_images():
    from sklearn.datasets import load_digits

    arrays, _ = make({"recipe": "digits", "image_size": 8, "n_test": 100})
    ours = np.concatenate([arrays["train"], arrays["test"]]).reshape(1797, 64).astype(int)
    theirs = np.round(load_digits().data * 255 / 16).astype(int)  # 0..16 -> 0..255, no resampling at 8
    key = lambda a: a[np.lexsort(a.T[::-1])]  # order-free comparison
    np.testing.assert_array_equal(key(ours), key(theirs))


def test_digits_deterministic_by_seed_and_resize_keeps_ink():
    a, _ = make({"recipe": "digits", "n_test": 100})
    b, _ = make({"recipe": "digits", "n_test": 100})
    c, _ = make({"recipe": "digits", "n_test": 100, "seed": 1})
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["test_labels"], c["test_labels"])
    native, _ = make({"recipe": "digits", "image_size": 8, "n_test": 100})
    big, _ = make({"recipe": "digits", "image_size": 32, "n_test": 100})
    # same split for the same seed whatever the size; bilinear keeps the mean grey level
    np.testing.assert_array_equal(native["train_labels"], big["train_labels"])
    assert big["train"].shape == (1697, 1, 32, 32)
    assert abs(big["train"].mean() - native["train"].mean()) < 0.05 * native["train"].mean()


def test_stratified_split_is_a_partition():
    labels = np.repeat(np.arange(3), [50, 30, 20])
    tr, te = digits.stratified_split(labels, 10, np.random.default_rng(0))
    assert sorted(np.concatenate([tr, te])) == list(range(100))
    np.testing.assert_array_equal(np.bincount(labels[te]), [5, 3, 2])


# ---------------------------------------------------------------------------- stacked


def test_stacked_channels_are_glyphs():
    arrays, meta = make({"recipe": "stacked", "n_train": 300, "n_test": 50})
    check_contract(arrays, meta, (3, 16, 16), label_shape=(3,))
    assert meta["per_channel_labels"] is True and meta["modes"] == 1000 and meta["factors"] == FACTORS
    f = arrays["train_factors"]
    assert f.shape == (300, 3, 6) and f.dtype == np.float32
    np.testing.assert_array_equal(arrays["train_labels"], f[:, :, 0].astype(np.int64))
    masks = glyph_masks(4)
    for c in range(3):  # channel c is exactly the glyph of its own factors
        np.testing.assert_array_equal(arrays["train"][:20, c : c + 1], render(masks, f[:20, c], 16))
    again, _ = make({"recipe": "stacked", "n_train": 300, "n_test": 50})
    other, _ = make({"recipe": "stacked", "n_train": 300, "n_test": 50, "seed": 1})
    np.testing.assert_array_equal(again["train"], arrays["train"])
    assert not np.array_equal(other["train"], arrays["train"])
    assert data.get_recipe("stacked").describe(dataset({"recipe": "stacked"}))["per_channel_labels"] is True


def test_stacked_default_train_set_covers_all_1000_modes_independently(monkeypatch):
    # Labels come from the recipe's own draw; rendering consumes no randomness, so a blank
    # renderer gives the default set's exact labels without the cost of 60,000 glyphs.
    monkeypatch.setattr(stacked, "render", lambda masks, f, size: np.zeros((len(f), 1, size, size), np.uint8))
    arrays, _ = make({"recipe": "stacked"})
    y = arrays["train_labels"]
    assert y.shape == (20_000, 3)
    assert len({tuple(t) for t in y}) == 1000  # every class triple occurs
    for c in range(3):
        counts = np.bincount(y[:, c], minlength=10)
        assert counts.min() > 1800 and counts.max() < 2200
    for a, b in ((0, 1), (0, 2), (1, 2)):
        table = np.zeros((10, 10))
        np.add.at(table, (y[:, a], y[:, b]), 1)
        expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / len(y)
        chi2 = ((table - expected) ** 2 / expected).sum()
        assert chi2 < 130  # df = 81: p < 1e-3 beyond 124; independent channels sit near 81
        assert abs(np.corrcoef(y[:, a], y[:, b])[0, 1]) < 0.03
    triples = np.bincount(y @ np.array([100, 10, 1]), minlength=1000)
    assert triples.min() >= 3 and triples.max() <= 45  # about 20 each (Poisson)


# ---------------------------------------------------------------------------- IDX files


def write_idx(path, array: np.ndarray, magic: int) -> None:
    head = np.array([magic, len(array), *array.shape[1:]], ">i4").tobytes()
    payload = head + np.ascontiguousarray(array, np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload, mtime=0) if path.suffix == ".gz" else payload)


def tiny_mnist(root, n_train=60, n_test=30, gz=True):
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(root / f"{prefix}-images-idx3-ubyte{suffix}", rng.integers(0, 256, (n, 28, 28)), 2051)
        write_idx(root / f"{prefix}-labels-idx1-ubyte{suffix}", np.arange(n) % 10, 2049)
    return root


def test_idx_files_read_both_splits(tmp_path):
    root = tiny_mnist(tmp_path, gz=False)
    arrays, meta = make({"recipe": "fashion_mnist", "files": "idx", "root": str(root), "image_size": 32})
    check_contract(arrays, meta, (1, 32, 32))
    assert len(arrays["train"]) == 60 and len(arrays["test"]) == 30 and meta["class_names"][9] == "Ankle boot"
    arrays, _ = make({"recipe": "mnist", "files": "idx", "root": str(root), "n_train": 20, "n_test": 10})
    np.testing.assert_array_equal(np.bincount(arrays["train_labels"]), [2] * 10)  # stratified subsets
    np.testing.assert_array_equal(np.bincount(arrays["test_labels"]), [1] * 10)
    raw = real.read_idx(root / "t10k-images-idx3-ubyte", "images")
    assert {x.tobytes() for x in arrays["test"][:, 0]} <= {x.tobytes() for x in raw}  # native size: bytes as stored


def test_corrupt_idx_is_rejected_with_a_clear_message(tmp_path):
    root = tiny_mnist(tmp_path)
    labels = root / "t10k-labels-idx1-ubyte.gz"
    with pytest.raises(ValueError, match=r"labels-idx1-ubyte\.gz: magic number 2049, expected 2051 for IDX images"):
        real.read_idx(labels, "images")
    cut = tmp_path / "cut-images-idx3-ubyte"
    cut.write_bytes(gzip.decompress((root / "t10k-images-idx3-ubyte.gz").read_bytes())[:-100])
    with pytest.raises(
        ValueError,
        match=r"cut-images-idx3-ubyte: the header promises 30 images \(23520 bytes of data\) "
        r"but 23420 bytes follow; truncated or corrupt",
    ):
        real.read_idx(cut, "images")
    broken = root / "t10k-images-idx3-ubyte.gz"
    broken.write_bytes(broken.read_bytes()[:200])  # a gzip stream cut short
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte\.gz: not a readable IDX file .*fetch the file again"):
        make({"recipe": "mnist", "files": "idx", "root": str(root)})
    tiny_mnist(root)
    write_idx(root / "t10k-labels-idx1-ubyte.gz", np.arange(29) % 10, 2049)
    with pytest.raises(ValueError, match=r"holds 30 images but .*t10k-labels-idx1-ubyte\.gz 29 labels"):
        make({"recipe": "mnist", "files": "idx", "root": str(root)})


def test_missing_files_name_the_path_and_the_fix(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=re.escape(str(tmp_path / "train-images-idx3-ubyte.gz")) + r" not found .*train_from_test: true",
    ):
        make({"recipe": "mnist", "files": "idx", "root": str(tmp_path)})
    pytest.importorskip("torchvision")
    for recipe, folder in (("mnist", "MNIST/raw"), ("cifar10", "cifar-10-batches-py")):
        with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / folder)) + r"; set download: true"):
            make({"recipe": recipe, "root": str(tmp_path), "download": False})


@pytest.fixture
def shared_mnist():
    if not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"offline MNIST test split not found at {SHARED_MNIST}")
    return SHARED_MNIST


def test_mnist_from_shared_test_split(shared_mnist):
    entry = {"recipe": "mnist", "files": "idx", "train_from_test": True, "root": str(shared_mnist)}
    arrays, meta = make(entry)
    check_contract(arrays, meta, (1, 28, 28))
    assert len(arrays["train"]) == 8000 and len(arrays["test"]) == 2000
    counts = np.bincount(arrays["train_labels"], minlength=10) + np.bincount(arrays["test_labels"], minlength=10)
    assert counts.tolist() == MNIST_COUNTS
    test = np.bincount(arrays["test_labels"], minlength=10)
    assert np.abs(test - np.array(MNIST_COUNTS) * 0.2).max() < 1  # holdout stratified by class
    assert meta["source_files_md5"]["t10k-images-idx3-ubyte.gz"] == "9fb629c4189551a2d022fa330f9573f3"
    x = arrays["train"]
    assert x.max() == 255 and x.min() == 0 and 0.1 < (x > 127).mean() < 0.2  # white strokes on black
    again, _ = make(entry)
    other, _ = make({**entry, "seed": 1})
    np.testing.assert_array_equal(again["train"], x)
    assert not np.array_equal(other["test_labels"], arrays["test_labels"])
    small, meta = make({**entry, "image_size": 16, "n_train": 1000, "n_test": 500})
    check_contract(small, meta, (1, 16, 16))
    assert len(small["train"]) == 1000 and np.bincount(small["test_labels"]).min() >= 44


def test_mnist_torchvision_layout_offline(shared_mnist, tmp_path):
    """files: torchvision reads the same digits as the IDX reader (train files are copies of t10k
    here, so torchvision finds all four files and never downloads)."""
    pytest.importorskip("torchvision")
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for kind in ("images-idx3", "labels-idx1"):
        with gzip.open(shared_mnist / f"t10k-{kind}-ubyte.gz") as src:
            (raw / f"t10k-{kind}-ubyte").write_bytes(src.read())
        shutil.copy(raw / f"t10k-{kind}-ubyte", raw / f"train-{kind}-ubyte")
    entry = {"recipe": "mnist", "train_from_test": True, "download": False}
    tv, _ = make({**entry, "root": str(tmp_path)})
    idx, _ = make({**entry, "root": str(shared_mnist), "files": "idx"})
    for k in idx:
        np.testing.assert_array_equal(tv[k], idx[k])


# ---------------------------------------------------------------------------- image folders


def test_image_folder_from_pngs(tmp_path):
    pytest.importorskip("torchvision")
    from PIL import Image

    colours = {"blue": (0, 0, 255), "green": (0, 255, 0), "red": (255, 0, 0)}
    for name, rgb in colours.items():
        (tmp_path / "imgs" / name).mkdir(parents=True)
        for i in range(5):  # odd sizes and aspect ratios: resized on the shorter side, centre-cropped
            Image.new("RGB", (20 + 3 * i, 12 + 5 * i), rgb).save(tmp_path / "imgs" / name / f"{i}.png")
    entry = {"recipe": "image_folder", "path": str(tmp_path / "imgs"), "image_size": 8, "test_fraction": 0.2}
    assert data.get_recipe("image_folder").describe(dataset(entry))["classes"] == 3
    arrays, meta = make(entry)
    check_contract(arrays, meta, (3, 8, 8))
    assert meta["class_names"] == ["blue", "green", "red"] and meta["classes"] == 3
    assert len(arrays["train"]) == 12 and sorted(arrays["test_labels"]) == [0, 1, 2]  # one per class
    for x, y in zip(arrays["train"], arrays["train_labels"]):
        np.testing.assert_array_equal(x[:, 0, 0], colours[meta["class_names"][y]])
    gray, meta = make({**entry, "channels": 1})
    check_contract(gray, meta, (1, 8, 8))
    assert set(np.unique(gray["train"])) == {29, 76, 150}  # PIL's luma of pure B, R, G
    cfg = dataset(entry)
    meta = data.prepare(cfg, tmp_path / "out")
    loaded, _ = data.load(tmp_path / "out")
    assert meta["splits"] == {"train": 12, "test": 3} and loaded["train"].shape == (12, 3, 8, 8)
    with pytest.raises(FileNotFoundError, match=r"nowhere is not a folder; set path"):
        make({"recipe": "image_folder", "path": str(tmp_path / "nowhere")})


# ---------------------------------------------------------------------------- registry and validation

NEW = ["digits", "stacked", "mnist", "fashion_mnist", "cifar10", "image_folder"]


@pytest.mark.parametrize("name", NEW)
def test_registered_with_consistent_describe(name):
    assert name in data.list_recipes()
    entry = {"recipe": name, **({"path": "nowhere"} if name == "image_folder" else {})}
    cfg = dataset(entry)
    desc = data.get_recipe(name).describe(cfg)
    assert desc["kind"] == "images" and desc["dim"] == int(np.prod(desc["shape"]))
    want = {
        "digits": [1, 16, 16],
        "stacked": [3, 16, 16],
        "mnist": [1, 28, 28],
        "fashion_mnist": [1, 28, 28],
        "cifar10": [3, 32, 32],
        "image_folder": [3, 32, 32],
    }[name]
    assert desc["shape"] == want
    assert build(type(cfg), entry, "d") == cfg
    if name == "cifar10":
        gray = dataset({"recipe": "cifar10", "grayscale": True, "image_size": 0})
        assert data.get_recipe(name).describe(gray)["shape"] == [1, 32, 32]


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"recipe": "digits", "image_size": 4}, r"datasets\.d\.image_size: must be >= 8, got 4"),
        (
            {"recipe": "digits", "n_tests": 10},
            r"datasets\.d\.n_tests: unknown key; allowed: image_size, n_test, recipe, seed",
        ),
        ({"recipe": "stacked", "scale_min": 1.5}, r"datasets\.d\.scale_min: must be <= scale_max"),
        ({"recipe": "stacked", "image_size": "16"}, r"datasets\.d\.image_size: expected an integer, got '16'"),
        ({"recipe": "mnist", "files": "zip"}, r"datasets\.d\.files: expected one of 'torchvision', 'idx', got 'zip'"),
        ({"recipe": "mnist", "n_train": 70000}, r"datasets\.d\.n_train: must be <= 60000 \(the mnist training split\)"),
        (
            {"recipe": "mnist", "train_from_test": True, "n_test": 3000},
            r"datasets\.d\.n_test: must be <= 2000 \(holdout\)",
        ),
        ({"recipe": "mnist", "download": "yes"}, r"datasets\.d\.download: expected true or false, got 'yes'"),
        ({"recipe": "cifar10", "image_size": 4}, r"datasets\.d\.image_size: must be 0 \(the native size\) or >= 8"),
        ({"recipe": "image_folder"}, r"datasets\.d\.path: required"),
        ({"recipe": "image_folder", "path": "x", "channels": 2}, r"datasets\.d\.channels: expected one of 1, 3, got 2"),
        ({"recipe": "image_folder", "path": "x", "test_fraction": 1.0}, r"datasets\.d\.test_fraction: must be < 1"),
    ],
)
def test_validation_names_the_key_path(entry, message):
    with pytest.raises(ConfigError, match="^" + message):
        dataset(entry)


def test_families_see_stacked_labels_per_channel():
    raw = {
        "datasets": {"s": {"recipe": "stacked"}, "g": {"recipe": "digits"}},
        "runs": {"c": {"family": "cgan", "dataset": "s"}},
    }
    with pytest.raises(ConfigError, match=r"^runs\.c\.dataset: family cgan needs one class label per image"):
        validate(raw)
    raw["runs"]["c"]["dataset"] = "g"
    assert validate(raw).runs["c"].dataset == "g"


def test_prepare_and_load_keep_label_shapes(tmp_path):
    meta = data.prepare(dataset({"recipe": "stacked", "n_train": 40, "n_test": 10, "image_size": 8}), tmp_path / "s")
    arrays, on_disk = data.load(tmp_path / "s")
    assert meta["splits"] == {"train": 40, "test": 10} and on_disk["per_channel_labels"] is True
    assert arrays["train_labels"].shape == (40, 3) and arrays["test_factors"].shape == (10, 3, 6)
    x = data.to_model(arrays["train"])
    assert x.dtype == np.float32 and x.min() >= -1 and x.max() <= 1
