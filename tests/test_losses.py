"""Loss functions against closed forms."""

from __future__ import annotations

import math

import pytest
import torch

from ganlab import losses


def test_bce_at_chance_is_2log2():
    z = torch.zeros(3, 10)
    torch.testing.assert_close(losses.d_bce(z, z), torch.full((3,), 2 * math.log(2)))
    torch.testing.assert_close(losses.d_bce(z, z, reduction="sum"), torch.full((3,), 20 * math.log(2)))


def test_bce_matches_torch():
    real, fake = torch.randn(2, 50), torch.randn(2, 50)
    ref = torch.stack(
        [
            torch.nn.functional.binary_cross_entropy_with_logits(real[i], torch.ones(50))
            + torch.nn.functional.binary_cross_entropy_with_logits(fake[i], torch.zeros(50))
            for i in range(2)
        ]
    )
    torch.testing.assert_close(losses.d_bce(real, fake), ref)


def test_one_sided_label_smoothing_is_bce_against_target_a_for_real_only():
    """real_label a: -a log D(x) - (1 - a) log(1 - D(x)) on real samples, generated ones unchanged;
    its minimum over D(x) is at D(x) = a (the logit log(a / (1 - a))), not at D(x) -> 1."""
    real, fake = torch.randn(2, 50), torch.randn(2, 50)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    ref = torch.stack([bce(real[i], torch.full((50,), 0.9)) + bce(fake[i], torch.zeros(50)) for i in range(2)])
    torch.testing.assert_close(losses.d_bce(real, fake, real_label=0.9), ref)
    torch.testing.assert_close(losses.d_bce(real, fake, real_label=1.0), losses.d_bce(real, fake))
    logit = torch.tensor([[math.log(0.9 / 0.1)]], requires_grad=True)
    (g,) = torch.autograd.grad(losses.d_bce(logit, torch.zeros(1, 1), real_label=0.9).sum(), logit)
    assert abs(g.item()) < 1e-6


def test_feature_matching_is_the_squared_distance_of_feature_means():
    """Hand values: means (1, 2) and (0, 4) per feature -> ((1 - 0)^2 + (2 - 4)^2) / 2 = 2.5; the
    gradient reaches the generated features only (the real ones are a fixed target)."""
    f_real = torch.tensor([[[0.0, 1.0], [2.0, 3.0]]], requires_grad=True)  # means (1, 2)
    f_fake = torch.tensor([[[0.0, 4.0], [0.0, 4.0]]], requires_grad=True)  # means (0, 4)
    loss = losses.g_feature_matching(f_real, f_fake)
    assert loss.shape == (1,)
    torch.testing.assert_close(loss, torch.tensor([2.5]))
    g_real, g_fake = torch.autograd.grad(loss.sum(), [f_real, f_fake], allow_unused=True)
    assert g_real is None
    # d/df_fake[n, j] = -2 (m_real_j - m_fake_j) / (N F) = -(1, -2) / 2
    torch.testing.assert_close(g_fake, torch.tensor([[[-0.5, 1.0], [-0.5, 1.0]]]))


def test_saturating_gradient_vanishes_when_d_rejects():
    """d/dl log(1 - sig(l)) = -sig(l) -> 0 as l -> -inf; d/dl -log sig(l) = -(1 - sig(l)) -> -1."""
    logit = torch.full((1, 1), -8.0, requires_grad=True)
    (g_sat,) = torch.autograd.grad(losses.g_saturating(logit).sum(), logit)
    (g_ns,) = torch.autograd.grad(losses.g_non_saturating(logit).sum(), logit)
    assert abs(g_sat.item() + torch.sigmoid(torch.tensor(-8.0)).item()) < 1e-7
    assert abs(g_ns.item() + 1) < 1e-3
    assert abs(g_sat.item()) < 1e-3 * abs(g_ns.item())


def test_wasserstein_losses():
    real, fake = torch.tensor([[1.0, 3.0]]), torch.tensor([[0.0, 1.0]])
    torch.testing.assert_close(losses.d_wasserstein(real, fake), torch.tensor([0.5 - 2.0]))
    torch.testing.assert_close(losses.g_wasserstein(fake), torch.tensor([-0.5]))


def test_gradient_penalty_of_linear_critic():
    """f(x) = w.x has gradient w everywhere: the penalty is (||w|| - 1)^2 for every interpolate."""
    w = torch.tensor([3.0, 4.0])

    def critic(x):
        return x @ w

    real, fake, eps = torch.randn(2, 16, 2), torch.randn(2, 16, 2), torch.rand(2, 16, 1)
    torch.testing.assert_close(losses.gradient_penalty(critic, real, fake, eps), torch.full((2,), 16.0))


def test_gradient_penalty_is_per_sample():
    """Per-sample interpolates: a critic f(x) = ||x||^2 / 2 has gradient x_hat, so the penalty is
    the mean of (||x_hat|| - 1)^2 computed sample by sample."""
    real, fake, eps = torch.randn(1, 8, 2), torch.randn(1, 8, 2), torch.rand(1, 8, 1)
    gp = losses.gradient_penalty(lambda x: 0.5 * (x**2).sum(-1), real, fake, eps)
    x_hat = eps * real + (1 - eps) * fake
    torch.testing.assert_close(gp, ((x_hat.norm(dim=-1) - 1) ** 2).mean(1))


def test_hinge_and_least_squares():
    one = torch.ones(1, 4)
    torch.testing.assert_close(losses.d_hinge(one, -one), torch.zeros(1))
    torch.testing.assert_close(losses.d_least_squares(one, 0 * one), torch.zeros(1))
    torch.testing.assert_close(losses.g_least_squares(one), torch.zeros(1))


def test_hinge_by_hand():
    """D: mean max(0, 1 - D(x)) + mean max(0, 1 + D(G(z))); G: -mean D(G(z)), per seed."""
    real = torch.tensor([[0.5, 2.0, -1.0]])  # max(0, 1 - r): 0.5, 0, 2 -> 5/6
    fake = torch.tensor([[-0.5, 0.3, -3.0]])  # max(0, 1 + f): 0.5, 1.3, 0 -> 0.6
    torch.testing.assert_close(losses.d_hinge(real, fake), torch.tensor([5 / 6 + 0.6]))
    torch.testing.assert_close(losses.g_hinge(fake), torch.tensor([3.2 / 3]))
    r = real.clone().requires_grad_(True)
    losses.d_hinge(r, fake).sum().backward()  # no gradient where the margin is met (D(x) >= 1)
    torch.testing.assert_close(r.grad, torch.tensor([[-1 / 3, 0.0, -1 / 3]]))


@pytest.mark.parametrize("family", ["gan", "dcgan"])
def test_gan_and_dcgan_train_with_the_hinge_loss(family):
    """A critic that outputs 0 everywhere (all its weights zero; the gradients of both losses
    vanish there, so it stays at 0 through the D step): hinge gives loss_d = 1 + 1 and loss_g = 0,
    the BCE game 2 log 2 and log 2."""
    from test_families import make, real_fn

    from ganlab.nn.seeded import SeedRNG

    for loss, want_d, want_g in (("hinge", 2.0, 0.0), ("non_saturating", 2 * math.log(2), math.log(2))):
        model, kind = make(family, loss=loss, minibatch="none")
        with torch.no_grad():
            for p in model.D.parameters():
                p.zero_()
        rng = SeedRNG([0, 1], offset=5)
        out = model.train_step(real_fn(kind, rng), rng)
        torch.testing.assert_close(out["loss_d"], torch.full((2,), want_d), atol=1e-6, rtol=0)
        torch.testing.assert_close(out["loss_g"], torch.full((2,), want_g), atol=1e-6, rtol=0)
