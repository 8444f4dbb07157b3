"""SRGAN (Ledig et al., 2017): super-resolution with a perceptual content loss and a GAN.

As in the paper: a residual generator (SRResNet: residual blocks with batch norm and PReLU,
sub-pixel convolution, i.e. pixel shuffle, for each 2x upsampling), a VGG-style discriminator
of strided convolutions ending in one logit, and the perceptual loss
l_SR = l_content + 10^-3 l_adv (non-saturating), Adam with beta1 0.9 and lr 1e-4 in the paper.

The content loss: the paper's VGG54 is the MSE between VGG19 feature maps (after the 4th
convolution before the 5th max-pool) of the output and the target. There is no downloadable
VGG here (no network access, and VGG knows nothing of glyphs), so the feature maps are those
of the run's evaluation classifier of the TARGET domain (ganlab.classifier, trained on the
dataset's full-size images by classifier@<dataset>): its last convolutional block after its
ReLU, before pooling, the same role as VGG54. It is loaded from `classifier_dir`
(default models/classifiers/<dataset>, which train@<run> depends on), frozen, in eval mode,
and is not part of the run's weights. Note the consequence: the same classifier's features
also score the run (Fréchet distance), so the content loss optimises part of the metric;
the report says so beside the numbers.

Baselines: `content: pixel, adv_weight: 0` is SRResNet (the same generator trained on pixel
MSE only, the paper's SRResNet-MSE); bicubic upsampling is computed at evaluation time
(ganlab.evaluation_translation). Scaled down (ganlab.nn.translation): 32 channels and 4
residual blocks instead of 64 and 16; D 16-64 channels and a 256-unit dense layer; lr 1e-3
decaying to 0 over a few hundred steps in the default runs instead of 1e-4 for 10^5 updates.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from ganlab import io, losses
from ganlab.config import param
from ganlab.families._translation import Translation, TranslationConfig, mse
from ganlab.nn.conv import SeedStack
from ganlab.nn.translation import SRDiscriminator, SRResNet


@dataclass
class SRGANConfig(TranslationConfig):
    batch_size: int = param(16, "image pairs per step (Ledig et al.: 16)", ge=1)
    width: int = param(32, "generator channels (Ledig et al.: 64)", ge=1)
    n_blocks: int = param(4, "generator residual blocks (Ledig et al.: 16)", ge=1)
    d_width: int = param(16, "discriminator channels of its first layers, doubling every stride-2 layer (Ledig et al.: 64)", ge=1)
    content: Literal["features", "pixel"] = param(
        "features", "content loss: MSE on the evaluation classifier's last conv features (SRGAN, VGG54's role) or pixel MSE (SRResNet)")
    adv_weight: float = param(1e-3, "weight of the adversarial loss (Ledig et al.: 1e-3); 0 = no discriminator (SRResNet)", ge=0)
    pixel_weight: float = param(0.0, "features content only: weight of an added pixel MSE term (0 = the paper's loss)", ge=0)
    classifier_dir: str = param("", "the content loss's feature net: a classifier folder (default models/classifiers/<dataset>)")
    lr_g: float = param(1e-4, "generator learning rate (Ledig et al.: 1e-4)", gt=0)
    lr_d: float = param(1e-4, "discriminator learning rate", gt=0)
    beta1: float = param(0.9, "Adam beta1 (Ledig et al.: 0.9)", ge=0, lt=1)


class SRGAN(Translation):
    name = "srgan"
    Config = SRGANConfig
    pairing = "paired"

    @classmethod
    def check_dataset(cls, desc: dict, cfg=None) -> str | None:
        problem = super().check_dataset(desc, cfg)
        if problem is None:
            f = desc["shape"][1] / desc["input_shape"][1]
            if f <= 1 or f != int(f) or int(f) & (int(f) - 1):
                return f"family srgan upsamples by a power of two; this dataset's inputs are {desc['input_shape'][1:]} for targets {desc['shape'][1:]}"
        return problem

    def build_networks(self, cfg, meta):
        ci, c = self.in_shape[0], self.shape[0]
        factor = self.shape[1] // self.in_shape[1]
        self.G = SeedStack(lambda: SRResNet(ci, c, factor, cfg.width, cfg.n_blocks), cfg.seeds, channels_last=cfg.channels_last)
        self.D = SeedStack(lambda: SRDiscriminator(c, self.shape[1], cfg.d_width), cfg.seeds,
                           offset=8_000_003, channels_last=cfg.channels_last)
        self._phi: tuple = ()           # the content feature net, loaded on first use (not a submodule)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The content loss's feature maps of images (S, N, C, H, W): (S, N, F)."""
        if not self._phi:
            from ganlab.classifier import load_classifier
            path = Path(self.cfg.classifier_dir or f"models/classifiers/{self.cfg.dataset}")
            if not (path / "weights.pt").exists():
                raise io.MissingFileError(f"srgan's content loss needs the evaluation classifier in {path}: "
                                        f"run `dvc repro classifier@{self.cfg.dataset}` first (or set content: pixel)")
            clf = load_classifier(path, device=str(self.device))
            if list(clf.shape) != self.shape:
                raise ValueError(f"the classifier in {path} reads images {clf.shape}, the targets are {self.shape}")
            net = clf.net.trunk[:-3].eval()                   # up to the last conv block's ReLU, before pooling
            for p in net.parameters():
                p.requires_grad_(False)
            self._phi = (net,)
        S, N = x.shape[:2]
        f = self._phi[0](x.flatten(0, 1).contiguous(memory_format=torch.channels_last))
        return f.reshape(S, N, -1)

    def critic(self, x: torch.Tensor) -> torch.Tensor:
        return self.D(x)[..., 0]

    def d_display(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.critic(x))

    def train_step(self, real, rng):
        c = self.cfg
        x, y = real.paired(c.batch_size)
        fake = self.G(x)
        out = {}
        if c.adv_weight > 0:
            d_real, d_fake = self.critic(y), self.critic(fake.detach())
            loss_d = losses.d_bce(d_real, d_fake)
            out.update({"loss_d": loss_d.detach(), "grad_d": self.update("d", (self.D,), loss_d),
                        "d_real": d_real.sigmoid().mean(1).detach(), "d_fake": d_fake.sigmoid().mean(1).detach()})
        pixel = mse(fake, y)
        if c.content == "features":
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
