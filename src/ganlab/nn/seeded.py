"""Seed-batched layers: every parameter has a leading seed dimension S.

Small 2-D GANs are bound by per-step overhead (kernel launches, Python), not arithmetic, so
training a run's S seeds as one model with batched matmuls (torch.baddbmm) costs little more
than one seed (bench/bench_families.py measures it). Each seed's slice is initialised from
its own generator and sees its own data and latents, so seed s trained in a batch gives the
same numbers as seed s trained alone (tests/test_families.py checks it). Adam and RMSprop
are element-wise, and losses are summed over seeds, so the seeds never interact.

Tensors flowing through these layers have shape (S, N, features).

`SeedStack` keeps the convention for networks that are not seed-batched (every image network):
one independent network per seed, input (S, N, ...) -> output (S, N, ...). Convolutions are
compute-bound (31-45 % of the matmul peak in bench/bench_images.py), so batching the seeds into
grouped convolutions would save little, and a loop works for any architecture. Each seed's
network is initialised from its own generator, so seed s's weights do not depend on the other
seeds; by default with DCGAN's initialisation (`dcgan_init_`), which the image-to-image papers
use too.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class SeedRNG:
    """One torch.Generator per seed; draws are stacked along a leading seed dimension.

    Data parallel (ganlab.distributed): with shard=(rank, world), a draw of n rows (the first
    size) draws n * world rows from the same streams on every rank and keeps rows
    [rank * n, (rank + 1) * n): the ranks' shares of a batch are exactly the rows one process
    would draw for the whole batch, so N processes x batch b see the data and latents of one
    process x batch N * b. With world 1 the draws are the plain ones."""

    def __init__(
        self, seeds: list[int], device: torch.device | str = "cpu", offset: int = 0, shard: tuple[int, int] = (0, 1)
    ):
        self.gens = [torch.Generator(device=device).manual_seed(int(s) + offset) for s in seeds]
        self.device = device
        self.rank, self.world = shard

    def _share(self, x: torch.Tensor, n: int) -> torch.Tensor:
        return x if self.world == 1 else x[:, self.rank * n : (self.rank + 1) * n]

    def randn(self, n: int, *shape: int) -> torch.Tensor:
        return self._share(
            torch.stack([torch.randn(n * self.world, *shape, generator=g, device=self.device) for g in self.gens]), n
        )

    def rand(self, n: int, *shape: int) -> torch.Tensor:
        return self._share(
            torch.stack([torch.rand(n * self.world, *shape, generator=g, device=self.device) for g in self.gens]), n
        )

    def randint(self, high: int, n: int, *shape: int) -> torch.Tensor:
        return self._share(
            torch.stack(
                [torch.randint(high, (n * self.world, *shape), generator=g, device=self.device) for g in self.gens]
            ),
            n,
        )

    def get_state(self) -> list[torch.Tensor]:
        return [g.get_state() for g in self.gens]

    def set_state(self, states: list[torch.Tensor]) -> None:
        for g, s in zip(self.gens, states):
            g.set_state(s)


class SeedLinear(nn.Module):
    """y[s] = x[s] @ W[s] + b[s]; initialised per seed like nn.Linear (U(±1/sqrt(fan_in)))."""

    def __init__(self, n_in: int, n_out: int, init: SeedRNG):
        super().__init__()
        bound = 1 / math.sqrt(n_in)
        self.weight = nn.Parameter((init.rand(n_in, n_out) * 2 - 1) * bound)
        self.bias = nn.Parameter((init.rand(1, n_out) * 2 - 1) * bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. (2016), sec. 3.2: for each sample, how close it is to the others.

    M = f·T reshaped to (N, B, C); c_b(i, j) = exp(-||M_i,b - M_j,b||_1);
    o(i)_b = sum_{j != i} c_b(i, j). Output: [f, o], so A + B features.
    A generator that collapses makes o large for its samples, which the discriminator sees.
    """

    def __init__(self, n_in: int, kernels: int, kernel_dim: int, init: SeedRNG | None = None):
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        # init None: one seed's T from torch's global generator (SeedStack seeds it per net)
        T = init.randn(n_in, kernels * kernel_dim) if init is not None else torch.randn(1, n_in, kernels * kernel_dim)
        self.T = nn.Parameter(T * 0.1)
        self.n_out = n_in + kernels

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        S, N, _ = f.shape
        B, C = self.kernels, self.kernel_dim
        m = torch.bmm(f, self.T).view(S, N, B, C).permute(0, 2, 1, 3).reshape(S * B, N, C)
        # cdist(p=1) gives the L1 distances without an (S, N, N, B, C) intermediate: 2.4x faster
        # forward+backward on CPU than broadcasting, same numbers.
        dist = torch.cdist(m, m, p=1)  # (S*B, N, N)
        o = (torch.exp(-dist).sum(2) - 1.0).view(S, B, N).transpose(1, 2)  # drop c_b(i, i) = 1
        return torch.cat([f, o], dim=-1)


class SeedMinibatchStd(nn.Module):
    """Karras et al. (2018), sec. 3: the batch's mean feature standard deviation, appended
    as one more feature. The lighter alternative to minibatch discrimination.

    On seed-batched feature vectors (S, N, F) -> (S, N, F + 1), one statistic per seed over its
    whole batch: the option `minibatch: mbstd` of the MLP and DCGAN discriminators.
    ganlab.nn.equalised.MinibatchStd is ProGAN's and StyleGAN's layer: one network's feature maps
    (N, C, H, W), samples in groups (4 by default), one statistic per group appended as a map.
    With the whole batch as one group on (N, F, 1, 1) the two give the same numbers
    (tests/test_progan.py); they stay two layers because layout and grouping differ.
    """

    def __init__(self, n_in: int):
        super().__init__()
        self.n_out = n_in + 1

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        # sqrt(var + 1e-8) as Karras et al.: a plain std has a NaN gradient where a feature is constant
        std = (f.float().var(dim=1, unbiased=False) + 1e-8).sqrt().mean(-1, keepdim=True)  # (S, 1), fp32 (bf16 cancels)
        return torch.cat([f, std.to(f.dtype).unsqueeze(1).expand(-1, f.shape[1], 1)], dim=-1)


class Maxout(nn.Module):
    """Goodfellow et al. (2013): the maximum over `pieces` linear units; (..., h * k) -> (..., h).
    VEEGAN's and PacGAN's 2-D discriminators use 5 pieces."""

    def __init__(self, pieces: int):
        super().__init__()
        self.pieces = pieces

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(*x.shape[:-1], -1, self.pieces).amax(-1)


class SeedBatchNorm(nn.Module):
    """Batch norm of seed-batched features (S, N, F): statistics over each seed's batch, one
    scale and shift per seed and feature (a BatchNorm1d of S * F features), so seeds stay apart."""

    def __init__(self, n_seeds: int, features: int, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.weight = nn.Parameter(torch.ones(n_seeds, features))  # (S, F): the seed dimension first
        self.bias = nn.Parameter(torch.zeros(n_seeds, features))
        self.register_buffer("running_mean", torch.zeros(n_seeds * features))
        self.register_buffer("running_var", torch.ones(n_seeds * features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        S, N, F = x.shape
        y = nn.functional.batch_norm(
            x.transpose(0, 1).reshape(N, S * F),
            self.running_mean,
            self.running_var,
            self.weight.flatten(),
            self.bias.flatten(),
            self.training,
            self.momentum,
            self.eps,
        )
        return y.view(N, S, F).transpose(0, 1)


class SeedMLP(nn.Module):
    """Seed-batched MLP: Linear-act blocks, optional minibatch layer before the output.
    act "maxout" makes each hidden layer `maxout_pieces` times wider before its maximum; norm
    "batch" puts batch norm between each hidden Linear and its activation (PacGAN's generator)."""

    def __init__(
        self,
        n_in: int,
        hidden: list[int],
        n_out: int,
        init: SeedRNG,
        act: str = "relu",
        minibatch: str = "none",
        mbd_kernels: int = 16,
        mbd_dim: int = 8,
        maxout_pieces: int = 5,
        norm: str = "none",
    ):
        super().__init__()
        acts = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2), "tanh": nn.Tanh}
        layers: list[nn.Module] = []
        width = n_in
        for h in hidden:
            if act == "maxout":
                layers += [SeedLinear(width, h * maxout_pieces, init), Maxout(maxout_pieces)]
            else:
                layers += [SeedLinear(width, h, init)]
                if norm == "batch":
                    layers.append(SeedBatchNorm(len(init.gens), h))
                layers.append(acts[act]())
            width = h
        self.n_trunk = len(layers)  # the hidden layers: `features` (feature matching)
        if minibatch == "mbd":
            layers.append(MinibatchDiscrimination(width, mbd_kernels, mbd_dim, init))
            width = layers[-1].n_out
        elif minibatch == "mbstd":
            layers.append(SeedMinibatchStd(width))
            width = layers[-1].n_out
        layers.append(SeedLinear(width, n_out, init))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations (S, N, width), before any minibatch layer."""
        return self.net[: self.n_trunk](x)


def dcgan_init_(module: nn.Module) -> None:
    """Radford et al.: all weights from N(0, 0.02); batch-norm scales from N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class SeedStack(nn.Module):
    """One network per seed; forward maps (S, N, ...) inputs to (S, N, ...) outputs.

    Extra positional inputs are split by seed too; tuple outputs are stacked element-wise.
    """

    def __init__(self, make, seeds: list[int], init=dcgan_init_, offset: int = 7_000_003, channels_last: bool = True):
        super().__init__()
        nets = []
        for s in seeds:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(s) + offset)
                net = make()
                init(net)
            net.memory_format = torch.channels_last if channels_last else torch.contiguous_format
            nets.append(net.to(memory_format=net.memory_format))
        self.nets = nn.ModuleList(nets)

    def forward(self, x: torch.Tensor, *extra: torch.Tensor | None):
        outs = [net(x[s], *(e if e is None else e[s] for e in extra)) for s, net in enumerate(self.nets)]
        if isinstance(outs[0], tuple):
            return tuple(torch.stack(parts) for parts in zip(*outs))
        return torch.stack(outs)
