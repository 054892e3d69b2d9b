"""Counter-based random numbers: every draw is a pure function of what it is for.

A draw is keyed by (seed, stream, path, unit, event): the stream names the decision (missing a
due payment, curing, prepaying, unemployment, the macro factor, the book), the unit is a
drawdown or borrower id, the event a day or month. The same key gives the same number whatever
the thread count, chunk size, engine or machine, and a policy scenario and its baseline share
draws for the same borrowers (common random numbers).

The mixer is SplitMix64's finaliser applied along the key, a well-tested 64-bit bijection.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.kernels.jit import jit

# Streams: one per kind of decision, so draws for different purposes never coincide.
MISS = 1
CURE = 2
PREPAY = 3
UNEMPLOYMENT = 4  # a borrower's monthly employment transitions
MACRO = 5
BOOK = 6
REDRAW = 7
RESTRUCTURE = 8
LEGAL = 9
SCORE = 10

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@jit
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit
def path_key(seed, stream, path):
    """The hash of a key's first three parts. The key is hashed part by part, so a kernel
    keeps this prefix (one per stream and path) and the unit's (:func:`unit_key`) and pays one
    mix per draw: the same numbers as :func:`uniform`."""
    h = _mix(np.uint64(seed) + _GOLDEN)
    h = _mix(h ^ (np.uint64(stream) * _GOLDEN))
    return _mix(h ^ np.uint64(path))


@jit(inline="always")
def unit_key(prefix, unit):
    """The hash of a key up to its unit, from :func:`path_key`."""
    return _mix(np.uint64(prefix) ^ np.uint64(unit))


@jit(inline="always")
def uniform_at(key, event):
    """The uniform draw for ``event`` of a key hashed up to its unit (:func:`unit_key`)."""
    return ((_mix(np.uint64(key) ^ np.uint64(event)) >> _S11) + 0.5) * _TO_UNIT


@jit
def uniform(seed, stream, path, unit, event):
    """A uniform draw in (0, 1) for the key."""
    return uniform_at(unit_key(path_key(seed, stream, path), unit), event)


@jit
def normal_cdf(x):
    """Standard normal distribution function Phi(x)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


_GRID_LO, _GRID_STEPS = -8.0, 256.0  # Phi tabulated on [-8, 8] every 1/256
_GRID_MARGIN = 1e-9  # relative: far above erfc's error, far below the grid's spacing


def normal_cdf_bounds():
    """``Phi`` at the grid points, widened by a relative margin: ``[0, i]`` bounds ``Phi`` on
    the i-th grid interval from below, ``[1, i + 1]`` from above (see :func:`below_normal_cdf`)."""
    out = np.empty((2, int(2.0 * -_GRID_LO * _GRID_STEPS) + 1))
    _fill_cdf_bounds(out)
    return out


@jit
def _fill_cdf_bounds(out):
    for i in range(out.shape[1]):
        p = normal_cdf(_GRID_LO + i / _GRID_STEPS)
        out[0, i] = p * (1.0 - _GRID_MARGIN)
        out[1, i] = p * (1.0 + _GRID_MARGIN)


@jit(inline="always")
def below_normal_cdf(u, x, bounds):
    """``u < normal_cdf(x)``, the same answer, mostly without ``erfc``: Phi is increasing, so
    away from the bounds of x's grid interval the tabulated values decide."""
    g = (x - _GRID_LO) * _GRID_STEPS
    if g >= 0.0 and g < bounds.shape[1] - 1:
        i = int(g)
        if u >= bounds[1, i + 1]:
            return False
        if u < bounds[0, i]:
            return True
    return u < normal_cdf(x)


# Acklam's coefficients: central region (A/B) and tails (C/D).
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)


@jit
def _horner(coefficients, x):
    """c0 x^(n-1) + ... + c(n-1), evaluated innermost first."""
    y = coefficients[0]
    for c in coefficients[1:]:
        y = y * x + c
    return y


@jit
def normal_ppf(p):
    """Inverse of Phi on (0, 1): Acklam's rational approximation refined by one Halley step
    (relative error near 1e-15); -inf/inf at 0/1."""
    if p <= 0.0:
        return -np.inf
    if p >= 1.0:
        return np.inf
    x = acklam(p)
    e = normal_cdf(x) - p
    u = e * math.sqrt(2.0 * math.pi) * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


_PROBIT_LO = -36.0  # log(p) of the probit table's first point (p = 2.3e-16)
_PROBIT_HI = -0.6931471805599453  # and of its last, log(0.5): above, Acklam's formula
_PROBIT_STEPS = 128  # points per unit of log(p): 37 kB, within a core's cache


def probit_table():
    """``normal_ppf(exp(_PROBIT_LO + i / _PROBIT_STEPS))`` for the lower half of (0, 1), read by
    :func:`miss_quantile`."""
    out = np.empty(int((_PROBIT_HI - _PROBIT_LO) * _PROBIT_STEPS) + 2)
    _fill_probit(out)
    return out


@jit
def _fill_probit(out):
    for i in range(out.shape[0]):
        out[i] = normal_ppf(math.exp(_PROBIT_LO + i / _PROBIT_STEPS))


@jit(inline="always")
def miss_quantile(log_p, table):
    """Phi^-1(p) for the miss rule's thresholds, from ``log_p`` = log(p) (the PD is summed in
    logs, see ``steps.log_miss_probability``), paid once per borrower and month: below 0.5,
    linear in log(p) between the points of ``table`` (:func:`probit_table`; within 1e-5 of
    Phi^-1, far inside any PD's uncertainty); from 0.5, and below the table, Acklam's formula
    alone (relative error below 1.2e-9). -inf at p = 0."""
    if log_p == -np.inf:
        return -np.inf
    if log_p < _PROBIT_HI:
        g = (log_p - _PROBIT_LO) * _PROBIT_STEPS
        if g >= 0.0:
            i = int(g)
            return table[i] + (g - i) * (table[i + 1] - table[i])
    return acklam(math.exp(log_p))


@jit
def logs(values):
    """The natural logarithms of non-negative ``values`` (-inf at 0), as libm computes them:
    the PD's terms, tabulated once per chunk (the behaviour twin takes ``math.log``, the same
    function)."""
    out = np.empty(values.shape[0])
    for i in range(values.shape[0]):
        out[i] = math.log(values[i]) if values[i] > 0.0 else -np.inf
    return out


@jit(inline="always")
def acklam(p):
    """Acklam's rational approximation of Phi^-1 on (0, 1)."""
    plow = 0.02425
    if p < plow:
        q = math.sqrt(-2.0 * math.log(p))
        return _horner(_C, q) / (_horner(_D, q) * q + 1.0)
    if p <= 1.0 - plow:
        q = p - 0.5
        r = q * q
        return _horner(_A, r) * q / (_horner(_B, r) * r + 1.0)
    q = math.sqrt(-2.0 * math.log(1.0 - p))
    return -_horner(_C, q) / (_horner(_D, q) * q + 1.0)


@jit
def standard_normal(seed, stream, path, unit, event):
    """A standard normal draw for the key (inverse transform of :func:`uniform`)."""
    return normal_ppf(uniform(seed, stream, path, unit, event))
