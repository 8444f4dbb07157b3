"""ProGAN's layers (Karras et al., 2018), shared by the progressive and style-based families:
the equalised-learning-rate linear and conv layers, pixel norm, and minibatch std.

Equalised learning rate (sec. 4.1): weights are drawn from N(0, 1) and multiplied at run time
by He's constant c = sqrt(2 / fan_in) (times `lr_mul`, and the stored weight is divided by
`lr_mul` so the effective initial scale is the same). Adam's updates are scale-invariant, so
every weight then learns at the same speed whatever its layer's fan-in.

Pixel norm (sec. 4.2): each pixel's feature vector divided by its root mean square over the
channels. Minibatch standard deviation (sec. 3): the standard deviation of every feature and
pixel over a group of samples, averaged to one number per group, appended as one more
feature map.

All layers act on one network's tensors, (N, C, H, W) or (N, F); ganlab.nn.seeded.SeedStack
runs one network per seed.
"""

from __future__ import annotations

import contextlib
import math

import torch
from torch import nn
from torch.nn import functional as F


class EqualLinear(nn.Module):
    """y = x @ (c * W).T + lr_mul * b with W ~ N(0, 1 / lr_mul^2) and c = lr_mul * gain / sqrt(fan_in)."""

    def __init__(
        self,
        n_in: int,
        n_out: int,
        bias: bool = True,
        lr_mul: float = 1.0,
        gain: float = math.sqrt(2),
        bias_init: float = 0.0,
    ):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in) / lr_mul)
        self.bias = nn.Parameter(torch.full((n_out,), float(bias_init) / lr_mul)) if bias else None
        self.scale = gain / math.sqrt(n_in) * lr_mul
        self.lr_mul = lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = None if self.bias is None else self.bias * self.lr_mul
        return F.linear(x, self.weight * self.scale, b)


class EqualConv2d(nn.Module):
    """Conv2d ('same' padding) with weights N(0, 1) scaled at run time by gain / sqrt(C_in * k * k)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, bias: bool = True, gain: float = math.sqrt(2)):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(c_out)) if bias else None
        self.scale = gain / math.sqrt(c_in * kernel * kernel)
        self.padding = kernel // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


class PixelNorm(nn.Module):
    """x / sqrt(mean over channels (dim 1) of x^2 + eps): unit mean square per pixel (or per vector)."""

    def __init__(self, eps: float = 1e-8):
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.float().pow(2).mean(dim=1, keepdim=True) + self.eps).to(x.dtype)  # fp32 sums


@contextlib.contextmanager
def fp32_epilogue(x: torch.Tensor):
    """A discriminator's last (4x4) block in fp32 even under bf16 autocast (runs.<name>.precision),
    as stylegan2-ada runs its b4 block and epilogue: the minibatch std is sqrt(var + eps), whose
    gradient, 1 / (2 std), turns bf16's rounding of nearly equal samples into large errors in R1
    and the gradient penalty. Yields x as fp32; a no-op in an fp32 run."""
    with torch.autocast(x.device.type, enabled=False):
        yield x.float()


class MinibatchStd(nn.Module):
    """Appends one feature map: the std over a group of `group_size` samples of every feature
    and pixel, averaged over features and pixels. (N, C, H, W) -> (N, C + 1, H, W).

    Samples i, i + N/G, i + 2N/G, ... form a group (as in the authors' code), G = min(group_size, N);
    a batch that G does not divide is one group (the first paper's whole-batch statistic).
    A group of identical samples gets 0. The seed-batched discriminators' option `mbstd` on
    feature vectors is ganlab.nn.seeded.SeedMinibatchStd (always the whole batch).
    """

    def __init__(self, group_size: int = 4, eps: float = 1e-8):
        super().__init__()
        self.group_size, self.eps = group_size, eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        N, C, H, W = x.shape
        G = min(self.group_size, N)
        if N % G:
            G = N
        y = x.float().reshape(G, N // G, C, H, W)  # fp32 under bf16 autocast too: var cancels
        std = (y.var(dim=0, unbiased=False) + self.eps).sqrt()  # (N/G, C, H, W)
        std = std.mean(dim=(1, 2, 3))  # (N/G,)
        std = std.view(1, -1, 1, 1, 1).expand(G, -1, 1, H, W).reshape(N, 1, H, W)
        return torch.cat([x, std.to(x.dtype)], dim=1)
