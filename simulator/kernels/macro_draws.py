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
