"""The one training loop every family trains in (loop.py).

It asks a family only for what ganlab.families.base.Family declares (latent, fixed inputs,
generate, d_display, optimizers, train_step, final_metrics), logs per-seed numbers (dvclive),
checkpoints and resumes, and stops a seed's run cleanly on a non-finite loss. It knows no
family by name and imports neither evaluation nor report (beyond figure helpers).
"""
