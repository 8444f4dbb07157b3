"""SRGAN (Ledig et al., 2017): super-resolution with a perceptual content loss and a GAN.

As in the paper: a residual generator (SRResNet: residual blocks with batch norm and PReLU,
sub-pixel convolution, i.e. pixel shuffle, for each 2x upsampling), a VGG-style discriminator
of strided convolutions ending in one logit, and the perceptual loss
l_SR = l_content + 10^-3 l_adv (non-saturating), Adam with beta1 0.9 and lr 1e-4 in the paper.

The content loss: the paper's VGG54 is the MSE between VGG19 feature maps (after the 4th
convolution before the 5th max-pool) of the output and the target, VGG being a classifier
trained beforehand on other data and frozen. There is no downloadable VGG here (no network
access, and VGG knows nothing of glyphs), so the run trains its OWN feature net at the start of
its first step: the evaluation classifier's architecture (ganlab.classifier.Net, trained by the
same code, ganlab.classifier.fit_net) on the dataset's training targets and their class labels
(no factor head: VGG is a plain classifier too), `content_net_epochs` passes with seed
`content_net_seed`, then frozen in eval mode; its last convolutional block after its ReLU,
before pooling, plays VGG54's role. It is not part of the run's weights (evaluation never needs
it) and it is rebuilt identically when a killed run resumes (deterministic on CPU; training it
leaves the run's own random streams untouched).
Why not the evaluation classifier (models/classifiers/<dataset>): (1) the
same classifier's features score the run (Fréchet distance, precision/recall), so a content
loss on them optimises the metric; an independent net, like the paper's VGG, does not; (2) a
dependency on it made every run of an image dataset retrain whenever `classifier.*` changed,
since dvc cannot make a dep conditional on the family. Its cost on sr_glyphs (32x32, 6,000
targets) with the defaults: 138 Adam steps, about 13 s of train@srgan-sr on one CPU thread
(docs/results.md, "Image-to-image translation").

Baselines: `content: pixel, adv_weight: 0` is SRResNet (the same generator trained on pixel
MSE only, the paper's SRResNet-MSE); bicubic upsampling is computed at evaluation time
(ganlab.evaluation.translation). Scaled down (ganlab.nn.translation): 32 channels and 4
residual blocks instead of 64 and 16; D 16-64 channels and a 256-unit dense layer; lr 1e-3
decaying to 0 over a few hundred steps in the default runs instead of 1e-4 for 10^5 updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch

from ganlab import losses
from ganlab.config import param
from ganlab.families._translation import Translation, TranslationConfig, mse
from ganlab.families.base import Problem
from ganlab.nn.seeded import SeedStack
from ganlab.nn.translation import SRDiscriminator, SRResNet


@dataclass
class SRGANConfig(TranslationConfig):
    batch_size: int = param(16, "image pairs per step (Ledig et al.: 16)", ge=1, le=4096)
    width: int = param(32, "generator channels (Ledig et al.: 64)", ge=1, le=1024)
    n_blocks: int = param(4, "generator residual blocks (Ledig et al.: 16)", ge=1, le=64)
    d_width: int = param(
        16,
        "discriminator channels of its first layers, doubling every stride-2 layer (Ledig et al.: 64)",
        ge=1,
        le=1024,
    )
    content: Literal["features", "pixel"] = param(
        "features",
        "content loss: MSE on the last conv features of a classifier the run trains on its targets (SRGAN, VGG54's "
        "role) or pixel MSE (SRResNet)",
    )
    adv_weight: float = param(
        1e-3, "weight of the adversarial loss (Ledig et al.: 1e-3); 0 = no discriminator (SRResNet)", ge=0
    )
    pixel_weight: float = param(
        0.0, "features content only: weight of an added pixel MSE term (0 = the paper's loss)", ge=0
    )
    content_net_epochs: int = param(
        3,
        "features content only: passes of the content loss's own feature net over the training targets, batch 128 "
        "(sr_glyphs: 3 x 46 steps, 100 % test accuracy)",
        ge=1,
        le=1000,
    )
    content_net_seed: int = param(
        1, "features content only: seed of that net (the evaluation classifier's default is 0: a different net)", ge=0
    )
    lr_g: float = param(1e-4, "generator learning rate (Ledig et al.: 1e-4)", gt=0)
    lr_d: float = param(1e-4, "discriminator learning rate", gt=0)
    beta1: float = param(0.9, "Adam beta1 (Ledig et al.: 0.9)", ge=0, lt=1)


class SRGAN(Translation):
    name = "srgan"
    Config = SRGANConfig

    @classmethod
    def variant(cls, cfg) -> str:
        """SRResNet is srgan without the adversarial term and with pixel MSE (Ledig et al. 2017)."""
        if cfg.adv_weight == 0:
            return "SRResNet (pixel MSE)" if cfg.content == "pixel" else "srgan (feature loss only)"
        return "SRGAN (features + adversarial)" if cfg.content == "features" else "srgan (pixel MSE + adversarial)"

    @classmethod
    def check_dataset(cls, desc: dict, cfg=None) -> Problem | None:
        problem = super().check_dataset(desc, cfg)
        if problem is None:
            f = desc["shape"][1] / desc["input_shape"][1]
            if f <= 1 or f != int(f) or int(f) & (int(f) - 1):
                return Problem(
                    "dataset",
                    f"family srgan upsamples by a power of two; this dataset's inputs are {desc['input_shape'][1:]} "
                    f"for targets {desc['shape'][1:]}",
                )
        return problem

    def build_networks(self, cfg, meta):
        ci, c = self.in_shape[0], self.shape[0]
        factor = self.shape[1] // self.in_shape[1]
        self.G = SeedStack(
            lambda: SRResNet(ci, c, factor, cfg.width, cfg.n_blocks), cfg.seeds, channels_last=cfg.channels_last
        )
        self.D = SeedStack(
            lambda: SRDiscriminator(c, self.shape[1], cfg.d_width),
            cfg.seeds,
            offset=8_000_003,
            channels_last=cfg.channels_last,
        )
        self._phi: tuple = ()  # the content feature net, trained in the first step (not a submodule)

    def build_content_net(self, real) -> None:
        """Train and freeze the content loss's feature net on the training targets and labels
        that `real` (RealBatches) holds resident (module docstring)."""
        from ganlab.classifier import fit_net
        from ganlab.config import ClassifierConfig

        if real.labels is None:
            raise ValueError(
                "srgan's content loss trains its feature net on the targets' class labels, and this "
                "dataset has none: set content: pixel"
            )
        # The evaluation classifier's recipe, but epochs are epochs (no min_steps): on sr_glyphs
        # 3 passes (138 steps) already classify the test targets perfectly.
        cfg = ClassifierConfig(epochs=self.cfg.content_net_epochs, min_steps=0, seed=self.cfg.content_net_seed)
        net, fit = fit_net(cfg, real.data, real.labels, int(self.meta["classes"]), device=str(self.device))
        net = net.trunk[:-3].eval()  # up to the last conv block's ReLU, before pooling
        for p in net.parameters():
            p.requires_grad_(False)
        self._phi = (net,)
        self.content_net_fit = fit

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The content loss's feature maps of images (S, N, C, H, W): (S, N, F)."""
        if not self._phi:
            raise RuntimeError("srgan's content net is trained in its first train_step (build_content_net)")
        S, N = x.shape[:2]
        f = self._phi[0](x.flatten(0, 1).contiguous(memory_format=torch.channels_last))
        return f.reshape(S, N, -1)

    def critic(self, x: torch.Tensor) -> torch.Tensor:
        return self.D(x)[..., 0]

    def d_display(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return torch.sigmoid(self.critic(x))

    def train_step(self, real, rng):
        c = self.cfg
        x, y = real.paired(c.batch_size)
        fake = self.G(x)
        out = {}
        if c.adv_weight > 0:
            d_real, d_fake = self.critic(y), self.critic(fake.detach())
            loss_d = losses.d_bce(d_real, d_fake)
            out.update(
                {
                    "loss_d": loss_d.detach(),
                    "grad_d": self.update("d", (self.D,), loss_d),
                    "d_real": d_real.sigmoid().mean(1).detach(),
                    "d_fake": d_fake.sigmoid().mean(1).detach(),
                }
            )
        pixel = mse(fake, y)
        if c.content == "features":
            if not self._phi:
                self.build_content_net(real)
            content = mse(self.features(fake), self.features(y).detach())
            loss_g = content + c.pixel_weight * pixel
            out["loss_content"] = content.detach()
        else:
            loss_g = pixel
        if c.adv_weight > 0:
            loss_adv = losses.g_non_saturating(self.critic(fake))
            loss_g = loss_g + c.adv_weight * loss_adv
            out["loss_g_adv"] = loss_adv.detach()
        out.update({"loss_g": loss_g.detach(), "mse": pixel.detach(), "grad_g": self.update("g", (self.G,), loss_g)})
        return out


FAMILY = SRGAN
