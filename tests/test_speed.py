"""The GPU-path options of a run (ganlab.training.speed): bf16 autocast and torch.compile, checked
on CPU against fp32 eager steps; TF32 and cuDNN flags and CUDA runs in the `cuda`-marked tests,
which skip here and run on a GPU machine (bench/gpu_check.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from conftest import run_stage
from test_families import CASES, make, real_fn

from ganlab import config, io
from ganlab.nn.seeded import SeedRNG
from ganlab.training import speed
from ganlab.training.loop import Trainer

CPU = torch.device("cpu")
STEPS = 4


def losses_over_steps(family, kind, device=CPU, steps=STEPS, **options):
    """The `loss*` outputs of `steps` training steps (steps, n_losses, seeds) from one start, with
    the trainer's own wrapping (speed.configure, speed.autocast)."""
    torch.manual_seed(0)
    model, kind = make(family, seeds=(0, 1), kind=kind, device=device, **options)
    speed.configure(model, model.cfg, device)
    rng = SeedRNG([0, 1], device, offset=11)
    real = real_fn(kind, rng, distinct=True)
    if device.type != "cpu":  # image kinds: their RealBatches, resident on the device
        for name in ("data", "labels", "inputs", "domain_a"):
            if getattr(real, name) is not None:
                setattr(real, name, getattr(real, name).to(device))
    out = []
    for _ in range(steps):
        with speed.autocast(model.cfg, device):
            step = model.train_step(real, rng)
        out.append(torch.stack([step[k].float() for k in sorted(step) if k.startswith("loss")]).cpu())
    return torch.stack(out), model


def gap(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest difference relative to the fp32 value, with a floor of 0.1 for losses near 0
    (a Wasserstein critic's loss is a difference of means that can cancel to ~0)."""
    return float(((a - b).abs() / (a.abs() + 0.1)).max())


@pytest.mark.parametrize("family,kind", CASES)
def test_bf16_steps_stay_close_to_fp32(family, kind):
    """Four steps in bf16 from the fp32 run's start. Measured over 8 starts (torch seeds 0-7):
    largest gap 6.3e-2 (progan: its minibatch std turns the rounding of near-equal samples into
    larger gradient changes, though its 4x4 block runs fp32), 2.3e-2 (wgan_gp on points), at most
    1.0e-2 for every other family; bf16 keeps 8 bits of mantissa (steps of 2^-8 = 3.9e-3). With
    autocast's weight cache on, the G step of one training step would see the weights from before
    its D steps (gaps of 4.7 on wgan, points, and 0.12 on stylegan), so the cache is off."""
    fp32, model32 = losses_over_steps(family, kind)
    bf16, model16 = losses_over_steps(family, kind, precision="bf16")
    assert torch.isfinite(bf16).all()
    assert gap(fp32, bf16) < 0.1
    assert all(p.dtype == torch.float32 for p in model16.parameters())  # weights stay fp32
    if family not in ("toy1d",):  # toy1d has no matmul: bf16 changes nothing there
        assert not torch.equal(fp32, bf16)


def test_bf16_autocast_reads_weights_updated_inside_it():
    """One training step holds several updates: a forward after an update inside the same
    autocast region must use the new weights (autocast's cast cache would serve the old ones)."""
    cfg = dataclasses.replace(config.RunConfig(family="gan", dataset="d"), precision="bf16")
    lin = torch.nn.Linear(4, 4)
    x = torch.ones(2, 4)
    with speed.autocast(cfg, CPU):
        before = lin(x)
        with torch.no_grad():
            lin.weight.add_(1.0)
        after = lin(x)
    assert before.dtype == torch.bfloat16
    assert torch.allclose(after.float() - before.float(), torch.full((2, 4), 4.0), atol=0.05)


COMPILED = [("dcgan", "images"), ("wgan_gp", "images"), ("stylegan", "images"), ("progan", "images")]


@pytest.mark.parametrize("family,kind", COMPILED)
def test_compiled_networks_train_like_eager_ones(family, kind):
    """torch.compile (inductor, CPU) on plain updates (dcgan), the gradient penalty (wgan_gp) and
    lazy R1 (stylegan, progan), whose double backward runs eagerly: measured over all 15 family
    cases, largest gap 1.5e-7 after four steps."""
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    eager, _ = losses_over_steps(family, kind)
    compiled, model = losses_over_steps(family, kind, compile=True)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] > 0  # it did compile
    assert {k for k, _ in model.state_dict().items()} == {
        k for k, _ in make(family, (0, 1), kind)[0].state_dict().items()
    }
    assert gap(eager, compiled) < 1e-5


def test_the_trainer_applies_the_options(project):
    """Through the Trainer: bf16 changes the logged losses a little, compile names the networks
    it compiled and trains the gradient-penalty run to the end with eager-equal numbers."""
    run_stage(project, "stages/prepare.py", "grid25")
    p = config.load(project / "params.yaml")

    def fit(tag, **options):
        cfg = dataclasses.replace(p.runs["wgan_gp-grid"], **options)
        t = Trainer(
            "wgan_gp-grid",
            cfg,
            project / "data/grid25",
            project / "m" / tag,
            project / "l" / tag,
            project / "c" / tag,
            device="cpu",
            progress=False,
        )
        t.fit()
        return t.compiled, np.array([r["loss_d"] for r in io.read_json(project / "m" / tag / "history.json")])

    (c32, fp32), (c16, bf16), (cc, comp) = fit("fp32"), fit("bf16", precision="bf16"), fit("compiled", compile=True)
    assert c32 == c16 == [] and cc == ["G", "D"]
    scale = np.abs(fp32).max() + 0.1
    assert not np.array_equal(fp32, bf16) and np.abs(fp32 - bf16).max() < 0.1 * scale
    assert np.abs(fp32 - comp).max() < 1e-4 * scale


def test_unknown_precision_is_a_params_error():
    with pytest.raises(config.ConfigError, match=r"runs.r.precision: expected one of 'fp32', 'bf16', got 'fp16'"):
        config.validate(
            {
                "datasets": {"g": {"recipe": "grid"}},
                "runs": {"r": {"family": "gan", "dataset": "g", "precision": "fp16"}},
            }
        )


# ---------------------------------------------------------------------------- CUDA (bench/gpu_check.py)


@pytest.mark.cuda
def test_cuda_flags_follow_the_run():
    model, _ = make("dcgan", kind="images", tf32=True, cudnn_benchmark=True)
    speed.configure(model, model.cfg, torch.device("cuda"))
    assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32 and torch.backends.cudnn.benchmark
    model, _ = make("dcgan", kind="images")
    speed.configure(model, model.cfg, torch.device("cuda"))
    assert not (torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.benchmark)


@pytest.mark.cuda
@pytest.mark.parametrize("family,kind", [("dcgan", "images"), ("wgan_gp", "images"), ("stylegan", "images")])
def test_cuda_steps_match_cpu_and_bf16_stays_close(family, kind):
    """The same steps on the GPU (fp32, TF32 off) as on the CPU: different kernels, same numbers to
    1e-3; bf16 on the GPU (compiled for dcgan: a compile costs ~30 s) within the CPU bf16 bound."""
    cpu, _ = losses_over_steps(family, kind)
    gpu, _ = losses_over_steps(family, kind, device=torch.device("cuda"))
    assert gap(cpu, gpu) < 1e-3
    fast, _ = losses_over_steps(family, kind, device=torch.device("cuda"), precision="bf16", compile=family == "dcgan")
    assert torch.isfinite(fast).all() and gap(gpu, fast) < 0.1
