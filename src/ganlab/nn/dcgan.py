"""Convolutional networks of DCGAN (Radford et al., 2016) at reduced width.

Generator: z -> linear projection to a 4x4 map of `width * 2**(n-1)` channels -> n
fractionally strided convolutions (kernel 4, stride 2) that halve the channels and double the
resolution -> `C` channels, tanh. Batch norm and ReLU after every layer but the output.
Discriminator: n strided convolutions (kernel 4, stride 2) from `width` channels, doubling,
down to 4x4, LeakyReLU(0.2), batch norm on every layer but the first (as in the paper), then a
linear layer on the flattened 4x4 map. `fc_hidden` > 0 adds one fully connected hidden layer
(batch norm, ReLU in G / LeakyReLU in D) between z and the projection and between the
flattened map and the logit: InfoGAN's MNIST networks (Chen et al. 2016, appendix C.1: 1024). `batch_norm=False` gives
the WGAN-GP critic (no batch
norm in a critic whose gradient is penalised per sample). The paper's 64x64 nets use
width 128 (G: 1024-512-256-128); the default here is 32 at 16x16 (G: 64-32; D: 32-64).

Conditional inputs (cGAN, ACGAN, InfoGAN): the generator takes the condition concatenated to
z; the discriminator can take the one-hot class as `in_extra` input channels (broadcast over
the image) and/or by projection (`project`: an inner product of a class embedding with its
features added to the logit, Miyato & Koyama 2018). It returns its flattened trunk features
beside the logit, so auxiliary heads (ACGAN's classifier, InfoGAN's Q) share its convolutions.

The families run them one per seed (ganlab.nn.seeded.SeedStack), initialised by its default,
DCGAN's N(0, 0.02) (ganlab.nn.seeded.dcgan_init_).

Memory layout (SeedStack's `channels_last`): channels_last by default (bench/bench_images.py on
2 CPU cores, 3 seeds: 1.1-1.5x faster for the DCGAN-family steps; for WGAN-GP's double backward
0.97x in a quiet run and 0.55x in one run beside other work, so wgan_gp defaults to the
contiguous layout); a run's `channels_last` param chooses.
"""

from __future__ import annotations

import torch
from torch import nn

from ganlab.nn.seeded import MinibatchDiscrimination, SeedMinibatchStd
from ganlab.nn.sizes import n_doublings


class DCGANGenerator(nn.Module):
    memory_format = torch.channels_last  # SeedStack sets the run's choice

    def __init__(self, z_dim: int, shape: list[int], width: int, fc_hidden: int = 0):
        super().__init__()
        c, h, _ = shape
        n = n_doublings(h, networks="DCGAN networks")
        top = width * 2 ** (n - 1)
        self.project = nn.Linear(z_dim, top * 16, bias=False)
        if fc_hidden:  # InfoGAN's MNIST generator: z -> FC-BN-ReLU -> the projection
            self.project = nn.Sequential(
                nn.Linear(z_dim, fc_hidden, bias=False),
                nn.BatchNorm1d(fc_hidden),
                nn.ReLU(True),
                nn.Linear(fc_hidden, top * 16, bias=False),
            )
        layers: list[nn.Module] = [nn.BatchNorm2d(top), nn.ReLU(True)]
        ch = top
        for i in range(n):
            last = i == n - 1
            out = c if last else ch // 2
            layers.append(nn.ConvTranspose2d(ch, out, 4, 2, 1, bias=last))
            layers += [nn.Tanh()] if last else [nn.BatchNorm2d(out), nn.ReLU(True)]
            ch = out
        self.body = nn.Sequential(*layers)
        self.top = top

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = (
            self.project(z).view(len(z), self.top, 4, 4).contiguous(memory_format=self.memory_format)
        )  # "project and reshape"
        return self.body(h)


class DCGANDiscriminator(nn.Module):
    """Returns (logits of shape (N, n_out), trunk features of shape (N, F))."""

    memory_format = torch.channels_last

    def __init__(
        self,
        shape: list[int],
        width: int,
        batch_norm: bool = True,
        in_extra: int = 0,
        n_out: int = 1,
        project: int = 0,
        minibatch: str = "none",
        mbd_kernels: int = 8,
        mbd_dim: int = 4,
        fc_hidden: int = 0,
    ):
        super().__init__()
        c, h, _ = shape
        n = n_doublings(h, networks="DCGAN networks")
        layers: list[nn.Module] = [nn.Conv2d(c + in_extra, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        ch = width
        for _ in range(n - 1):
            layers.append(nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(ch * 2))
            layers.append(nn.LeakyReLU(0.2, True))
            ch *= 2
        layers.append(nn.Flatten())
        self.n_features = ch * 16
        if fc_hidden:  # InfoGAN's MNIST discriminator: the convolutions -> FC-BN-LReLU (shared with Q)
            layers += [nn.Linear(self.n_features, fc_hidden, bias=not batch_norm)]
            layers += [nn.BatchNorm1d(fc_hidden)] if batch_norm else []
            layers.append(nn.LeakyReLU(0.2, True))
            self.n_features = fc_hidden
        self.trunk = nn.Sequential(*layers)
        # Minibatch layer on the flattened trunk features, before the logit (Salimans et al.
        # 2016 put minibatch discrimination there); auxiliary heads still get the plain features.
        self.minibatch = {
            "none": None,
            "mbd": lambda: MinibatchDiscrimination(self.n_features, mbd_kernels, mbd_dim),
            "mbstd": lambda: SeedMinibatchStd(self.n_features),
        }[minibatch]
        self.minibatch = self.minibatch() if self.minibatch else None
        self.head = nn.Linear(self.minibatch.n_out if self.minibatch else self.n_features, n_out)
        self.in_extra = in_extra
        # Projection (Miyato & Koyama 2018): logit += <embed(class), features>
        self.embed = nn.Linear(project, self.n_features, bias=False) if project else None

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if self.in_extra:  # condition channels: (N, k) broadcast to (N, k, H, W)
            x = torch.cat([x, extra[:, :, None, None].expand(-1, -1, *x.shape[2:])], 1)
        f = self.trunk(x.contiguous(memory_format=self.memory_format))
        out = self.head(self.minibatch(f[None])[0] if self.minibatch else f)
        if self.embed is not None:
            out = out + (self.embed(extra) * f).sum(1, keepdim=True)
        return out, f
