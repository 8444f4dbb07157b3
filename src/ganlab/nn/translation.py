"""Networks of the image-to-image translation families, at reduced width (one per seed via SeedStack).

- `UNet` (pix2pix, Isola et al. 2017, appendix 6.1.1): an encoder of stride-2 4x4 convolutions
  (LeakyReLU 0.2, batch norm except on the first and innermost layers) down to 1x1, a decoder
  of stride-2 transposed convolutions (ReLU, batch norm) with a skip connection from each
  encoder level, tanh output. The paper's 256x256 net has 8 levels of 64..512 channels; here
  log2(side) levels from `width` channels doubling up to 8 x width (32x32, width 16:
  16-32-64-128-128). No dropout: the paper's only noise source is dropout, which it reports
  the generator largely ignores, and global-RNG dropout would tie the seeds of a SeedStack
  together (seed s alone would no longer equal seed s in a batch).
- `PatchGAN` (Isola et al. 2017; Zhu et al. 2017): 4x4 convolutions, `n_layers` of stride 2 then
  one of stride 1 (channels width, 2 width, ...), each but the first normalised, then a
  1-channel stride-1 convolution: one logit per overlapping patch. The paper's 70x70 patch is
  n_layers = 3 at 256x256; n_layers = 1 here sees 16x16 patches (receptive field 16 px).
- `ResnetGenerator` (CycleGAN, Zhu et al. 2017, appendix 7.2; after Johnson et al. 2016):
  c7s1-w, `n_down` stride-2 downsamplings (the paper: 2), `n_blocks` residual blocks, as many
  stride-2 transposed upsamplings, c7s1-C, tanh; reflection padding, instance norm. The paper
  uses width 64, 2 downsamplings and 6 blocks at 128x128 (a 32x32 bottleneck); at 16x16 one
  downsampling keeps an 8x8 bottleneck (two would leave 4x4) at the same cost per block.
- `SRResNet` (SRGAN's generator, Ledig et al. 2017, Fig. 4): conv 9x9 + PReLU, `n_blocks`
  residual blocks (conv 3x3, batch norm, PReLU, conv 3x3, batch norm, skip), conv + batch norm
  with a skip over all blocks, then log2(factor) upsampling blocks (conv to 4x channels, pixel
  shuffle x2, PReLU) and a 9x9 output convolution (tanh here, for the data's [-1, 1] range).
  The paper uses 64 channels and 16 blocks; defaults here 32 and 4.
- `SRDiscriminator` (Ledig et al. 2017, Fig. 4): 3x3 convolutions alternating stride 1 and 2
  (LeakyReLU 0.2, batch norm after the first), channels doubling every two layers, a dense
  layer and one logit. The paper: 64..512 channels and a 1,024-unit dense layer; here width
  16..64 and 256 units.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganlab.nn.sizes import n_doublings


def _norm(kind: str, ch: int) -> nn.Module:
    return nn.BatchNorm2d(ch) if kind == "batch" else nn.InstanceNorm2d(ch)


class _UNetLevel(nn.Module):
    """One encoder/decoder level around an inner module (the reference's UnetSkipConnectionBlock)."""

    def __init__(
        self, outer: int, inner: int, in_ch: int, sub: nn.Module | None, outermost=False, innermost=False, out_ch=None
    ):
        super().__init__()
        down = [nn.Conv2d(in_ch, inner, 4, 2, 1, bias=False)]
        if not outermost:
            down = [nn.LeakyReLU(0.2, True)] + down
            if not innermost:
                down.append(nn.BatchNorm2d(inner))
        up_in = inner if innermost else 2 * inner
        if outermost:
            up = [nn.ReLU(True), nn.ConvTranspose2d(up_in, out_ch, 4, 2, 1), nn.Tanh()]
        else:
            up = [nn.ReLU(True), nn.ConvTranspose2d(up_in, outer, 4, 2, 1, bias=False), nn.BatchNorm2d(outer)]
        self.outermost = outermost
        self.model = nn.Sequential(*down, *([sub] if sub is not None else []), *up)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.model(x)
        return y if self.outermost else torch.cat([x, y], 1)


def unet_levels(size: int) -> int:
    """log2(size): the U-Net's levels from size x size down to 1x1 (a power-of-two side >= 4)."""
    return n_doublings(size, smallest=4, networks="U-Nets") + 2


class UNet(nn.Module):
    memory_format = torch.channels_last

    def __init__(self, in_ch: int, out_ch: int, size: int, width: int = 16):
        super().__init__()
        levels = unet_levels(size)
        chans = [min(width * 2**i, 8 * width) for i in range(levels)]  # encoder outputs, level 0 = outermost
        block = _UNetLevel(chans[-2], chans[-1], chans[-2], None, innermost=True)
        for i in range(levels - 2, 0, -1):
            block = _UNetLevel(chans[i - 1], chans[i], chans[i - 1], block)
        self.net = _UNetLevel(out_ch, chans[0], in_ch, block, outermost=True, out_ch=out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.contiguous(memory_format=self.memory_format))


def patchgan_problem(side: int, n_layers: int, norm: str) -> str | None:
    """None if a PatchGAN with `n_layers` takes side x side images, else why not: its 4x4
    convolutions (padding 1) shrink the map, and it must keep at least one patch (two values
    per map where instance norm normalises it)."""
    s, fits = (side - 2) // 2 + 1, True  # the first conv, stride 2
    for i in range(1, n_layers + 1):
        s = (s - 2) // (2 if i < n_layers else 1) + 1
        fits = fits and s >= (2 if norm == "instance" else 1)
    if fits and s - 1 >= 1:  # the last conv (stride 1) leaves s - 1 patches a side
        return None
    return f"a PatchGAN of d_layers {n_layers} needs larger images than {side}x{side} (at least {2**n_layers * 3})"


class PatchGAN(nn.Module):
    """(N, C, H, W) -> patch logits (N, h * w)."""

    memory_format = torch.channels_last

    def __init__(self, in_ch: int, width: int = 16, n_layers: int = 1, norm: str = "batch"):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_ch, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        ch = width
        for i in range(1, n_layers + 1):
            out = width * min(2**i, 8)
            layers += [
                nn.Conv2d(ch, out, 4, 2 if i < n_layers else 1, 1, bias=False),
                _norm(norm, out),
                nn.LeakyReLU(0.2, True),
            ]
            ch = out
        layers.append(nn.Conv2d(ch, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.contiguous(memory_format=self.memory_format)).flatten(1)


class _ResBlock(nn.Module):
    def __init__(self, ch: int, norm: str = "instance"):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(ch, ch, 3, bias=False),
            _norm(norm, ch),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(ch, ch, 3, bias=False),
            _norm(norm, ch),
        )

    def forward(self, x):
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    memory_format = torch.channels_last

    def __init__(self, in_ch: int, out_ch: int, width: int = 16, n_blocks: int = 3, n_down: int = 2):
        super().__init__()
        w = width
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_ch, w, 7, bias=False),
            nn.InstanceNorm2d(w),
            nn.ReLU(True),
        ]
        for i in range(n_down):
            m = 2**i
            layers += [nn.Conv2d(w * m, w * m * 2, 3, 2, 1, bias=False), nn.InstanceNorm2d(w * m * 2), nn.ReLU(True)]
        layers += [_ResBlock(w * 2**n_down) for _ in range(n_blocks)]
        for i in range(n_down, 0, -1):
            m = 2**i
            layers += [
                nn.ConvTranspose2d(w * m, w * m // 2, 3, 2, 1, output_padding=1, bias=False),
                nn.InstanceNorm2d(w * m // 2),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(w, out_ch, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.contiguous(memory_format=self.memory_format))


class _SRBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False),
            nn.BatchNorm2d(ch),
            nn.PReLU(ch),
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False),
            nn.BatchNorm2d(ch),
        )

    def forward(self, x):
        return x + self.body(x)


class SRResNet(nn.Module):
    memory_format = torch.channels_last

    def __init__(self, in_ch: int, out_ch: int, factor: int = 4, width: int = 32, n_blocks: int = 4):
        super().__init__()
        ups = int(round(math.log2(factor)))
        if 2**ups != factor:
            raise ValueError(f"SRResNet upsamples by powers of two (pixel shuffle x2), got factor {factor}")
        self.head = nn.Sequential(nn.Conv2d(in_ch, width, 9, 1, 4), nn.PReLU(width))
        self.blocks = nn.Sequential(
            *[_SRBlock(width) for _ in range(n_blocks)],
            nn.Conv2d(width, width, 3, 1, 1, bias=False),
            nn.BatchNorm2d(width),
        )
        up: list[nn.Module] = []
        for _ in range(ups):
            up += [nn.Conv2d(width, 4 * width, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU(width)]
        self.tail = nn.Sequential(*up, nn.Conv2d(width, out_ch, 9, 1, 4), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x.contiguous(memory_format=self.memory_format))
        return self.tail(h + self.blocks(h))


class SRDiscriminator(nn.Module):
    """(N, C, H, W) -> one logit per image (N, 1)."""

    memory_format = torch.channels_last

    def __init__(self, in_ch: int, size: int, width: int = 16, dense: int = 256):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_ch, width, 3, 1, 1), nn.LeakyReLU(0.2, True)]
        ch, side, i = width, size, 0
        while side > 4:
            out = ch if i % 2 == 0 else ch * 2
            stride = 2 if i % 2 == 0 else 1
            layers += [nn.Conv2d(ch, out, 3, stride, 1, bias=False), nn.BatchNorm2d(out), nn.LeakyReLU(0.2, True)]
            ch, side, i = out, (side - 1) // stride + 1, i + 1  # a 3x3 conv, padding 1: ceil(side / stride)
        self.trunk = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Sequential(nn.Linear(ch * side * side, dense), nn.LeakyReLU(0.2, True), nn.Linear(dense, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x.contiguous(memory_format=self.memory_format)))
