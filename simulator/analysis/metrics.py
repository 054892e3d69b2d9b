"""Named scalar metrics of a run, one value per Monte Carlo path, and statistics across paths.

A metric turns a run's tables (``timeseries`` and ``paths``, as :func:`simulator.simulate`
returns them) into an array over paths; a statistic (``mean``, ``p50``, ``p95``, ``p99``,
``p999``, ``es99``; :mod:`simulator.analysis.risk`) turns that array into one number with its
Monte Carlo standard error. Calibration (:mod:`simulator.studies.calibrate`) and reverse stress
tests (:mod:`simulator.studies.reverse`) name what they aim at with these, in the syntax
``METRIC@STAT`` (``dpd90_end@p95``; ``@mean`` when left out).

Delinquency ratios are those of :mod:`simulator.analysis.figures`: outstanding principal in
M2..M6 (30+) or M4..M6 (90+) over on-book principal M0..M6; so are the NPL ratio without
disposal and the nine-quarter loss rate on average balance. :func:`on_day` reads the figures of
the ``quantiles`` table (:data:`DAY_METRICS`) per path on one day.

Cure and roll metrics count drawdowns, not balances, and match cohorts by a fixed lag rather
than by following each drawdown: a due payment missed on day ``t`` reaches 31 DPD on day
``t + 31`` unless cured first, so

    m1_cure_30d = 1 - sum(n_roll30[t + 31]) / sum(n_missed[t])   over t = 1 .. horizon - 31

and a drawdown reaching 31 DPD on day ``t`` reaches 91 DPD on day ``t + 60``. A drawdown that
pays only part of its arrears, or misses again after curing, is counted once per event; the
drawdowns in arrears at day 0 are left out (they roll before day 32). Published cure figures
(e.g. "86.3% of day-1 delinquent balance collected within 30 days") are balance-weighted; for
books whose loan sizes do not depend much on delinquency the two are close.

The balance-weighted early-warning rates are :class:`simulator.analysis.figures.EarlyWarning`'s,
pooled per path over its months: ``day1_delinquency`` sums principal unpaid at the end of its
due day and principal due over every whole 30-day month of the horizon (days 1..30k) before
dividing; ``collection_30`` sums, over the months whose last due day is at least 30 days before
the horizon, the part of that unpaid principal paid within 30 days of its due date, over the
unpaid principal of the same months. A month with more falling due weighs more.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from simulator.analysis import risk
from simulator.analysis.figures import (
    DPD30,
    DPD90,
    BookAmounts,
    EarlyWarning,
    day_metrics,
    ratio,
)
from simulator.analysis.grid import Grid
from simulator.errors import InputError
from simulator.kernels.layout import COLLECTION_WINDOW_DAYS
from simulator.results.registry import QUANTILE_METRICS
from simulator.scenario.schema import DAYS_PER_MONTH

LAG_30 = DPD30.min_dpd  # days from a missed due date (DPD 0) to 31 DPD
LAG_30_90 = DPD90.min_dpd - DPD30.min_dpd  # days from 31 DPD to 91 DPD
YEAR_DAY = 365

Tables = dict[str, pa.Table]


def _grid(timeseries: pa.Table) -> Grid:
    """The run's grid; every day 0..horizon must be there (metrics index days by number)."""
    if timeseries.num_rows == 0:
        raise InputError("the run has no timeseries rows to compute metrics from")
    try:
        g = Grid(timeseries)
    except ValueError as e:
        raise InputError(str(e)) from None
    if not g.contiguous():
        raise InputError("timeseries: metrics need every day from 0 to the horizon")
    return g


def _lagged_share(grid: Grid, later: str, earlier: str, lag: int, name: str) -> np.ndarray:
    """Per path sum(later[t + lag]) / sum(earlier[t]) over t = 1 .. horizon - lag."""
    horizon = grid.horizon
    if horizon <= lag:
        raise InputError(
            f"metric {name} needs a horizon longer than {lag} days (the run has {horizon})"
        )
    den = grid.book(earlier)[:, 1: horizon - lag + 1].sum(axis=1)
    num = grid.book(later)[:, 1 + lag:].sum(axis=1)
    return ratio(num, den)


def _early_warning(grid: Grid, name: str, min_horizon: int) -> EarlyWarning:
    """The run's early-warning rates; the horizon must hold a month the metric can read."""
    if grid.horizon < min_horizon:
        raise InputError(f"metric {name} needs a horizon of at least {min_horizon} days "
                         f"(the run has {grid.horizon})")
    if "principal_due" not in grid.table.schema.names:
        raise InputError(f"metric {name} needs the early-warning flows, which this run "
                         "folder's timeseries does not record (written by an older version)")
    return EarlyWarning.from_grid(grid)


def _col(tables: Tables, name: str) -> np.ndarray:
    return tables["paths"].column(name).to_numpy().astype(np.float64)


DAY_METRICS = QUANTILE_METRICS
"""The figures of each path on each day (:func:`simulator.analysis.figures.day_metrics`)."""


def _on_day(grid: Grid, name: str, day: int) -> np.ndarray:
    return day_metrics(BookAmounts.book_wide(grid))[name][:, grid.day_index(day)]


def on_day(tables: Tables, name: str, day: int) -> np.ndarray:
    """Per-path value of the day metric ``name`` (one of :data:`DAY_METRICS`) on ``day``."""
    if name not in DAY_METRICS:
        raise _unknown("day metric", name, DAY_METRICS)
    grid = _grid(tables["timeseries"])
    if not 0 <= day <= grid.horizon:
        raise InputError(f"day {day} is outside the run's days 0..{grid.horizon}")
    return _on_day(grid, name, day)


def _year_end(name: str) -> Callable[[Tables, Grid], np.ndarray]:
    return lambda t, g: _on_day(g, name, min(YEAR_DAY, g.horizon))


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    compute: Callable[[Tables, Grid], np.ndarray]


def _paths_metric(name: str, column: str, description: str) -> Metric:
    return Metric(name, description, lambda t, d: _col(t, column))


METRICS: dict[str, Metric] = {m.name: m for m in (
    _paths_metric("dpd30_end", "end_dpd30_ratio",
                  f"{DPD30.describe()} ratio on the last day"),
    _paths_metric("dpd90_end", "end_dpd90_ratio",
                  f"{DPD90.describe()} ratio on the last day"),
    _paths_metric("dpd30_peak", "peak_dpd30_ratio", "highest 30+ ratio over days 1..horizon"),
    _paths_metric("dpd90_peak", "peak_dpd90_ratio", "highest 90+ ratio over days 1..horizon"),
    _paths_metric("net_loss_rate", "net_loss_rate",
                  "charged-off principal less recoveries / initial principal"),
    _paths_metric("loss_rate_avg_balance", "loss_rate_avg_balance",
                  "net loss / mean on-book principal (not annualised)"),
    _paths_metric("nine_quarter_loss_rate", "nine_quarter_loss_rate",
                  "net loss over days 1..810 / mean on-book principal over days 0..810 (the "
                  "Fed's nine-quarter loss rate; over the horizon when shorter)"),
    _paths_metric("npl_no_disposal_end", "end_npl_no_disposal_ratio",
                  "NPL ratio without disposal on the last day: (90+ on book + charged off "
                  "since day 0) / (on book + charged off since day 0)"),
    Metric("dpd30_year_end", "30+ ratio on day 365 (the last day if the horizon is shorter)",
           _year_end("dpd30_ratio")),
    Metric("dpd90_year_end", "90+ ratio on day 365 (the last day if the horizon is shorter)",
           _year_end("dpd90_ratio")),
    Metric("npl_no_disposal_year_end",
           "NPL ratio without disposal on day 365 (the last day if the horizon is shorter)",
           _year_end("npl_no_disposal_ratio")),
    Metric("m1_cure_30d",
           "share of newly missed payments cured before 31 DPD (counts, cohorts lagged 31 days)",
           lambda t, d: 1.0 - _lagged_share(d, "n_roll30", "n_missed", LAG_30, "m1_cure_30d")),
    Metric("roll_m1_m2", "share of newly missed payments reaching 31 DPD (1 - m1_cure_30d)",
           lambda t, d: _lagged_share(d, "n_roll30", "n_missed", LAG_30, "roll_m1_m2")),
    Metric("roll_30_90", "share of drawdowns reaching 31 DPD that reach 91 DPD (lag 60 days)",
           lambda t, d: _lagged_share(d, "n_roll90", "n_roll30", LAG_30_90, "roll_30_90")),
    Metric("day1_delinquency",
           "principal unpaid at the end of its due day / principal due, pooled over the whole "
           "30-day months of the horizon (days 1..30k), by balance",
           lambda t, d: _early_warning(d, "day1_delinquency", DAYS_PER_MONTH)
           .pooled_day1_delinquency()),
    Metric("collection_30",
           "share of that unpaid principal paid within 30 days of its due date, pooled over "
           "the whole months whose 30 days end within the horizon, by balance",
           lambda t, d: _early_warning(d, "collection_30",
                                       DAYS_PER_MONTH + COLLECTION_WINDOW_DAYS)
           .pooled_collection_30()),
)}

STATS = risk.STATS


def _unknown(kind: str, name: str, valid: tuple[str, ...] | list[str]) -> InputError:
    return InputError(f"unknown {kind} {name!r}; choose one of {', '.join(valid)}")


def check_metric(name: str) -> str:
    """``name`` if it is a metric, else InputError listing the valid ones."""
    if name not in METRICS:
        raise _unknown("metric", name, list(METRICS))
    return name


def check_stat(name: str) -> str:
    if name not in STATS:
        raise _unknown("statistic", name, STATS)
    return name


def parse_metric_stat(text: str) -> tuple[str, str]:
    """``"dpd90_end@p95"`` -> ``("dpd90_end", "p95")``; the statistic defaults to ``mean``."""
    metric, _, st = text.strip().partition("@")
    return check_metric(metric.strip()), check_stat(st.strip() or "mean")


def compute(tables: Tables, names: list[str] | tuple[str, ...]) -> dict[str, np.ndarray]:
    """Per-path values of each named metric."""
    grid = _grid(tables["timeseries"])
    return {n: np.asarray(METRICS[check_metric(n)].compute(tables, grid), dtype=np.float64)
            for n in names}


def stat(values: np.ndarray, name: str) -> float:
    """The statistic ``name`` (one of :data:`STATS`) of per-path ``values``."""
    return stat_with_error(values, name)[0]


def stat_with_error(values: np.ndarray, name: str) -> tuple[float, float]:
    """(estimate, Monte Carlo standard error) of statistic ``name`` across paths.

    The errors are :func:`simulator.analysis.risk.statistic_with_error`'s: the mean's is the
    sample standard deviation over sqrt(paths); a quantile's the distribution-free
    order-statistic error; expected shortfall's that of the tail mean (nan when there are too
    few paths to estimate it).
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise InputError("no paths to take a statistic of")
    r = risk.statistic_with_error(x, check_stat(name))
    return r["estimate"], r["se"]


_TARGET = re.compile(r"^\s*([^<>=!\s]+)\s*(>=|<=|>|<|=)\s*(\S+)\s*$")


def split_comparison(text: str) -> tuple[str, str, float]:
    """``"dpd90_end@p95>=0.02"`` -> ``("dpd90_end@p95", ">=", 0.02)``."""
    match = _TARGET.match(text)
    if not match:
        raise InputError(
            f"cannot read {text!r}: write METRIC[@STAT] OP VALUE, e.g. dpd90_end@p95>=0.02"
        )
    lhs, op, raw = match.groups()
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{text!r}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{text!r}: the value must be finite")
    return lhs, op, value
