"""Euler allocation of the tail of the loss distribution to segments.

The loss of a path is its net loss over the horizon (principal charged off less recoveries,
:mod:`simulator.analysis.figures`), the sum of its segments' losses ``L = sum_s L_s``. Both
measures use :mod:`simulator.analysis.risk`'s conventions for the total.

ES at level a
    The mean of the worst ``k = tail_count(n, a)`` paths; segment s's contribution is the mean
    of ``L_s`` over the same paths, E[L_s | L in the tail] (ties in L broken by path number). It
    is exact: the contributions add up to ES. Monte Carlo error: sd of ``L_s`` over the tail /
    sqrt(k), as for ES itself.

VaR at level a
    The total is ``risk.quantile`` (linear interpolation between order statistics). E[L_s | L =
    VaR] is estimated from the ``2m + 1`` paths whose loss ranks nearest the VaR's position
    ``(n - 1) a`` (0-based), ``m = max(1, round(sqrt(n (1 - a))))`` (7 paths at 1,000 paths and
    99%, 21 at 10,000), clipped to the paths there are. The window's segment means are scaled so
    that they add up to VaR: c_s = VaR x mean_w(L_s) / mean_w(L) (the window mean of L itself
    differs a little from VaR). Monte Carlo error: sd of ``L_s`` over the window / sqrt(window),
    times the same scale.

Everything is computed on the engine's micro-yuan as exact fractions, so the contributions add
up to the total to the last digit; :func:`simulator.analysis.exact.apportion` rounds them for
display keeping that sum. The same allocation by vintage reads each vintage's net loss from the
``vintages`` table (every charge-off and recovery from day 1 belongs to one vintage, so the
vintages add up to the same path losses). By collection channel the run's aggregates carry no
split, so that allocation is not made here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pyarrow as pa

from simulator.analysis import risk
from simulator.analysis.exact import MICRO, exact, micro_yuan
from simulator.analysis.grid import Grid


@dataclass
class Allocation:
    """One measure's total and its segments' parts (exact, in yuan) with Monte Carlo errors."""

    measure: str  # "VaR99" / "ES99"
    total: Fraction
    parts: dict[str, Fraction]
    se: dict[str, float]
    paths_used: int  # tail size (ES) or window size (VaR)

    def check(self) -> None:
        if sum(self.parts.values(), Fraction(0)) != self.total:
            raise AssertionError(f"{self.measure}: contributions do not add up to the total")


def segment_losses(g: Grid) -> tuple[list[str], np.ndarray]:
    """(segment names, (paths, segments) int64 net loss in micro-yuan at the horizon's end)."""
    co = g.sum(("cum_charged_off_principal",))[:, -1, :]
    rec = g.sum(("cum_recoveries",))[:, -1, :]
    return list(g.segments), micro_yuan(co) - micro_yuan(rec)


def vintage_losses(vintages: pa.Table) -> tuple[list[str], np.ndarray]:
    """(vintage names, (paths, vintages) int64 net loss in micro-yuan over the horizon): each
    vintage's charged-off principal less recoveries at the run's last month."""
    col = {n: vintages.column(n).to_numpy() for n in ("path", "vintage", "month",
                                                       "cum_charged_off_principal",
                                                       "cum_recoveries")}
    last = col["month"] == col["month"].max()
    path, v = col["path"][last], col["vintage"][last]
    losses = np.zeros((int(path.max()) + 1, int(v.max()) + 1), np.int64)
    losses[path, v] = (micro_yuan(col["cum_charged_off_principal"][last])
                       - micro_yuan(col["cum_recoveries"][last]))
    names = ["day-0 book"] + [f"vintage {k}" for k in range(1, losses.shape[1])]
    return names, losses


def _order(total: np.ndarray) -> np.ndarray:
    """Paths from the smallest loss to the largest, ties by path number."""
    return np.lexsort((np.arange(total.size), total))


def expected_shortfall(names: list[str], losses: np.ndarray, level: float = 0.99) -> Allocation:
    total = losses.sum(axis=1)
    n = total.size
    k = risk.tail_count(n, level)
    tail = _order(total)[n - k:]
    parts = {s: Fraction(int(losses[tail, i].sum()), k * MICRO) for i, s in enumerate(names)}
    se = {s: (float(np.std(losses[tail, i] / MICRO, ddof=1)) / math.sqrt(k) if k > 1
              else math.nan) for i, s in enumerate(names)}
    out = Allocation(f"ES{level * 100:g}", Fraction(int(total[tail].sum()), k * MICRO),
                     parts, se, k)
    out.check()
    return out


def var_window(n: int, level: float) -> tuple[int, int]:
    """(first, last) 0-based ranks of the window around the VaR's position."""
    m = max(1, round(math.sqrt(n * (1 - level))))
    centre = round((n - 1) * level)
    return max(0, centre - m), min(n - 1, centre + m)


def value_at_risk(names: list[str], losses: np.ndarray, level: float = 0.99) -> Allocation:
    total = losses.sum(axis=1)
    n = total.size
    var = exact(risk.quantile(total / MICRO, level))
    lo, hi = var_window(n, level)
    window = _order(total)[lo: hi + 1]
    w_total = int(total[window].sum())
    w_parts = [int(losses[window, i].sum()) for i in range(len(names))]
    if w_total != 0:
        scale = var / Fraction(w_total, MICRO)
        parts = {s: scale * Fraction(w, MICRO) for s, w in zip(names, w_parts, strict=True)}
    else:  # nothing lost anywhere near the quantile: VaR is 0 too, and so is every part
        scale = Fraction(0)
        parts = {s: var / len(names) for s in names}
    size = len(window)
    se = {s: (abs(float(scale)) * float(np.std(losses[window, i] / MICRO, ddof=1))
              / math.sqrt(size) if size > 1 else math.nan) for i, s in enumerate(names)}
    out = Allocation(f"VaR{level * 100:g}", var, parts, se, size)
    out.check()
    return out


def allocate(g: Grid, level: float = 0.99) -> list[Allocation]:
    """VaR and ES at ``level`` of the run's net loss, allocated to its segments."""
    names, losses = segment_losses(g)
    return [value_at_risk(names, losses, level), expected_shortfall(names, losses, level)]


def allocate_by_vintage(vintages: pa.Table, level: float = 0.99) -> list[Allocation]:
    """VaR and ES at ``level`` of the run's net loss, allocated to its vintages."""
    names, losses = vintage_losses(vintages)
    return [value_at_risk(names, losses, level), expected_shortfall(names, losses, level)]
