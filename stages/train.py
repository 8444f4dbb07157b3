"""train@<run>: train one run's seeds and write models/<run>/ and its dvclive log.

Usage: PYTHONPATH=src python stages/train.py <run> [--params params.yaml]
A run with `processes: N > 1` relaunches this script as N data-parallel processes through
torchrun's own launcher (torch.distributed.run, standalone rendezvous on this machine); a user
who starts `torchrun ... stages/train.py <run>` (several nodes, SLURM) gets the same training.
Resumes from checkpoints/<run>/ if a previous attempt was killed (same params and process count
only, and only if the checkpoint passes its checksum).
What depends on the host (wall seconds, device, the step a killed run resumed from) goes to
reports/runs/<run>/train_time.json (for people; no stage reads it), never into models/<run>/.
"""

import os
import sys
from pathlib import Path

from ganlab import config, io, pinning

params, run, cfg = config.stage_start(__doc__, "runs", "train")  # pins torch's CPU kernels: before torch loads
from ganlab import distributed  # noqa: E402  (imports torch)

if cfg.processes > 1 and not distributed.launched():
    from torch.distributed.run import main as torchrun  # torch: only after params are valid

    # One torchrun per call; a failing rank ends the job with its rank and error (ChildFailedError).
    torchrun(["--standalone", f"--nproc-per-node={cfg.processes}", sys.argv[0], *sys.argv[1:]])
    sys.exit(0)

model_dir, live_dir, ckpt_dir = Path("models") / run, Path("reports/runs") / run / "train", Path("checkpoints") / run
if distributed.launch_rank() == 0:  # the outputs' one writer
    io.start_outputs(model_dir, live_dir, ckpt_dir)
from ganlab.training.loop import Fault, Trainer  # noqa: E402  (torch: only after params are valid)

trainer = Trainer(
    run,
    cfg,
    data_dir=Path("data") / cfg.dataset,
    model_dir=model_dir,
    live_dir=live_dir,
    ckpt_dir=ckpt_dir,
    device=params.device,
    fault=Fault.parse(os.environ.get("GANLAB_FAULT", "")),  # the failure-handling tests' injected fault
)
status = trainer.fit(guard=config.params_unchanged)  # stops, writing nothing, if the run's params change
if trainer.main:
    io.write_json(
        Path("reports/runs") / run / "train_time.json",
        {
            "seconds": status["seconds"],
            "device": status["device"],
            "processes": status["processes"],
            "resumed_from_step": status["resumed_from_step"],
            "cpu": pinning.settings(),
            "units": {"seconds": "wall seconds of training (all seeds), resumed attempts summed"},
        },
    )
    print(
        f"[{run}] {status['status']} after {status['steps_done']} steps in {status['seconds']:.1f} s"
        + (f" on {status['processes']} processes" if status["processes"] > 1 else "")
    )
distributed.shutdown()
