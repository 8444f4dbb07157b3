"""ProGAN (Karras et al., 2018): progressive growing from 4x4 to the dataset's resolution.

Networks, the growing schedule (`ganlab.nn.progan.schedule`) and the real-image blending are
in ganlab.nn.progan; the layers (equalised learning rate, pixel norm, minibatch std) in
ganlab.nn.equalised. As in the paper: Adam with betas (0, 0.99), one D step per G step, each new
resolution faded in with alpha rising linearly from 0 to 1 over `fade_steps` steps, then
stabilised for `phase_steps` steps (the target resolution keeps the rest of training); real
images are average-pooled to the current resolution and blended by the same alpha during a
fade-in. Scaled down for CPU: 12 channels at 16x16, 24 at 8x8, 48 at 4x4 (the paper: 512),
batch 32, lr 2e-3 (the paper: 1e-3).

The phase follows the model's own step counter, which `train_step` advances and which is
saved with the weights (the module's extra state): a checkpoint resumes in the right phase,
and a trained model loaded by ganlab.training.loop.load_model is at step `steps`, its final
phase (alpha 1 at the target resolution). `generate` always returns images at the dataset's
resolution (the current phase's output, nearest-upsampled), clipped to [-1, 1].

Choices measured on glyphs 16x16 (seed 0, 1,500 steps, lr decaying to 0, phase_steps =
fade_steps = 100 unless noted; FD on the evaluation classifier's features, 2,500 samples;
dcgan-glyphs: FD 52, 10/10 classes). Trained with ganlab.training.loop.Trainer on glyphs
16x16 and scored with ganlab.evaluation (image metrics) from a scratch script outside the
repo (the default run progan-glyphs reproduces the last line through `dvc repro`); CPU seconds
of one thread (process time; wall time was inflated by other work on the machine):

  loss, width 8, batch 64, linear output, phase/fade 200: WGAN-GP + drift (the paper) FD 1123,
    5/10 classes; non-saturating + R1 (gamma 1) FD 209, 10/10 -> `loss: ns_r1`
  width 8, batch 64, phase/fade 100: ns + R1 FD 374 (138 cpu-s); ns, no R1 FD 425 (96 cpu-s);
    ns + R1 + tanh output FD 157 (138 cpu-s) -> `tanh_output: true` (the paper's is linear)
  tanh, R1 every 4th step (lazy, weight x4; Karras et al. 2020): width 8 batch 64 FD 237 (96 cpu-s);
    width 8 batch 32, 2,000 steps, phase/fade 150: FD 179 (83 cpu-s); width 12 batch 32: FD 139
    (98 cpu-s); the same with gamma 0.1: FD 178; with R1 every step: FD 164 (125 cpu-s);
    with lr 2e-3: FD 112, precision 0.33, recall 0.69, coverage 0.17, 10/10 (100 cpu-s) -> defaults.

Loss (`loss`): `ns_r1`, the non-saturating loss with the R1 penalty (gamma / 2) E ||grad D(x)||^2
on real images (Mescheder et al. 2018), or `wgan_gp`, the paper's WGAN-GP (lambda 10) with the
drift term eps * E D(x)^2, eps = 0.001.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from ganlab import losses
from ganlab.config import ConfigError, fixed, param
from ganlab.families._adversarial import Adversarial, AdversarialConfig, ImagesOnly, Unpacked
from ganlab.families.base import Problem
from ganlab.nn.progan import ProDiscriminator, ProGenerator, real_at_phase, schedule, to_full
from ganlab.nn.seeded import SeedStack
from ganlab.nn.sizes import n_doublings

_OWN_MBSTD = "progan's discriminator has its own minibatch std layer (mbstd_group)"


@dataclass
class ProGANConfig(ImagesOnly, Unpacked, AdversarialConfig):
    minibatch: Literal["none", "mbd", "mbstd"] = fixed("none", _OWN_MBSTD)
    mbd_kernels: int = fixed(8, _OWN_MBSTD)
    mbd_dim: int = fixed(4, _OWN_MBSTD)
    width: int = param(
        12,
        "channels at the target resolution, doubling per halving of the resolution (the paper: 512 up to 32x32)",
        ge=1,
        le=1024,
    )
    max_width: int = param(48, "cap on the channels of the low-resolution levels", ge=1, le=1024)
    phase_steps: int = param(
        100,
        "steps per stabilise phase (alpha = 1) at each resolution below the target; the target keeps the rest",
        ge=1,
    )
    fade_steps: int = param(100, "steps per fade-in of a new resolution (alpha from 0 to 1)", ge=1)
    grow: bool = param(
        True,
        "grow from 4x4 (the paper); false: the same networks trained at the target resolution from the first step, "
        "the baseline growing is measured against",
    )
    tanh_output: bool = param(
        True,
        "tanh on the generator's output (the paper's is linear: FD 374 against 157 with tanh on glyphs16, see the "
        "module docstring)",
    )
    mbstd_group: int = param(4, "minibatch std layer: samples per group (min with the batch size)", ge=1, le=1024)
    loss: Literal["wgan_gp", "ns_r1"] = param(
        "ns_r1", "non-saturating + R1 on reals, or WGAN-GP with drift (the paper; FD 1123 against 209 on glyphs16)"
    )
    gp_weight: float = param(10.0, "wgan_gp: gradient penalty weight lambda", ge=0)
    drift: float = param(0.001, "wgan_gp: drift penalty eps * E D(x)^2 keeping the critic near 0", ge=0)
    r1_weight: float = param(1.0, "ns_r1: R1 penalty weight gamma ((gamma / 2) E ||grad D(x)||^2)", ge=0)
    r1_every: int = param(
        4, "ns_r1: apply R1 every k-th step with weight k * gamma (lazy regularisation, Karras et al. 2020)", ge=1
    )
    batch_size: int = param(32, "samples per batch", ge=1, le=65_536)
    lr_g: float = param(2e-3, "generator learning rate (the paper: 1e-3)", gt=0)
    lr_d: float = param(2e-3, "discriminator learning rate (the paper: 1e-3)", gt=0)
    beta1: float = param(0.0, "Adam beta1 (the paper: 0)", ge=0, lt=1)
    beta2: float = param(0.99, "Adam beta2 (the paper: 0.99)", ge=0, lt=1)
    channels_last: bool = param(False, "images: channels_last memory format")


class ProGAN(Adversarial):
    name = "progan"
    Config = ProGANConfig
    variant_options = ("grow", "ema_kimg")
    kinds = ("images",)

    @classmethod
    def check_image_side(cls, h: int, w: int) -> Problem | None:
        ok = h == w
        try:
            n_doublings(h, smallest=4)
        except ValueError:
            ok = False
        if ok:
            return None
        return Problem("dataset", f"family progan needs square images of side 4 * 2^k (4, 8, 16, 32, ...), got {h}x{w}")

    @classmethod
    def check_dataset(cls, desc: dict, cfg=None) -> Problem | None:
        why = super().check_dataset(desc, cfg)
        if why is None and cfg is not None and cfg.grow and "shape" in desc:
            side = int(desc["shape"][1])
            need = n_doublings(side, smallest=4) * (cfg.phase_steps + cfg.fade_steps)
            if cfg.steps <= need:
                return Problem(
                    "steps",
                    f"progan reaches {side}x{side} with alpha 1 after {n_doublings(side, smallest=4)} x "
                    "(phase_steps + fade_steps) "
                    f"= {need} steps; steps must be larger, got {cfg.steps} (lower phase_steps {cfg.phase_steps} "
                    f"or fade_steps {cfg.fade_steps}, or raise steps)",
                )
        return why

    def __init__(self, cfg, meta: dict, device: torch.device):
        why = self.check_dataset(meta, cfg)
        if why:
            raise ConfigError(why.key if why.key != "dataset" else f"dataset {cfg.dataset!r}", why.message)
        self.side = int(meta["shape"][1])
        self.n_step = 0  # training steps taken: the phase (saved with the weights)
        super().__init__(cfg, meta, device)

    def build_networks(self, cfg, meta: dict):
        zin, shape, seeds = self.z_dim + self.n_cat + self.n_cont, meta["shape"], cfg.seeds
        no_init = lambda net: None  # equalised lr: the layers draw N(0, 1) weights themselves
        G = SeedStack(
            lambda: ProGenerator(zin, shape, cfg.width, cfg.max_width, cfg.tanh_output),
            seeds,
            init=no_init,
            channels_last=cfg.channels_last,
        )
        D = SeedStack(
            lambda: ProDiscriminator(shape, cfg.width, cfg.max_width, cfg.mbstd_group),
            seeds,
            init=no_init,
            offset=8_000_003,
            channels_last=cfg.channels_last,
        )
        return G, D

    # ------------------------------------------------------------------ phase
    def get_extra_state(self):
        return {"step": self.n_step}

    def set_extra_state(self, state) -> None:
        self.n_step = int(state["step"])

    def phase(self, step: int | None = None) -> tuple[int, float]:
        """(resolution, alpha) at `step` (default: the model's current step); without growing,
        the target resolution at alpha 1 throughout."""
        if not self.cfg.grow:
            return self.side, 1.0
        return schedule(self.n_step if step is None else step, self.cfg.phase_steps, self.cfg.fade_steps, self.side)

    def set_phase(self) -> tuple[int, float]:
        res, alpha = self.phase()
        for net in (*self.G.nets, *self.D.nets):
            net.res, net.alpha = res, alpha
        return res, alpha

    def idle_parameters(self, step: int | None = None) -> list[str]:
        """Names of the parameters that get no gradient in the phase of `step` (default: the
        step just trained): the layers of higher resolutions, the toRGB/fromRGB of the lower
        ones (of all but the previous one during a fade-in), and the new level at alpha 0."""
        step = max(self.n_step - 1, 0) if step is None else step
        res, alpha = self.phase(step)
        level = n_doublings(res, smallest=4)
        fading = alpha < 1.0
        rgb_used = {level, level - 1} if fading else {level}
        rgb_used -= {level} if alpha == 0 else set()
        idle = []
        for name, _ in self.named_parameters():
            parts = name.split(".")  # G.nets.<s>.<layer>.<index>...
            if len(parts) < 5 or parts[3] not in ("blocks", "to_rgb", "from_rgb"):
                continue
            i = int(parts[4])
            if parts[3] == "blocks":  # blocks[i] makes resolution 4 * 2^(i + 1)
                if i + 1 > level or (alpha == 0 and i + 1 == level):
                    idle.append(name)
            elif i not in rgb_used:
                idle.append(name)
        return idle

    # ------------------------------------------------------------------ interface
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        self.set_phase()
        return to_full(self.G(z), self.side).clamp(-1, 1)

    def d_display(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        res, alpha = self.set_phase()
        return super().d_display(real_at_phase(x, res, alpha), condition)

    def penalty(self, x: torch.Tensor, fake: torch.Tensor, d_real: torch.Tensor, rng) -> torch.Tensor:
        c = self.cfg
        if c.loss == "wgan_gp":
            eps = rng.rand(c.batch_size, 1, 1, 1)
            return c.gp_weight * losses.gradient_penalty(self.critic, x, fake, eps) + c.drift * d_real.pow(2).mean(1)
        if c.r1_weight == 0 or self.n_step % c.r1_every:
            return torch.zeros_like(d_real[:, 0])
        x = x.detach().requires_grad_(True)
        with losses.twice_differentiated():
            d_real = self.critic(x)
        return 0.5 * c.r1_weight * c.r1_every * losses.zero_centred_penalty(d_real, x)

    def train_step(self, real, rng):
        res, alpha = self.set_phase()
        real_now = lambda n: real_at_phase(real(n), res, alpha)
        wgan = self.cfg.loss == "wgan_gp"
        for _ in range(self.cfg.d_steps):
            x, fake, d_real, d_fake = self.d_batch(real_now, rng)
            adv = losses.d_wasserstein(d_real, d_fake) if wgan else losses.d_bce(d_real, d_fake)
            pen = self.penalty(x, fake, d_real, rng)
            loss_d = adv + pen
            grad_d = self.update("d", self.D, loss_d)
        d_gen = self.g_out(rng)
        loss_g = losses.g_wasserstein(d_gen) if wgan else losses.g_non_saturating(d_gen)
        grad_g = self.update("g", self.G, loss_g)
        self.n_step += 1
        S = self.n_seeds
        return {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "d_real": d_real.mean(1).detach(),
            "d_fake": d_fake.mean(1).detach(),
            "penalty": pen.detach(),
            "grad_d": grad_d,
            "grad_g": grad_g,
            "resolution": torch.full((S,), float(res), device=d_real.device),
            "alpha": torch.full((S,), float(alpha), device=d_real.device),
        }


FAMILY = ProGAN
