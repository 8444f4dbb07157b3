"""What every family provides to the shared training loop, evaluation and CLI.

The loop (ganlab.training.loop) only calls the methods below, so it never needs a branch
per family. All tensors carry a leading seed dimension S (see ganlab.nn.seeded).

`Adversarial` is the shared body of the two-player families (gan, wgan, wgan_gp, dcgan and
its conditional variants): it builds the networks for the data kind, draws latents, and has
the helpers every update step uses (d_batch, g_out, update); each family only writes its
update step. On point data the networks are seed-batched MLPs (ganlab.nn.seeded) with the
discriminator options (minibatch discrimination, minibatch std); on images they are DCGAN's
convolutional networks, one per seed (ganlab.nn.dcgan).

Latents are one tensor (S, N, z_dim + n_cat + n_cont): noise, then a one-hot class (the
condition of cGAN and ACGAN, InfoGAN's categorical code), then continuous codes (InfoGAN).
"""
from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from typing import Callable, Literal

import torch
from torch import nn

from ganlab import distributed, losses
from ganlab.config import RunConfig, param
from ganlab.data import to_model
from ganlab.nn.dcgan import DCGANDiscriminator, DCGANGenerator
from ganlab.nn.seeded import SeedMLP, SeedRNG, SeedStack
from ganlab.nn.sizes import n_doublings

RealFn = Callable[[int], torch.Tensor]   # n -> a real batch of shape (S, n, ...)


class RealBatches:
    """Real training batches, drawn per seed from data resident on the device.

    `real(n)` -> (S, n, ...) in model space (images: uint8 storage -> float in [-1, 1]);
    `real.labeled(n)` -> (x, labels of shape (S, n)) for families that train on labels.
    Translation data (ganlab.data.translation) also holds `inputs` (paired: the input of each
    stored target, row-aligned) or `domain_a` (unpaired: domain A, drawn independently of the
    data, which is domain B): `real.paired(n)` -> (inputs, targets) of the same rows,
    `real.unpaired(n)` -> (a, b) of independent rows.
    """

    def __init__(self, data: torch.Tensor, labels: torch.Tensor | None, rng: SeedRNG,
                 inputs: torch.Tensor | None = None, domain_a: torch.Tensor | None = None):
        self.data, self.labels, self.rng = data, labels, rng
        self.inputs, self.domain_a = inputs, domain_a

    def paired(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        idx = self.rng.randint(len(self.data), n)
        return to_model(self.inputs[idx]), to_model(self.data[idx])

    def unpaired(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        a = to_model(self.domain_a[self.rng.randint(len(self.domain_a), n)])
        return a, to_model(self.data[self.rng.randint(len(self.data), n)])

    def labeled(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        idx = self.rng.randint(len(self.data), n)
        x = to_model(self.data[idx])
        return x, (None if self.labels is None else self.labels[idx])

    def __call__(self, n: int) -> torch.Tensor:
        return self.labeled(n)[0]


def seed_norm(module: nn.Module, grads: list[torch.Tensor | None]) -> torch.Tensor:
    """Per-seed L2 norm of `grads` (one per parameter of `module`, in order): shape (S,).
    Seed-batched modules carry the seed in each parameter's first dimension; a SeedStack has
    one network per seed. No host sync."""
    if isinstance(module, SeedStack):
        norms, i = [], 0
        for net in module.nets:
            k = sum(1 for _ in net.parameters())
            sq = [g.pow(2).sum() for g in grads[i:i + k] if g is not None]
            norms.append(torch.stack(sq).sum().sqrt())
            i += k
        return torch.stack(norms)
    sq = [g.pow(2).flatten(1).sum(1) for g in grads if g is not None]
    return torch.stack(sq).sum(0).sqrt()


def seed_grad_norm(module: nn.Module) -> torch.Tensor:
    """Per-seed L2 norm of the gradients of a seed-batched module: shape (S,). No sync."""
    return seed_norm(module, [p.grad for p in module.parameters()])


def step(opt: torch.optim.Optimizer, modules: tuple[nn.Module, ...], loss: torch.Tensor) -> torch.Tensor:
    """One update of every family: backward the per-seed losses (S,), step `opt`, and return the
    per-seed gradient norm (S,) over `modules`, the modules `opt` updates. No sync."""
    opt.zero_grad(set_to_none=True)
    with torch.autocast(loss.device.type, enabled=False):   # precision bf16: backward outside autocast
        loss.sum().backward()
    # data-parallel runs: every gradient `opt` steps is the mean over the processes (a no-op in one)
    distributed.average_gradients([p for group in opt.param_groups for p in group["params"]])
    norm = torch.stack([seed_grad_norm(m) for m in modules]).pow(2).sum(0).sqrt()
    opt.step()
    return norm


class Family(nn.Module):
    """A GAN family. Shared code (training loop, evaluation, studies, CLI, report) asks a model
    only what is declared here; it never tests a family's name or probes its attributes (a test
    greps src/ for both outside families/).

    Capabilities, as class attributes (defaults: an unconditional generator of latents):
    - `translation`: "" for a generator of latents; "paired" or "unpaired" for image-to-image
      families, whose `translate(x, direction)` maps images along one of `directions`
      ("a2b"; CycleGAN also "b2a") and `test_inputs(arrays, n)` names their inputs;
    - `conditioning`: "" (none), "class" (the latent carries the class the image must show and
      the family trains on labels: cGAN, ACGAN) or "code" (an unsupervised categorical code the
      family learns to use: InfoGAN);
    - the latent layout [noise (z_dim) | one-hot class or code (n_cat) | continuous codes
      (n_cont)], with `latent_labels(z)` and `latent_cont(z)` reading the last two back;
    - `latent_spaces`: the spaces latent studies may walk ("z"; StyleGAN adds "w"), with
      `to_space`, `render` and `truncate`; `style_mixing` with `n_styles` and `mix`;
    - `variant(cfg)`: the run in a few words for tables (family name and non-default
      `variant_options`);
    - `final_units`: the units of the family's own final numbers (`final_metrics`) that belong
      in the report's headline table.
    """
    name = ""
    Config = RunConfig
    d_is_probability = True   # d_display returns D(x) in [0, 1]; False for Wasserstein critics
    translation = ""          # "", "paired" or "unpaired"
    directions: tuple[str, ...] = ()
    conditioning = ""         # "", "class" or "code"
    z_dim = n_cat = n_cont = 0
    latent_spaces: tuple[str, ...] = ()
    style_mixing = False
    variant_options: tuple[str, ...] = ("ema_kimg",)
    final_units: dict[str, str] = {}

    @classmethod
    def variant(cls, cfg) -> str:
        """'name' or 'name (option=value, ...)' for the `variant_options` that differ from
        the family's defaults."""
        defaults = {f.name: f.default for f in dataclasses.fields(cls.Config)}
        bits = [f"{k}={getattr(cfg, k)}" for k in cls.variant_options if getattr(cfg, k) != defaults[k]]
        return f"{cls.name} ({', '.join(bits)})" if bits else cls.name

    @classmethod
    def check_dataset(cls, desc: dict, cfg=None) -> str | None:
        """None if this family can train on a dataset described by `desc` (the recipe's
        describe(): kind, shape, ...) with run settings `cfg` (None: the defaults), else why not.
        Validation asks this before any work, so a size the networks cannot take stops at once."""
        return None

    def __init__(self, cfg, meta: dict, device: torch.device):
        super().__init__()
        self.cfg, self.meta, self.device = cfg, meta, device
        self.n_seeds = len(cfg.seeds)

    def latent(self, n: int, rng: SeedRNG) -> torch.Tensor:
        raise NotImplementedError

    def fixed_latent(self, n: int, rng: SeedRNG) -> torch.Tensor:
        """The latents of figures and in-loop estimates; conditional families cycle the classes."""
        return self.latent(n, rng)

    def fixed_input(self, n: int, rng: SeedRNG, real: RealBatches) -> torch.Tensor:
        """The generator inputs of the training loop's snapshots and estimates: fixed latents;
        translation families (ganlab.families._translation) take real input images instead."""
        return self.fixed_latent(n, rng)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def d_display(self, x: torch.Tensor) -> torch.Tensor:
        """Discriminator output people read: a probability for logistic D, the raw critic value
        for Wasserstein critics. Shape (S, N)."""
        raise NotImplementedError

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def generator_params(self) -> list[nn.Parameter]:
        """The parameters that make the samples (option ema_kimg averages them over training)."""
        raise NotImplementedError

    def train_step(self, real: RealFn, rng: SeedRNG) -> dict[str, torch.Tensor]:
        """One step of the family's schedule; returns per-seed (S,) tensors to log."""
        raise NotImplementedError

    def final_metrics(self) -> dict[str, list[float]]:
        """Family-specific numbers for metrics.json (per seed). Default: none."""
        return {}

    # ------------------------------------------------------------------ capabilities
    def latent_labels(self, z: torch.Tensor) -> torch.Tensor:
        """The class (or categorical code) latents `z` ask for: (S, n). Only when n_cat > 0."""
        raise NotImplementedError(f"family {self.name} has no class or categorical code in its latent")

    def latent_cont(self, z: torch.Tensor) -> torch.Tensor:
        """The continuous codes of latents `z`: (S, n, n_cont)."""
        raise NotImplementedError(f"family {self.name} has no continuous codes in its latent")

    def to_space(self, z: torch.Tensor, space: str) -> torch.Tensor:
        """Latents (noise part) mapped into one of `latent_spaces`."""
        if space == "z" and "z" in self.latent_spaces:
            return z
        raise ValueError(f"family {self.name} has latent spaces {list(self.latent_spaces)}, not {space!r}")

    def render(self, v: torch.Tensor, space: str = "z", codes: torch.Tensor | None = None,
               noise_seed: int | None = None) -> torch.Tensor:
        """Samples from points `v` of `space`; `codes` (S, n, n_cat + n_cont) are appended to
        z-space noise (InfoGAN's codes held fixed along a path). `noise_seed` fixes per-pixel
        noise where a family has it (StyleGAN)."""
        if space not in self.latent_spaces:
            raise ValueError(f"family {self.name} has latent spaces {list(self.latent_spaces)}, not {space!r}")
        if codes is not None and codes.shape[-1]:
            v = torch.cat([v, codes.to(v.dtype)], -1)
        return self.generate(v)

    def truncate(self, v: torch.Tensor, space: str, psi: float) -> torch.Tensor:
        """Points of `space` pulled towards its mean by psi (StyleGAN's w truncation)."""
        raise ValueError(f"family {self.name} has no truncation in space {space!r}")

    def translate(self, x: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
        """Translation families: images (S, n, ...) of the input domain mapped along `direction`."""
        raise ValueError(f"family {self.name} does not translate images")

    def test_inputs(self, arrays: dict, n: int) -> torch.Tensor:
        """Translation families: the first n held-out inputs (n, ...) in model space."""
        raise ValueError(f"family {self.name} does not translate images")


@dataclass
class AdversarialConfig(RunConfig):
    z_dim: int | None = param(None, "latent dimension (default: 2 on point data, 100 on images as in DCGAN)", ge=1, le=4096)
    z_dist: Literal["normal", "uniform"] = param("normal", "latent distribution: N(0, I) or U[-1, 1] per component (DCGAN)")
    g_hidden: list[int] = param([128, 128, 128], "point data: generator hidden widths", ge=1, le=4096)
    d_hidden: list[int] = param([128, 128, 128], "point data: discriminator hidden widths", ge=1, le=4096)
    channels_last: bool = param(True, "images: channels_last memory format (faster convolutions; see bench/bench_images.py)")
    width: int = param(32, "images: channels of D's first and G's last hidden layer, doubling per resolution step (DCGAN uses 128 at 64x64)", ge=1, le=1024)
    fc_hidden: int = param(0, "images: a fully connected hidden layer of this width in G (after z) and D (before the logit; "
                              "auxiliary heads share it); 0 = none, InfoGAN's MNIST nets: 1024", ge=0)
    minibatch: Literal["none", "mbd", "mbstd"] = param(
        "none", "discriminator option: minibatch discrimination (Salimans et al. 2016) or minibatch std (Karras et al. 2018), before the logit")
    mbd_kernels: int = param(8, "minibatch discrimination: number of kernels B (Salimans et al. use 100 for images)", ge=1, le=1024)
    mbd_dim: int = param(4, "minibatch discrimination: kernel dimension C", ge=1, le=1024)
    lr_g: float = param(1e-3, "generator learning rate", gt=0)
    lr_d: float = param(1e-3, "discriminator learning rate", gt=0)
    beta1: float = param(0.5, "Adam beta1", ge=0, lt=1)
    beta2: float = param(0.999, "Adam beta2", ge=0, lt=1)
    d_steps: int = param(1, "discriminator (critic) updates per generator update", ge=1, le=1000)
    pack: int = param(1, "PacGAN (Lin et al. 2018): the discriminator judges m samples at once (points: coordinates concatenated; images: channels), and every D and G step draws m x batch_size samples, so D still sees batch_size packed examples; 1 = no packing", ge=1, le=16)
    d_act: Literal["leaky_relu", "maxout"] = param("leaky_relu", "point data: the discriminator's hidden units: LeakyReLU(0.2), or maxout of `maxout_pieces` linear pieces (VEEGAN's and PacGAN's 2-D discriminators)")
    maxout_pieces: int = param(5, "point data, d_act maxout: linear pieces per unit (PacGAN: 5)", ge=2, le=64)
    g_batch_norm: bool = param(False, "point data: batch norm before each hidden ReLU of the generator (PacGAN's 2-D generator)")


class Adversarial(Family):
    Config = AdversarialConfig
    latent_spaces = ("z",)
    variant_options = ("minibatch", "pack", "ema_kimg")
    packable = True         # D may judge packed samples (False where D sees labels or feeds a Q head)
    kinds: tuple[str, ...] = ("points", "images")   # data kinds the family trains on
    needs_labels = False    # trains on class labels (cGAN, ACGAN)
    d_in_class = ""         # how D sees the class: "", "concat", "projection" or "both" (cGAN)
    d_aux_class = False     # the discriminator also outputs class logits (ACGAN)
    d_batch_norm = True     # images: batch norm in D (False for a gradient-penalised critic)

    @classmethod
    def check_dataset(cls, desc: dict, cfg=None) -> str | None:
        if cfg is not None and cfg.pack > 1:
            if not cls.packable:
                from ganlab.families import get_family, list_families
                able = [f for f in list_families() if getattr(get_family(f), "packable", False)]
                return (f"pack: family {cls.name} cannot pack (its discriminator sees class labels or feeds "
                        f"another head); families that can: {', '.join(able)}")
        if cfg is not None and desc["kind"] != "points":
            for key, default in (("d_act", "leaky_relu"), ("g_batch_norm", False)):
                if getattr(cfg, key) != default:
                    return f"{key}: applies to the MLPs of point data only; leave it at {default!r} for {desc['kind']}"
        if desc["kind"] not in cls.kinds:
            names = {"points": "point datasets (toy1d, ring, grid, mixture)",
                     "images": "image datasets (glyphs, digits, stacked, mnist, ...)"}
            return f"family {cls.name} trains on {' or '.join(names[k] for k in cls.kinds)}, not {desc['kind']}"
        if cls.needs_labels and (desc.get("per_channel_labels") or not desc.get("classes")):
            return f"family {cls.name} needs one class label per image; this dataset has none or one per channel"
        if desc["kind"] == "images" and "shape" in desc:
            return cls.check_image_side(*desc["shape"][1:])
        return None

    @classmethod
    def check_image_side(cls, h: int, w: int) -> str | None:
        """None if the family's image networks take h x w images (DCGAN's: square, 4 * 2^k >= 8)."""
        try:
            n_doublings(h)
        except ValueError:
            return f"family {cls.name} needs square images of side 4 * 2^k >= 8 (8, 16, 32, ...), got {h}x{w}"
        return None if h == w else f"family {cls.name} needs square images of side 4 * 2^k >= 8 (8, 16, 32, ...), got {h}x{w}"

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
        self._opts: tuple | None = None   # built on first use: evaluation never needs them

    def build_networks(self, cfg, meta: dict) -> tuple[nn.Module, nn.Module]:
        """(G, D) under the seed-batched convention: DCGAN's conv nets for images, MLPs for
        points. Families with their own architectures (progan, stylegan) override this."""
        if self.images:
            zin, shape = self.z_dim + self.n_cat + self.n_cont, meta["shape"]
            fc = cfg.fc_hidden
            G = SeedStack(lambda: DCGANGenerator(zin, shape, cfg.width, fc), cfg.seeds, channels_last=cfg.channels_last)
            d_shape = [shape[0] * cfg.pack, *shape[1:]]      # packed: m images' channels side by side
            D = SeedStack(lambda: DCGANDiscriminator(d_shape, cfg.width, self.d_batch_norm,
                                                     in_extra=self.n_cat if self.d_in_class in ("concat", "both") else 0,
                                                     n_out=1 + (self.n_cat if self.d_aux_class else 0),
                                                     project=self.n_cat if self.d_in_class in ("projection", "both") else 0,
                                                     minibatch=cfg.minibatch, mbd_kernels=cfg.mbd_kernels, mbd_dim=cfg.mbd_dim,
                                                     fc_hidden=fc),
                          cfg.seeds, offset=8_000_003, channels_last=cfg.channels_last)
            return G, D
        init = SeedRNG(cfg.seeds)  # per-seed init: a seed's weights do not depend on the others
        G = SeedMLP(self.z_dim, cfg.g_hidden, meta["dim"], init, act="relu", norm="batch" if cfg.g_batch_norm else "none")
        D = SeedMLP(meta["dim"] * cfg.pack, cfg.d_hidden, 1, init, act=cfg.d_act, minibatch=cfg.minibatch,
                    mbd_kernels=cfg.mbd_kernels, mbd_dim=cfg.mbd_dim, maxout_pieces=cfg.maxout_pieces)
        return G, D

    def latent_codes(self, cfg, meta: dict) -> tuple[int, int]:
        """(n_cat, n_cont); conditional families take n_cat from the dataset's classes."""
        return (int(meta["classes"]), 0) if self.needs_labels else (0, 0)

    def build_extra(self) -> None:
        """Hook for extra modules (InfoGAN's Q head) built before the optimisers."""

    def make_optimizers(self):
        c = self.cfg
        return (torch.optim.Adam(self.G.parameters(), lr=c.lr_g, betas=(c.beta1, c.beta2)),
                torch.optim.Adam(self.D.parameters(), lr=c.lr_d, betas=(c.beta1, c.beta2)))

    def optimizers(self):
        return {"g": self.opt_g, "d": self.opt_d}

    def generator_params(self):
        return list(self.G.parameters())

    # Built lazily: constructing a torch optimiser imports torch._dynamo (about 1.2 s), which
    # evaluation, sampling and studies do not need.
    @property
    def opt_g(self) -> torch.optim.Optimizer:
        if self._opts is None:
            self._opts = self.make_optimizers()
        return self._opts[0]

    @property
    def opt_d(self) -> torch.optim.Optimizer:
        if self._opts is None:
            self._opts = self.make_optimizers()
        return self._opts[1]

    # ------------------------------------------------------------------ latents
    def latent(self, n: int, rng: SeedRNG, labels: torch.Tensor | None = None,
               cont: torch.Tensor | None = None) -> torch.Tensor:
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
        return z[..., self.z_dim:self.z_dim + self.n_cat].argmax(-1)

    def latent_cont(self, z: torch.Tensor) -> torch.Tensor:
        return z[..., self.z_dim + self.n_cat:]

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

    def d_display(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        # A minibatch layer makes D(x) depend on the rest of its batch, so D is evaluated on
        # batches of the training size (and never on one huge batch of grid points). A packed D
        # is shown on m copies of each point: D(x, x, ..., x).
        B, m = self.cfg.batch_size, self.cfg.pack
        x = x.repeat_interleave(m, dim=1) if m > 1 else x
        chunks = [self.critic(c, None if labels is None else labels[:, i * B:(i + 1) * B])
                  for i, c in enumerate(x.split(B * m, dim=1))]
        out = torch.cat(chunks, dim=1)
        return torch.sigmoid(out) if self.d_is_probability else out

    def d_batch(self, real: RealFn, rng: SeedRNG, grad_real: bool = False, grad_fake: bool = False):
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

    def update(self, opt: torch.optim.Optimizer, module: nn.Module | tuple[nn.Module, ...],
               loss: torch.Tensor) -> torch.Tensor:
        """Backward the per-seed losses, step, and return the per-seed gradient norm of the
        module (or modules) that `opt` updates (`step`)."""
        return step(opt, module if isinstance(module, tuple) else (module,), loss)

