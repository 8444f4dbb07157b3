"""ProGAN: the growing schedule, the layers, generate() at every phase, a step per phase,
the phase saved with the weights (resume, load_model), config validation."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from ganlab import data
from ganlab.config import ConfigError, build
from ganlab.data.glyphs import GlyphsConfig
from ganlab.families import get_family
from ganlab.families.base import RealBatches
from ganlab.nn.equalised import EqualConv2d, EqualLinear, MinibatchStd, PixelNorm
from ganlab.nn.progan import real_at_phase, schedule
from ganlab.nn.seeded import SeedRNG

SMALL = {"batch_size": 8, "width": 4, "max_width": 8, "z_dim": 5, "phase_steps": 3, "fade_steps": 4, "steps": 20}


def make(side=16, seeds=(0, 1), **over):
    fam = get_family("progan")
    cfg = build(fam.Config, {"family": "progan", "dataset": "d", "seeds": list(seeds), **SMALL, **over}, "t")
    meta = {"kind": "images", "shape": [1, side, side], "dim": side * side, "classes": 3}
    return fam(cfg, meta, torch.device("cpu"))


def real_fn(side, rng):
    images = torch.zeros(3, 1, side, side, dtype=torch.uint8)
    for k in range(3):
        images[k, 0, k * side // 4 : k * side // 4 + side // 4 + 1, 2 : side - 2] = 255
    return RealBatches(images.repeat(10, 1, 1, 1), torch.arange(3).repeat(10), rng)


# ---------------------------------------------------------------------------- schedule
@pytest.mark.parametrize(
    "step,expected",
    [
        (0, (4, 1.0)),
        (9, (4, 1.0)),  # stabilise 4x4: [0, 10)
        (10, (8, 0.0)),
        (15, (8, 0.25)),
        (29, (8, 0.95)),  # fade in 8x8: [10, 30)
        (30, (8, 1.0)),
        (39, (8, 1.0)),  # stabilise 8x8: [30, 40)
        (40, (16, 0.0)),
        (50, (16, 0.5)),
        (60, (16, 1.0)),
        (69, (16, 1.0)),
        (70, (32, 0.0)),
        (80, (32, 0.5)),
        (90, (32, 1.0)),
        (10**6, (32, 1.0)),
    ],
)
def test_schedule_to_32(step, expected):
    assert schedule(step, phase_steps=10, fade_steps=20, target=32) == pytest.approx(expected)


def test_schedule_stops_at_the_target_and_rejects_bad_sides():
    assert schedule(60, 10, 20, target=16) == (16, 1.0)  # no 32x32 phase for a 16x16 target
    assert schedule(10**6, 10, 20, target=16) == (16, 1.0)
    assert all(schedule(s, 1, 1, target=4) == (4, 1.0) for s in range(5))
    with pytest.raises(ValueError, match="4 \\* 2\\^k"):
        schedule(0, 10, 20, target=12)


# ---------------------------------------------------------------------------- layers
def test_equalised_lr_scales_weights_by_he_constant():
    torch.manual_seed(0)
    conv = EqualConv2d(64, 32, 3)
    assert conv.weight.std().item() == pytest.approx(1.0, rel=0.02)  # stored: N(0, 1)
    assert (conv.weight * conv.scale).std().item() == pytest.approx(math.sqrt(2 / (64 * 9)), rel=0.02)
    lin = EqualLinear(256, 512, lr_mul=0.01)
    assert lin.weight.std().item() == pytest.approx(100.0, rel=0.02)  # N(0, 1 / lr_mul^2)
    assert (lin.weight * lin.scale).std().item() == pytest.approx(math.sqrt(2 / 256), rel=0.02)
    x = torch.randn(4096, 256)
    # He's constant keeps the second moment through a ReLU: E y^2 = 2 E x^2 / 2 per unit fan-in
    assert F.relu(lin(x)).pow(2).mean().item() == pytest.approx(1.0, rel=0.05)
    y = conv(torch.randn(64, 64, 8, 8))
    assert y.shape == (64, 32, 8, 8)  # 'same' padding


def test_pixel_norm_gives_unit_mean_square_per_pixel():
    x = torch.randn(5, 7, 3, 3) * torch.arange(1, 6.0).view(5, 1, 1, 1)
    y = PixelNorm()(x)
    torch.testing.assert_close(y.pow(2).mean(1), torch.ones(5, 3, 3))
    torch.testing.assert_close(y * x.pow(2).mean(1, keepdim=True).sqrt(), x, rtol=1e-4, atol=1e-5)


def test_minibatch_std_closed_form():
    same = torch.randn(1, 3, 4, 4).expand(8, -1, -1, -1)
    out = MinibatchStd(4)(same)
    assert out.shape == (8, 4, 4, 4)
    torch.testing.assert_close(out[:, :3], same)
    assert out[:, 3].abs().max().item() < 1e-3  # identical samples: std 0 (+ sqrt(eps))
    # groups are samples i, i + N/G: two groups of 2 here, each sample pair differing by d
    x = torch.zeros(4, 2, 2, 2)
    x[2] += 1.0  # group {0, 2}: values 0 and 1 -> std 0.5 everywhere
    x[3] += 3.0  # group {1, 3}: values 0 and 3 -> std 1.5
    out = MinibatchStd(2)(x)[:, 2]
    torch.testing.assert_close(out[[0, 2]], torch.full((2, 2, 2), 0.5), atol=1e-4, rtol=0)
    torch.testing.assert_close(out[[1, 3]], torch.full((2, 2, 2), 1.5), atol=1e-4, rtol=0)
    # a batch the group size does not divide is one group: values 0, 0, 1, 3, 0 -> population std
    x5 = torch.cat([x, torch.zeros(1, 2, 2, 2)])
    expected = torch.tensor([0.0, 0.0, 1.0, 3.0, 0.0]).std(unbiased=False)
    torch.testing.assert_close(MinibatchStd(2)(x5)[:, 2], expected.expand(5, 2, 2), atol=1e-4, rtol=0)


def test_minibatch_std_of_maps_and_of_seed_vectors_agree_on_the_whole_batch():
    """ProGAN's grouped layer on maps (N, F, 1, 1) with one group of all N samples computes what
    the seed-batched discriminators' SeedMinibatchStd computes on vectors (1, N, F)."""
    from ganlab.nn.seeded import SeedMinibatchStd

    f = torch.randn(1, 6, 5)
    maps = MinibatchStd(group_size=6)(f[0][:, :, None, None])[:, :, 0, 0]
    torch.testing.assert_close(maps, SeedMinibatchStd(5)(f)[0])


def test_real_images_follow_the_phase():
    x = torch.rand(2, 3, 1, 16, 16)
    pooled8 = F.avg_pool2d(x.view(-1, 1, 16, 16), 2).view(2, 3, 1, 8, 8)
    up4 = F.interpolate(F.avg_pool2d(pooled8.view(-1, 1, 8, 8), 2), scale_factor=2).view(2, 3, 1, 8, 8)
    torch.testing.assert_close(real_at_phase(x, 8, 1.0), pooled8)
    torch.testing.assert_close(real_at_phase(x, 8, 0.0), up4)
    torch.testing.assert_close(real_at_phase(x, 8, 0.25), 0.75 * up4 + 0.25 * pooled8)
    assert torch.equal(real_at_phase(x, 16, 1.0), x)


# ---------------------------------------------------------------------------- the family
def test_generate_is_full_resolution_at_every_phase():
    model = make(side=16)
    z = model.latent(6, SeedRNG([0, 1]))
    for step in (0, 3, 5, 7, 10, 12, 14, 19):
        model.n_step = step
        res, _ = model.phase()
        x = model.generate(z)
        assert x.shape == (2, 6, 1, 16, 16)
        assert x.min() >= -1 and x.max() <= 1
        f = 16 // res  # nearest upsampling: constant on f x f blocks
        blocks = x.view(2, 6, 1, res, f, res, f)
        assert torch.equal(blocks, blocks[:, :, :, :, :1, :, :1].expand_as(blocks))
        assert model.d_display(x).shape == (2, 6)


@pytest.mark.parametrize("loss", ["wgan_gp", "ns_r1"])
def test_a_step_in_every_phase_moves_exactly_the_layers_in_use(loss):
    model = make(side=16, loss=loss)
    rng = SeedRNG([0, 1], offset=3)
    real = real_fn(16, rng)
    seen = set()
    for step in (0, 3, 5, 7, 10, 12, 14, 19):  # 4; fade 8 (alpha 0, 0.5); 8; fade 16 (0, 0.5); 16
        model.n_step = step
        seen.add(model.phase())
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        out = model.train_step(real, rng)
        assert model.n_step == step + 1
        assert all(torch.isfinite(v).all() and v.shape == (2,) for v in out.values())
        still = {n for n, p in model.named_parameters() if torch.equal(before[n], p)}
        assert still == set(model.idle_parameters()), step
        assert out["resolution"].tolist() == [model.phase(step)[0]] * 2
    assert {(4, 1.0), (8, 0.0), (8, 0.5), (8, 1.0), (16, 0.5), (16, 1.0)} <= seen


def test_discriminator_loss_falls_from_log4():
    """Non-saturating loss without R1: D's loss starts near 2 log 2 and falls as it learns.
    One seed is too noisy for a bound (seeds 0-63: first loss 1.00-2.30; fall over 30 steps
    -0.07 to 0.89, below 0.1 for 6 of 40), so the mean over 4 seeds, 60 steps."""
    model = make(
        side=8, seeds=(0, 1, 2, 3), steps=200, phase_steps=1, fade_steps=1, loss="ns_r1", r1_weight=0.0, lr_d=3e-3
    )
    model.n_step = 10  # 8x8, alpha 1
    rng = SeedRNG([0, 1, 2, 3], offset=4)
    real = real_fn(8, rng)
    first = model.train_step(real, rng)["loss_d"].mean().item()
    later = [model.train_step(real, rng)["loss_d"].mean().item() for _ in range(60)]
    # 4-seed means from seeds 0-63 (5,000 draws of 4): |first - log 4| <= 0.44 (99.9 %: 0.40); seeds 0-3: 0.003
    assert abs(first - 2 * math.log(2)) < 0.55  # a loss missing one of its two terms: log 2 = 0.69 away
    # fall to the mean of steps 51-60: 0.59 +- 0.11, 99.9 % above 0.28; seeds 0-3: 0.58
    assert sum(later[-10:]) / 10 < first - 0.1


def test_phase_is_saved_with_the_weights(tmp_path):
    model = make(side=16)
    rng = SeedRNG([0, 1])
    for _ in range(5):
        model.train_step(real_fn(16, rng), rng)
    torch.save(model.state_dict(), tmp_path / "w.pt")
    again = make(side=16)
    assert again.n_step == 0
    again.load_state_dict(torch.load(tmp_path / "w.pt", weights_only=True))
    assert again.n_step == 5 and again.phase() == model.phase() == (8, 0.5)
    z = model.latent(4, SeedRNG([0, 1]))
    torch.testing.assert_close(again.generate(z), model.generate(z))


def test_trained_model_loads_in_its_final_phase_and_resume_matches(tmp_path):
    from ganlab.training.loop import Trainer, load_model

    data.prepare(GlyphsConfig(image_size=8, n_train=64, n_test=16), tmp_path / "data")
    fam = get_family("progan")
    cfg = build(
        fam.Config,
        {
            "family": "progan",
            "dataset": "g",
            "seeds": [0],
            "batch_size": 8,
            "width": 4,
            "max_width": 8,
            "z_dim": 5,
            "phase_steps": 2,
            "fade_steps": 2,
            "steps": 6,
            "log_every": 1,
            "w_every": 6,
            "checkpoint_every": 3,
            "snapshots": 2,
        },
        "t",
    )

    def train(name):
        return Trainer(
            name,
            cfg,
            tmp_path / "data",
            tmp_path / name,
            tmp_path / f"live-{name}",
            tmp_path / f"ck-{name}",
            device="cpu",
            progress=False,
        )

    train("full").fit()
    model, _, _ = load_model(tmp_path / "full")
    assert model.n_step == 6 and model.phase() == (8, 1.0)
    assert model.generate(model.latent(3, SeedRNG([0]))).shape == (1, 3, 1, 8, 8)
    # resume: a checkpoint at step 3 (mid fade-in, as if the run was killed there) carries the
    # phase; the resumed run ends with the uninterrupted run's weights
    t = train("resumed")
    t.model.train_step(t.batches, t.rng)
    t.model.train_step(t.batches, t.rng)
    t.model.train_step(t.batches, t.rng)
    assert t.model.phase() == (8, 0.5)
    t.save_checkpoint(
        {"step": 3, "history": [], "seconds": 0.0, "snaps": {}}, {"acc": {}, "n_acc": 0, "first_bad": torch.tensor(-1)}
    )  # shared state, this rank's
    t2 = train("resumed")
    assert t2.model.n_step == 0
    t2.fit()
    resumed, _, _ = load_model(tmp_path / "resumed")
    assert resumed.n_step == 6
    for (n, a), b in zip(model.state_dict().items(), resumed.state_dict().values()):
        if isinstance(a, torch.Tensor):
            torch.testing.assert_close(a, b, msg=n)


# ---------------------------------------------------------------------------- validation
def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="steps: progan reaches 16x16 with alpha 1 after 2 x .* = 14 steps"):
        make(side=16, steps=14)
    make(side=16, steps=15)
    with pytest.raises(ConfigError, match="4 \\* 2\\^k"):
        make(side=12)
    with pytest.raises(ConfigError, match="minibatch"):
        make(minibatch="mbd")
    with pytest.raises(ConfigError, match="loss"):
        make(loss="hinge")
    why = get_family("progan").check_dataset({"kind": "images", "shape": [1, 12, 12]})
    assert why.key == "dataset" and "4 * 2^k" in why.message
    assert get_family("progan").check_dataset({"kind": "points", "dim": 2}) is not None


def test_lazy_r1_applies_every_kth_step_scaled_by_k():
    model = make(side=8, seeds=(0,), loss="ns_r1", r1_every=3, r1_weight=2.0)
    rng = SeedRNG([0], offset=6)
    pens = [model.train_step(real_fn(8, rng), rng)["penalty"].item() for _ in range(6)]
    assert pens[0] > 0 and pens[3] > 0 and pens[1] == pens[2] == pens[4] == pens[5] == 0
    x = real_at_phase(real_fn(8, rng)(8), *model.phase())
    d_real = model.critic(x)
    model.n_step = 3
    lazy = model.penalty(x, x, d_real, rng)
    model.cfg.r1_every = 1
    torch.testing.assert_close(lazy, 3 * model.penalty(x, x, d_real, rng))


def test_without_growing_every_step_is_the_target_resolution():
    """grow: false trains the same networks at the target from the first step (the baseline the
    growing claim needs): the layers in use are those of the grown model's last phase (the lower
    resolutions' toRGB/fromRGB idle), and the steps need not cover a schedule."""
    model = make(side=16, grow=False, steps=3)  # growing would need 2 x (3 + 4) < steps
    rng = SeedRNG([0, 1], offset=5)
    real = real_fn(16, rng)
    grown = make(side=16)
    grown.n_step = 19  # 16x16 at alpha 1
    assert model.phase(0) == model.phase(10**6) == (16, 1.0)
    assert model.idle_parameters(0) == grown.idle_parameters() != []
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    out = model.train_step(real, rng)
    assert out["resolution"].tolist() == [16, 16] and out["alpha"].tolist() == [1.0, 1.0]
    moved = {n for n, p in model.named_parameters() if not torch.equal(before[n], p)}
    assert moved == {n for n, _ in grown.named_parameters()} - set(grown.idle_parameters())
    assert get_family("progan").variant(model.cfg) == "progan (grow=False)"
    with pytest.raises(ConfigError, match="steps: progan reaches 16x16"):
        make(side=16, steps=3)
