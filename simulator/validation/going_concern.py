"""Is the unshocked book a going concern? Its delinquency ratios and on-book principal at the
horizon against day 0, on the median path, with Monte Carlo errors.

A stress is read against its baseline, so the baseline must not drift on its own: with the
burn-in on (``book.burn_in_months``), day 0 is the model's own steady state, and the median
over paths of the 30+ and 90+ ratios at the horizon should stay within a tolerance of day 0
(15% by default), on-book principal within 10%. Day 0 is the same on every path after a
burn-in; without one it is the median too.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simulator.analysis.figures import BookAmounts, day_metrics
from simulator.analysis.grid import Grid
from simulator.analysis.risk import quantile_with_error

LIMITS = {"dpd30_ratio": 0.15, "dpd90_ratio": 0.15, "outstanding_principal": 0.10}


class Drift(NamedTuple):
    """A figure's median over paths on day 0 and at the horizon, the relative change, the
    Monte Carlo standard error of the horizon's median (and of the change), and its limit."""

    metric: str
    day0: float
    end: float
    end_se: float
    change: float
    change_se: float
    limit: float

    @property
    def ok(self) -> bool:
        return abs(self.change) <= self.limit


class GoingConcern(NamedTuple):
    horizon: int
    paths: int
    drifts: tuple[Drift, ...]

    @property
    def ok(self) -> bool:
        return all(d.ok for d in self.drifts)


def going_concern(timeseries, limits: dict[str, float] = LIMITS) -> GoingConcern:
    """The drifts of a run's ``timeseries`` table."""
    metrics = day_metrics(BookAmounts.book_wide(Grid(timeseries)))
    first = next(iter(metrics.values()))
    paths, days = first.shape
    drifts = []
    for name, limit in limits.items():
        x = metrics[name]
        day0 = float(np.median(x[:, 0]))
        end = quantile_with_error(x[:, -1], 0.5)
        change = end["estimate"] / day0 - 1 if day0 else float("nan")
        drifts.append(Drift(name, day0, end["estimate"], end["se"], change,
                            end["se"] / day0 if day0 else float("nan"), limit))
    return GoingConcern(days - 1, paths, tuple(drifts))


def check_going_concern(scenario, threads: int | None = None) -> GoingConcern:
    """Run ``scenario`` (in memory) and measure its drift."""
    from simulator.api import simulate

    tables, _ = simulate(scenario, threads=threads)
    return going_concern(tables["timeseries"])
