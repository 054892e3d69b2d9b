"""The factors' AR(1) paths, drawn from the counter-based generator keyed by (seed, path,
month): unit 0 the systematic factor, unit ``1 + s`` segment ``s``'s own."""

from __future__ import annotations

import math

from simulator.kernels import rng
from simulator.kernels.jit import jit


@jit
def fill_factor_paths(seed, path_lo, path_hi, months, phi, start, unit, z):
    """``z[p - path_lo, m]``: from ``Z[-1] = start``, or from its unconditional law N(0, 1)
    when ``start`` is NaN."""
    scale = math.sqrt(1.0 - phi * phi)
    for p in range(path_lo, path_hi):
        e = rng.standard_normal(seed, rng.MACRO, p, unit, 0)
        prev = e if math.isnan(start) else phi * start + scale * e
        z[p - path_lo, 0] = prev
        for m in range(1, months):
            prev = phi * prev + scale * rng.standard_normal(seed, rng.MACRO, p, unit, m)
            z[p - path_lo, m] = prev


HISTORY_UNIT = 1 << 16  # added to a factor's unit for the draws of its history before day 0


@jit
def fill_factor_history(seed, path_lo, path_hi, phi, unit, pinned, value, after, z):
    """``z[p - path_lo, k]`` for the months before day 0 (``z.shape[1]`` of them, the last
    just before day 0), drawn backward: a stationary AR(1) read backward is the same AR(1),
    so ``Z[m - 1] = phi Z[m] + sqrt(1 - phi^2) e``. The last month is ``value`` when
    ``pinned`` (today's factor), else drawn from the first month after it, ``after[p]``."""
    scale = math.sqrt(1.0 - phi * phi)
    months = z.shape[1]
    for p in range(path_lo, path_hi):
        if pinned:
            prev = value
        else:
            prev = phi * after[p - path_lo] + scale * rng.standard_normal(
                seed, rng.MACRO, p, unit + HISTORY_UNIT, 1)
        z[p - path_lo, months - 1] = prev
        for k in range(2, months + 1):
            prev = phi * prev + scale * rng.standard_normal(seed, rng.MACRO, p,
                                                            unit + HISTORY_UNIT, k)
            z[p - path_lo, months - k] = prev
