"""The systematic factor's AR(1) paths, drawn from the counter-based generator keyed by
(seed, path, month)."""

from __future__ import annotations

import math

from simulator.kernels import rng
from simulator.kernels.jit import jit


@jit
def fill_factor_paths(seed, path_lo, path_hi, months, phi, z):
    scale = math.sqrt(1.0 - phi * phi)
    for p in range(path_lo, path_hi):
        prev = rng.standard_normal(seed, rng.MACRO, p, 0, 0)
        z[p - path_lo, 0] = prev
        for m in range(1, months):
            prev = phi * prev + scale * rng.standard_normal(seed, rng.MACRO, p, 0, m)
            z[p - path_lo, m] = prev
