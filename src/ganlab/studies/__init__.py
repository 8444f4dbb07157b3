"""Latent-space studies of trained runs (study@<run>): truncation, interpolation, style mixing.

- truncation: the course's truncation trick (resample every noise component whose magnitude
  exceeds tau) swept over tau, and StyleGAN's w = w_avg + psi (w - w_avg) swept over psi,
  each scored with the evaluation's metrics (precision, recall, density, coverage, Fréchet
  distance and classes covered on images; high-quality % and modes captured on 2-D data);
- interpolation: linear and spherical paths in z (and linear in w for StyleGAN), scored by a
  perceptual-path-length analogue on the evaluation classifier's features and by the number
  of class changes along each path;
- mixing: StyleGAN's coarse styles from one latent and fine styles from another, and which
  source the mixed image's class follows;
- gradients (the toy 1-D run): the generator's gradient under a trained GAN discriminator and
  under a WGAN-GP critic as its samples move away from the data (ganlab.studies.gradients).

`applicable(family, desc)` says which studies a run gets, from its family class and its
dataset's description only (no model or classifier is loaded), so the stage can write a
cheap marker for the rest.
"""

from __future__ import annotations


def applicable(family: type, desc: dict) -> tuple[list[str], str]:
    """(studies, why): the studies a run of `family` on a dataset described by `desc` gets,
    and in words why (or why none)."""
    if family.name == "toy1d" and desc.get("kind") == "points" and desc.get("dim") == 1:
        return ["gradients"], "the toy 1-D set-up: the generator's gradient against its distance from the data"
    if "z" not in family.latent_spaces:
        return [], f"family {family.name} has no latent noise (z, then codes) to truncate or interpolate"
    if family.conditioning == "class":
        return [], (
            f"family {family.name} is conditional: its class comes from the label, not the noise, "
            "so truncation and interpolation would measure the label, not the latent space"
        )
    if desc.get("kind") == "images":
        return ["truncation", "interpolation"], "unconditional image run"
    if desc.get("kind") == "points" and desc.get("dim") == 2:
        return ["truncation"], "2-D point run: truncation only (no classifier to read paths with)"
    return [], f"{desc.get('kind')} data of dimension {desc.get('dim')}: no study"
