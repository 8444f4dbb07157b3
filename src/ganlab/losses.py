"""Pure GAN loss functions.

Inputs are raw discriminator outputs (logits, or critic values for Wasserstein losses) of
shape (S, N) or (S, N, ...): a leading seed dimension, then the batch. Every function reduces
over everything but the seed dimension and returns one loss per seed, shape (S,), so that
`loss.sum().backward()` trains all seeds at once without mixing them. `reduction="sum"` gives
the course notebook's summed losses.

- BCE discriminator and the two generator losses of Goodfellow et al. (2014): `saturating`
  minimises E log(1 - D(G(z))) (the minimax game as written), `non_saturating` minimises
  -E log D(G(z)) (the fix the paper recommends);
- Wasserstein critic and generator losses (Arjovsky et al., 2017) and the gradient penalty
  (Gulrajani et al., 2017);
- hinge (Lim & Ye, 2017) and least-squares (Mao et al., 2017) losses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _reduce(x: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    flat = x.reshape(x.shape[0], -1)
    return flat.sum(1) if reduction == "sum" else flat.mean(1)


def d_bce(real: torch.Tensor, fake: torch.Tensor, reduction: str = "mean", real_label: float = 1.0) -> torch.Tensor:
    """-log D(x) - log(1 - D(G(z))), with D = sigmoid(logit); softplus keeps it stable.
    `real_label` < 1 is one-sided label smoothing (Salimans et al. 2016, sec. 3.4): real samples
    get the target a instead of 1, -a log D(x) - (1 - a) log(1 - D(x)); generated ones keep 0."""
    loss_real = (
        F.softplus(-real) if real_label == 1.0 else real_label * F.softplus(-real) + (1 - real_label) * F.softplus(real)
    )
    return _reduce(loss_real, reduction) + _reduce(F.softplus(fake), reduction)


def g_saturating(fake: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """log(1 - D(G(z))): the minimax generator loss; its gradient vanishes when D rejects G."""
    return -_reduce(F.softplus(fake), reduction)


def g_non_saturating(fake: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """-log D(G(z)): same fixed point, strong gradient when D rejects G."""
    return _reduce(F.softplus(-fake), reduction)


def g_feature_matching(f_real: torch.Tensor, f_fake: torch.Tensor) -> torch.Tensor:
    """Feature matching (Salimans et al. 2016, sec. 3.1): the generator matches the mean of the
    discriminator's hidden features f (S, N, F) on real samples, ||E f(x) - E f(G(z))||^2, here
    divided by F (the mean over features, as openai/improved-gan's code takes it). Real features
    are a fixed target: no gradient flows into them."""
    return (f_real.detach().mean(1) - f_fake.mean(1)).pow(2).mean(-1)


def d_wasserstein(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The critic minimises E f(G(z)) - E f(x); its negative estimates W1 (if f is 1-Lipschitz)."""
    return _reduce(fake) - _reduce(real)


def g_wasserstein(fake: torch.Tensor) -> torch.Tensor:
    return -_reduce(fake)


def twice_differentiated():
    """The context of a forward pass whose graph a penalty differentiates twice (the gradient
    penalty, R1): there, networks compiled by `runs.<name>.compile` run eagerly, because
    torch.compile's AOTAutograd has no double backward. Outside a compiled run it changes nothing."""
    return torch.compiler.set_stance("force_eager")


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """E (||grad f(x_hat)||_2 - 1)^2 on per-sample interpolates x_hat = eps*x + (1-eps)*G(z).

    eps has shape (S, N, 1, ...) broadcastable to the samples. create_graph=True so the
    penalty itself is differentiated when the critic is updated.
    """
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    with twice_differentiated():
        out = critic(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norms = grad.reshape(grad.shape[0], grad.shape[1], -1).norm(dim=-1)  # (S, N)
    return ((norms - 1) ** 2).mean(1)


def d_rpgan(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Relativistic pairing (Jolicoeur-Martineau 2019; RpGAN of Huang et al. 2024, R3GAN's
    Trainer.py): E softplus(D(fake_i) - D(real_i)), each real paired with one generated sample."""
    return _reduce(F.softplus(fake - real))


def g_rpgan(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The generator's side of RpGAN: E softplus(D(real_i) - D(fake_i)), D(real) held fixed."""
    return _reduce(F.softplus(real.detach() - fake))


def zero_centred_penalty(d_out: torch.Tensor, x: torch.Tensor, pack: int = 1) -> torch.Tensor:
    """R1 (on real samples) or R2 (on generated ones), Mescheder et al. 2018, Huang et al. 2024:
    E ||grad_x D||^2 of D's outputs d_out (S, N) at samples x (S, N * pack, ...) that require grad,
    per D input: a packed input's squared gradient norm is the sum over its `pack` samples.
    One value per seed, differentiable (compute d_out inside `twice_differentiated()`)."""
    (grad,) = torch.autograd.grad(d_out.sum(), x, create_graph=True)
    return grad.pow(2).flatten(2).sum(2).mean(1) * pack


def class_ce(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of class logits (S, N, K) against labels (S, N), one loss per seed: (S,).
    ACGAN's class loss L_C and InfoGAN's categorical part of L_I."""
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="none").view(labels.shape).mean(1)


def d_hinge(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The hinge loss of D (Lim & Ye 2017; SNGAN, BigGAN): E max(0, 1 - D(x)) + E max(0, 1 + D(G(z))), per seed."""
    return _reduce(F.relu(1 - real)) + _reduce(F.relu(1 + fake))


def g_hinge(fake: torch.Tensor) -> torch.Tensor:
    """G's side of the hinge game: -E D(G(z)), per seed."""
    return -_reduce(fake)


def d_least_squares(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * (_reduce((real - 1) ** 2) + _reduce(fake**2))


def g_least_squares(fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * _reduce((fake - 1) ** 2)
