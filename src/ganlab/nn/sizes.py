"""Image sides the networks take: 4 * 2^k, one doubling of a 4x4 map per level.

`n_doublings` is the one check and count every image network uses (DCGAN and StyleGAN: k >= 1;
ProGAN grows from 4x4 itself, k >= 0; the U-Net's log2(side) levels are k + 2).
"""

from __future__ import annotations

import math


def n_doublings(side: int, smallest: int = 8, networks: str = "these networks") -> int:
    """k such that side = 4 * 2^k: the doublings from a 4x4 map to side x side.

    ValueError, naming `networks` (a plural: "DCGAN networks") and the sides they take, unless
    side is 4 * 2^k >= `smallest`.
    """
    k = int(round(math.log2(side / 4))) if side >= 4 else -1
    if side < smallest or k < 0 or 4 * 2**k != side:
        raise ValueError(f"{networks} need a square image side of 4 * 2^k >= {smallest}, got {side}")
    return k
