"""Networks of the style-based generator (Karras et al. 2019, StyleGAN; modulation as in
Karras et al. 2020, StyleGAN2) at reduced size, for one seed; ganlab.families.stylegan runs
one per seed.

Generator = mapping network + synthesis network:
- mapping: z -> pixel norm -> `n_layers` EqualLinear + LeakyReLU(0.2) -> w. Its learning rate
  is multiplied by `lr_mul` (0.01 in the papers) through the equalised-lr scale.
- synthesis: a learned constant 4x4 input, one styled 3x3 conv at 4x4, then per resolution a
  bilinear 2x upsample and two styled 3x3 convs; a styled 1x1 toRGB at every resolution whose
  outputs are summed after upsampling (StyleGAN2's skip architecture). Styles are indexed like
  StyleGAN2's: conv layers in order, and the last toRGB takes the style after the last conv, so
  a side of 4 * 2^n has L = 2n + 2 styles (16x16: 6; 32x32: 8); coarse layers come first.
- a styled conv is weight modulation and demodulation (StyleGAN2, sec. 2.2), not AdaIN: the
  style s = A(w) scales the input channels, the conv runs with the shared weight, and the output
  channel o is divided by sqrt(sum_{i,k} (W_oik s_i)^2): the statistics AdaIN normalised
  explicitly, from the weights alone (no droplet artefacts, no per-sample statistics).
  `fused=True` does the same with one grouped convolution of per-sample weights (the authors'
  default on GPU); both give the same numbers (tests/test_stylegan.py). On CPU the unfused form
  is faster (see ganlab.families.stylegan's docstring).
- per-pixel noise: after each styled conv, one N(0, 1) map per sample (shared by the channels)
  times a learned per-layer strength (initialised at 0, as in StyleGAN2), then the bias and
  LeakyReLU(0.2) x sqrt(2).
Activations use equalised learning rate everywhere (ganlab.nn.equalised).

Discriminator (StyleGAN2's residual D, reduced): fromRGB 1x1, then per resolution two 3x3 convs
and a 2x average-pool with a pooled 1x1 skip, (x + skip) / sqrt(2); at 4x4 the minibatch std
layer (groups of 4 samples), a 3x3 conv, and two dense layers to one logit. It returns (logits (N, 1), features) like
ganlab.nn.dcgan.DCGANDiscriminator.

Channels: `width` at the finest resolution, doubling per halving of the side (16x16 and
width 16: 64 at 4x4, 32 at 8x8, 16 at 16x16); the papers use 512 at every coarse level.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ganlab.nn.equalised import EqualConv2d, EqualLinear, MinibatchStd, PixelNorm, fp32_epilogue
from ganlab.nn.sizes import n_doublings

SQRT2 = math.sqrt(2)


def lrelu(x: torch.Tensor) -> torch.Tensor:
    """LeakyReLU(0.2) times sqrt(2), which keeps the activations' scale (StyleGAN2's gain)."""
    return F.leaky_relu(x, 0.2) * SQRT2


class MappingNetwork(nn.Module):
    def __init__(self, z_dim: int, w_dim: int, n_layers: int, lr_mul: float):
        super().__init__()
        dims = [z_dim] + [w_dim] * n_layers
        self.norm = PixelNorm()
        self.layers = nn.ModuleList(EqualLinear(a, b, lr_mul=lr_mul) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.norm(z)
        for layer in self.layers:
            x = lrelu(layer(x))
        return x


class ModulatedConv2d(nn.Module):
    """StyleGAN2's modulated convolution: (x (N, C_in, H, W), w (N, w_dim)) -> (N, C_out, H, W)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, w_dim: int, demodulate: bool = True, fused: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))
        self.scale = 1 / math.sqrt(c_in * kernel * kernel)
        self.affine = EqualLinear(w_dim, c_in, gain=1.0, bias_init=1.0)  # A: styles start at 1
        self.demodulate, self.fused, self.padding = demodulate, fused, kernel // 2

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        s = self.affine(w)  # (N, C_in)
        weight = self.weight * self.scale  # (C_out, C_in, k, k)
        d = None
        if self.demodulate:  # 1 / sqrt(sum_{i,k} (W_oik s_i)^2), per sample and output channel
            d = torch.rsqrt(s.pow(2) @ weight.pow(2).sum((2, 3)).t() + 1e-8)  # (N, C_out)
        if self.fused:  # one grouped convolution with a weight per sample
            N, C, H, W = x.shape
            wn = weight[None] * s[:, None, :, None, None]
            if d is not None:
                wn = wn * d[:, :, None, None, None]
            out = F.conv2d(
                x.reshape(1, N * C, H, W), wn.reshape(-1, C, *weight.shape[2:]), padding=self.padding, groups=N
            )
            return out.reshape(N, -1, H, W)
        out = F.conv2d(x * s[:, :, None, None], weight, padding=self.padding)
        return out if d is None else out * d[:, :, None, None]


class StyledConv(nn.Module):
    """Modulated 3x3 conv (after a 2x bilinear upsample if `up`), per-pixel noise times a
    learned strength, bias, LeakyReLU."""

    def __init__(self, c_in: int, c_out: int, w_dim: int, up: bool = False, fused: bool = False):
        super().__init__()
        self.conv = ModulatedConv2d(c_in, c_out, 3, w_dim, fused=fused)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.up = up

    def forward(self, x: torch.Tensor, w: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = self.conv(x, w)
        N, _, H, W = x.shape
        # drawn in float32 whatever x's dtype, so a float64 copy of the model sees the same noise
        noise = torch.randn(N, 1, H, W, generator=gen, device=x.device).to(x.dtype)
        return lrelu(x + self.noise_strength * noise + self.bias[:, None, None])


class ToRGB(nn.Module):
    """Modulated 1x1 conv without demodulation (StyleGAN2), plus a bias."""

    def __init__(self, c_in: int, channels: int, w_dim: int, fused: bool = False):
        super().__init__()
        self.conv = ModulatedConv2d(c_in, channels, 1, w_dim, demodulate=False, fused=fused)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w) + self.bias[:, None, None]


class SynthesisNetwork(nn.Module):
    """(ws (N, L, w_dim), noise generator) -> images (N, C, H, W), not clamped."""

    memory_format = torch.contiguous_format

    def __init__(self, shape: list[int], w_dim: int, width: int, fused: bool = False):
        super().__init__()
        c, h, _ = shape
        n = n_doublings(h, networks="StyleGAN networks")
        ch = [width * 2 ** (n - i) for i in range(n + 1)]  # channels at 4x4, 8x8, ...
        self.const = nn.Parameter(torch.randn(1, ch[0], 4, 4))
        self.convs = nn.ModuleList([StyledConv(ch[0], ch[0], w_dim, fused=fused)])
        self.to_rgb = nn.ModuleList([ToRGB(ch[0], c, w_dim, fused)])
        for i in range(1, n + 1):
            self.convs.extend(
                [
                    StyledConv(ch[i - 1], ch[i], w_dim, up=True, fused=fused),
                    StyledConv(ch[i], ch[i], w_dim, fused=fused),
                ]
            )
            self.to_rgb.append(ToRGB(ch[i], c, w_dim, fused))
        self.n_styles = len(self.convs) + 1  # 2n + 2

    def forward(self, ws: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        x = self.const.expand(len(ws), -1, -1, -1).contiguous(memory_format=self.memory_format)
        x = self.convs[0](x, ws[:, 0], gen)
        rgb = self.to_rgb[0](x, ws[:, 1])
        for i in range(1, len(self.to_rgb)):
            k = 2 * i - 1  # conv index = style index
            x = self.convs[k](x, ws[:, k], gen)
            x = self.convs[k + 1](x, ws[:, k + 1], gen)
            rgb = F.interpolate(rgb, scale_factor=2, mode="bilinear", align_corners=False) + self.to_rgb[i](
                x, ws[:, k + 2]
            )
        return rgb


class StyleGenerator(nn.Module):
    """One seed's mapping and synthesis networks, and the running average of w."""

    def __init__(
        self,
        z_dim: int,
        shape: list[int],
        w_dim: int,
        width: int,
        mapping_layers: int,
        mapping_lr_mul: float,
        fused: bool = False,
    ):
        super().__init__()
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers, mapping_lr_mul)
        self.synthesis = SynthesisNetwork(shape, w_dim, width, fused)
        self.n_styles = self.synthesis.n_styles
        self.register_buffer("w_avg", torch.zeros(w_dim))

    @property
    def memory_format(self):
        return self.synthesis.memory_format

    @memory_format.setter
    def memory_format(self, fmt) -> None:  # set by ganlab.nn.seeded.SeedStack
        self.synthesis.memory_format = fmt

    def forward(self, z: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
        w = self.mapping(z)
        return self.synthesis(w[:, None].expand(-1, self.n_styles, -1), gen)


class ResidualDiscriminator(nn.Module):
    """Returns (logits (N, 1), features (N, F)) like ganlab.nn.dcgan.DCGANDiscriminator."""

    memory_format = torch.contiguous_format

    def __init__(self, shape: list[int], width: int, mbstd_group: int = 4):
        super().__init__()
        c, h, _ = shape
        n = n_doublings(h, networks="StyleGAN networks")
        ch = [width * 2**i for i in range(n + 1)]  # channels at full res, /2, ... 4x4
        self.from_rgb = EqualConv2d(c, ch[0], 1)
        self.blocks = nn.ModuleList(
            nn.ModuleDict(
                {
                    "conv0": EqualConv2d(ch[i], ch[i], 3),
                    "conv1": EqualConv2d(ch[i], ch[i + 1], 3),
                    "skip": EqualConv2d(ch[i], ch[i + 1], 1, bias=False, gain=1.0),
                }
            )
            for i in range(n)
        )
        self.mbstd_group = mbstd_group
        self.conv = EqualConv2d(ch[n] + 1, ch[n], 3)
        self.fc = EqualLinear(ch[n] * 16, ch[n])
        self.out = EqualLinear(ch[n], 1, gain=1.0)
        self.n_features = ch[n]

    def forward(self, x: torch.Tensor, extra: None = None) -> tuple[torch.Tensor, torch.Tensor]:
        x = lrelu(self.from_rgb(x.contiguous(memory_format=self.memory_format)))
        for b in self.blocks:
            skip = b["skip"](F.avg_pool2d(x, 2))
            x = F.avg_pool2d(lrelu(b["conv1"](lrelu(b["conv0"](x)))), 2)
            x = (x + skip) / SQRT2
        # groups of gcd(group, N) samples, so any batch size works (d_display's last chunk)
        with fp32_epilogue(x) as x:  # the 4x4 block in fp32 under bf16 autocast, as stylegan2-ada's
            x = lrelu(self.conv(MinibatchStd(math.gcd(self.mbstd_group, len(x)))(x)))
            f = lrelu(self.fc(x.flatten(1)))
            return self.out(f), f
