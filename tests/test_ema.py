"""ema_kimg: the generator's weights averaged over training (ganlab.training.ema)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml
from conftest import run_stage
from test_families import CASES, make

from ganlab import config, io
from ganlab.nn.seeded import SeedRNG
from ganlab.training import ema
from ganlab.training.loop import Fault, Trainer


def trainer(project, run: str, fault: Fault | None = None) -> Trainer:
    cfg = config.load(project / "params.yaml").runs[run]
    return Trainer(
        run,
        cfg,
        project / "data" / cfg.dataset,
        project / "models" / run,
        project / "reports/runs" / run / "train",
        project / "checkpoints" / run,
        device="cpu",
        progress=False,
        fault=fault,
    )


def test_beta_is_stylegan2_adas():
    # no ramp-up: half-life kimg * 1000 samples, so 1,000 steps of 10 samples halve the old weight
    assert ema.beta(5, 10, 10.0, 0.0) == pytest.approx(0.5 ** (10 / 10_000))
    assert ema.beta(1, 10, 10.0, 0.0) ** 1000 == pytest.approx(0.5)
    # ramp-up 0.05: after 100 steps of 10 samples the half-life is 0.05 x 1,000 = 50 samples
    assert ema.beta(100, 10, 10.0, 0.05) == pytest.approx(0.5 ** (10 / 50))
    # ... until the ramp passes the half-life (10,000 samples at 200,000 seen)
    assert ema.beta(30_000, 10, 10.0, 0.05) == pytest.approx(0.5 ** (10 / 10_000))


def test_average_follows_the_recurrence_and_swaps_back():
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    avg = ema.Average(list(net.parameters()), batch_size=4, kimg=0.01, rampup=0.5)
    ref = [p.detach().double().clone() for p in net.parameters()]
    for step in range(1, 30):
        with torch.no_grad():
            for p in net.parameters():
                p.add_(torch.randn_like(p))
        avg.update(step)
        b = ema.beta(step, 4, 0.01, 0.5)
        ref = [b * r + (1 - b) * p.detach().double() for r, p in zip(ref, net.parameters())]
    live = [p.detach().clone() for p in net.parameters()]
    with avg.swapped():
        for p, r in zip(net.parameters(), ref):
            torch.testing.assert_close(p.detach().double(), r, rtol=0, atol=1e-5)
        assert not torch.equal(net.weight, live[0])
    for p, w in zip(net.parameters(), live):
        assert torch.equal(p, w)  # the trained weights are back
    with pytest.raises(ValueError, match="does not match this generator"):
        avg.load(avg.state()[:1])


def test_saved_generator_is_the_average_of_the_training_trajectory(project, tiny_params):
    """The run with ema_kimg trains exactly as the run without (the average never touches the
    training stream) and saves the average of its generator's weights over the steps, which this
    test recomputes from the trajectory of the run without."""
    run_stage(project, "stages/prepare.py", "ring8")
    params = dict(tiny_params["runs"]["gan-ring"], ema_kimg=0.5, ema_rampup=0.1)
    tiny_params["runs"]["gan_ema-ring"] = params
    (project / "params.yaml").write_text(yaml.safe_dump(tiny_params))

    plain = trainer(project, "gan-ring")
    names = [n for n, _ in plain.model.G.named_parameters()]
    G = dict(plain.model.G.named_parameters())
    ref = {n: G[n].detach().double().clone() for n in names}
    for step in range(params["steps"]):
        plain.set_lr(step)
        plain.model.train_step(plain.batches, plain.rng)
        b = ema.beta(step + 1, params["batch_size"], 0.5, 0.1)
        ref = {n: b * ref[n] + (1 - b) * G[n].detach().double() for n in names}

    t = trainer(project, "gan_ema-ring")
    t.fit()
    saved = torch.load(project / "models/gan_ema-ring/weights.pt", weights_only=True)
    moved = 0.0
    for n in names:
        torch.testing.assert_close(saved[f"G.{n}"].double(), ref[n], rtol=0, atol=1e-5)
        moved = max(moved, (saved[f"G.{n}"] - G[n].detach()).abs().max().item())
    for n, p in plain.model.D.named_parameters():  # D is saved as trained, as in the run without
        torch.testing.assert_close(saved[f"D.{n}"], p.detach(), rtol=0, atol=0)
    assert moved > 1e-3  # the average is not the last weights (measured: 0.012)
    # what evaluation loads is the averaged generator, and its snapshots came from it
    with np.load(project / "models/gan_ema-ring/snapshots.npz") as z:
        final = z["samples"][-1]
    with torch.no_grad():
        plain.model.eval()
        for n in names:
            G[n].copy_(saved[f"G.{n}"])
        again = plain.model.generate(t.z_fixed).numpy()
    np.testing.assert_allclose(final, again, atol=1e-5)


def test_resume_with_average_matches_uninterrupted(project, tiny_params):
    run_stage(project, "stages/prepare.py", "ring8")
    tiny_params["runs"]["gan-ring"].update(ema_kimg=0.5)
    (project / "params.yaml").write_text(yaml.safe_dump(tiny_params))
    with pytest.raises(RuntimeError, match="injected fault"):  # fails after the checkpoint at step 20
        trainer(project, "gan-ring", Fault.parse("raise:0:25")).fit()
    assert torch.load(project / "checkpoints/gan-ring/ckpt.pt", weights_only=True)["ema"] is not None
    assert trainer(project, "gan-ring").fit()["resumed_from_step"] == 20
    resumed = torch.load(project / "models/gan-ring/weights.pt", weights_only=True)
    trainer(project, "gan-ring").fit()  # uninterrupted (the checkpoint is gone)
    full = torch.load(project / "models/gan-ring/weights.pt", weights_only=True)
    for k in full:
        assert torch.equal(full[k], resumed[k]), k


def test_average_of_every_family_kind(project, tiny_params):
    """toy1d averages its offset theta: a half-life far beyond the run keeps the start."""
    run_stage(project, "stages/prepare.py", "toy1d")
    tiny_params["runs"]["toy"].update(ema_kimg=1e6, ema_rampup=0.0)
    (project / "params.yaml").write_text(yaml.safe_dump(tiny_params))
    t = trainer(project, "toy")
    start = t.model.theta.detach().clone()
    t.fit()
    trained = t.model.theta.detach()
    saved = torch.load(project / "models/toy/weights.pt", weights_only=True)["theta"]
    assert (trained - start).abs().min() > 0.05  # training moved theta
    torch.testing.assert_close(saved, start, rtol=0, atol=1e-4)  # the average barely did
    assert io.read_json(project / "models/toy/final.json")["theta"] == pytest.approx(saved.tolist(), abs=1e-6)


@pytest.mark.parametrize("family,kind", CASES)
def test_generator_params_are_what_makes_the_samples(family, kind):
    """What ema_kimg averages, for every family: moving every other parameter leaves the samples
    as they were; moving these changes them."""
    model, kind = make(family, kind=kind)
    model.eval()
    z = model.latent(7, SeedRNG([0, 1], offset=3))
    before = model.generate(z)
    mine = {id(p) for p in model.generator_params()}
    assert mine and mine <= {id(p) for p in model.parameters()}
    with torch.no_grad():
        for p in model.parameters():
            if id(p) not in mine:
                p.add_(0.5)
        assert torch.equal(model.generate(z), before)
        for p in model.generator_params():
            p.add_(0.5)
        assert not torch.allclose(model.generate(z), before)
