"""Networks and growing schedule of ProGAN (Karras et al., 2018), at reduced width.

Schedule (`schedule`): training starts at 4x4; every new resolution (8, 16, ... up to the
dataset's side) is first faded in over `fade_steps` steps, alpha rising linearly from 0 to 1,
then stabilised. Every resolution below the target is trained at alpha = 1 for `phase_steps`
steps; the target resolution keeps the rest of training. So with P = phase_steps and
F = fade_steps, steps [0, P) are 4x4, [P, P+F) fade in 8x8, [P+F, 2P+F) are 8x8, and so on;
the target is reached with alpha = 1 at step k (P + F), where 4 * 2^k is the target side.

Generator (one network): pixel norm on z; a 4x4 block (equalised linear to a 4x4 map, then a
3x3 conv); per further resolution a block of nearest upsampling and two 3x3 convs; LeakyReLU
0.2 and pixel norm after every conv; a 1x1 toRGB per resolution (linear output as in the
paper, or tanh: `tanh`). During a fade-in the output is
(1 - alpha) * upsample(toRGB_prev(h_prev)) + alpha * toRGB_new(h_new).
Discriminator, mirrored: a 1x1 fromRGB (+ LeakyReLU) per resolution; per resolution above 4x4
a block of two 3x3 convs and 2x average pooling; during a fade-in its input also goes through
pooling and the previous fromRGB, blended with the new block's output by alpha; the final
block is the minibatch standard-deviation layer, a 3x3 conv, a 4x4 -> `channels` linear layer
and the logit. Every layer has an equalised learning rate (ganlab.nn.equalised). Channels per
level (`level_channels`): `width` at the target resolution, doubling per halving of the
resolution up to `max_width`, as in DCGAN (the paper has 512 up to 32x32, then halving).

The current phase (resolution, alpha) is an attribute, set by the family before a forward
pass (`set_phase`), so the networks also run under SeedStack's per-seed loop.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ganlab.nn.equalised import EqualConv2d, EqualLinear, MinibatchStd, PixelNorm, fp32_epilogue
from ganlab.nn.sizes import n_doublings


def schedule(step: int, phase_steps: int, fade_steps: int, target: int) -> tuple[int, float]:
    """(resolution, alpha) of training step `step` (0-based) growing from 4x4 to `target`.

    Level j (resolution 4 * 2^j, j >= 1) fades in over steps [j(P+F) - F, j(P+F)) with
    alpha = (step - fade start) / F, then holds alpha = 1. Stabilised phases have alpha 1.
    """
    k, P, F_ = n_doublings(target, smallest=4, networks="ProGAN networks"), phase_steps, fade_steps
    for j in range(1, k + 1):
        fade_start = j * (P + F_) - F_
        if step < fade_start:
            return 4 * 2 ** (j - 1), 1.0
        if step < fade_start + F_:
            return 4 * 2**j, (step - fade_start) / F_
    return target, 1.0


def level_channels(side: int, width: int, max_width: int) -> list[int]:
    """Channels of levels 0 (4x4) .. k (side x side): width * 2^(k - j), at most max_width."""
    k = n_doublings(side, smallest=4, networks="ProGAN networks")
    return [min(width * 2 ** (k - j), max_width) for j in range(k + 1)]


def lerp(a: torch.Tensor, b: torch.Tensor, alpha: float) -> torch.Tensor:
    return b if alpha >= 1.0 else a + (b - a) * alpha


class ProGenerator(nn.Module):
    memory_format = torch.contiguous_format  # SeedStack sets the run's choice

    def __init__(self, z_dim: int, shape: list[int], width: int, max_width: int, tanh: bool = False):
        super().__init__()
        self.tanh = tanh
        c_img, side, _ = shape
        ch = level_channels(side, width, max_width)
        self.C, self.side = ch[0], side
        self.res, self.alpha = side, 1.0  # the phase; the family sets it before every call
        self.norm = PixelNorm()
        # He's constant / 4 on the projection to 4x4, as in the authors' code (gain sqrt(2)/4)
        self.project = EqualLinear(z_dim, ch[0] * 16, gain=math.sqrt(2) / 4)
        self.base = EqualConv2d(ch[0], ch[0], 3)
        self.blocks = nn.ModuleList(
            nn.ModuleList([EqualConv2d(ch[j - 1], ch[j], 3), EqualConv2d(ch[j], ch[j], 3)]) for j in range(1, len(ch))
        )
        self.to_rgb = nn.ModuleList(EqualConv2d(c, c_img, 1, gain=1.0) for c in ch)

    def act(self, h: torch.Tensor) -> torch.Tensor:
        return self.norm(F.leaky_relu(h, 0.2))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        level = n_doublings(self.res, smallest=4)
        h = self.act(self.project(self.norm(z)).view(len(z), self.C, 4, 4).contiguous(memory_format=self.memory_format))
        h = self.act(self.base(h))
        prev = None
        for j in range(1, level + 1):
            if j == level and self.alpha < 1.0:
                prev = h
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            for conv in self.blocks[j - 1]:
                h = self.act(conv(h))
        out = self.to_rgb[level](h)
        if prev is not None:
            out = lerp(F.interpolate(self.to_rgb[level - 1](prev), scale_factor=2, mode="nearest"), out, self.alpha)
        return torch.tanh(out) if self.tanh else out


class ProDiscriminator(nn.Module):
    """Returns (logit of shape (N, 1), features before the last two linear layers (N, 16 C_0))."""

    memory_format = torch.contiguous_format

    def __init__(self, shape: list[int], width: int, max_width: int, group_size: int = 4):
        super().__init__()
        c_img, side, _ = shape
        ch = level_channels(side, width, max_width)
        C = ch[0]
        self.res, self.alpha = side, 1.0
        self.from_rgb = nn.ModuleList(EqualConv2d(c_img, c, 1) for c in ch)
        self.blocks = nn.ModuleList(
            nn.ModuleList([EqualConv2d(ch[j], ch[j], 3), EqualConv2d(ch[j], ch[j - 1], 3)]) for j in range(1, len(ch))
        )
        self.mbstd = MinibatchStd(group_size)
        self.final_conv = EqualConv2d(C + 1, C, 3)
        self.dense = EqualLinear(C * 16, C)
        self.out = EqualLinear(C, 1, gain=1.0)

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        level = n_doublings(self.res, smallest=4)
        x = x.contiguous(memory_format=self.memory_format)
        h = F.leaky_relu(self.from_rgb[level](x), 0.2)
        for j in range(level, 0, -1):
            for conv in self.blocks[j - 1]:
                h = F.leaky_relu(conv(h), 0.2)
            h = F.avg_pool2d(h, 2)
            if j == level and self.alpha < 1.0:
                skip = F.leaky_relu(self.from_rgb[level - 1](F.avg_pool2d(x, 2)), 0.2)
                h = lerp(skip, h, self.alpha)
        with fp32_epilogue(h) as h:  # the 4x4 block in fp32 under bf16 autocast, as stylegan2-ada's
            h = F.leaky_relu(self.final_conv(self.mbstd(h)), 0.2)
            f = h.contiguous().flatten(1)
            return self.out(F.leaky_relu(self.dense(f), 0.2)), f


def real_at_phase(x: torch.Tensor, res: int, alpha: float) -> torch.Tensor:
    """Real images (..., C, H, W) at the phase's resolution: average pooling down to `res`;
    during a fade-in blended with the upsampled half-resolution version, as the paper does."""
    lead, (C, H, W) = x.shape[:-3], x.shape[-3:]
    y = x.reshape(-1, C, H, W)
    if H != res:
        y = F.avg_pool2d(y, H // res)
    if alpha < 1.0:
        y = lerp(F.interpolate(F.avg_pool2d(y, 2), scale_factor=2, mode="nearest"), y, alpha)
    return y.reshape(*lead, C, res, res)


def to_full(x: torch.Tensor, side: int) -> torch.Tensor:
    """Nearest upsampling of (..., C, r, r) images to (..., C, side, side)."""
    r = x.shape[-1]
    if r == side:
        return x
    lead = x.shape[:-3]
    y = F.interpolate(x.reshape(-1, *x.shape[-3:]), scale_factor=side // r, mode="nearest")
    return y.reshape(*lead, *y.shape[-3:])
