"""CycleGAN (Zhu et al., 2017): unpaired image-to-image translation with cycle consistency.

As in the paper: two ResNet generators, G: A -> B and F: B -> A; two PatchGAN discriminators
(D_B judges images of B, D_A of A) with instance norm; the least-squares adversarial loss
(Mao et al. 2017); the cycle-consistency loss lambda (|F(G(a)) - a|_1 + |G(F(b)) - b|_1) with
lambda = 10; the identity loss 0.5 lambda (|G(b) - b|_1 + |F(a) - a|_1) (the paper's section
5.2, used for its paintings); discriminators updated on a history of 50 generated images
(Shrivastava et al. 2017) rather than only the latest ones, and their loss halved; Adam with
lr 2e-4 and beta1 0.5. One optimiser for both generators ("g"), one for both discriminators
("d"), as in the reference code.
Scaled down (ganlab.nn.translation): width 16 instead of 64, one downsampling instead of two
(at 16x16), 3 residual blocks instead of 6 (or 9), 16x16 patches, batch 16 instead of 1.

`ImagePool` keeps the history per seed, as a buffer of the module (so checkpoints and resume
carry it), and draws its coin flips and slots from the run's per-seed generators, so training
stays deterministic and a seed's run does not depend on the other seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ganlab import losses
from ganlab.config import param
from ganlab.families._translation import Translation, TranslationConfig, l1
from ganlab.families.base import Problem
from ganlab.nn.seeded import SeedRNG, SeedStack
from ganlab.nn.translation import PatchGAN, ResnetGenerator, patchgan_problem


class ImagePool(nn.Module):
    """The image history of Shrivastava et al. (2017) as in CycleGAN's reference code, per seed.

    `query(x, rng)` with x (S, B, ...): while fewer than `size` images are stored, each image is
    stored and returned as is; after that, with probability 1/2 an image is swapped with a
    uniformly chosen stored one (the stored one is returned, the new one kept), otherwise it
    is returned as is. `size` 0 returns x unchanged. The draws (one uniform and one slot per
    image, every call) come from `rng`, so every seed consumes the same number of draws.
    """

    def __init__(self, size: int, n_seeds: int, shape: list[int]):
        super().__init__()
        self.size = size
        self.register_buffer("images", torch.zeros(n_seeds, size, *shape))
        self.register_buffer("count", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def query(self, x: torch.Tensor, rng: SeedRNG) -> torch.Tensor:
        if self.size == 0:
            return x
        S, B = x.shape[:2]
        coin, slot = rng.rand(B), rng.randint(self.size, B)  # (S, B) each
        seeds = torch.arange(S, device=x.device)
        out = x.detach().clone()
        n = int(self.count)
        for i in range(B):
            if n < self.size:
                self.images[:, n] = x[:, i]
                n += 1
                continue
            old = self.images[seeds, slot[:, i]]  # (S, ...)
            swap = (coin[:, i] > 0.5).view(S, *[1] * (x.dim() - 2))
            out[:, i] = torch.where(swap, old, x[:, i])
            self.images[seeds, slot[:, i]] = torch.where(swap, x[:, i], old)
        self.count.fill_(n)
        return out


@dataclass
class CycleGANConfig(TranslationConfig):
    batch_size: int = param(16, "images per domain per step (Zhu et al.: 1)", ge=1, le=4096)
    n_blocks: int = param(3, "residual blocks per generator (Zhu et al.: 6 at 128x128, 9 at 256x256)", ge=0, le=64)
    n_down: int = param(
        1,
        "stride-2 downsamplings in each generator (Zhu et al.: 2, a 32x32 bottleneck at 128x128; 1 keeps 8x8 at 16x16)",
        ge=0,
        le=4,
    )
    d_layers: int = param(1, "PatchGAN: stride-2 layers before the stride-1 ones (1: 16x16 patches)", ge=1, le=4)
    cycle_weight: float = param(10.0, "lambda: weight of the cycle-consistency L1 losses (Zhu et al.: 10)", ge=0)
    identity_weight: float = param(0.5, "identity loss weight as a fraction of lambda (Zhu et al.: 0.5)", ge=0)
    pool_size: int = param(
        50, "generated images kept per seed for the discriminators' updates (Zhu et al.: 50; 0 = off)", ge=0, le=10_000
    )


class CycleGAN(Translation):
    name = "cyclegan"
    Config = CycleGANConfig
    translation = "unpaired"
    directions = ("a2b", "b2a")
    d_is_probability = False  # least-squares D: targets 1 (real) and 0 (generated), not a probability

    def translate(self, x: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
        """a2b: G (domain A to B); b2a: F (B to A)."""
        if direction == "b2a":
            return self.F(x)
        return super().translate(x, direction)

    @classmethod
    def check_dataset(cls, desc: dict, cfg=None) -> Problem | None:
        problem = super().check_dataset(desc, cfg)
        if problem is None and desc["a_shape"] != desc["shape"]:
            return Problem(
                "dataset",
                f"family cyclegan needs domains of one shape (for the identity loss), got {desc['a_shape']} and "
                f"{desc['shape']}",
            )
        if problem is None and cfg is not None:
            h, w = desc["shape"][1:]
            k = 2**cfg.n_down
            if h % k or w % k or min(h, w) // k < 2:
                return Problem(
                    "dataset",
                    f"family cyclegan with n_down {cfg.n_down} needs image sides divisible by {k} and at least "
                    f"{2 * k} (its generator halves them n_down times and doubles them back), got {h}x{w}",
                )
            if why := patchgan_problem(h, cfg.d_layers, "instance"):
                return Problem("dataset", f"family cyclegan: {why}")
        return problem

    def build_networks(self, cfg, meta):
        c = self.shape[0]
        gen = lambda: ResnetGenerator(c, c, cfg.width, cfg.n_blocks, cfg.n_down)
        dis = lambda: PatchGAN(c, cfg.width, cfg.d_layers, "instance")
        self.G = SeedStack(gen, cfg.seeds, channels_last=cfg.channels_last)  # A -> B
        self.F = SeedStack(gen, cfg.seeds, offset=7_500_003, channels_last=cfg.channels_last)  # B -> A
        self.D_B = SeedStack(dis, cfg.seeds, offset=8_000_003, channels_last=cfg.channels_last)
        self.D_A = SeedStack(dis, cfg.seeds, offset=8_500_003, channels_last=cfg.channels_last)
        self.pool_a = ImagePool(cfg.pool_size, len(cfg.seeds), self.shape)
        self.pool_b = ImagePool(cfg.pool_size, len(cfg.seeds), self.shape)

    def g_params(self):
        return list(self.G.parameters()) + list(self.F.parameters())

    def d_params(self):
        return list(self.D_A.parameters()) + list(self.D_B.parameters())

    def d_display(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """D_B's mean patch output on images of B (1 = judged real)."""
        return self.D_B(x).mean(-1)

    def train_step(self, real, rng):
        c = self.cfg
        lam = c.cycle_weight
        a, b = real.unpaired(c.batch_size)
        fake_b, fake_a = self.G(a), self.F(b)
        # Generators: adversarial (least squares) + cycle + identity.
        adv = losses.g_least_squares(self.D_B(fake_b)) + losses.g_least_squares(self.D_A(fake_a))
        cycle = l1(self.F(fake_b), a) + l1(self.G(fake_a), b)
        loss_g = adv + lam * cycle
        if c.identity_weight > 0:
            identity = l1(self.G(b), b) + l1(self.F(a), a)
            loss_g = loss_g + c.identity_weight * lam * identity
        grad_g = self.update("g", (self.G, self.F), loss_g)
        # Discriminators: on real images and on the history of generated ones.
        pb, pa = self.pool_b.query(fake_b, rng), self.pool_a.query(fake_a, rng)
        d_real_b, d_fake_b = self.D_B(b), self.D_B(pb)
        d_real_a, d_fake_a = self.D_A(a), self.D_A(pa)
        loss_d = losses.d_least_squares(d_real_b, d_fake_b) + losses.d_least_squares(d_real_a, d_fake_a)
        grad_d = self.update("d", (self.D_A, self.D_B), loss_d)
        out = {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "loss_g_adv": adv.detach(),
            "cycle_l1": cycle.detach(),
            "d_real": 0.5 * (d_real_b.mean((1, 2)) + d_real_a.mean((1, 2))).detach(),
            "d_fake": 0.5 * (d_fake_b.mean((1, 2)) + d_fake_a.mean((1, 2))).detach(),
            "grad_g": grad_g,
            "grad_d": grad_d,
        }
        if c.identity_weight > 0:
            out["identity_l1"] = identity.detach()
        return out


FAMILY = CycleGAN
