"""bench/bench_families.py --profile: timing one run of a profile before starting it (the published
2-D runs take hours on a CPU). The timing itself is a benchmark's job; here, what it reads and rejects."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import ROOT


def bench(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "bench/bench_families.py", "--threads", "1", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_times_a_profile_run_with_its_networks(tmp_path):
    prof = tmp_path / "p.yaml"
    prof.write_text(
        "runs:\n  small-grid: {family: gan, dataset: grid25, seeds: [0, 1], steps: 1000, batch_size: 16,\n"
        "               g_hidden: [8, 8], d_hidden: [6], d_act: maxout, maxout_pieces: 3}\n"
    )
    out = bench("--profile", str(prof), "--run", "small-grid", "--steps", "3")
    assert out.returncode == 0, out.stderr
    m = re.search(
        r"small-grid of .*p\.yaml \(gan, 2 seeds batched\) takes ([\d.]+) ms per step, ([\d.]+) GFLOP per step; "
        r"its 1,000 steps would take ([\d.]+) h",
        out.stdout,
    )
    assert m, out.stdout
    assert float(m[1]) > 0
    # FLOPs of the profile's networks, not the default ones: G 2->8->8->2 and D 2->6*3->1 on
    # batches of 16 per seed; far below the default gan's 0.04 GFLOP per step
    assert float(m[2]) < 0.001


def test_rejects_an_unknown_run_and_naming_half_the_pair():
    out = bench("--profile", "profiles/published.yaml", "--run", "nope")
    assert out.returncode != 0
    assert "profiles/published.yaml has no run 'nope'; its runs: gan_pub-ring, pacgan4_pub-ring" in out.stderr
    out = bench("--run", "gan_pub-grid")
    assert out.returncode != 0 and "--profile and --run go together" in out.stderr


def pinning(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "bench/bench_pinning.py", "--threads", "1", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_pinning_bench_hashes_are_those_of_a_deterministic_run():
    """bench/bench_pinning.py's point is comparing weight hashes across machines: the same setting
    in two fresh processes gives the same hash (else a cross-machine difference would mean nothing),
    and an unknown setting is refused with the allowed ones."""
    out = pinning("--families", "gan", "--steps", "3", "--variants", "none,none")
    assert out.returncode == 0, out.stderr
    row = next(line.split() for line in out.stdout.splitlines() if line.startswith("gan "))
    assert len(row) == 5 and row[2] == row[4] and re.fullmatch(r"[0-9a-f]{12}", row[2]), out.stdout
    out = pinning("--variants", "none,avx512")
    assert out.returncode != 0 and "--variants: unknown avx512; allowed: none, isa, isa+mkl" in out.stderr


def test_pinning_bench_measures_what_the_stages_pin():
    """The bench's isa+mkl variant is the setting every stage runs with under cpu.pinned: true."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_pinning
    finally:
        sys.path.remove(str(ROOT / "bench"))
    from ganlab import pinning as pins

    assert bench_pinning.VARIANTS["isa+mkl"] == pins.PINNED
