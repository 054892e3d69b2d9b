"""The kernel's counter-based random numbers in plain Python, for the behaviour twin.

The same generator as :mod:`simulator.kernels.rng`, written from its definition rather than
called: a key (seed, stream, path, unit, event) is hashed part by part with SplitMix64's
finaliser, 64-bit arithmetic spelled out with a mask; the top 53 bits of the hash give a
uniform in (0, 1). The normal distribution function and its inverse are the same formulas
(``erfc``; Acklam's approximation, refined by one Halley step outside the miss rule),
evaluated in the same order so every float rounds the same way.
"""

from __future__ import annotations

import math

MASK = 0xFFFF_FFFF_FFFF_FFFF  # arithmetic modulo 2**64
GOLDEN = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB
TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53

# Streams: the decision a draw is for (the kernel's numbering).
MISS = 1
CURE = 2
PREPAY = 3
UNEMPLOYMENT = 4
MACRO = 5
BOOK = 6
REDRAW = 7
RESTRUCTURE = 8
LEGAL = 9
SCORE = 10


def mix(z: int) -> int:
    """SplitMix64's finaliser: a bijection of 64-bit integers."""
    z = ((z ^ (z >> 30)) * M1) & MASK
    z = ((z ^ (z >> 27)) * M2) & MASK
    return z ^ (z >> 31)


def path_key(seed: int, stream: int, path: int) -> int:
    """The hash of the key's first three parts."""
    h = mix((seed + GOLDEN) & MASK)
    h = mix(h ^ ((stream * GOLDEN) & MASK))
    return mix(h ^ (path & MASK))


def unit_key(prefix: int, unit: int) -> int:
    """The hash of the key up to its unit (a drawdown or borrower id)."""
    return mix(prefix ^ (unit & MASK))


def uniform_at(key: int, event: int) -> float:
    """The uniform draw for ``event`` (a day or month) of a key hashed up to its unit."""
    return ((mix(key ^ (event & MASK)) >> 11) + 0.5) * TO_UNIT


def uniform(seed: int, stream: int, path: int, unit: int, event: int) -> float:
    """A uniform draw in (0, 1) for the whole key."""
    return uniform_at(unit_key(path_key(seed, stream, path), unit), event)


def normal_cdf(x: float) -> float:
    """Standard normal distribution function."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


# Acklam's coefficients: central region (A/B) and tails (C/D).
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)


def _polynomial(coefficients: tuple[float, ...], x: float) -> float:
    """c0 x^(n-1) + ... + c(n-1) by Horner's rule."""
    y = coefficients[0]
    for c in coefficients[1:]:
        y = y * x + c
    return y


def acklam(p: float) -> float:
    """Acklam's rational approximation of Phi^-1 on (0, 1)."""
    low = 0.02425
    if p < low:
        q = math.sqrt(-2.0 * math.log(p))
        return _polynomial(_C, q) / (_polynomial(_D, q) * q + 1.0)
    if p <= 1.0 - low:
        q = p - 0.5
        r = q * q
        return _polynomial(_A, r) * q / (_polynomial(_B, r) * r + 1.0)
    q = math.sqrt(-2.0 * math.log(1.0 - p))
    return -_polynomial(_C, q) / (_polynomial(_D, q) * q + 1.0)


# The miss rule's Phi^-1: a table in log(p) over the lower half of (0, 1), 128 points a unit
# from log(p) = -36, read linearly; Acklam's formula above 0.5 and below the table.
PROBIT_LO, PROBIT_HI, PROBIT_STEPS = -36.0, -0.6931471805599453, 128


def probit_table() -> list[float]:
    n = int((PROBIT_HI - PROBIT_LO) * PROBIT_STEPS) + 2
    return [normal_ppf(math.exp(PROBIT_LO + i / PROBIT_STEPS)) for i in range(n)]


def miss_quantile(log_p: float, table: list[float]) -> float:
    """Phi^-1(p) for the miss rule from ``log_p`` = log(p), ``p`` in [0, 1): -inf at p = 0."""
    if log_p == -math.inf:
        return -math.inf
    if log_p < PROBIT_HI:
        g = (log_p - PROBIT_LO) * PROBIT_STEPS
        if g >= 0.0:
            i = int(g)
            return table[i] + (g - i) * (table[i + 1] - table[i])
    return acklam(math.exp(log_p))


def normal_ppf(p: float) -> float:
    """Inverse of the normal distribution function on (0, 1); -inf and inf at 0 and 1:
    Acklam's approximation refined by one Halley step."""
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    x = acklam(p)
    e = normal_cdf(x) - p  # one Halley step
    u = e * math.sqrt(2.0 * math.pi) * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)
