"""The shared body of the two-player families on latents (gan, wgan, wgan_gp, dcgan and its
conditional variants, progan, stylegan): it builds the networks for the data kind, draws latents,
and has the helpers every update step uses (d_batch, g_out); each family only writes its update
step. On point data the networks are seed-batched MLPs (ganlab.nn.seeded) with the discriminator
options (minibatch discrimination, minibatch std); on images they are DCGAN's convolutional
networks, one per seed (ganlab.nn.dcgan).

Latents are one tensor (S, N, z_dim + n_cat + n_cont): noise, then a one-hot class (the
condition of cGAN and ACGAN, InfoGAN's categorical code), then continuous codes (InfoGAN).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields
from typing import Literal

import torch
from torch import nn

from ganlab import losses
from ganlab.config import RunConfig, field_default, fixed, param
from ganlab.families.base import Family, Problem, RealBatches
from ganlab.nn.dcgan import DCGANDiscriminator, DCGANGenerator
from ganlab.nn.seeded import SeedMLP, SeedRNG, SeedStack
from ganlab.nn.sizes import n_doublings


@dataclass
class AdversarialConfig(RunConfig):
    z_dim: int | None = param(
        None, "latent dimension (default: 2 on point data, 100 on images as in DCGAN)", ge=1, le=4096
    )
    z_dist: Literal["normal", "uniform"] = param(
        "normal", "latent distribution: N(0, I) or U[-1, 1] per component (DCGAN)"
    )
    g_hidden: list[int] = param([128, 128, 128], "point data: generator hidden widths", ge=1, le=4096)
    d_hidden: list[int] = param([128, 128, 128], "point data: discriminator hidden widths", ge=1, le=4096)
    channels_last: bool = param(
        True, "images: channels_last memory format (faster convolutions; see bench/bench_images.py)"
    )
    width: int = param(
        32,
        "images: channels of D's first and G's last hidden layer, doubling per resolution step (DCGAN uses 128 at "
        "64x64)",
        ge=1,
        le=1024,
    )
    fc_hidden: int = param(
        0,
        "images: a fully connected hidden layer of this width in G (after z) and D (before the logit; "
        "auxiliary heads share it); 0 = none, InfoGAN's MNIST nets: 1024",
        ge=0,
    )
    minibatch: Literal["none", "mbd", "mbstd"] = param(
        "none",
        "discriminator option: minibatch discrimination (Salimans et al. 2016) or minibatch std (Karras et al. 2018), "
        "before the logit",
    )
    mbd_kernels: int = param(
        8, "minibatch discrimination: number of kernels B (Salimans et al. use 100 for images)", ge=1, le=1024
    )
    mbd_dim: int = param(4, "minibatch discrimination: kernel dimension C", ge=1, le=1024)
    lr_g: float = param(1e-3, "generator learning rate", gt=0)
    lr_d: float = param(1e-3, "discriminator learning rate", gt=0)
    beta1: float = param(0.5, "Adam beta1", ge=0, lt=1)
    beta2: float = param(0.999, "Adam beta2", ge=0, lt=1)
    d_steps: int = param(1, "discriminator (critic) updates per generator update", ge=1, le=1000)
    pack: int = param(
        1,
        "PacGAN (Lin et al. 2018): the discriminator judges m samples at once (points: coordinates concatenated; "
        "images: channels), and every D and G step draws m x batch_size samples, so D still sees batch_size packed "
        "examples; 1 = no packing",
        ge=1,
        le=16,
    )
    d_act: Literal["leaky_relu", "maxout"] = param(
        "leaky_relu",
        "point data: the discriminator's hidden units: LeakyReLU(0.2), or maxout of `maxout_pieces` linear pieces "
        "(VEEGAN's and PacGAN's 2-D discriminators)",
    )
    maxout_pieces: int = param(5, "point data, d_act maxout: linear pieces per unit (PacGAN: 5)", ge=2, le=64)
    g_batch_norm: bool = param(
        False, "point data: batch norm before each hidden ReLU of the generator (PacGAN's 2-D generator)"
    )


POINT_OPTIONS = ("g_hidden", "d_hidden", "d_act", "maxout_pieces", "g_batch_norm")  # the MLPs of point data
IMAGE_OPTIONS = ("channels_last", "width", "fc_hidden")  # the convolutional networks of images

_IMAGES_ONLY = "it sets the MLPs of point data, and this family trains on images only"


@dataclass
class ImagesOnly:
    """Over AdversarialConfig: the families that train on images only do not take the point options."""

    g_hidden: list[int] = fixed([128, 128, 128], _IMAGES_ONLY)
    d_hidden: list[int] = fixed([128, 128, 128], _IMAGES_ONLY)
    d_act: Literal["leaky_relu", "maxout"] = fixed("leaky_relu", _IMAGES_ONLY)
    maxout_pieces: int = fixed(5, _IMAGES_ONLY)
    g_batch_norm: bool = fixed(False, _IMAGES_ONLY)


@dataclass
class Unpacked:
    """Over AdversarialConfig: the families whose discriminator sees class labels, feeds another head or has
    its own architecture judge one sample at a time (PacGAN's packing is gan's, dcgan's, wgan's and wgan_gp's)."""

    pack: int = fixed(
        1, "its discriminator sees class labels, feeds another head or has its own architecture, so it cannot pack"
    )


class Adversarial(Family):
    Config = AdversarialConfig
    latent_spaces = ("z",)
    variant_options = ("minibatch", "pack", "ema_kimg")
    kinds: tuple[str, ...] = ("points", "images")  # data kinds the family trains on
    needs_labels = False  # trains on class labels (cGAN, ACGAN)
    d_in_class = ""  # how D sees the class: "", "concat", "projection" or "both" (cGAN)
    d_aux_class = False  # the discriminator also outputs class logits (ACGAN)
    d_batch_norm = True  # images: batch norm in D (False for a gradient-penalised critic)

    @classmethod
    def check_dataset(cls, desc: dict, cfg=None) -> Problem | None:
        if desc["kind"] not in cls.kinds:
            names = {
                "points": "point datasets (toy1d, ring, grid, mixture)",
                "images": "image datasets (glyphs, digits, stacked, mnist, ...)",
            }
            return Problem(
                "dataset", f"family {cls.name} trains on {' or '.join(names[k] for k in cls.kinds)}, not {desc['kind']}"
            )
        if cfg is not None:  # the options of one data kind stay at their defaults on the other
            other, unused = ("images", IMAGE_OPTIONS) if desc["kind"] == "points" else ("points", POINT_OPTIONS)
            for f in (f for f in fields(cfg) if f.name in unused):
                default = field_default(f)
                if getattr(cfg, f.name) != default:
                    return Problem(
                        f.name, f"applies to {other[:-1]} data only; leave it at {default!r} for {desc['kind']}"
                    )
        if cls.needs_labels and (desc.get("per_channel_labels") or not desc.get("classes")):
            return Problem(
                "dataset",
                f"family {cls.name} needs one class label per image; this dataset has none or one per channel",
            )
        if desc["kind"] == "images" and "shape" in desc:
            return cls.check_image_side(*desc["shape"][1:])
        return None

    @classmethod
    def check_image_side(cls, h: int, w: int) -> Problem | None:
        """None if the family's image networks take h x w images (DCGAN's: square, 4 * 2^k >= 8)."""
        try:
            n_doublings(h)
            ok = h == w
        except ValueError:
            ok = False
        if ok:
            return None
        return Problem(
            "dataset", f"family {cls.name} needs square images of side 4 * 2^k >= 8 (8, 16, 32, ...), got {h}x{w}"
        )

    def __init__(self, cfg, meta: dict, device: torch.device):
        super().__init__(cfg, meta, device)
        self.images = meta["kind"] == "images"
        self.z_dim = cfg.z_dim or (100 if self.images else 2)
        # one-hot classes in the latent (the cGAN/ACGAN condition, InfoGAN's categorical
        # code) and continuous codes (InfoGAN)
        self.n_cat, self.n_cont = self.latent_codes(cfg, meta)
        self.G, self.D = self.build_networks(cfg, meta)
        self.build_extra()
        self.to(device)

    def build_networks(self, cfg, meta: dict) -> tuple[nn.Module, nn.Module]:
        """(G, D) under the seed-batched convention: DCGAN's conv nets for images, MLPs for
        points. Families with their own architectures (progan, stylegan) override this."""
        if self.images:
            zin, shape = self.z_dim + self.n_cat + self.n_cont, meta["shape"]
            fc = cfg.fc_hidden
            G = SeedStack(lambda: DCGANGenerator(zin, shape, cfg.width, fc), cfg.seeds, channels_last=cfg.channels_last)
            d_shape = [shape[0] * cfg.pack, *shape[1:]]  # packed: m images' channels side by side
            D = SeedStack(
                lambda: DCGANDiscriminator(
                    d_shape,
                    cfg.width,
                    self.d_batch_norm,
                    in_extra=self.n_cat if self.d_in_class in ("concat", "both") else 0,
                    n_out=1 + (self.n_cat if self.d_aux_class else 0),
                    project=self.n_cat if self.d_in_class in ("projection", "both") else 0,
                    minibatch=cfg.minibatch,
                    mbd_kernels=cfg.mbd_kernels,
                    mbd_dim=cfg.mbd_dim,
                    fc_hidden=fc,
                ),
                cfg.seeds,
                offset=8_000_003,
                channels_last=cfg.channels_last,
            )
            return G, D
        init = SeedRNG(cfg.seeds)  # per-seed init: a seed's weights do not depend on the others
        G = SeedMLP(
            self.z_dim, cfg.g_hidden, meta["dim"], init, act="relu", norm="batch" if cfg.g_batch_norm else "none"
        )
        D = SeedMLP(
            meta["dim"] * cfg.pack,
            cfg.d_hidden,
            1,
            init,
            act=cfg.d_act,
            minibatch=cfg.minibatch,
            mbd_kernels=cfg.mbd_kernels,
            mbd_dim=cfg.mbd_dim,
            maxout_pieces=cfg.maxout_pieces,
        )
        return G, D

    def latent_codes(self, cfg, meta: dict) -> tuple[int, int]:
        """(n_cat, n_cont); conditional families take n_cat from the dataset's classes."""
        return (int(meta["classes"]), 0) if self.needs_labels else (0, 0)

    def build_extra(self) -> None:
        """Hook for extra modules (InfoGAN's Q head) built before the optimisers."""

    def make_optimizers(self):
        c = self.cfg
        return {
            "g": torch.optim.Adam(self.G.parameters(), lr=c.lr_g, betas=(c.beta1, c.beta2)),
            "d": torch.optim.Adam(self.D.parameters(), lr=c.lr_d, betas=(c.beta1, c.beta2)),
        }

    def generator_params(self):
        return list(self.G.parameters())

    # ------------------------------------------------------------------ latents
    def latent(
        self, n: int, rng: SeedRNG, labels: torch.Tensor | None = None, cont: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(S, n, z_dim + n_cat + n_cont). `labels` (S, n) fixes the one-hot part and `cont`
        (S, n, n_cont) the continuous codes; otherwise both are drawn (classes uniformly)."""
        noise = rng.randn(n, self.z_dim) if self.cfg.z_dist == "normal" else rng.rand(n, self.z_dim) * 2 - 1
        parts = [noise]
        if self.n_cat:
            if labels is None:
                labels = rng.randint(self.n_cat, n)
            parts.append(torch.nn.functional.one_hot(labels.to(noise.device), self.n_cat).to(noise.dtype))
        if self.n_cont:
            parts.append(rng.rand(n, self.n_cont) * 2 - 1 if cont is None else cont.to(noise.device))
        return torch.cat(parts, -1) if len(parts) > 1 else noise

    def fixed_latent(self, n: int, rng: SeedRNG) -> torch.Tensor:
        if not self.n_cat:
            return self.latent(n, rng)
        labels = (torch.arange(n, device=rng.device) % self.n_cat).expand(self.n_seeds, -1)
        return self.latent(n, rng, labels=labels)

    def latent_labels(self, z: torch.Tensor) -> torch.Tensor:
        """The class (or categorical code) a latent asks for: (S, n)."""
        return z[..., self.z_dim : self.z_dim + self.n_cat].argmax(-1)

    def latent_cont(self, z: torch.Tensor) -> torch.Tensor:
        return z[..., self.z_dim + self.n_cat :]

    # ------------------------------------------------------------------ networks
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        return self.G(z)

    def discriminate(self, x: torch.Tensor, labels: torch.Tensor | None = None):
        """Images: (logits (S, N, 1 + d_extra_out), trunk features (S, N, F)). Points: logits."""
        if not self.images:
            return self.D(x)
        extra = None
        if self.d_in_class:
            extra = torch.nn.functional.one_hot(labels, self.n_cat).to(x.dtype)
        return self.D(x, extra)

    def packed(self, x: torch.Tensor) -> torch.Tensor:
        """PacGAN's packing: consecutive groups of m samples (S, m N, ...) become one input of the
        discriminator (S, N, m * features) (images: m * channels). m = 1: x itself."""
        m = self.cfg.pack
        if m == 1:
            return x
        S, N = x.shape[:2]
        return x.reshape(S, N // m, m * x.shape[2], *x.shape[3:])

    def critic(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """D's logit (S, N / pack): of each sample, or of each packed group of `pack` samples."""
        out = self.discriminate(self.packed(x), labels)
        return (out[0] if self.images else out)[..., 0]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """D's hidden features (S, N / pack, F) of samples x: the last hidden layer of the MLP, the
        flattened trunk (or FC layer) of the convolutional D; what feature matching matches."""
        x = self.packed(x)
        return self.discriminate(x)[1] if self.images else self.D.features(x)

    def d_display(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        # A minibatch layer makes D(x) depend on the rest of its batch, so D is evaluated on
        # batches of the training size (and never on one huge batch of grid points). A packed D
        # is shown on m copies of each point: D(x, x, ..., x).
        B, m = self.cfg.batch_size, self.cfg.pack
        x = x.repeat_interleave(m, dim=1) if m > 1 else x
        chunks = [
            self.critic(c, None if condition is None else condition[:, i * B : (i + 1) * B])
            for i, c in enumerate(x.split(B * m, dim=1))
        ]
        out = torch.cat(chunks, dim=1)
        return torch.sigmoid(out) if self.d_is_probability else out

    def d_batch(self, real: RealBatches, rng: SeedRNG, grad_real: bool = False, grad_fake: bool = False):
        """For a discriminator step: a real batch, a generated batch (no generator graph), and
        the critic's outputs on both. Returns (x_real, x_fake, d_real, d_fake). Packed: m x
        batch_size samples of each, batch_size critic outputs. grad_real / grad_fake: the samples
        require grad for a zero-centred penalty (R1 on real, R2 on generated samples)."""
        B = self.cfg.batch_size * self.cfg.pack
        with torch.no_grad():
            fake = self.G(self.latent(B, rng))
        x = real(B)
        with losses.twice_differentiated() if grad_real or grad_fake else contextlib.nullcontext():
            d_real = self.critic(x.requires_grad_(True) if grad_real else x)
            d_fake = self.critic(fake.requires_grad_(True) if grad_fake else fake)
        return x, fake, d_real, d_fake

    def g_out(self, rng: SeedRNG) -> torch.Tensor:
        """For a generator step: the critic's output on a fresh generated batch (with graph)."""
        return self.critic(self.G(self.latent(self.cfg.batch_size * self.cfg.pack, rng)))


def real_label_param():
    """The label-smoothing option, taken by every family that plays the BCE game (gan, dcgan, cgan, acgan, infogan)."""
    return param(
        1.0,
        "one-sided label smoothing (Salimans et al. 2016, sec. 3.4): D's BCE target for real samples (they use 0.9); "
        "generated samples keep 0; 1 = off",
        gt=0.5,
        le=1,
    )


@dataclass
class DCGANSettings(ImagesOnly, AdversarialConfig):
    """DCGAN's latent, batch and learning rates (the paper's), for dcgan and its conditional variants."""

    z_dist: Literal["normal", "uniform"] = param(
        "uniform", "latent distribution: N(0, I) or U[-1, 1] per component (DCGAN)"
    )
    batch_size: int = param(64, "samples per batch", ge=1, le=65_536)
    lr_g: float = param(2e-4, "generator learning rate", gt=0)
    lr_d: float = param(2e-4, "discriminator learning rate", gt=0)


@dataclass
class ConditionalConfig(Unpacked, DCGANSettings):
    """The families with their own update step on DCGAN's networks (cgan, acgan, infogan) play the
    BCE game and take label smoothing; gan's other options (loss, penalties, feature matching) do
    not apply to them, so they do not have them."""

    real_label: float = real_label_param()


class Conditional(Adversarial):
    """The shared part of cgan, acgan and infogan: images, DCGAN's networks, their own train_step."""

    Config = ConditionalConfig
    kinds = ("images",)
    variant_options = ("minibatch", "real_label", "ema_kimg")
