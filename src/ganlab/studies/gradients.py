"""The generator's gradient as its samples move away from the data: the course's "the gradient of the
GAN loss vanishes when generated samples are too easy to tell from real ones; the Wasserstein
distance does not have this problem", measured on the toy 1-D set-up (study@<run> of 1-D runs).

For each distance d the generator is the toy's x = z + θ, z ~ N(0, 1), with θ = μ − d (μ the mean
of the run's real training data). Against it, from scratch and with the lab's own losses
(ganlab.losses), two discriminators are trained to (near) optimum on the real data and these
samples: a logistic discriminator on the binary cross-entropy (the GAN of the course, whose optimum
makes the generator's loss a Jensen-Shannon divergence), and a WGAN-GP critic (Gulrajani et al.
2017, λ 10). Both are the same MLP (1 → 32 → 32 → 1, LeakyReLU 0.2), trained `steps` Adam steps
(lr 1e-3, betas 0.5, 0.9) on batches of `batch` real and generated samples. Then, with the
discriminator fixed, autograd gives the generator's gradient dL_G/dθ on 4,096 fresh samples: under
the minimax loss E log(1 − D(G(z))) (the course's), the non-saturating −E log D(G(z)), and the
critic's −E f(G(z)). A vanishing gradient is one whose magnitude falls towards 0 as d grows.

The output layer of both starts at zero (D = 1/2, f = 0 everywhere). From PyTorch's random start the
critic's slope has a random sign, and the two-sided penalty (‖∇f‖ − 1)² makes slope 0 a barrier on
the way to the other sign: in 1-D a critic that starts with the wrong sign stays there (measured:
W1 estimates of −1.8 and −3.2 at d = 2 and 4, and a generator pushed away from the data).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ganlab import losses

DISTANCES = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # |θ − μ| in data standard deviations (the toy's std is 1)
GP_LAMBDA = 10.0
N_EVAL = 4096


class _MLP(nn.Module):
    """The discriminator; its input is first centred and scaled (x - centre) / scale with fixed
    constants (the midpoint of the two means, half their distance + 1), which conditions the
    optimisation at every distance and leaves the function class, and the gradient penalty on x,
    unchanged."""

    def __init__(self, width: int, centre: float, scale: float):
        super().__init__()
        self.centre, self.scale = centre, scale
        self.net = nn.Sequential(
            nn.Linear(1, width), nn.LeakyReLU(0.2), nn.Linear(width, width), nn.LeakyReLU(0.2), nn.Linear(width, 1)
        )
        with torch.no_grad():  # f = 0 at the start: no sign to unlearn (see the module docstring)
            self.net[-1].weight.zero_()
            self.net[-1].bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.centre) / self.scale)


def _train(
    real: torch.Tensor, theta: float, critic: bool, steps: int, batch: int, width: int, gen: torch.Generator
) -> nn.Module:
    """A discriminator (critic=False: BCE on logits) or a WGAN-GP critic against x = z + theta."""
    mu = float(real.mean())
    net = _MLP(width, (mu + theta) / 2, abs(mu - theta) / 2 + 1)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.5, 0.9))
    for _ in range(steps):
        x = real[torch.randint(len(real), (batch,), generator=gen)].view(1, batch, 1)
        fake = torch.randn(1, batch, 1, generator=gen) + theta
        if critic:
            eps = torch.rand(1, batch, 1, generator=gen)
            loss = losses.d_wasserstein(net(x), net(fake)) + GP_LAMBDA * losses.gradient_penalty(net, x, fake, eps)
        else:
            loss = losses.d_bce(net(x), net(fake))
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
    return net


def _pull(net: nn.Module, theta: float, z: torch.Tensor, loss_fn) -> float:
    """-dL_G/dθ: how hard gradient descent on the generator's loss pulls θ up, towards the data
    (θ = μ − d < μ); negative if it pushes θ away."""
    th = torch.tensor(theta, dtype=torch.float32, requires_grad=True)
    (g,) = torch.autograd.grad(loss_fn(net(z + th)).sum(), th)
    return -float(g)


def gradient_sweep(
    real: np.ndarray, distances=DISTANCES, steps: int = 600, batch: int = 256, width: int = 32, seed: int = 0
) -> dict:
    """{"distances", "mu", "grad_minimax", "grad_non_saturating", "grad_critic", "d_fake", "d_real",
    "critic_gap"} with one value per distance (gradients as −dL_G/dθ, the pull of gradient descent
    towards the data: positive, and for a useful gradient not near 0; d_fake, d_real: the trained
    discriminator's mean probability on generated and real samples; critic_gap: E f(x) − E f(G(z)),
    the critic's W1 estimate, which should be about d)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(np.asarray(real, np.float32).reshape(-1))
    mu = float(x.mean())
    z = torch.randn(1, N_EVAL, 1, generator=gen)
    x_eval = x[torch.randint(len(x), (N_EVAL,), generator=gen)].view(1, N_EVAL, 1)
    out = {k: [] for k in ("grad_minimax", "grad_non_saturating", "grad_critic", "d_fake", "d_real", "critic_gap")}
    for d in distances:
        theta = mu - d
        disc = _train(x, theta, False, steps, batch, width, gen)
        crit = _train(x, theta, True, steps, batch, width, gen)
        out["grad_minimax"].append(_pull(disc, theta, z, losses.g_saturating))
        out["grad_non_saturating"].append(_pull(disc, theta, z, losses.g_non_saturating))
        out["grad_critic"].append(_pull(crit, theta, z, losses.g_wasserstein))
        with torch.no_grad():
            out["d_fake"].append(float(torch.sigmoid(disc(z + theta)).mean()))
            out["d_real"].append(float(torch.sigmoid(disc(x_eval)).mean()))
            out["critic_gap"].append(float(crit(x_eval).mean() - crit(z + theta).mean()))
    return {"distances": list(distances), "mu": mu, "steps": steps, "batch": batch, "width": width, **out}


def joint_field(mu: float, sigma: float, n_nodes: int = 60) -> dict:
    """The toy game's simultaneous gradient field ξ = (∂L_G/∂θ, ∂L_D/∂φ0, ∂L_D/∂φ1) (Mescheder et al.
    2017), for data N(mu, sigma²), G(z) = z + θ, D = σ(φ0 + φ1 x), the minimax generator loss and D's
    binary cross-entropy as population means (Gauss-Hermite quadrature), linearised at the equilibrium
    θ = μ, D = 1/2 (φ = 0): {"jacobian", "eigenvalues" (as [re, im] pairs), "rotation"}. Gradient
    descent follows −ξ; an eigenvalue pair with imaginary part larger than its real part makes the
    players circle the equilibrium more than they approach it; "rotation" is the largest |im| / re."""
    from numpy.polynomial.hermite_e import hermegauss

    nodes, weights = hermegauss(n_nodes)
    z = torch.tensor(nodes, dtype=torch.float64)
    w = torch.tensor(weights / weights.sum(), dtype=torch.float64)
    softplus = nn.functional.softplus

    def field(v: torch.Tensor) -> torch.Tensor:
        th, p0, p1 = v[0], v[1], v[2]
        loss_d = (w * softplus(-(p0 + p1 * (mu + sigma * z)))).sum() + (w * softplus(p0 + p1 * (th + z))).sum()
        loss_g = -(w * softplus(p0 + p1 * (th + z))).sum()
        g_th = torch.autograd.grad(loss_g, v, create_graph=True)[0][0]
        g_phi = torch.autograd.grad(loss_d, v, create_graph=True)[0][1:]
        return torch.cat([g_th.view(1), g_phi])

    jac = torch.autograd.functional.jacobian(field, torch.tensor([mu, 0.0, 0.0], dtype=torch.float64)).numpy()
    eig = np.linalg.eigvals(jac)
    complex_pairs = [e for e in eig if abs(e.imag) > 1e-12]
    rotation = (
        max((abs(e.imag) / e.real if e.real > 0 else float("inf")) for e in complex_pairs) if complex_pairs else 0.0
    )
    return {
        "jacobian": jac.tolist(),
        "eigenvalues": [[float(e.real), float(e.imag)] for e in eig],
        "rotation": float(rotation),
    }


def trajectory(theta_seeds: list[list[float]], mu: float) -> dict:
    """θ per logged round, per seed ((rounds, seeds) lists, as history.json logs them), against the
    data mean: how often θ − μ changes sign, how far θ overshoots past μ, and the largest |θ − μ|
    over the last third of the rounds."""
    th = np.asarray(theta_seeds, np.float64)  # (rounds, seeds)
    dev = th - mu
    signs = np.sign(dev)
    crossings = [int(np.sum(signs[1:, s] * signs[:-1, s] < 0)) for s in range(th.shape[1])]
    start = dev[0]
    overshoot = [float(np.max(-dev[:, s] * np.sign(start[s]))) for s in range(th.shape[1])]
    late = dev[-max(1, len(dev) // 3) :]
    return {
        "crossings": crossings,
        "overshoot": overshoot,
        "late_amplitude": np.abs(late).max(0).tolist(),
        "start_distance": np.abs(start).tolist(),
        "rounds": int(len(dev)),
    }
