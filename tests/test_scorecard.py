"""The lecture's scorecard: each property's number comes from the right metric for the kind of run,
"–" where it does not apply, and each column's colour runs from its worst (red) to its best (green)."""

from __future__ import annotations

import math

import torch

from ganlab.evaluation.run import sampling_speed
from ganlab.report.scorecard import PROPERTIES, scorecard, summary

KEYS = [p.key for p in PROPERTIES]


def runs():
    return {
        "grid": {
            "kind": "points",
            "family": "gan",
            "high_quality_pct": 90.0,
            "modes_captured": 20.0,
            "n_modes": 25,
            "samples_per_second": 1e6,
        },
        "toy": {"kind": "points", "family": "toy1d", "samples_per_second": 1e7},  # 1-D: no modes, no HQ
        "img": {"kind": "images", "family": "dcgan", "precision": 0.7, "recall": 0.4, "samples_per_second": 1e4},
        "info": {
            "kind": "images",
            "family": "infogan",
            "precision": 0.5,
            "recall": 0.6,
            "samples_per_second": 1e5,
            "code_rotation_corr": 0.2,
            "code_thickness_corr": 0.45,
        },
        "tr": {"kind": "images", "family": "pix2pix", "samples_per_second": None},  # translation: no precision
    }


STUDIES = {
    "img": {"interpolation": {"spaces": {"z_lerp": {"stretch": 1.5}, "z_slerp": {"stretch": 9.0}}}},
    "info": {"interpolation": {"spaces": {"z_lerp": {"stretch": 3.0}}}},
}


def test_each_property_reads_the_metric_of_its_kind_and_dashes_the_rest():
    card = scorecard(runs(), STUDIES)
    text = {r["run"]: dict(zip(KEYS, (c["text"] for c in r["cells"]))) for r in card["rows"]}
    assert text["grid"] == {
        "quality": "90.0",
        "coverage": "80.0 (20.0 / 25 modes)",
        "latent": "–",
        "interpretable": "–",
    }
    assert text["toy"] == {"quality": "–", "coverage": "–", "latent": "–", "interpretable": "–"}
    assert text["img"] == {
        "quality": "70.0",
        "coverage": "40.0",
        "latent": "1.50",
        "interpretable": "–",
    }  # z lerp, not slerp
    assert text["info"]["interpretable"] == "0.45"  # the best code's |r|
    assert text["tr"] == dict.fromkeys(KEYS, "–")
    s = summary(card)
    assert s["grid"] == {"quality": 90.0, "coverage": 80.0, "latent": None, "interpretable": None}
    assert s["tr"] == dict.fromkeys(KEYS, None)
    assert "not available for GANs" in card["note"] and "eval_time.json" in card["note"]
    assert "samples_per_second" not in str(card)  # results only: a host's speed is not in the report


def test_colour_scales_run_from_worst_to_best_per_column():
    card = scorecard(runs(), STUDIES)
    shade = {r["run"]: dict(zip(KEYS, (c["shade"] for c in r["cells"]))) for r in card["rows"]}
    # quality: 50 (info) worst, 90 (grid) best, 70 halfway
    assert (shade["info"]["quality"], shade["img"]["quality"], shade["grid"]["quality"]) == (0, 5, 10)
    # stretch: lower is better
    assert (shade["img"]["latent"], shade["info"]["latent"]) == (10, 0)
    # no value, no shade; a column with one value sits in the middle
    assert shade["tr"] == dict.fromkeys(KEYS, None)
    assert shade["info"]["interpretable"] == 5


def test_sampling_speed_counts_every_seed_and_every_pass():
    class Model:
        device = torch.device("cpu")
        calls = 0

        def latent(self, n, rng):
            return torch.zeros(len(rng.gens), n, 2)

        def generate(self, z):
            Model.calls += 1
            return z + 1

    out = sampling_speed(Model(), [0, 1, 2], n=64, min_seconds=0.0, max_reps=5)
    assert out["samples_per_pass"] == 192 and out["passes"] == 1 and Model.calls == 2  # warm-up + 1 timed pass
    assert math.isclose(out["samples_per_second"], 192 / out["seconds"])
    out = sampling_speed(Model(), [0], n=8, min_seconds=60.0, max_reps=4)  # capped by max_reps
    assert out["passes"] == 4 and out["device"] == "cpu"
