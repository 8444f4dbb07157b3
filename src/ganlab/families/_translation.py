"""The shared body of the image-to-image translation families (pix2pix, srgan, cyclegan).

Their generator maps an image to an image, so they have no latent space. How data reaches
them: the training loop keeps the dataset's second array resident beside the targets
(ganlab.data.translation: `train_input` for paired sets, `a_train` for unpaired ones) and the
family's `train_step` asks `real.paired(n)` for (inputs, targets) of the same rows or
`real.unpaired(n)` for (domain A, domain B) drawn independently. `fixed_input` gives the loop's
snapshots real inputs (the first training rows), so the samples figure shows translations.
`latent(n, rng)` draws uniform noise images of the input shape, only so that generic code
(the registry tests, `ganlab sample`) can run the generator; figures and metrics use real
inputs (ganlab.evaluation.translation).

Networks are one per seed (SeedStack, DCGAN's N(0, 0.02) initialisation, which pix2pix and
CycleGAN also use); losses are per seed, shape (S,).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ganlab.config import RunConfig, param
from ganlab.data import to_model
from ganlab.families.base import Family, Problem, RealBatches
from ganlab.nn.seeded import SeedRNG


@dataclass
class TranslationConfig(RunConfig):
    batch_size: int = param(32, "image pairs (or images per domain) per step", ge=1, le=4096)
    width: int = param(16, "channels of the first layer of G and D; they double per 2x downsampling", ge=1, le=1024)
    lr_g: float = param(2e-4, "generator learning rate (pix2pix, CycleGAN: 2e-4)", gt=0)
    lr_d: float = param(2e-4, "discriminator learning rate", gt=0)
    beta1: float = param(0.5, "Adam beta1", ge=0, lt=1)
    beta2: float = param(0.999, "Adam beta2", ge=0, lt=1)
    channels_last: bool = param(True, "channels_last memory format for the convolutions")


class Translation(Family):
    Config = TranslationConfig
    translation = "paired"  # the dataset's meta["pairing"] this family trains on
    directions = ("a2b",)
    d_is_probability = True

    @classmethod
    def check_dataset(cls, desc: dict, cfg=None) -> Problem | None:
        if desc.get("pairing") != cls.translation:
            names = {
                "paired": "paired translation datasets (edges2glyphs, sr_glyphs)",
                "unpaired": "unpaired translation datasets (glyphs2styled)",
            }
            return Problem(
                "dataset",
                f"family {cls.name} trains on {names[cls.translation]}, not on {desc.get('pairing') or desc['kind']} "
                "data",
            )
        return None

    def __init__(self, cfg, meta: dict, device: torch.device):
        super().__init__(cfg, meta, device)
        self.shape = list(meta["shape"])
        self.in_shape = list(meta["input_shape"] if self.translation == "paired" else meta["a_shape"])
        self.build_networks(cfg, meta)
        self.to(device)

    def build_networks(self, cfg, meta: dict) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ inputs
    def latent(self, n: int, rng: SeedRNG) -> torch.Tensor:
        return rng.rand(n, *self.in_shape) * 2 - 1

    def fixed_input(self, n: int, rng: SeedRNG, real: RealBatches) -> torch.Tensor:
        src = real.inputs if self.translation == "paired" else real.domain_a
        return to_model(src[:n]).expand(self.n_seeds, *([-1] * src.dim()))

    def generate(self, x: torch.Tensor) -> torch.Tensor:
        return self.G(x)

    def translate(self, x: torch.Tensor, direction: str = "a2b") -> torch.Tensor:
        if direction not in self.directions:
            raise ValueError(f"family {self.name} translates {list(self.directions)}, not {direction!r}")
        return self.G(x)

    def test_inputs(self, arrays: dict, n: int) -> torch.Tensor:
        return to_model(torch.from_numpy(arrays["test_input" if self.translation == "paired" else "a_test"][:n]))

    # ------------------------------------------------------------------ optimisers
    def g_params(self) -> list[nn.Parameter]:
        return list(self.G.parameters())

    def generator_params(self) -> list[nn.Parameter]:
        return self.g_params()

    def d_params(self) -> list[nn.Parameter]:
        return list(self.D.parameters())

    def make_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        c = self.cfg
        return {
            "g": torch.optim.Adam(self.g_params(), lr=c.lr_g, betas=(c.beta1, c.beta2)),
            "d": torch.optim.Adam(self.d_params(), lr=c.lr_d, betas=(c.beta1, c.beta2)),
        }


def l1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference per seed: (S, N, ...) -> (S,)."""
    return (x - y).abs().flatten(1).mean(1)


def mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (x - y).pow(2).flatten(1).mean(1)
