"""Real image datasets behind the recipe interface, used only when a params entry asks for them.

- `mnist`, `fashion_mnist`: 28x28 grayscale digits (LeCun et al. 1998) and clothes (Xiao et al.
  2017), 60,000 train + 10,000 test, through `torchvision.datasets` (files under
  `<root>/MNIST/raw/` or `<root>/FashionMNIST/raw/`, downloaded there when `download: true`).
  With `files: idx` the four IDX files are read straight from `<root>` (gzipped or not) by the
  small reader below, without torchvision; `train_from_test: true` uses only the 10,000 test
  images (`t10k-*`) and splits them, stratified by `seed`, into `holdout` test images and a
  training pool: the offline copy in ../shared/datasets/mnist/ holds only that split.
- `cifar10`: 32x32 colour images in 10 classes (Krizhevsky 2009), 50,000 + 10,000, through
  torchvision (`<root>/cifar-10-batches-py/`); `grayscale: true` keeps the luma (ITU-R 601-2,
  as PIL's convert("L")).
- `image_folder`: your own images, one sub-folder per class (torchvision's ImageFolder
  convention, classes in sorted folder order); each image is resized on its shorter side and
  centre-cropped to a square, then split into train/test by class with `test_fraction`.
  Images with 16 bits per sample (16-bit grayscale PNGs: Pillow's modes I;16 and I) are scaled
  from 0..65535 to 0..255 (rounded); 32-bit integer or floating-point images are refused. A file
  that does not decode (truncated, empty, not an image) or exceeds Pillow's decompression-bomb
  limit (Image.MAX_IMAGE_PIXELS, about 89 million pixels) stops prepare with one line naming it.

Files are read once, in prepare; what the pipeline trains on is the uint8 copy in
`data/<name>/`. torchvision is imported only inside `make`, so the package does not need it
unless one of these recipes is used. Subsets (`n_train`, `n_test`) are stratified draws by
`seed`; `image_size` resizes bilinearly, antialiased when shrinking (see digits.resize_to_uint8).
A missing file without `download` stops with the path that was looked at and how to fix it;
a corrupt IDX file (wrong magic number, wrong length, a broken gzip stream) is rejected with
the path and what is wrong, never read as garbage images. These are ganlab.io.SourceError and
MissingFileError (also ValueError and FileNotFoundError): a stage prints one line, no traceback.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ganlab.config import ConfigError, param, show
from ganlab.data.digits import resize_to_uint8, stratified_split
from ganlab.io import MissingFileError, SourceError

STORAGE = "uint8 in [0, 255]; models see x / 127.5 - 1 in [-1, 1]"
IDX_MAGIC = {"images": 2051, "labels": 2049}  # 0x00000803 and 0x00000801
NATIVE = {"mnist": (1, 28), "fashion_mnist": (1, 28), "cifar10": (3, 32)}
SPLITS = {"mnist": (60_000, 10_000), "fashion_mnist": (60_000, 10_000), "cifar10": (50_000, 10_000)}
TV_CLASS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST", "cifar10": "CIFAR10"}
TV_FOLDER = {"mnist": "MNIST/raw", "fashion_mnist": "FashionMNIST/raw", "cifar10": "cifar-10-batches-py"}
CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "fashion_mnist": [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
}
SOURCES = {
    "mnist": "MNIST (LeCun et al. 1998)",
    "fashion_mnist": "Fashion-MNIST (Xiao et al. 2017)",
    "cifar10": "CIFAR-10 (Krizhevsky 2009)",
}


# ---------------------------------------------------------------------------- configs


def inside_repository(root: str) -> bool:
    """Whether `root` (relative to where stages run: the repository's root) names a folder inside
    it, judged on the written path (`..` and absolute paths), not through symbolic links: a link
    the user put inside the repository is theirs to point elsewhere."""
    here = os.path.abspath(os.getcwd())
    return os.path.commonpath([os.path.abspath(root), here]) == here


@dataclass
class _Download:
    root: str = param(
        "downloads",
        "folder that holds (or receives) the files, relative to where the stage runs (the repo root); "
        "inside the repository when download is true",
    )
    download: bool = param(
        True, "fetch missing files into root with torchvision (needs the network); false: fail naming the missing path"
    )
    n_train: int = param(0, "training images, a stratified subset drawn by seed (0 = all)", ge=0)
    n_test: int = param(0, "test images, a stratified subset drawn by seed (0 = all)", ge=0)
    seed: int = param(0, "seed of the subsets (and of the train_from_test split)", ge=0)

    def check(self, path: str) -> None:
        if (
            self.download
            and getattr(self, "files", "torchvision") == "torchvision"
            and not inside_repository(self.root)
        ):
            raise ConfigError(
                f"{path}.root",
                f"{show(self.root)} is outside the repository ({os.getcwd()}), and download "
                f"is true: downloads stay inside the repository; set root to a folder in it (the default "
                f"is downloads), or download: false to read files already in {show(self.root)}",
            )
        if 0 < self.image_size < 8:
            raise ConfigError(f"{path}.image_size", f"must be 0 (the native size) or >= 8, got {self.image_size}")
        for key, (limit, what) in zip(("n_train", "n_test"), self.available()):
            if getattr(self, key) > limit:
                raise ConfigError(f"{path}.{key}", f"must be <= {limit} ({what}), got {getattr(self, key)}")

    def available(self) -> tuple[tuple[int, str], tuple[int, str]]:
        n_train, n_test = SPLITS[self.recipe]
        return (n_train, f"the {self.recipe} training split"), (n_test, f"the {self.recipe} test split")


@dataclass
class MnistConfig(_Download):
    recipe: Literal["mnist"] = param("mnist", "MNIST handwritten digits, 28x28 grayscale (torchvision or IDX files)")
    image_size: int = param(
        0, "side of the square images; 0 keeps the native 28 (e.g. 32 for DCGAN's 4x4 -> 32x32)", ge=0, le=256
    )
    files: Literal["torchvision", "idx"] = param(
        "torchvision",
        "torchvision: torchvision.datasets under root; idx: the IDX files (.gz or not) directly in root, never "
        "downloaded",
    )
    train_from_test: bool = param(
        False, "use only the 10,000 test images (t10k-*) and split them into holdout test images and a training pool"
    )
    holdout: int = param(
        2000,
        "with train_from_test: test images kept out of the 10,000 (stratified by seed); the rest is the training pool",
        ge=1,
        le=9990,
    )

    def available(self):
        if self.train_from_test:
            return (
                (10_000 - self.holdout, "the training pool of 10,000 - holdout test images"),
                (self.holdout, "holdout"),
            )
        return super().available()


@dataclass
class FashionMnistConfig(MnistConfig):
    recipe: Literal["fashion_mnist"] = param(
        "fashion_mnist", "Fashion-MNIST clothes, 28x28 grayscale (torchvision or IDX files)"
    )


@dataclass
class Cifar10Config(_Download):
    recipe: Literal["cifar10"] = param("cifar10", "CIFAR-10 colour photos, 32x32, 10 classes (torchvision)")
    image_size: int = param(32, "side of the square images; 0 or 32 keep the native 32", ge=0, le=256)
    grayscale: bool = param(False, "keep one luma channel (ITU-R 601-2) instead of RGB")


@dataclass
class ImageFolderConfig:
    path: str = param(help="folder with one sub-folder of images per class, relative to the repo root; required")
    recipe: Literal["image_folder"] = param(
        "image_folder", "your images, one sub-folder per class (torchvision ImageFolder)"
    )
    image_size: int = param(32, "side of the square images: shorter side resized, then centre-cropped", ge=8, le=256)
    channels: Literal[1, 3] = param(3, "1 (grayscale) or 3 (RGB)")
    test_fraction: float = param(
        0.1, "share of each class held out as the test split (at least one image in all)", gt=0, lt=1
    )
    seed: int = param(0, "seed of the train/test split", ge=0)


CONFIGS = {
    "mnist": MnistConfig,
    "fashion_mnist": FashionMnistConfig,
    "cifar10": Cifar10Config,
    "image_folder": ImageFolderConfig,
}


def _shape(cfg) -> list[int]:
    if cfg.recipe == "image_folder":
        return [cfg.channels, cfg.image_size, cfg.image_size]
    c, native = NATIVE[cfg.recipe]
    if getattr(cfg, "grayscale", False):
        c = 1
    s = cfg.image_size or native
    return [c, s, s]


def describe(cfg) -> dict:
    c, h, w = shape = _shape(cfg)
    classes = 10
    if cfg.recipe == "image_folder":
        # Known only from the folder itself; None when it is not there yet (make() will say so).
        folder = Path(cfg.path)
        classes = sum(1 for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else None
    return {"kind": "images", "shape": shape, "dim": c * h * w, "classes": classes}


def sources(cfg) -> list[Path]:
    """What make() reads from outside the pipeline (ganlab.data.fingerprint): the image folder; the
    IDX files it may read (compressed or not, present or not); torchvision's folder under root."""
    if cfg.recipe == "image_folder":
        return [Path(cfg.path)]
    if cfg.recipe != "cifar10" and cfg.files == "idx":
        prefixes = ("t10k",) if cfg.train_from_test else ("train", "t10k")
        return [
            Path(cfg.root) / f"{prefix}-{kind}-ubyte{gz}"
            for prefix in prefixes
            for kind in ("images-idx3", "labels-idx1")
            for gz in (".gz", "")
        ]
    return [Path(cfg.root) / TV_FOLDER[cfg.recipe]]


# ---------------------------------------------------------------------------- IDX files


def read_idx(path: str | Path, kind: Literal["images", "labels"]) -> np.ndarray:
    """One IDX file (gzipped or not): images (n, rows, cols) or labels (n,), uint8.
    Raises ValueError naming the file when the magic number, the sizes or the gzip stream are wrong."""
    path = Path(path)
    fix = "delete it and fetch the file again"
    try:
        with gzip.open(path) if path.suffix == ".gz" else open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError; a cut gzip stream is EOFError
        raise SourceError(f"{path}: not a readable IDX file ({type(err).__name__}: {err}); {fix}") from None
    head = 16 if kind == "images" else 8
    if len(raw) < head:
        raise SourceError(f"{path}: {len(raw)} bytes, shorter than the {head}-byte IDX {kind} header; {fix}")
    magic, n, *dims = (int(v) for v in np.frombuffer(raw[:head], ">i4"))
    if magic != IDX_MAGIC[kind]:
        raise SourceError(
            f"{path}: magic number {magic}, expected {IDX_MAGIC[kind]} for IDX {kind}; wrong file or corrupt, {fix}"
        )
    expected = n * int(np.prod(dims, dtype=np.int64))
    if n < 0 or len(raw) - head != expected:
        raise SourceError(
            f"{path}: the header promises {n} {kind} ({expected} bytes of data) but "
            f"{len(raw) - head} bytes follow; truncated or corrupt, {fix}"
        )
    return np.frombuffer(raw, np.uint8, offset=head).reshape(n, *dims).copy()  # writable, owns its memory


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _find_idx(root: Path, prefix: str, kind: str) -> Path:
    name = f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"
    for candidate in (root / f"{name}.gz", root / name):
        if candidate.exists():
            return candidate
    raise MissingFileError(
        f"{root / name}.gz not found (nor {name} uncompressed); put the IDX files in "
        f"{root}, or use files: torchvision with download: true"
        + ("" if prefix == "t10k" else ", or train_from_test: true to use only the t10k files")
    )


def _load_idx(cfg, prefix: str) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    root = Path(cfg.root)
    img_path, lab_path = _find_idx(root, prefix, "images"), _find_idx(root, prefix, "labels")
    images, labels = read_idx(img_path, "images"), read_idx(lab_path, "labels")
    if len(images) != len(labels):
        raise SourceError(
            f"{img_path} holds {len(images)} images but {lab_path} {len(labels)} labels; "
            f"the pair does not match, fetch both again"
        )
    if labels.size and labels.max() > 9:
        raise SourceError(f"{lab_path}: label {int(labels.max())} outside 0..9; corrupt, fetch it again")
    return images, labels, {p.name: _md5(p) for p in (img_path, lab_path)}


# ---------------------------------------------------------------------------- torchvision


def _torchvision_split(cfg, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """(images (n, C, h, w) uint8, labels (n,)) of one split through torchvision.datasets."""
    try:
        import torchvision.datasets as tvd
    except ImportError:
        raise ImportError(
            f"recipe {cfg.recipe} with torchvision needs torchvision: pip install torchvision "
            f"(ganlab's `vision` extra)" + (", or use files: idx" if cfg.recipe != "cifar10" else "")
        ) from None
    folder = Path(cfg.root) / TV_FOLDER[cfg.recipe]
    try:
        ds = getattr(tvd, TV_CLASS[cfg.recipe])(cfg.root, train=train, download=cfg.download)
    except (RuntimeError, OSError) as err:  # torchvision's "not found", or a failed download
        if cfg.download:
            raise RuntimeError(
                f"{cfg.recipe}: could not download into {folder} ({err}); without network, copy the "
                f"files there yourself and set download: false"
            ) from None
        raise MissingFileError(
            f"{cfg.recipe}: dataset files not found (or failing their checksum) in {folder}; "
            f"set download: true to fetch them, or copy torchvision's files there"
        ) from None
    data = np.asarray(ds.data)
    data = data[:, None] if data.ndim == 3 else data.transpose(0, 3, 1, 2)  # (n, C, h, w)
    return np.ascontiguousarray(data), np.asarray(ds.targets, np.int64)


def _luma(x: np.ndarray) -> np.ndarray:
    """(n, 3, h, w) uint8 RGB -> (n, 1, h, w) uint8, L = 0.299 R + 0.587 G + 0.114 B."""
    w = np.array([0.299, 0.587, 0.114], np.float32)[None, :, None, None]
    return np.round((x.astype(np.float32) * w).sum(1, keepdims=True)).clip(0, 255).astype(np.uint8)


def _subset(x: np.ndarray, y: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if not n or n == len(y):
        return x, y
    _, pick = stratified_split(y, n, rng)
    return x[pick], y[pick]


def _make_download(cfg) -> tuple[dict[str, np.ndarray], dict]:
    rng = np.random.default_rng(cfg.seed)
    meta = {"source": SOURCES[cfg.recipe]}
    if cfg.recipe != "cifar10" and cfg.files == "idx":
        load = lambda train: _load_idx(cfg, "train" if train else "t10k")
    else:
        load = lambda train: (*_torchvision_split(cfg, train), None)
    if getattr(cfg, "train_from_test", False):
        x, y, files = load(False)
        tr, te = stratified_split(y, cfg.holdout, rng)
        splits = {"train": (x[tr], y[tr]), "test": (x[te], y[te])}
        meta["split"] = f"train_from_test: the {len(y)} official test images, {cfg.holdout} held out as test"
    else:
        (xtr, ytr, f1), (xte, yte, f2) = load(True), load(False)
        files = {**f1, **f2} if f1 else None
        splits = {"train": (xtr, ytr), "test": (xte, yte)}
        meta["split"] = "the official train and test splits"
    if files:
        meta["source_files_md5"] = files
    c, s, _ = _shape(cfg)
    arrays = {}
    for split, n in (("train", cfg.n_train), ("test", cfg.n_test)):
        x, y = splits[split]
        x = x[:, None] if x.ndim == 3 else x
        x, y = _subset(x, y.astype(np.int64), n, rng)
        if c == 1 and x.shape[1] == 3:
            x = _luma(x)
        arrays[split] = resize_to_uint8(x, s)
        arrays[f"{split}_labels"] = y
    meta.update({"native_size": NATIVE[cfg.recipe][1], "class_names": CLASS_NAMES[cfg.recipe]})
    return arrays, meta


# ---------------------------------------------------------------------------- image folders


def _rgb(img, path: Path):
    """A decoded image as PIL RGB, what torchvision's own loader gives (img.convert("RGB")), except
    that 16 bits per sample are scaled to 8 (convert would clip them: 99.75 % of a 16-bit image's
    values are above 255, so it turned white)."""
    from PIL import Image

    if img.mode.startswith("I;16") or (img.mode == "I" and img.format == "PNG"):  # 16-bit grayscale
        x = np.asarray(img).astype(np.uint32)
        img = Image.fromarray(((x * 255 + 32767) // 65535).astype(np.uint8), "L")  # rounded to nearest
    elif img.mode in ("I", "F") or img.mode.startswith(("I;", "F;")):
        raise SourceError(
            f"image_folder: {path}: {img.mode} pixels ({'floating point' if 'F' in img.mode else '32-bit integers'}), "
            f"which have no agreed 0..255 range; save it with 8 or 16 bits per sample, or delete it"
        )
    return img.convert("RGB")


def _read_image(path: str):
    """One image file of an image_folder, as RGB; a file that does not decode, or that Pillow takes
    for a decompression bomb (its warning too, between 1x and 2x the limit), is a SourceError
    naming the file. Decoding goes through Image.load, so a truncated file fails here."""
    from PIL import Image

    path = Path(path)
    if path.stat().st_size == 0:
        raise SourceError(f"image_folder: {path}: empty file (0 bytes); replace it with the image or delete it")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                img.load()
                return _rgb(img, path)
    except SourceError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise SourceError(
            f"image_folder: {path}: {str(err).rstrip('.')} (Pillow's decompression-bomb guard); shrink the image "
            f"(prepare resizes it to image_size anyway) or delete it"
        ) from None
    except Exception as err:  # any decoder's failure on this one file: truncated, corrupt, not an image
        raise SourceError(
            f"image_folder: {path}: not a readable image ({type(err).__name__}: {err}); "
            f"replace it or delete it".replace("\n", " ")
        ) from None


def _make_folder(cfg) -> tuple[dict[str, np.ndarray], dict]:
    folder = Path(cfg.path)
    if not folder.is_dir():
        raise MissingFileError(
            f"image_folder: {folder} is not a folder; set path to a folder holding one sub-folder of images per class"
        )
    try:
        import torchvision.transforms as T
        from torchvision.datasets import ImageFolder
    except ImportError:
        raise ImportError(
            "recipe image_folder needs torchvision: pip install torchvision (ganlab's `vision` extra)"
        ) from None
    steps = [T.Grayscale(1)] if cfg.channels == 1 else []
    tf = T.Compose(steps + [T.Resize(cfg.image_size, antialias=True), T.CenterCrop(cfg.image_size), T.PILToTensor()])
    try:
        ds = ImageFolder(str(folder), transform=tf, loader=_read_image)
    except FileNotFoundError as err:
        raise MissingFileError(f"image_folder: {folder}: {err}") from None
    if len(ds) < 2:
        raise SourceError(f"image_folder: {folder} holds {len(ds)} image(s); need at least 2 (train and test)")
    images = np.stack([ds[i][0].numpy() for i in range(len(ds))])  # once, in prepare only
    labels = np.asarray(ds.targets, np.int64)
    n_test = min(max(1, round(cfg.test_fraction * len(labels))), len(labels) - 1)
    tr, te = stratified_split(labels, n_test, np.random.default_rng(cfg.seed))
    arrays = {"train": images[tr], "train_labels": labels[tr], "test": images[te], "test_labels": labels[te]}
    meta = {"classes": len(ds.classes), "class_names": list(ds.classes), "source": f"image folder {folder}"}
    return arrays, meta


def make(cfg) -> tuple[dict[str, np.ndarray], dict]:
    arrays, extra = _make_folder(cfg) if cfg.recipe == "image_folder" else _make_download(cfg)
    c, h, w = _shape(cfg)
    meta = {"kind": "images", "shape": [c, h, w], "dim": c * h * w, "classes": 10, **extra, "storage": STORAGE}
    return arrays, meta
