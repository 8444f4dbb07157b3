"""Interpolation: is the latent space smooth?

Paths between random pairs of latents, linear (lerp) and spherical (slerp) in z, and linear in
w for StyleGAN (Karras et al. 2019, sec. 4.2: slerp in z, lerp in w), each scored two ways:
- a perceptual-path-length analogue: for t ~ U(0, 1), d = ||f(G(p(t))) - f(G(p(t + eps)))||^2
  / eps^2, with f the evaluation classifier's penultimate features (the paper uses VGG16 /
  LPIPS, which need a download; our classifier knows the dataset's classes), eps = 1e-4,
  summarised by the mean and median of the values between the 1st and 99th percentiles. The
  difference of two images 1e-4 apart is at float32's rounding level, so the study computes
  the pair of images and their features in float64 (`ganlab.studies.run`);
- the number of times the classifier's class changes along a path of n_steps images; the
  "excess" changes are those beyond the one a path needs when its two ends differ in class.
The "stretch" sqrt(mean path length / mean ||f(G(end)) - f(G(start))||^2) compares the path
with a straight constant-speed line in feature space, for which it is 1 (Cauchy-Schwarz: it
cannot be less, up to sampling noise); curved or uneven paths have more.
"""

from __future__ import annotations

import numpy as np
import torch


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """a + t (b - a) along the last dimension; t broadcasts over the leading dimensions."""
    return a + (b - a) * t[..., None]


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation: the direction moves along the great circle from a/|a| to b/|b|
    at constant angular speed, the norm linearly from |a| to |b| (White 2016, "Sampling
    generative networks"). slerp(a, b, 0) = a and slerp(a, b, 1) = b."""
    t = t[..., None].to(a.dtype)
    na, nb = a.norm(dim=-1, keepdim=True), b.norm(dim=-1, keepdim=True)
    ua, ub = a / na, b / nb
    omega = (ua * ub).sum(-1, keepdim=True).clamp(-1, 1).acos()
    so = omega.sin()
    small = so < 1e-6  # (anti)parallel ends: the great circle is not unique
    safe = torch.where(small, torch.ones_like(so), so)
    wa = torch.where(small, 1 - t, ((1 - t) * omega).sin() / safe)
    wb = torch.where(small, t, (t * omega).sin() / safe)
    u = wa * ua + wb * ub
    return u / u.norm(dim=-1, keepdim=True) * (na + (nb - na) * t)


INTERPOLATE = {"lerp": lerp, "slerp": slerp}


def path_lengths(path, images, features, t: torch.Tensor, eps: float) -> torch.Tensor:
    """The path-length values ||f(x(t + eps)) - f(x(t))||^2 / eps^2, shape (S, n).

    path(t) -> points (S, n, d) for t of shape (S, n); images(points) -> (S, n, C, H, W);
    features(images (N, C, H, W)) -> (N, F). The images are clamped to [-1, 1] as in the
    evaluation."""
    x0 = images(path(t)).clamp(-1, 1)
    x1 = images(path(t + eps)).clamp(-1, 1)
    S, n = x0.shape[:2]
    f0 = features(x0.flatten(0, 1)).reshape(S, n, -1)
    f1 = features(x1.flatten(0, 1)).reshape(S, n, -1)
    return (f1 - f0).pow(2).sum(-1) / eps**2


def trimmed(values) -> dict[str, float]:
    """Mean and median of the values between the 1st and 99th percentiles (as the paper)."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"mean": float("nan"), "median": float("nan"), "n": 0}
    lo, hi = np.percentile(v, [1, 99])
    kept = v[(v >= lo) & (v <= hi)]
    return {"mean": float(kept.mean()), "median": float(np.median(kept)), "n": int(kept.size)}


def class_changes(labels) -> dict[str, np.ndarray]:
    """labels (paths, steps) or (paths, steps, channels) -> per path: "changes" (how often the
    class differs from the previous step's, summed over channels), "ends_differ" (channels
    whose class differs between the two ends: the fewest changes a path can make) and
    "excess" = changes - ends_differ (changes a direct path would not need)."""
    lab = np.asarray(labels)
    if lab.ndim == 2:
        lab = lab[..., None]
    if lab.ndim != 3 or lab.shape[1] < 2:
        raise ValueError(f"expected labels of shape (paths, steps >= 2[, channels]), got {np.shape(labels)}")
    changes = (lab[:, 1:] != lab[:, :-1]).sum((1, 2))
    ends = (lab[:, 0] != lab[:, -1]).sum(-1)
    return {"changes": changes, "ends_differ": ends, "excess": changes - ends}
