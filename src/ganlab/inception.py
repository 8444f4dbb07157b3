"""Inception FID, KID and IS through torch-fidelity: the numbers papers report, with their protocol
(the metrics are registered for image and translation runs by ganlab.evaluation.inception).

The feature extractor, the statistics and the distances are torch-fidelity's own
(FeatureExtractorInceptionV3, "inception-v3-compat": the 2015-12-05 TensorFlow Inception network
converted to PyTorch; fid_features_to_statistics / fid_statistics_to_metric, kid_features_to_metric,
isc_features_to_metric), so a number here equals `torch_fidelity.calculate_metrics` on the same
images. What is ganlab's own is only the glue:

- images in model space ([-1, 1], float, (N, C, H, W)) become what the network takes, uint8 RGB:
  round((x + 1) * 127.5), clipped; one channel is repeated three times (grayscale);
- `resize`: "tf_bilinear" hands the images to the network as they are, which resizes them to 299 x 299
  with torch-fidelity's TensorFlow-1-compatible bilinear interpolation (the protocol of the original
  TTUR / Inception-score code and of most published tables); "clean" first resizes to 299 x 299 with
  an antialiased bicubic filter (torch's, which follows PIL's) and rounds to uint8, close to clean-fid
  (Parmar et al. 2022) but not bit-equal to it (clean-fid feeds the network unrounded floats);
- the weights come from a file (`extractor`): the params' path, or torch hub's cache; nothing is
  downloaded unless the params allow it;
- a dataset listed in the params' `inception.datasets` gets its reference once, from classifier@<dataset>
  (`write_reference`): the statistics of `reference_n` real images of `reference_split` in
  models/classifiers/<dataset>/inception/ (reference.npz: FID's mean and covariance and KID's features;
  protocol.json: the whole protocol, the inception params included). evaluate@<run> reads it
  (`load_reference`: None for the other datasets, whose runs get no Inception metrics), embeds each
  seed's generated images (image runs: `n_samples` from the evaluation's latents; translation runs: the
  translations of the first min(n_samples, test split) test inputs, A -> B for unpaired sets) and scores
  them with the reference's own protocol, which metrics.json records (its `inception` entry).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ganlab import config, io
from ganlab import data as datasets
from ganlab.nn.seeded import SeedRNG

FEATURES = ("2048", "logits_unbiased")  # FID and KID: the pool features; IS: the logits (torch-fidelity's defaults)
SIDE = 299


def to_uint8_rgb(x: torch.Tensor, resize: str = "tf_bilinear") -> torch.Tensor:
    """Model-space images (N, C, H, W) in [-1, 1] -> uint8 (N, 3, H', W'): the network's input."""
    x = x.detach().float().cpu()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    elif x.shape[1] != 3:
        raise ValueError(f"Inception metrics take images of 1 or 3 channels, got {x.shape[1]}")
    u8 = ((x + 1) * 127.5).round().clamp(0, 255)
    if resize == "clean":
        u8 = torch.nn.functional.interpolate(u8, size=(SIDE, SIDE), mode="bicubic", antialias=True)
        u8 = u8.round().clamp(0, 255)
    elif resize != "tf_bilinear":
        raise ValueError(f"resize: expected 'tf_bilinear' or 'clean', got {resize!r}")
    return u8.to(torch.uint8)


@torch.no_grad()
def features(net, images: torch.Tensor, resize: str = "tf_bilinear", batch_size: int = 64) -> dict[str, torch.Tensor]:
    """{"2048": pool features (N, 2048), "logits_unbiased": (N, 1008)}, float32 on the CPU, of model-space
    images (N, C, H, W) in [-1, 1], converted to the network's uint8 RGB one batch at a time."""
    device = next(net.parameters()).device
    out: dict[str, list[torch.Tensor]] = {k: [] for k in FEATURES}
    for i in range(0, len(images), batch_size):
        batch = to_uint8_rgb(images[i : i + batch_size], resize).to(device)
        for k, v in zip(FEATURES, net(batch)):
            out[k].append(v.float().cpu())
    return {k: torch.cat(v) for k, v in out.items()}


def reference(feats: dict[str, torch.Tensor], kid_keep: int) -> dict[str, np.ndarray]:
    """What scoring against a reference set needs, once per dataset: the FID statistics (mu, sigma, as
    torch-fidelity computes them from float32 features) and the first `kid_keep` pool features (KID
    compares subsets of features)."""
    from torch_fidelity.metric_fid import fid_features_to_statistics

    stats = fid_features_to_statistics(feats["2048"])
    return {"mu": stats["mu"], "sigma": stats["sigma"], "kid_features": feats["2048"][:kid_keep].numpy()}


def scores(
    gen: dict[str, torch.Tensor],
    ref: dict[str, np.ndarray],
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    isc_splits: int = 10,
    seed: int = 2020,
) -> dict[str, float]:
    """FID (against the reference statistics), KID (unbiased MMD^2 with the cubic polynomial kernel,
    mean and std over `kid_subsets` subsets of min(kid_subset_size, both sides) features) and the
    Inception Score (mean and std over `isc_splits` splits) of generated images' features."""
    from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
    from torch_fidelity.metric_isc import isc_features_to_metric
    from torch_fidelity.metric_kid import kid_features_to_metric

    g = fid_features_to_statistics(gen["2048"])
    fid = fid_statistics_to_metric(g, {"mu": ref["mu"], "sigma": ref["sigma"]}, verbose=False)
    ref_kid = torch.from_numpy(ref["kid_features"])
    subset = min(kid_subset_size, len(gen["2048"]), len(ref_kid))
    kid = kid_features_to_metric(
        gen["2048"], ref_kid, kid_subsets=kid_subsets, kid_subset_size=subset, rng_seed=seed, verbose=False
    )
    isc = isc_features_to_metric(gen["logits_unbiased"], splits=isc_splits, shuffle=True, rng_seed=seed)
    return {
        "fid_inception": float(fid["frechet_inception_distance"]),
        "kid_inception": float(kid["kernel_inception_distance_mean"]),
        "kid_inception_std": float(kid["kernel_inception_distance_std"]),
        "is_inception": float(isc["inception_score_mean"]),
        "is_inception_std": float(isc["inception_score_std"]),
    }


def versions() -> dict[str, str]:
    import torch_fidelity

    return {"torch_fidelity": str(torch_fidelity.__version__), "torch": str(torch.__version__)}


FOLDER = "inception"  # in models/classifiers/<dataset>/


class MissingWeights(FileNotFoundError):
    """The Inception weights file is not where the params say, and downloading is off."""


def ensure_weights(weights: str | None, download: bool) -> Path:
    """The weights file, fetched into torch hub's cache first if it is missing and `download` allows."""
    path = config.inception_weights_path(weights)
    if path.is_file():
        return path
    if not download:
        raise MissingWeights(f"inception.weights: {config.missing_weights_message(path)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.hub.download_url_to_file(config.INCEPTION_WEIGHTS_URL, str(path), progress=False)
    return path


def extractor(weights: str | None, download: bool = False, precision: str = "float32", device: str = "cpu"):
    """torch-fidelity's InceptionV3 feature extractor ("inception-v3-compat") with the weights read from a file."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    path = ensure_weights(weights, download)
    net = FeatureExtractorInceptionV3(
        "inception-v3-compat",
        list(FEATURES),
        feature_extractor_weights_path=str(path),
        feature_extractor_internal_dtype=precision,
    )
    return net.to(device)


GEN_CHUNK = 500


@dataclass
class Reference:
    """A dataset's Inception reference: FID statistics and KID features, and the protocol they were made with."""

    arrays: dict[str, np.ndarray]
    protocol: dict

    @property
    def params(self) -> dict:
        return self.protocol["params"]


def write_reference(inc, data_dir: Path, out_dir: Path, device: str = "cpu") -> dict:
    """Embed `reference_n` real images of the split and write out_dir/inception/ (atomically);
    return the protocol."""
    import dataclasses

    arrays, _ = datasets.load(data_dir)
    real = arrays[inc.reference_split][: inc.reference_n]
    net = extractor(inc.weights, inc.download, inc.precision, device)
    chunks = (
        datasets.to_model(torch.from_numpy(real[a : a + GEN_CHUNK]))[None] for a in range(0, len(real), GEN_CHUNK)
    )
    (feats,) = _embed(net, chunks, 1, inc.resize, inc.batch_size)
    protocol = {
        "reference_split": inc.reference_split,
        "reference_n": int(len(real)),
        "split_size": int(len(arrays[inc.reference_split])),
        "channels": "grayscale repeated to RGB" if real.shape[1] == 1 else "RGB",
        "image_size": list(real.shape[2:]),
        "params": dataclasses.asdict(inc),
        "weights_file": config.inception_weights_path(inc.weights).name,
        "versions": versions(),
    }
    with io.atomic_dir(out_dir / FOLDER) as tmp:
        ref = reference(feats, kid_keep=len(real))
        io.write_with(tmp / "reference.npz", lambda f: np.savez(f, **ref))
        io.write_json(tmp / "protocol.json", protocol)
    return protocol


def load_reference(classifier_dir) -> Reference | None:
    """The dataset's reference, or None if its params ask for no Inception metrics."""
    folder = Path(classifier_dir) / FOLDER if classifier_dir is not None else None
    if folder is None or not (folder / "protocol.json").exists():
        return None
    with np.load(folder / "reference.npz") as z:
        arrays = {k: z[k] for k in z.files}
    return Reference(arrays, json.loads((folder / "protocol.json").read_text()))


@torch.no_grad()
def embed_generated(model, ref: Reference, eval_seed: int) -> list[dict | None]:
    """Per seed, the Inception features of `n_samples` images generated from the evaluation's latents
    (None for a seed with non-finite images)."""
    p = ref.params
    net = extractor(p["weights"], p["download"], p["precision"], str(model.device))
    rng, n = SeedRNG(model.cfg.seeds, offset=eval_seed), p["n_samples"]
    chunks = (model.generate(model.latent(min(GEN_CHUNK, n - a), rng)).float() for a in range(0, n, GEN_CHUNK))
    return _embed(net, chunks, model.n_seeds, p["resize"], p["batch_size"])


@torch.no_grad()
def embed_translations(model, arrays: dict, ref: Reference) -> tuple[list[dict | None], int]:
    """Per seed, the Inception features of the translations (A -> B) of the first n = min(n_samples, test
    split) test inputs; and n."""
    p = ref.params
    net = extractor(p["weights"], p["download"], p["precision"], str(model.device))
    key = "test_input" if model.translation == "paired" else "a_test"
    n = min(p["n_samples"], len(arrays[key]))
    x = model.test_inputs(arrays, n).to(model.device)
    chunks = (
        model.translate(x[a : a + GEN_CHUNK].expand(model.n_seeds, *x[a : a + GEN_CHUNK].shape), "a2b").float()
        for a in range(0, n, GEN_CHUNK)
    )
    return _embed(net, chunks, model.n_seeds, p["resize"], p["batch_size"]), n


def _embed(net, chunks, n_seeds: int, resize: str, batch_size: int) -> list[dict | None]:
    """Per seed, the features of its images, embedded chunk by chunk as the chunks (S, m, C, H, W) come (so
    only one chunk of images is held at a time); None for a seed with a non-finite image."""
    parts: list[list[dict] | None] = [[] for _ in range(n_seeds)]
    for c in chunks:
        for s in range(n_seeds):
            if parts[s] is not None and not torch.isfinite(c[s]).all():
                parts[s] = None
            if parts[s] is not None:
                parts[s].append(features(net, c[s].clamp(-1, 1), resize, batch_size))
    return [None if q is None else {k: torch.cat([f[k] for f in q]) for k in FEATURES} for q in parts]


def protocol_info(ref: Reference, n_generated: int) -> dict:
    """What metrics.json says of how the Inception numbers were measured."""
    p = ref.params
    return {
        "n_generated": int(n_generated),
        "reference": f"{ref.protocol['reference_n']:,} images of the {ref.protocol['reference_split']} split "
        f"({ref.protocol['split_size']:,})",
        "resize": p["resize"],
        "channels": ref.protocol["channels"],
        "precision": p["precision"],
        "kid_subsets": p["kid_subsets"],
        "isc_splits": p["isc_splits"],
        "weights": ref.protocol["weights_file"],
        **ref.protocol["versions"],
    }
