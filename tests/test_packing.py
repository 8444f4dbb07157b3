"""Options of the adversarial families against mode collapse: PacGAN's packing, RpGAN with R1 and R2,
and the published 2-D architecture (maxout discriminator, batch-norm generator); the tricks of
Salimans et al. 2016: feature matching and one-sided label smoothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_families import make, real_fn

from ganlab import config, losses
from ganlab.families import get_family, list_families
from ganlab.metrics import wasserstein
from ganlab.nn.seeded import Maxout, MinibatchDiscrimination, SeedBatchNorm, SeedMLP, SeedRNG

PACKABLE = [f for f in list_families() if "pack" in config.settable(get_family(f).Config)]


def test_the_packable_families():
    assert PACKABLE == ["dcgan", "gan", "wgan", "wgan_gp"]


@pytest.mark.parametrize("family,kind", [("gan", 2), ("wgan_gp", 2), ("dcgan", "images"), ("wgan_gp", "images")])
def test_packed_discriminator_judges_m_samples_at_once(family, kind):
    model, kind = make(family, kind=kind, pack=3)
    rng = SeedRNG([0, 1], offset=3)
    real = real_fn(kind, rng)
    x = real(12)
    assert model.critic(x).shape == (2, 4)
    # the packed input is each group of 3 consecutive samples, features (or channels) side by side
    model.eval()  # images: D's batch norm with running statistics, so batches may differ
    group = torch.cat([x[:, 3], x[:, 4], x[:, 5]], dim=-1 if kind == 2 else 1)[:, None]  # group 1
    direct = model.discriminate(group)
    direct = (direct[0] if kind == "images" else direct)[..., 0]
    assert torch.allclose(model.critic(x)[:, 1:2], direct, atol=1e-6)
    model.train()
    before = [p.detach().clone() for p in model.parameters()]
    out = model.train_step(real, rng)
    assert all(torch.isfinite(v).all() for v in out.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_pack_1_is_the_unpacked_discriminator_exactly():
    model, _ = make("gan", kind=2, pack=1)
    torch.manual_seed(0)
    plain = SeedMLP(2, model.cfg.d_hidden, 1, SeedRNG(model.cfg.seeds), act="leaky_relu")
    plain.load_state_dict({k.removeprefix("D."): v for k, v in model.state_dict().items() if k.startswith("D.")})
    x = torch.randn(2, 16, 2)
    assert torch.equal(model.critic(x), plain(x)[..., 0])
    default, _ = make("gan", kind=2)
    assert {k: v.shape for k, v in default.state_dict().items()} == {k: v.shape for k, v in model.state_dict().items()}


@pytest.mark.parametrize(
    "run,message",
    [
        (
            {"family": "cgan", "pack": 2},
            r"runs\.r\.pack: not a setting of this family: its discriminator sees class labels, feeds another head "
            r"or has its own architecture, so it cannot pack",
        ),
        (
            {"family": "dcgan", "d_act": "maxout"},
            r"runs\.r\.d_act: not a setting of this family: it sets the MLPs of point data, and this family trains "
            r"on images only",
        ),
        (
            {"family": "progan", "minibatch": "mbstd"},
            r"runs\.r\.minibatch: not a setting of this family: progan's discriminator has its own minibatch std",
        ),
        (
            {"family": "wgan_gp", "g_hidden": [64]},
            r"runs\.r\.g_hidden: applies to point data only; leave it at \[128, 128, 128\] for images",
        ),
        (
            {"family": "wgan", "dataset": "p", "width": 64},
            r"runs\.r\.width: applies to image data only; leave it at 32",
        ),
        (
            {"family": "gan", "dataset": "p", "width": 64},
            r"runs\.r\.width: not a setting of this family: it sets the convolutional networks of images, and this "
            r"family trains on point data only",
        ),
    ],
)
def test_options_a_family_or_its_data_does_not_take_are_refused(run, message):
    """A family declares what it takes (its Config's settable fields; `fixed` ones are not taken), and the
    options of one data kind stay at their defaults on the other: neither is silently ignored."""
    raw = {
        "datasets": {"g": {"recipe": "glyphs", "image_size": 16}, "p": {"recipe": "ring"}},
        "runs": {"r": {"dataset": "g", **run}},
    }
    with pytest.raises(config.ConfigError, match=message) as caught:
        config.validate(raw)
    assert caught.value.key == "runs.r." + message.split("runs\\.r\\.")[1].split(":")[0]


@pytest.mark.parametrize("family,kind,pack", [("gan", 2, 1), ("gan", 2, 2), ("dcgan", "images", 1)])
def test_features_are_the_discriminators_last_hidden_layer(family, kind, pack):
    """Points: the MLP's hidden layers before any minibatch layer; images: the trunk D's head reads."""
    model, kind = (
        make(family, kind=kind, pack=pack, d_hidden=[8, 6], minibatch="mbd") if kind == 2 else make(family, kind=kind)
    )
    x = real_fn(kind, SeedRNG([0, 1], offset=3))(12)
    f = model.features(x)
    assert f.shape[:2] == (2, 12 // pack)
    if kind == 2:
        assert f.shape[2] == 6
        # the input of the minibatch layer, after the last hidden activation
        assert torch.equal(f, model.D.net[: model.D.n_trunk](model.packed(x)))
        assert isinstance(model.D.net[model.D.n_trunk - 1], torch.nn.LeakyReLU)
        assert isinstance(model.D.net[model.D.n_trunk], MinibatchDiscrimination)
    else:
        assert torch.equal(f, model.discriminate(x)[1])


@pytest.mark.parametrize("option", [{"feature_matching": True}, {"real_label": 0.9}])
@pytest.mark.parametrize("family,kind", [("gan", 2), ("dcgan", "images")])
def test_a_trick_trains_and_changes_only_what_it_should(option, family, kind):
    """One step with the trick from the same start as without: feature matching leaves D's update
    as it was and changes G's (it is G's loss); label smoothing changes D's (it is D's loss)."""
    outs = {}
    for name, over in (("plain", {}), ("trick", option)):
        torch.manual_seed(0)
        model, kind = make(family, kind=kind, **over)
        rng = SeedRNG([0, 1], offset=5)
        model.train_step(real_fn(kind, rng), rng)
        outs[name] = (
            {k: v.clone() for k, v in model.D.state_dict().items()},
            {k: v.clone() for k, v in model.G.state_dict().items()},
        )
    changed = [any(not torch.equal(outs["plain"][i][k], outs["trick"][i][k]) for k in outs["plain"][i]) for i in (0, 1)]
    assert changed == ([False, True] if "feature_matching" in option else [True, True])


TRICK_REFUSED = [
    # the families with their own update step do not have gan's other options: an unknown key, with what is allowed
    ({"family": "cgan", "feature_matching": True}, r"runs\.r\.feature_matching: unknown key; allowed: .*real_label"),
    ({"family": "acgan", "loss": "rpgan"}, r"runs\.r\.loss: unknown key; allowed: .*fake_class_weight"),
    ({"family": "infogan", "r1_gamma": 1.0}, r"runs\.r\.r1_gamma: unknown key; allowed: "),
    (
        {"family": "dcgan", "feature_matching": True, "loss": "saturating"},
        r"runs\.r\.feature_matching: replaces the generator's loss.*use loss non_saturating or rpgan",
    ),
    (
        {"family": "dcgan", "real_label": 0.9, "loss": "rpgan"},
        r"runs\.r\.real_label: label smoothing sets the BCE target of real samples; loss rpgan has no targets",
    ),
    ({"family": "dcgan", "real_label": 0.5}, r"runs\.r\.real_label: must be > 0\.5, got 0\.5"),
]


@pytest.mark.parametrize("run,message", TRICK_REFUSED)
def test_a_trick_is_refused_where_it_does_not_apply(run, message):
    raw = {"datasets": {"g": {"recipe": "glyphs", "image_size": 16}}, "runs": {"r": {"dataset": "g", **run}}}
    with pytest.raises(config.ConfigError, match=message):
        config.validate(raw)


def test_label_smoothing_is_taken_by_the_families_with_their_own_step():
    """They take real_label and none of gan's options that their update step does not use."""
    import dataclasses

    raw = {
        "datasets": {"g": {"recipe": "glyphs", "image_size": 16}},
        "runs": {f: {"family": f, "dataset": "g", "real_label": 0.9} for f in ("cgan", "acgan", "infogan")},
    }
    runs = config.validate(raw).runs.values()
    assert all(r.real_label == 0.9 for r in runs)
    for r in runs:
        assert not {"loss", "r1_gamma", "r2_gamma", "feature_matching"} & {f.name for f in dataclasses.fields(r)}


def test_label_smoothing_keeps_d_off_saturation_on_real_samples():
    """With G held (lr 1e-12) D learns to separate: its mean output on real samples goes to its
    target. Measured after 300 steps over 6 seeds: target 1 -> 0.990-0.998, 0.9 -> 0.897-0.900,
    0.7 -> 0.687-0.712; bounds: the target ± 0.05 (1: above 0.975)."""
    for target, (low, high) in ((1.0, (0.975, 1.0)), (0.9, (0.85, 0.95)), (0.7, (0.65, 0.75))):
        model, _ = make(
            "gan",
            seeds=(0, 1, 2),
            kind=2,
            batch_size=64,
            g_hidden=[32, 32],
            d_hidden=[32, 32],
            lr_g=1e-12,
            lr_d=2e-3,
            real_label=target,
        )
        rng = SeedRNG([0, 1, 2], offset=21)
        for _ in range(300):
            out = model.train_step(lambda n: ring(rng, n), rng)  # noqa: B023  (called at once)
        assert ((out["d_real"] > low) & (out["d_real"] < high)).all(), (target, out["d_real"])
        assert (out["d_fake"] < 0.02).all()


def test_maxout_and_seed_batch_norm():
    x = torch.tensor([[[1.0, 5.0, 2.0, -1.0, -3.0, 0.5]]])
    assert torch.equal(Maxout(3)(x), torch.tensor([[[5.0, 0.5]]]))
    # batch norm per seed: seed 1's output does not depend on seed 0's batch
    bn = SeedBatchNorm(2, 3)
    a = torch.randn(2, 8, 3)
    b = a.clone()
    b[0] *= 100
    assert torch.allclose(bn(a)[1], bn(b)[1], atol=1e-6)
    ref = F.batch_norm(a[1], None, None, training=True, eps=bn.eps)
    assert torch.allclose(bn(a)[1], ref, atol=1e-5)
    # the published 2-D networks: 5-piece maxout D, batch-norm G
    model, _ = make("gan", kind=2, d_act="maxout", maxout_pieces=5, g_batch_norm=True, d_hidden=[7], g_hidden=[6])
    assert model.D.net[0].weight.shape == (2, 2, 35) and isinstance(model.D.net[1], Maxout)
    assert isinstance(model.G.net[1], SeedBatchNorm)


def test_rpgan_loss_and_zero_centred_penalties_against_hand_values():
    real, fake = torch.tensor([[0.5, -1.0]]), torch.tensor([[2.0, 0.0]])
    hand_d = (np.log1p(np.exp(2.0 - 0.5)) + np.log1p(np.exp(0.0 + 1.0))) / 2
    hand_g = (np.log1p(np.exp(0.5 - 2.0)) + np.log1p(np.exp(-1.0 - 0.0))) / 2
    assert losses.d_rpgan(real, fake).item() == pytest.approx(hand_d, rel=1e-6)
    assert losses.g_rpgan(real, fake).item() == pytest.approx(hand_g, rel=1e-6)
    # D(x) = w . x + b on 2-D points: grad = w everywhere, so R1 = ||w||^2; packed (m = 2): the
    # D input is 4-D, its gradient (w1, w2), so the penalty per packed input is ||w||^2 as well
    w = torch.tensor([3.0, -4.0, 1.0, 2.0])
    x = torch.randn(1, 6, 2, requires_grad=True)
    d1 = x @ w[:2]
    assert losses.zero_centred_penalty(d1, x).item() == pytest.approx(25.0, rel=1e-6)
    d2 = x.reshape(1, 3, 4) @ w
    assert losses.zero_centred_penalty(d2, x, pack=2).item() == pytest.approx(30.0, rel=1e-6)
    # quadratic D(x) = ||x||^2: grad = 2x, R = 4 E ||x||^2
    x = torch.randn(1, 5, 2, requires_grad=True)
    assert losses.zero_centred_penalty(x.pow(2).sum(-1), x).item() == pytest.approx(
        4 * x.pow(2).sum(-1).mean().item(), rel=1e-5
    )


def ring(rng: SeedRNG, n: int) -> torch.Tensor:
    k = rng.randint(8, n).float() * (2 * np.pi / 8)
    return torch.stack([k.cos(), k.sin()], -1) + 0.05 * rng.randn(n, 2)


OPTIONS = {
    "pack": {"pack": 2},
    "rpgan": {"loss": "rpgan", "r1_gamma": 0.1, "r2_gamma": 0.1},
    "published": {"d_act": "maxout", "g_batch_norm": True},
    "penalties": {"r1_gamma": 0.1, "r2_gamma": 0.1},
    "fm": {"feature_matching": True},
}


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_a_2d_run_with_each_option_improves_over_its_first_steps(option):
    """Sliced W1 to the ring after 400 steps against step 0 (3 seeds, hidden [32, 32], Adam 2e-3).
    Measured ratios (after / before), worst of 3 seeds: pack 0.46, penalties 0.23, rpgan 0.22,
    published 0.18, feature matching 0.23 (0.27 over 6 seeds); the bound is 0.7. Label smoothing is
    not here: at 400 steps this set-up oscillates with and without it (plain 1.38, smoothed 1.34 in
    one of 6 seeds); its own test below checks what it does to D."""
    torch.manual_seed(0)
    model, _ = make(
        "gan",
        seeds=(0, 1, 2),
        kind=2,
        batch_size=64,
        g_hidden=[32, 32],
        d_hidden=[32, 32],
        lr_g=2e-3,
        lr_d=2e-3,
        **OPTIONS[option],
    )
    rng, ev = SeedRNG([0, 1, 2], offset=21), SeedRNG([0, 1, 2], offset=99)
    z, target = model.latent(1000, ev), ring(ev, 1000)

    def w1() -> np.ndarray:
        model.eval()
        with torch.no_grad():
            x = model.generate(z).numpy()
        model.train()
        return np.array([wasserstein.sliced(x[s], target[s].numpy(), n_projections=64, seed=0) for s in range(3)])

    before = w1()
    for _ in range(400):
        model.train_step(lambda n: ring(rng, n), rng)
    assert (w1() / before).max() < 0.7
