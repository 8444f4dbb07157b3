"""Inception FID, KID and IS as registered metrics of image and translation runs: each seed's
features (ganlab.inception, put on the sample by the kind module's prepare) against its dataset's
reference, with the reference's own protocol. Runs on datasets without a reference get none."""

from __future__ import annotations

from ganlab import inception as fid
from ganlab.evaluation.registry import metric

UNITS = {
    "fid_inception": "FID (Inception pool features)",
    "kid_inception": "KID (unbiased MMD², Inception features)",
    "kid_inception_std": "KID's std over subsets",
    "is_inception": "Inception Score",
    "is_inception_std": "IS's std over splits",
}

HEADLINE = ("fid_inception", "kid_inception", "is_inception")


@metric("images", units=UNITS, optional=tuple(UNITS), headline=HEADLINE)
@metric("paired", units=UNITS, optional=tuple(UNITS), headline=HEADLINE)
@metric("unpaired", units=UNITS, optional=tuple(UNITS), headline=HEADLINE)
def inception_scores(s, ev) -> dict[str, float]:
    """FID, KID and IS of one seed against its dataset's reference (runs of datasets without one: none)."""
    if s.inception is None:
        return {}
    p = s.inception_ref.params
    return fid.scores(
        s.inception, s.inception_ref.arrays, p["kid_subsets"], p["kid_subset_size"], p["isc_splits"], seed=ev.seed
    )
