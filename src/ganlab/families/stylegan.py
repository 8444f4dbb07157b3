"""StyleGAN (Karras et al., 2019) with StyleGAN2's weight demodulation (Karras et al., 2020),
at reduced size. Networks: ganlab.nn.stylegan.

As in the papers: z ~ N(0, I), pixel-normed, goes through a mapping network to w; the
synthesis network starts from a learned constant 4x4 input and takes a style from w at every
layer, here by weight modulation and demodulation (StyleGAN2) rather than AdaIN; per-pixel
noise with a learned per-layer strength; style mixing regularisation (with probability
`mixing_prob`, 0.9 in the paper, the styles after a random crossover layer come from a second
latent); the running average of w (beta `w_avg_beta` = 0.995, the authors' value) for the
truncation trick; the non-saturating logistic loss with lazy R1 on the reals (gamma `r1_gamma`
every `r1_every` = 16 steps, the penalty scaled by 16); Adam with betas (0, 0.99); equalised
learning rate everywhere and the mapping's learning rate times `mapping_lr_mul` (0.01).
Scaled down: a 4-layer mapping (paper: 8) with z and w of 64 dimensions (paper: 512);
`width` = 16 channels at the finest resolution, doubling per halving (paper: 512 at every
coarse level); batch 64; no path-length regulariser, no progressive growing (StyleGAN2 has
neither). The default discriminator is DCGAN's conv D without batch norm (`d_width` 32), not
StyleGAN2's residual D (`d_arch: resnet`), which made a step about 3x slower on CPU.

Choices measured on glyphs 16x16 (one seed, 1 CPU thread, FD on the evaluation classifier's
features, lr decaying to 0; scratch runs of ganlab.training.loop.Trainer + image_metrics):
- Learning rates. With equalised lr every weight moves by about lr relative to its unit scale
  per Adam step, so StyleGAN2's 0.002 (tuned for millions of images) learns far too slowly in a
  budget of ~1,500 steps: lr 0.002/0.002 gave FD 500-700 after 600 steps, lr_g 0.01 with
  lr_d 0.001 FD 191 (lr_g 0.02 collapsed: recall 0). After 1,500 steps: lr_g 0.01 with
  lr_d 0.001 FD 218, with lr_d 0.002 FD 129 (10/10 classes, precision 0.50, recall 0.49);
  2,000 steps did no better (FD 137).
- Minibatch std in the DCGAN D (`minibatch: mbstd`): FD 116, 10/10 classes, precision 0.46,
  recall 0.57 after 1,500 steps (without: 129). An option, not the default (the measurements
  above were made without it).
- Speed (/tmp/h/quick.py, 100 steps with start-up, 1 thread, a busy machine): width 32 with
  the residual D 1.9 steps/s, the same with `fused: true` 1.2 steps/s, width 32 with the DCGAN
  D 5.4 steps/s; DCGAN 18.6 steps/s.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Literal

import torch

from ganlab import losses
from ganlab.config import ConfigError, fixed, param
from ganlab.families._adversarial import Adversarial, AdversarialConfig, ImagesOnly, Unpacked
from ganlab.nn.dcgan import DCGANDiscriminator
from ganlab.nn.seeded import SeedRNG, SeedStack, dcgan_init_
from ganlab.nn.stylegan import ResidualDiscriminator, StyleGenerator

NOISE_SEED = 0  # the per-pixel noise of generate(): fixed, so evaluation is deterministic


def _no_init(module) -> None:
    """Equalised-lr layers draw N(0, 1) weights when built (SeedStack seeds torch per net)."""


@dataclass
class StyleGANConfig(ImagesOnly, Unpacked, AdversarialConfig):
    z_dist: Literal["normal", "uniform"] = fixed(
        "normal", "stylegan draws z from N(0, I) (its mapping pixel-normalises it)"
    )
    d_steps: int = fixed(1, "stylegan alternates one D and one G step")
    z_dim: int = param(64, "latent dimension of z (the paper: 512)", ge=1, le=4096)
    w_dim: int = param(64, "dimension of w, the mapping network's output (the paper: 512)", ge=1, le=4096)
    mapping_layers: int = param(4, "layers of the mapping network (the paper: 8)", ge=1, le=64)
    mapping_lr_mul: float = param(0.01, "learning-rate multiplier of the mapping network (the paper: 0.01)", gt=0)
    mixing_prob: float = param(
        0.9,
        "style mixing regularisation: probability that a batch mixes two latents at a random crossover layer (the "
        "paper: 0.9)",
        ge=0,
        le=1,
    )
    w_avg_beta: float = param(
        0.995, "decay of the running average of w tracked for truncation (the authors: 0.995)", ge=0, lt=1
    )
    r1_gamma: float = param(0.1, "R1 penalty weight gamma: gamma/2 E||grad D(x)||^2 on real images (0 = off)", ge=0)
    r1_every: int = param(
        16, "lazy regularisation: R1 every this many steps, scaled by it (StyleGAN2: 16; 1 = every step)", ge=1
    )
    width: int = param(
        16,
        "images: G's channels at the finest resolution, doubling per halving of the side (16x16: 64, 32, 16)",
        ge=1,
        le=1024,
    )
    d_width: int = param(32, "images: channels of D's first layer, doubling per halving of the side", ge=1, le=1024)
    d_arch: Literal["dcgan", "resnet"] = param(
        "dcgan",
        "discriminator: DCGAN's conv D without batch norm (with the `minibatch` option), or StyleGAN2's residual D "
        "with minibatch std (about 3x slower on CPU)",
    )
    fused: bool = param(
        False,
        "modulated convs as one grouped convolution of per-sample weights (the authors' GPU default) instead of "
        "scaling the activations; same numbers",
    )
    channels_last: bool = param(True, "images: channels_last memory format (1.2x faster steps on CPU)")
    batch_size: int = param(64, "samples per batch", ge=2, le=65_536)
    minibatch: Literal["none", "mbd", "mbstd"] = param(
        "none",
        "d_arch dcgan: minibatch discrimination (Salimans et al. 2016) or minibatch std (Karras et al. 2018) before "
        "the logit; d_arch resnet: always mbstd",
    )
    lr_g: float = param(1e-2, "generator learning rate (StyleGAN2: 0.002; higher here, see the module docstring)", gt=0)
    lr_d: float = param(2e-3, "discriminator learning rate (StyleGAN2: 0.002)", gt=0)
    beta1: float = param(0.0, "Adam beta1 (StyleGAN2: 0)", ge=0, lt=1)
    beta2: float = param(0.99, "Adam beta2 (StyleGAN2: 0.99)", ge=0, lt=1)

    def check(self, path: str) -> None:
        if self.d_arch == "resnet" and self.minibatch not in ("none", "mbstd"):
            raise ConfigError(
                f"{path}.minibatch",
                f"the resnet discriminator always has minibatch std "
                f"(allowed with d_arch resnet: 'none' or 'mbstd'), got {self.minibatch!r}",
            )


class StyleGAN(Adversarial):
    name = "stylegan"
    Config = StyleGANConfig
    kinds = ("images",)

    def build_networks(self, cfg, meta: dict):
        shape, d_width = meta["shape"], cfg.d_width
        G = SeedStack(
            lambda: StyleGenerator(
                cfg.z_dim, shape, cfg.w_dim, cfg.width, cfg.mapping_layers, cfg.mapping_lr_mul, cfg.fused
            ),
            cfg.seeds,
            init=_no_init,
            channels_last=cfg.channels_last,
        )
        if cfg.d_arch == "resnet":
            D = SeedStack(
                lambda: ResidualDiscriminator(shape, d_width),
                cfg.seeds,
                init=_no_init,
                offset=8_000_003,
                channels_last=cfg.channels_last,
            )
        else:
            D = SeedStack(
                lambda: DCGANDiscriminator(shape, d_width, batch_norm=False, minibatch=cfg.minibatch),
                cfg.seeds,
                init=dcgan_init_,
                offset=8_000_003,
                channels_last=cfg.channels_last,
            )
        self.n_styles = G.nets[0].n_styles
        self.steps_done = 0  # for lazy R1; saved with the weights (get_extra_state)
        return G, D

    def get_extra_state(self):
        return {"steps_done": self.steps_done}

    def set_extra_state(self, state) -> None:
        self.steps_done = int(state["steps_done"])

    # ------------------------------------------------------------------ the studies' interface
    latent_spaces = ("z", "w")
    style_mixing = True

    def to_space(self, z: torch.Tensor, space: str) -> torch.Tensor:
        return self.mapping(z) if space == "w" else super().to_space(z, space)

    def render(
        self, v: torch.Tensor, space: str = "z", codes: torch.Tensor | None = None, noise_seed: int | None = None
    ) -> torch.Tensor:
        """Images from z (through the mapping) or from w, with per-pixel noise from `noise_seed`."""
        if space not in self.latent_spaces:
            raise ValueError(f"family {self.name} has latent spaces {list(self.latent_spaces)}, not {space!r}")
        return self.synthesis(v if space == "w" else self.mapping(v), noise_seed=noise_seed)

    def truncate(self, v: torch.Tensor, space: str, psi: float) -> torch.Tensor:
        if space != "w":
            return super().truncate(v, space, psi)
        return self.truncate_w(v, psi)

    @property
    def w_avg(self) -> torch.Tensor:
        return torch.stack([net.w_avg for net in self.G.nets])

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        return torch.stack([net.mapping(z[s]) for s, net in enumerate(self.G.nets)])

    def _ws(self, w: torch.Tensor) -> torch.Tensor:
        """(S, n, w_dim) or (S, n, L, w_dim) -> (S, n, L, w_dim)."""
        if w.dim() == 3:
            return w[:, :, None].expand(-1, -1, self.n_styles, -1)
        if w.dim() != 4 or w.shape[2] != self.n_styles:
            raise ValueError(
                f"styles must have shape (S, n, w_dim) or (S, n, {self.n_styles}, w_dim), got {tuple(w.shape)}"
            )
        return w

    def _synthesize(self, w: torch.Tensor, noise_seed: int | None = None, rng: SeedRNG | None = None) -> torch.Tensor:
        """Unclamped images, as D sees them in training."""
        ws, out = self._ws(w), []
        for s, net in enumerate(self.G.nets):
            if rng is not None:
                gen = rng.gens[s]
            elif noise_seed is not None:
                gen = torch.Generator(device=w.device).manual_seed(int(noise_seed))
            else:
                gen = None
            out.append(net.synthesis(ws[s], gen))
        return torch.stack(out)

    def synthesis(self, w: torch.Tensor, noise_seed: int | None = None, rng: SeedRNG | None = None) -> torch.Tensor:
        return self._synthesize(w, noise_seed, rng).clamp(-1, 1)

    def truncate_w(self, w: torch.Tensor, psi: float) -> torch.Tensor:
        avg = self.w_avg.view(w.shape[0], *[1] * (w.dim() - 2), w.shape[-1])
        return avg + psi * (w - avg)

    def mix(self, w1: torch.Tensor, w2: torch.Tensor, crossover) -> torch.Tensor:
        ws1, ws2 = self._ws(w1), self._ws(w2)
        cut = torch.as_tensor(crossover, device=ws1.device)
        cut = cut.view(*cut.shape, *[1] * (2 - cut.dim()))  # (S|1, n|1)
        layer = torch.arange(self.n_styles, device=ws1.device)
        return torch.where((layer < cut[..., None])[..., None], ws1, ws2)

    @torch.no_grad()
    def update_w_avg(self, w: torch.Tensor) -> None:
        """w_avg <- beta w_avg + (1 - beta) mean of the batch's w (S, n, w_dim), per seed."""
        for net, w_mean in zip(self.G.nets, w.float().mean(1)):  # fp32 also under bf16 autocast
            net.w_avg.lerp_(w_mean, 1 - self.cfg.w_avg_beta)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        return self.synthesis(self.mapping(z), noise_seed=NOISE_SEED)

    # ------------------------------------------------------------------ training
    def _train_fake(self, rng: SeedRNG) -> tuple[torch.Tensor, torch.Tensor]:
        """A generated batch with style mixing, and the unmixed w (for w_avg)."""
        B, L = self.cfg.batch_size, self.n_styles
        w1, w2 = self.mapping(self.latent(B, rng)), self.mapping(self.latent(B, rng))
        mixing = rng.rand(1)[:, 0] < self.cfg.mixing_prob  # one draw per seed
        cut = torch.where(mixing, rng.randint(L - 1, 1)[:, 0] + 1, L)  # crossover in [1, L-1]
        return self._synthesize(self.mix(w1, w2, cut), rng=rng), w1

    def train_step(self, real, rng):
        cfg = self.cfg
        with torch.no_grad():
            fake, _ = self._train_fake(rng)
        x = real(cfg.batch_size)
        lazy_r1 = cfg.r1_gamma > 0 and self.steps_done % cfg.r1_every == 0
        x.requires_grad_(lazy_r1)
        with losses.twice_differentiated() if lazy_r1 else contextlib.nullcontext():
            d_real = self.critic(x)
        d_fake = self.critic(fake)
        loss_d = losses.d_bce(d_real, d_fake)  # logged without the R1 term
        penalty = cfg.r1_gamma / 2 * cfg.r1_every * losses.zero_centred_penalty(d_real, x) if lazy_r1 else 0
        grad_d = self.update("d", self.D, loss_d + penalty)

        fake, w = self._train_fake(rng)
        loss_g = losses.g_non_saturating(self.critic(fake))
        grad_g = self.update("g", self.G, loss_g)
        self.update_w_avg(w)
        self.steps_done += 1
        return {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "d_real": torch.sigmoid(d_real).mean(1).detach(),
            "d_fake": torch.sigmoid(d_fake).mean(1).detach(),
            "grad_d": grad_d,
            "grad_g": grad_g,
        }


FAMILY = StyleGAN
