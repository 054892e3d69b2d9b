"""Exact arithmetic for figures whose parts must add up to their total to the last digit.

Risk contributions and driver attributions are computed as :class:`fractions.Fraction`: the
float inputs (metric values, money in yuan) are taken at their exact binary value, every sum,
difference and product after that is exact, so the parts add up to the total with no rounding
at all. Only what is shown is rounded, by :func:`apportion`: each part to a fixed number of
decimals by the largest-remainder rule, so the rounded parts still add up to the rounded total.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

MICRO = 1_000_000


def exact(x: float) -> Fraction:
    """The exact value of the float ``x`` (a dyadic rational); refuses nan and infinity."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"cannot take the exact value of {x!r}")
    return Fraction(x)


def micro_yuan(yuan: np.ndarray) -> np.ndarray:
    """Float yuan back to the engine's int64 micro-yuan (exact for the amounts a run writes:
    each was converted once from an integer number of micro-yuan)."""
    return np.rint(np.asarray(yuan, dtype=np.float64) * MICRO).astype(np.int64)


def apportion(parts: Sequence[Fraction], decimals: int) -> list[Fraction]:
    """``parts`` rounded to ``decimals`` places so that they add up to their rounded sum.

    The sum is rounded half away from zero; each part is floored, then the units still missing
    go to the parts with the largest remainders (ties to the earlier part). The result differs
    from each part by less than one unit of the last place.
    """
    unit = Fraction(1, 10**decimals)
    total = sum(parts, Fraction(0))
    scaled_total = total / unit
    target = math.floor(abs(scaled_total) + Fraction(1, 2)) * (1 if total >= 0 else -1)
    floors = [math.floor(p / unit) for p in parts]
    missing = target - sum(floors)
    order = sorted(range(len(parts)), key=lambda i: (-(parts[i] / unit - floors[i]), i))
    out = list(floors)
    # 0 <= missing <= len(parts): floor(sum) >= sum of floors and rounding never goes below
    # the floor of the total nor above its ceiling
    for i in order[:missing]:
        out[i] += 1
    return [Fraction(v) * unit for v in out]
