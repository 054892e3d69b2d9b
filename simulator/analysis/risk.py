"""Statistics across Monte Carlo paths: the quantile convention, value at risk, expected
shortfall, and their Monte Carlo errors. Every statistic a run reports is computed here.

Conventions
-----------
* A quantile (and value at risk, its name for a loss) is ``numpy.quantile`` with linear
  interpolation between order statistics.
* Expected shortfall at ``level`` is the mean of the worst ``k = ceil(n * (1 - level))`` paths,
  at least one (``n * (1 - level)`` rounded to 9 decimals first, so that 1,000 paths at 99% give
  10, not 11, despite float error).
* Statistics are named ``mean``, ``p50``, ``p95``, ``p99``, ``p999`` and ``es99``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri  # the normal quantile (scipy.stats.norm.ppf's own)

from simulator.results.registry import QUANTILE_LEVELS

QUANTILES = {name: QUANTILE_LEVELS[name] for name in ("p50", "p95", "p99", "p999")}
"""Quantile statistics across paths by name, with their levels (named as in the quantiles
table)."""

SHORTFALLS = {"es99": 0.99}
"""Expected-shortfall statistics by name: the level of each."""

STATS = ("mean", *QUANTILES, *SHORTFALLS)
"""Every statistic across paths, by name."""


def z_value(confidence: float) -> float:
    """The two-sided normal critical value ``Phi^-1(0.5 + confidence / 2)``."""
    return float(ndtri(0.5 + confidence / 2))


def quantile(x: np.ndarray, q, axis: int | None = None) -> np.ndarray | float:
    """The ``q`` quantile(s) of ``x`` (linear interpolation), along ``axis``."""
    return np.quantile(x, q, axis=axis)


def tail_count(n: int, level: float) -> int:
    """How many of ``n`` paths expected shortfall at ``level`` averages: ceil(n(1-level)), >= 1."""
    return max(1, math.ceil(round(n * (1 - level), 9)))


def expected_shortfall(x: np.ndarray, level: float, axis: int = -1) -> np.ndarray | float:
    """Mean of the worst :func:`tail_count` values of ``x`` along ``axis``."""
    s = np.sort(np.asarray(x, dtype=np.float64), axis=axis)
    n = s.shape[axis]
    tail = np.take(s, np.arange(n - tail_count(n, level), n), axis=axis)
    out = tail.mean(axis=axis)
    return float(out) if np.ndim(out) == 0 else out


def statistic(x: np.ndarray, name: str, axis: int = -1) -> np.ndarray | float:
    """The statistic ``name`` (one of :data:`STATS`) of ``x`` across paths along ``axis``."""
    x = np.asarray(x, dtype=np.float64)
    if name == "mean":
        out = x.mean(axis=axis)
    elif name in QUANTILES:
        out = quantile(x, QUANTILES[name], axis=axis)
    elif name in SHORTFALLS:
        return expected_shortfall(x, SHORTFALLS[name], axis=axis)
    else:
        raise ValueError(f"unknown statistic {name!r}; known: {', '.join(STATS)}")
    return float(out) if np.ndim(out) == 0 else out


def _checked(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        raise ValueError("no paths to summarise")
    return x


def mean_with_error(x: np.ndarray, confidence: float = 0.95) -> dict:
    """The mean of ``x``, ``se = sd / sqrt(n)`` (``ddof=1``), interval ``estimate +- z se``.

    ``se`` and the interval are ``nan`` for one path.
    """
    x = _checked(x)
    n = x.size
    est = float(x.mean())
    se = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    z = z_value(confidence)
    return {"estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se}


def quantile_with_error(x: np.ndarray, q: float, confidence: float = 0.95) -> dict:
    """Estimate the ``q`` quantile of ``x`` with a distribution-free Monte Carlo error.

    The estimate is :func:`quantile`. The confidence interval is the order-statistic (binomial)
    interval: the number of draws below the true quantile is Binomial(n, q), so the order
    statistics of ranks ``floor(n*q - z*sqrt(n*q*(1-q)))`` and ``ceil(n*q + z*sqrt(n*q*(1-q)))``
    (1-based) bracket it with about the stated confidence. The standard error is approximated as
    the interval's half-width divided by ``z``.

    When a rank falls outside ``1..n`` the sample is too small to bound that quantile: the
    interval and the standard error are then ``nan`` (as they are for ``n == 1``).
    """
    x = np.sort(_checked(x))
    n = x.size
    z = z_value(confidence)
    est = float(quantile(x, q))
    half = z * math.sqrt(n * q * (1 - q))
    lo_rank = math.floor(n * q - half)
    hi_rank = math.ceil(n * q + half)
    if n < 2 or lo_rank < 1 or hi_rank > n:
        return {"estimate": est, "se": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    lo, hi = float(x[lo_rank - 1]), float(x[hi_rank - 1])
    return {"estimate": est, "se": (hi - lo) / (2 * z), "ci_low": lo, "ci_high": hi}


def expected_shortfall_with_error(x: np.ndarray, level: float = 0.99,
                                  confidence: float = 0.95) -> dict:
    """Expected shortfall at ``level`` (:func:`expected_shortfall`) with its Monte Carlo error.

    The standard error is that of the tail mean, ``sd_tail / sqrt(k)`` (sample standard
    deviation of the ``k`` tail values); it ignores the uncertainty in where the tail starts, so
    it understates the error somewhat. It is ``nan`` when ``k == 1`` (fewer than
    ``2 / (1 - level)`` paths).
    """
    x = np.sort(_checked(x))
    n = x.size
    z = z_value(confidence)
    k = tail_count(n, level)
    tail = x[n - k :]
    est = float(tail.mean())
    se = float(tail.std(ddof=1) / math.sqrt(k)) if k > 1 else math.nan
    return {"estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se, "k": k}


def statistic_with_error(x: np.ndarray, name: str, confidence: float = 0.95) -> dict:
    """:func:`statistic` ``name`` of ``x`` with its Monte Carlo error, as the functions above."""
    if name == "mean":
        return mean_with_error(x, confidence)
    if name in QUANTILES:
        return quantile_with_error(x, QUANTILES[name], confidence)
    if name in SHORTFALLS:
        return expected_shortfall_with_error(x, SHORTFALLS[name], confidence)
    raise ValueError(f"unknown statistic {name!r}; known: {', '.join(STATS)}")
