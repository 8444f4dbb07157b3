"""The Family contract: what every family provides to the shared training loop, evaluation and CLI.

The loop (ganlab.training.loop) only calls the methods below, so it never needs a branch
per family. All tensors carry a leading seed dimension S (see ganlab.nn.seeded). A family is
one module of this folder defining FAMILY, a subclass of `Family` with a typed Config (a dataclass of
ganlab.config `param` fields: what params may set for a run of it; an inherited option the family does
not take is redeclared `fixed`, so setting it is a params error that says why); what crosses the contract:

- `RealBatches`: the real training data a `train_step` draws from, in three shapes: `real(n)`,
  `real.labeled(n)` (with class labels), `real.paired(n)` / `real.unpaired(n)` (translation);
- `update(which, modules, loss)`: one optimiser step of "g" or "d" (`make_optimizers` builds
  them, once, on first use) returning the per-seed gradient norm the loop logs;
- `d_display(x, condition=None)`: what D says of samples, for people (a probability, or a
  critic's value), `condition` being what a conditional D also sees (class labels, input images).

Shared bodies: ganlab.families._adversarial (the two-player families on latents: gan, wgan,
wgan_gp, dcgan and its conditional variants, progan, stylegan) and ganlab.families._translation
(pix2pix, srgan, cyclegan).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from ganlab import distributed
from ganlab.config import RunConfig
from ganlab.data import to_model
from ganlab.nn.seeded import SeedRNG, SeedStack


@dataclass(frozen=True)
class Problem:
    """Why a family cannot train a run: `key`, the run setting at fault (a field of the run's
    Config) or "dataset" (the data itself), and `message`, what is wrong and what is allowed.
    Validation reports it as `runs.<run>.<key>: <message>`."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class RealBatches:
    """Real training batches, drawn per seed from data resident on the device.

    `real(n)` -> (S, n, ...) in model space (images: uint8 storage -> float in [-1, 1]);
    `real.labeled(n)` -> (x, labels of shape (S, n)) for families that train on labels.
    Translation data (ganlab.data.translation) also holds `inputs` (paired: the input of each
    stored target, row-aligned) or `domain_a` (unpaired: domain A, drawn independently of the
    data, which is domain B): `real.paired(n)` -> (inputs, targets) of the same rows,
    `real.unpaired(n)` -> (a, b) of independent rows.
    """

    def __init__(
        self,
        data: torch.Tensor,
        labels: torch.Tensor | None,
        rng: SeedRNG,
        inputs: torch.Tensor | None = None,
        domain_a: torch.Tensor | None = None,
    ):
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
            sq = [g.pow(2).sum() for g in grads[i : i + k] if g is not None]
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
    with torch.autocast(loss.device.type, enabled=False):  # precision bf16: backward outside autocast
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
    d_is_probability = True  # d_display returns D(x) in [0, 1]; False for Wasserstein critics
    translation = ""  # "", "paired" or "unpaired"
    directions: tuple[str, ...] = ()
    conditioning = ""  # "", "class" or "code"
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
    def check_dataset(cls, desc: dict, cfg=None) -> Problem | None:
        """None if this family can train on a dataset described by `desc` (the recipe's
        describe(): kind, shape, ...) with run settings `cfg` (None: the defaults), else why not.
        Validation asks this before any work, so a size the networks cannot take stops at once."""
        return None

    def __init__(self, cfg, meta: dict, device: torch.device):
        super().__init__()
        self.cfg, self.meta, self.device = cfg, meta, device
        self.n_seeds = len(cfg.seeds)
        self._opts: dict[str, torch.optim.Optimizer] | None = None

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

    def d_display(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Discriminator output people read: a probability for logistic D, the raw critic value
        for Wasserstein critics. Shape (S, N). `condition`: what a conditional D also sees (cGAN's
        class labels (S, N), pix2pix's input images); None for the others."""
        raise NotImplementedError

    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """{"g": the generator's optimiser, "d": the discriminator's}; optimizers() builds them once."""
        raise NotImplementedError

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        # Built on first use: constructing a torch optimiser imports torch._dynamo (about 1.2 s),
        # which evaluation, sampling and studies do not need.
        if self._opts is None:
            self._opts = self.make_optimizers()
        return self._opts

    def update(self, which: str, modules: nn.Module | tuple[nn.Module, ...], loss: torch.Tensor) -> torch.Tensor:
        """Backward the per-seed losses (S,), step optimiser `which` ("g" or "d"), and return the
        per-seed gradient norm over `modules`, the modules that optimiser updates (`step`)."""
        return step(self.optimizers()[which], modules if isinstance(modules, tuple) else (modules,), loss)

    def generator_params(self) -> list[nn.Parameter]:
        """The parameters that make the samples (option ema_kimg averages them over training)."""
        raise NotImplementedError

    def train_step(self, real: RealBatches, rng: SeedRNG) -> dict[str, torch.Tensor]:
        """One step of the family's schedule; returns per-seed (S,) tensors to log."""
        raise NotImplementedError

    def final_metrics(self) -> dict[str, list[float]]:
        """Family-specific numbers for metrics.json (per seed). Default: none."""
        return {}

    def idle_parameters(self, step: int | None = None) -> list[str]:
        """Names of the parameters that the update of `step` (default: the step just trained)
        leaves untouched by design. Default: none (progressive growing has layers not yet grown)."""
        return []

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

    def render(
        self, v: torch.Tensor, space: str = "z", codes: torch.Tensor | None = None, noise_seed: int | None = None
    ) -> torch.Tensor:
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
