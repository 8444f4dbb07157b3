"""Every registered family: shapes, a training step on CPU, finite losses; plus the layers.

Parametrised over the registry, so a new family is tested the moment its file exists.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.config import build
from ganlab.families import get_family, list_families
from ganlab.families.base import RealBatches
from ganlab.families.toy1d import notebook_initial_losses
from ganlab.nn.seeded import MinibatchDiscrimination, SeedMinibatchStd, SeedMLP, SeedRNG

META = {
    1: {"kind": "points", "dim": 1, "centres": [[7.5]], "std": 1.0, "range": [[3.5], [11.5]]},
    2: {"kind": "points", "dim": 2, "centres": [[1, 0], [-1, 0]], "std": 0.05, "range": [[-1.2, -0.2], [1.2, 0.2]]},
    "images": {"kind": "images", "shape": [1, 8, 8], "dim": 64, "classes": 3},
    # translation data (ganlab.data.translation): paired same-size, paired 2x super-resolution, unpaired
    "paired": {
        "kind": "images",
        "shape": [1, 8, 8],
        "dim": 64,
        "classes": 3,
        "pairing": "paired",
        "input_shape": [1, 8, 8],
    },
    "sr": {
        "kind": "images",
        "shape": [1, 8, 8],
        "dim": 64,
        "classes": 3,
        "pairing": "paired",
        "input_shape": [1, 4, 4],
    },
    "unpaired": {
        "kind": "images",
        "shape": [3, 8, 8],
        "dim": 192,
        "classes": 3,
        "pairing": "unpaired",
        "a_shape": [3, 8, 8],
    },
}
TRANSLATION_KINDS = ("paired", "sr", "unpaired")
SMALL = {
    "toy1d": {"d_steps": 5, "g_steps": 2},
    "gan": {"g_hidden": [8], "d_hidden": [8], "batch_size": 16},
    "wgan": {"g_hidden": [8], "d_hidden": [8], "batch_size": 16, "d_steps": 2},
    "wgan_gp": {"g_hidden": [8], "d_hidden": [8], "batch_size": 16, "d_steps": 2},
}
SMALL_IMAGES = {"batch_size": 8, "width": 4, "z_dim": 5}
# srgan's default content loss needs a trained classifier: tests/test_translation.py covers it
SMALL_TRANSLATION = {"batch_size": 8, "width": 4, "srgan": {"content": "pixel", "d_width": 4}}


def kinds_of(family: str) -> list:
    """The data a family is tested on: 2-D points (or 1-D for the toy) and/or images; translation
    families on the paired or unpaired sets they accept."""
    fam = get_family(family)
    if getattr(fam, "translation", False):
        return [k for k in TRANSLATION_KINDS if not fam.check_dataset(dict(META[k]))]
    kinds = [k for k in (2, 1) if not fam.check_dataset({"kind": "points", "dim": k})][:1]
    return kinds + (["images"] if not fam.check_dataset(dict(META["images"])) else [])


CASES = [(f, k) for f in list_families() for k in kinds_of(f)]


def make(family: str, seeds=(0, 1), kind=None, device: str = "cpu", **over):
    fam = get_family(family)
    kind = kind or kinds_of(family)[0]
    small = SMALL_IMAGES if kind == "images" else SMALL.get(family, {})
    if kind in TRANSLATION_KINDS:
        small = {k: v for k, v in SMALL_TRANSLATION.items() if not isinstance(v, dict)} | SMALL_TRANSLATION.get(
            family, {}
        )
    cfg = build(fam.Config, {"family": family, "dataset": "d", "seeds": list(seeds), **small, **over}, "t")
    return fam(cfg, META[kind], torch.device(device)), kind


def real_fn(kind, rng: SeedRNG, distinct: bool = False):
    """Real batches like the trainer's: callable, and `.labeled(n)` with class labels.
    Images: 30 copies of three squares; `distinct`: 30 images of uniform random pixels instead,
    no two alike at any resolution (a group of nearly equal samples makes the minibatch std's
    gradient, 1 / (2 std), ill-conditioned: tests of arithmetic precision use `distinct`)."""
    if kind == "images" or kind in TRANSLATION_KINDS:  # three "classes": a bright square in one of three places
        images = torch.zeros(3, 1, 8, 8, dtype=torch.uint8)
        for k in range(3):
            images[k, 0, 2 * k : 2 * k + 3, 2 * k : 2 * k + 3] = 255
        images, labels = images.repeat(10, 1, 1, 1), torch.arange(3).repeat(10)
        if distinct:
            images = torch.randint(0, 256, images.shape, generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
        if kind == "paired":  # input: the inverted square; target: the square
            return RealBatches(images, labels, rng, inputs=255 - images)
        if kind == "sr":  # input: the 2x area-averaged square
            small = torch.nn.functional.avg_pool2d(images.float(), 2).round().to(torch.uint8)
            return RealBatches(images, labels, rng, inputs=small)
        if kind == "unpaired":  # A: grey squares; B: red squares on blue, in other rows
            a = images.repeat(1, 3, 1, 1)
            b = torch.stack([images[:, 0], torch.zeros_like(images[:, 0]), 255 - images[:, 0]], 1).roll(1, 0)
            return RealBatches(b, labels.roll(1, 0), rng, domain_a=a)
        return RealBatches(images, labels, rng)
    centres = torch.tensor(META[kind]["centres"], dtype=torch.float32)
    return lambda n: centres[rng.randint(len(centres), n)] + 0.05 * rng.randn(n, kind)


def test_registry_lists_the_foundation_families():
    assert {"toy1d", "gan", "wgan", "wgan_gp"} <= set(list_families())
    assert {"dcgan", "cgan", "acgan", "infogan"} <= set(list_families())
    with pytest.raises(KeyError, match="unknown family 'nope'; known: acgan, cgan"):
        get_family("nope")


@pytest.mark.parametrize("family,kind", CASES)
def test_family_step_shapes_and_finite(family, kind):
    model, kind = make(family, kind=kind)
    rng = SeedRNG([0, 1], offset=5)
    z = model.latent(7, rng)
    assert z.shape[:2] == (2, 7)
    x = model.generate(z)
    assert x.shape == ((2, 7, kind) if isinstance(kind, int) else (2, 7, *META[kind]["shape"]))
    if not isinstance(kind, int):
        assert x.min() >= -1 and x.max() <= 1  # tanh output, the data's range
    if not getattr(model, "d_in_class", ""):
        assert model.d_display(x).shape == (2, 7)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    out = model.train_step(real_fn(kind, rng), rng)
    for k, v in out.items():
        assert v.shape == (2,), k
        assert torch.isfinite(v).all(), k
    assert {"loss_d", "loss_g", "d_real", "d_fake", "grad_g", "grad_d"} <= set(out)
    assert set(model.optimizers()) == {"g", "d"} and model.optimizers() is model.optimizers()  # built once
    still = [n for n, p in model.named_parameters() if torch.equal(before[n], p)]
    # Families that grow (progan) name the parameters their current phase does not use yet.
    idle = set(model.idle_parameters())
    still = [n for n in still if n not in idle]
    # A Wasserstein critic's output bias has zero gradient (the loss ignores constant offsets).
    allowed = (
        {n for n in before if n.startswith("D.") and n.endswith(".bias")}
        if not getattr(model, "d_is_probability", True)
        else set()
    )
    assert not set(still) - allowed and len(still) <= 2 * (kind == "images") + 1, (
        f"parameters that did not move: {still}"
    )
    assert set(model.optimizers()) == {"g", "d"}


@pytest.mark.parametrize("family,kind", CASES)
def test_seeds_are_independent(family, kind):
    """Seed 1 trained in a batch with seed 0 equals seed 1 trained alone."""
    both, kind = make(family, seeds=(0, 1), kind=kind)
    alone, _ = make(family, seeds=(1,), kind=kind)
    rng_b, rng_a = SeedRNG([0, 1], offset=9), SeedRNG([1], offset=9)
    for _ in range(3):
        both.train_step(real_fn(kind, rng_b), rng_b)
        alone.train_step(real_fn(kind, rng_a), rng_a)
    if not isinstance(kind, int):  # images: one network per seed: seed 1's is nets.1 in the pair, nets.0 alone
        pairs = [
            (n, p, dict(alone.named_parameters())[n.replace(".nets.1.", ".nets.0.")])
            for n, p in both.named_parameters()
            if ".nets.1." in n
        ]
        assert pairs
    else:
        pairs = [
            (n, pb[1:2] if pb.shape[0] == 2 else pb, pa)
            for (n, pb), pa in zip(both.named_parameters(), alone.parameters())
        ]
    for name, pb, pa in pairs:
        torch.testing.assert_close(pb, pa, rtol=1e-5, atol=1e-6, msg=name)


def test_wgan_clips_critic_weights():
    model, dim = make("wgan", clip=0.01, lr_d=0.5)
    rng = SeedRNG([0, 1])
    model.train_step(real_fn(dim, rng), rng)
    assert max(p.abs().max().item() for p in model.D.parameters()) <= 0.01 + 1e-9


def test_toy_notebook_initial_losses():
    """Independent recomputation with torch's BCE on the notebook's own sample."""
    np.random.seed(0)
    x_real = torch.tensor(np.random.normal(size=(1, 10)) + 7.5)
    np.random.seed(1)
    x_syn = torch.tensor(np.random.normal(size=(1, 10))) + 3.0
    d = lambda x: torch.sigmoid(-2.0 + 1.0 * x)
    bce = torch.nn.functional.binary_cross_entropy
    d_loss = bce(d(x_real), torch.ones(1, 10, dtype=torch.float64), reduction="sum") + bce(
        d(x_syn), torch.zeros(1, 10, dtype=torch.float64), reduction="sum"
    )
    g_loss = bce(d(x_syn), torch.zeros(1, 10, dtype=torch.float64), reduction="sum")  # = -sum log(1 - D(x_syn))
    got = notebook_initial_losses()
    assert got["notebook_initial_d_loss"] == pytest.approx(d_loss.item(), rel=1e-12)
    assert got["notebook_initial_g_loss"] == pytest.approx(g_loss.item(), rel=1e-12)
    assert got["notebook_initial_d_loss"] == pytest.approx(13.8148, abs=1e-4)


def test_toy_converges_to_data_mean():
    """The notebook's schedule (1000 D steps, 10 G steps a round) takes theta from 3 to the data
    mean 7.5 and flattens the discriminator (slope phi1 -> 0: D at chance everywhere)."""
    model, dim = make("toy1d", seeds=(0,), d_steps=1000, g_steps=10)
    rng = SeedRNG([0], offset=3)
    data = lambda n: 7.5 + rng.randn(n, 1)
    thetas = []
    for _ in range(30):
        out = model.train_step(data, rng)
        thetas.append(model.theta.item())
    assert thetas[0] > 3.0 and max(thetas) > 7.0
    assert abs(np.mean(thetas[-5:]) - 7.5) < 0.5, thetas
    # |phi1| after the 30th round, seeds 0-399: median 0.05, 99th percentile 0.33, max 0.64 (seed 0:
    # 0.11); it starts at 1 and is above 1.46 after the first round
    assert abs(model.phi[0, 1].item()) < 0.8
    assert abs(out["d_real"].item() - out["d_fake"].item()) < 0.1  # D cannot tell them apart


def test_toy_closed_form_gradients_match_autograd():
    from ganlab import losses

    model, _ = make("toy1d", seeds=(0, 1))
    with torch.no_grad():
        model.phi.copy_(torch.tensor([[-2.0, 1.0], [0.3, -0.7]]))
        model.theta.copy_(torch.tensor([3.0, 6.0]))
    x_real, z = torch.randn(2, 10) + 7.5, torch.randn(2, 10)
    phi = model.phi.detach().clone().requires_grad_(True)
    logit = lambda v: phi[:, :1] + phi[:, 1:] * v
    x_syn = z + model.theta.detach()[:, None]
    (gd,) = torch.autograd.grad(losses.d_bce(logit(x_real), logit(x_syn), reduction="sum").sum(), phi)
    torch.testing.assert_close(model.d_grad(x_real, x_syn), gd)
    theta = model.theta.detach().clone().requires_grad_(True)
    loss_g = losses.g_saturating(
        model.phi[:, :1].detach() + model.phi[:, 1:].detach() * (z + theta[:, None]), reduction="sum"
    )
    (gg,) = torch.autograd.grad(loss_g.sum(), theta)
    torch.testing.assert_close(model.g_grad(z), gg)


def test_minibatch_discrimination_sees_other_samples():
    layer = MinibatchDiscrimination(4, kernels=3, kernel_dim=2, init=SeedRNG([0]))
    f = torch.randn(1, 5, 4)
    out = layer(f)
    assert out.shape == (1, 5, 7)
    torch.testing.assert_close(out[..., :4], f)
    g = f.clone()
    g[0, 4] += 10.0  # move one sample far away
    assert not torch.allclose(layer(g)[0, 0, 4:], out[0, 0, 4:])  # sample 0's features change
    same = torch.zeros(1, 5, 4)  # a collapsed batch: every c_b = 1
    torch.testing.assert_close(layer(same)[..., 4:], torch.full((1, 5, 3), 4.0))
    perm = torch.randperm(5)
    torch.testing.assert_close(layer(f[:, perm]), out[:, perm])  # permutation equivariant


def test_minibatch_std_feature():
    f = torch.randn(2, 6, 3)
    out = SeedMinibatchStd(3)(f)
    assert out.shape == (2, 6, 4)
    torch.testing.assert_close(out[:, 0, 3], f.std(1, unbiased=False).mean(-1))
    assert torch.equal(out[:, 0, 3], out[:, 5, 3])
    same = torch.ones(1, 4, 3, requires_grad=True)  # a collapsed batch: std 0, gradient finite
    SeedMinibatchStd(3)(same)[..., 3].sum().backward()
    assert torch.isfinite(same.grad).all()


@pytest.mark.parametrize("minibatch", ["mbd", "mbstd"])
def test_conv_discriminator_minibatch_layer(minibatch):
    """On images the minibatch layer sits before D's logit: a sample's logit depends on the
    rest of its batch, the trunk features given to auxiliary heads do not."""
    from ganlab.nn.dcgan import DCGANDiscriminator

    torch.manual_seed(0)
    d = DCGANDiscriminator([1, 16, 16], 8, minibatch=minibatch, mbd_kernels=4, mbd_dim=3).eval()
    assert d.head.in_features == d.n_features + (4 if minibatch == "mbd" else 1)
    x = torch.randn(6, 1, 16, 16)
    out, f = d(x)
    y = x.clone()
    y[5] += 3.0  # change another sample only
    out2, f2 = d(y)
    torch.testing.assert_close(f2[0], f[0])
    assert not torch.allclose(out2[0], out[0])


def test_seed_mlp_options_and_init_per_seed():
    a = SeedMLP(2, [8], 1, SeedRNG([0, 1]), minibatch="mbd")
    b = SeedMLP(2, [8], 1, SeedRNG([1]), minibatch="mbd")
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa[1:2], pb)  # seed 1's init does not depend on seed 0
    assert a(torch.randn(2, 5, 2)).shape == (2, 5, 1)


def test_d_display_uses_training_size_batches():
    """With a minibatch layer D(x) depends on its batch, so the displayed D is computed on
    batches of the training size: equal to the critic applied chunk by chunk."""
    model, _ = make("gan", minibatch="mbd", batch_size=16)
    x = torch.randn(2, 50, 2)
    with torch.no_grad():
        chunks = torch.cat([torch.sigmoid(model.critic(c)) for c in x.split(16, dim=1)], dim=1)
        whole = torch.sigmoid(model.critic(x))
        shown = model.d_display(x)
    torch.testing.assert_close(shown, chunks)
    assert not torch.allclose(shown, whole)  # one 50-sample batch would give other values


def test_infogan_paper_networks_share_the_fc_layer_with_q():
    """fc_hidden adds InfoGAN's FC-BN hidden layer to G and D (Chen et al. 2016, appendix C.1); Q
    reads D's FC features and, with q_batch_norm, normalises its own hidden layer; one step moves
    every parameter, the shared FC layer included."""
    model, kind = make("infogan", kind="images", fc_hidden=24, q_batch_norm=True)
    d = model.D.nets[0]
    assert (
        d.n_features == 24
        and isinstance(d.trunk[-3], torch.nn.Linear)
        and isinstance(d.trunk[-2], torch.nn.BatchNorm1d)
    )
    assert isinstance(model.G.nets[0].project[1], torch.nn.BatchNorm1d)
    assert isinstance(model.Q.nets[0][1], torch.nn.BatchNorm1d) and model.Q.nets[0][0].in_features == 24
    rng = SeedRNG([0, 1], offset=5)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    out = model.train_step(real_fn(kind, rng), rng)
    assert torch.isfinite(out["loss_info"]).all()
    assert not [n for n, p in model.named_parameters() if torch.equal(before[n], p) and "trunk" in n]
