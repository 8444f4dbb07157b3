"""StyleGAN: the mapping/synthesis interface the studies use, noise, truncation, mixing, w_avg,
modulation and demodulation, a training step, and config validation."""

from __future__ import annotations

import copy

import pytest
import torch

from ganlab.config import ConfigError, build
from ganlab.families.base import RealBatches
from ganlab.families.stylegan import StyleGAN
from ganlab.losses import zero_centred_penalty as r1_penalty
from ganlab.nn.seeded import SeedRNG
from ganlab.nn.stylegan import ModulatedConv2d, SynthesisNetwork

META = {"kind": "images", "shape": [1, 16, 16], "dim": 256, "classes": 3}
TINY = {"width": 4, "d_width": 4, "z_dim": 6, "w_dim": 5, "batch_size": 8}


def make(seeds=(0, 1), **over) -> StyleGAN:
    cfg = build(StyleGAN.Config, {"family": "stylegan", "dataset": "d", "seeds": list(seeds), **TINY, **over}, "runs.s")
    return StyleGAN(cfg, META, torch.device("cpu"))


def set_noise_strength(model: StyleGAN, value: float) -> None:
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("noise_strength"):
                p.fill_(value)


def test_shapes_of_mapping_synthesis_generate():
    model = make()
    assert model.n_styles == 6  # side 4 * 2^n has 2n + 2 styles
    assert SynthesisNetwork([1, 8, 8], 5, 4).n_styles == 4
    big = SynthesisNetwork([3, 32, 32], 5, 4)  # the GPU profile's side, colour
    assert big.n_styles == 8 and big(torch.randn(2, 8, 5)).shape == (2, 3, 32, 32)
    z = model.latent(7, SeedRNG([0, 1]))
    assert z.shape == (2, 7, 6)
    w = model.mapping(z)
    assert w.shape == (2, 7, 5)
    for styles in (w, w[:, :, None].expand(-1, -1, 6, -1)):
        x = model.synthesis(styles, noise_seed=3)
        assert x.shape == (2, 7, 1, 16, 16)
        assert x.min() >= -1 and x.max() <= 1
    assert model.generate(z).shape == (2, 7, 1, 16, 16)
    with pytest.raises(ValueError, match=r"styles must have shape \(S, n, w_dim\) or \(S, n, 6, w_dim\)"):
        model.synthesis(w[:, :, None].expand(-1, -1, 5, -1))


def test_per_layer_styles_equal_to_one_w_give_the_same_image():
    model = make()
    set_noise_strength(model, 0.5)
    w = model.mapping(model.latent(4, SeedRNG([0, 1])))
    torch.testing.assert_close(
        model.synthesis(w[:, :, None].repeat(1, 1, 6, 1), noise_seed=1),
        model.synthesis(w, noise_seed=1),
        rtol=0,
        atol=1e-5,
    )  # memory layout only
    # and a style in one layer changes the image
    ws = w[:, :, None].repeat(1, 1, 6, 1)
    ws[:, :, 2] += 1.0
    assert not torch.allclose(model.synthesis(ws, noise_seed=1), model.synthesis(w, noise_seed=1))


def test_noise_seed_determinism_and_learned_strength():
    model = make()
    w = model.mapping(model.latent(4, SeedRNG([0, 1])))
    set_noise_strength(model, 0.0)  # the initial strength: noise has no effect
    torch.testing.assert_close(model.synthesis(w, noise_seed=1), model.synthesis(w, noise_seed=2), rtol=0, atol=0)
    set_noise_strength(model, 0.5)
    a, b, c = (model.synthesis(w, noise_seed=s) for s in (1, 1, 2))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert (a - c).abs().max() > 1e-3
    m64 = copy.deepcopy(model).double()  # a float64 copy sees the same noise
    torch.testing.assert_close(m64.synthesis(w.double(), noise_seed=1), a.double(), rtol=0, atol=1e-4)
    torch.testing.assert_close(
        model.generate(model.latent(4, SeedRNG([5, 6]))),
        model.generate(model.latent(4, SeedRNG([5, 6]))),
        rtol=0,
        atol=0,
    )


def test_truncate_w_closed_form():
    model = make()
    with torch.no_grad():
        for s, net in enumerate(model.G.nets):
            net.w_avg.copy_(torch.arange(5.0) + 10 * s)
    w = torch.randn(2, 3, 5)
    avg = model.w_avg[:, None]
    torch.testing.assert_close(model.truncate_w(w, 0.0), avg.expand(-1, 3, -1))
    torch.testing.assert_close(model.truncate_w(w, 1.0), w)
    torch.testing.assert_close(model.truncate_w(w, 0.5), (w + avg) / 2)
    ws = torch.randn(2, 3, 6, 5)  # per-layer styles broadcast too
    torch.testing.assert_close(model.truncate_w(ws, 0.0), model.w_avg[:, None, None].expand(-1, 3, 6, -1))


def test_mix_takes_coarse_layers_from_the_first_latent():
    model = make()
    w1, w2 = torch.zeros(2, 3, 5), torch.ones(2, 3, 5)
    layer_src = model.mix(w1, w2, 2)[..., 0]  # (S, n, L): 0 from w1, 1 from w2
    assert layer_src.tolist() == [[[0, 0, 1, 1, 1, 1]] * 3] * 2
    per_seed = model.mix(w1, w2, torch.tensor([1, 6]))[:, 0, :, 0]
    assert per_seed.tolist() == [[0, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]]
    per_sample = model.mix(w1, w2, torch.tensor([[0, 3, 5], [6, 6, 6]]))[0, :, :, 0]
    assert per_sample.tolist() == [[1] * 6, [0, 0, 0, 1, 1, 1], [0] * 5 + [1]]


@pytest.mark.parametrize("prob,expect", [(0.0, {6}), (1.0, {1, 2, 3, 4, 5})])
def test_style_mixing_probability(prob, expect):
    model = make(mixing_prob=prob)
    seen, mix = [], model.mix
    model.mix = lambda w1, w2, cut: (seen.extend(cut.tolist()), mix(w1, w2, cut))[1]
    rng = SeedRNG([0, 1])
    for _ in range(20):
        model._train_fake(rng)
    assert set(seen) <= expect and (len(expect) == 1 or len(set(seen)) >= 4)


def test_w_avg_running_average():
    model = make(w_avg_beta=0.9)
    assert torch.equal(model.w_avg, torch.zeros(2, 5))
    w = torch.randn(2, 8, 5)
    model.update_w_avg(w)
    torch.testing.assert_close(model.w_avg, 0.1 * w.mean(1))
    model.update_w_avg(w)
    torch.testing.assert_close(model.w_avg, (0.1 * 0.9 + 0.1) * w.mean(1))
    assert "G.nets.1.w_avg" in model.state_dict()  # saved with the weights


def test_demodulation_keeps_unit_variance_and_ignores_style_scale():
    torch.manual_seed(0)
    conv = ModulatedConv2d(64, 32, 3, w_dim=8)
    x, w = torch.randn(16, 64, 24, 24), torch.randn(16, 8)
    with torch.no_grad():
        out = conv(x, w)[:, :, 1:-1, 1:-1]  # away from the zero padding
        assert out.std().item() == pytest.approx(1.0, abs=0.03)
        conv.affine.bias.mul_(7.0)
        conv.affine.weight.mul_(7.0)  # styles x 7: demodulated output unchanged
        torch.testing.assert_close(conv(x, w)[:, :, 1:-1, 1:-1], out, rtol=1e-4, atol=1e-4)
        plain = ModulatedConv2d(64, 32, 3, w_dim=8, demodulate=False)
        plain.weight.copy_(conv.weight)
        plain.affine.load_state_dict(conv.affine.state_dict())
        assert plain(x, w).std().item() > 3  # without demodulation the scale passes through


@pytest.mark.parametrize("demodulate", [True, False])
def test_fused_grouped_convolution_equals_scaled_activations(demodulate):
    torch.manual_seed(0)
    a = ModulatedConv2d(6, 5, 3, w_dim=4, demodulate=demodulate)
    b = ModulatedConv2d(6, 5, 3, w_dim=4, demodulate=demodulate, fused=True)
    b.load_state_dict(a.state_dict())
    x, w = torch.randn(3, 6, 8, 8), torch.randn(3, 4)
    torch.testing.assert_close(b(x, w), a(x, w), rtol=1e-4, atol=1e-5)


def real_batches(rng: SeedRNG) -> RealBatches:
    images = torch.zeros(3, 1, 16, 16, dtype=torch.uint8)
    for k in range(3):
        images[k, 0, 4 * k : 4 * k + 6, 4 * k : 4 * k + 6] = 255
    return RealBatches(images.repeat(10, 1, 1, 1), None, rng)


@pytest.mark.parametrize("d_arch,minibatch", [("dcgan", "none"), ("dcgan", "mbstd"), ("resnet", "none")])
def test_training_steps_finite_with_lazy_r1(d_arch, minibatch):
    model = make(d_arch=d_arch, minibatch=minibatch, r1_every=2, r1_gamma=1.0)
    rng = SeedRNG([0, 1], offset=3)
    w_avg0 = model.w_avg.clone()
    for _ in range(3):
        out = model.train_step(real_batches(rng), rng)
        for k, v in out.items():
            assert v.shape == (2,) and torch.isfinite(v).all(), k
    assert model.steps_done == 3
    assert not torch.equal(model.w_avg, w_avg0)
    state = model.state_dict()  # the step counter is saved (lazy R1 on resume)
    again = make(d_arch=d_arch, minibatch=minibatch, r1_every=2, r1_gamma=1.0)
    again.load_state_dict(state)
    assert again.steps_done == 3
    z = model.latent(4, SeedRNG([0, 1]))
    torch.testing.assert_close(again.generate(z), model.generate(z), rtol=0, atol=0)


def test_r1_penalty_closed_form_and_effect():
    a = torch.randn(2, 1, 4, 4)
    x = torch.randn(2, 5, 1, 4, 4, requires_grad=True)
    d = (x * a[:, None]).flatten(2).sum(2) + (x**2).flatten(2).sum(2)  # grad = a + 2x
    expect = (a[:, None] + 2 * x).pow(2).flatten(2).sum(2).mean(1)
    torch.testing.assert_close(r1_penalty(d, x), expect.detach())
    outs = []  # in training it changes D's updates (after Adam's first,
    for gamma in (0.0, 10.0):  # sign-like step)
        model = make(seeds=(0,), r1_gamma=gamma, r1_every=1, lr_d=0.01)
        rng = SeedRNG([0], offset=3)
        for _ in range(3):
            model.train_step(real_batches(rng), rng)
        outs.append(torch.cat([p.detach().flatten() for p in model.D.parameters()]))
    assert (outs[0] - outs[1]).abs().max() > 1e-4


@pytest.mark.parametrize(
    "over,message",
    [
        ({"z_dist": "uniform"}, r"^runs\.s\.z_dist: not a setting of this family: stylegan draws z from N\(0, I\)"),
        (
            {"d_arch": "resnet", "minibatch": "mbd"},
            r"^runs\.s\.minibatch: the resnet discriminator always has minibatch std \(allowed with d_arch resnet: "
            r"'none' or 'mbstd'\)",
        ),
        ({"d_steps": 1}, r"^runs\.s\.d_steps: not a setting of this family: stylegan alternates one D and one G step$"),
        ({"mixing_prob": 1.5}, r"^runs\.s\.mixing_prob: must be <= 1"),
        ({"w_avg_beta": 1.0}, r"^runs\.s\.w_avg_beta: must be < 1"),
        ({"d_arch": "big"}, r"^runs\.s\.d_arch: expected one of 'dcgan', 'resnet'"),
    ],
)
def test_config_errors(over, message):
    with pytest.raises(ConfigError, match=message):
        make(**over)


def test_image_side_must_be_four_times_a_power_of_two():
    with pytest.raises(ValueError, match="side of 4 \\* 2\\^k >= 8, got 12"):
        SynthesisNetwork([1, 12, 12], 5, 4)
