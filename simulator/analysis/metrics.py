"""Named scalar metrics of a run, one value per Monte Carlo path, and statistics across paths.

A metric turns a run's tables (``timeseries`` and ``paths``, as :func:`simulator.simulate`
returns them) into an array over paths; a statistic (``mean``, ``p50``, ``p95``, ``p99``,
``p999``) turns that array into one number with its Monte Carlo standard error. Calibration
(:mod:`simulator.studies.calibrate`) and reverse stress tests (:mod:`simulator.studies.reverse`) name what they
aim at with these, in the syntax ``METRIC@STAT`` (``dpd90_end@p95``; ``@mean`` when left out).

Delinquency ratios are outstanding principal in M2..M6 (30+) or M4..M6 (90+) over on-book
principal M0..M6, as in :mod:`simulator.analysis.summary`.

Cure and roll metrics count drawdowns, not balances, and match cohorts by a fixed lag rather
than by following each drawdown: a due payment missed on day ``t`` reaches 31 DPD on day
``t + 31`` unless cured first, so

    m1_cure_30d = 1 - sum(n_roll30[t + 31]) / sum(n_missed[t])   over t = 1 .. horizon - 31

and a drawdown reaching 31 DPD on day ``t`` reaches 91 DPD on day ``t + 60``. A drawdown that
pays only part of its arrears, or misses again after curing, is counted once per event; the
drawdowns in arrears at day 0 are left out (they roll before day 32). Published cure figures
(e.g. "86.3% of day-1 delinquent balance collected within 30 days") are balance-weighted; for
books whose loan sizes do not depend much on delinquency the two are close.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from simulator.errors import InputError

BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6")
LAG_30 = 31  # days from a missed due date (DPD 0) to 31 DPD
LAG_30_90 = 60  # days from 31 DPD to 91 DPD
YEAR_DAY = 365

Tables = dict[str, pa.Table]


class _Daily:
    """Per (path, day) sums over segments of timeseries columns, built on first use."""

    def __init__(self, timeseries: pa.Table) -> None:
        if timeseries.num_rows == 0:
            raise InputError("the run has no timeseries rows to compute metrics from")
        path = timeseries.column("path").to_numpy().astype(np.int64)
        day = timeseries.column("day").to_numpy().astype(np.int64)
        self.paths = np.unique(path)
        self.n_days = int(day.max()) + 1
        path_code = np.searchsorted(self.paths, path)
        self.key = path_code * self.n_days + day
        self.shape = (len(self.paths), self.n_days)
        self.table = timeseries
        self._cache: dict[str, np.ndarray] = {}

    def __call__(self, column: str) -> np.ndarray:
        """(paths, days) array of the column summed over segments."""
        if column not in self._cache:
            values = self.table.column(column).to_numpy().astype(np.float64)
            sums = np.bincount(self.key, weights=values, minlength=self.shape[0] * self.shape[1])
            self._cache[column] = sums.reshape(self.shape)
        return self._cache[column]

    def total(self, columns: tuple[str, ...]) -> np.ndarray:
        out = self(columns[0]).copy()
        for c in columns[1:]:
            out += self(c)
        return out


def _ratio(num: np.ndarray, den: np.ndarray, empty: float = 0.0) -> np.ndarray:
    out = np.full(np.broadcast(num, den).shape, empty, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _lagged_share(daily: _Daily, later: str, earlier: str, lag: int, name: str) -> np.ndarray:
    """Per path sum(later[t + lag]) / sum(earlier[t]) over t = 1 .. horizon - lag."""
    horizon = daily.n_days - 1
    if horizon <= lag:
        raise InputError(
            f"metric {name} needs a horizon longer than {lag} days (the run has {horizon})"
        )
    den = daily(earlier)[:, 1: horizon - lag + 1].sum(axis=1)
    num = daily(later)[:, 1 + lag:].sum(axis=1)
    return _ratio(num, den)


def _col(tables: Tables, name: str) -> np.ndarray:
    return tables["paths"].column(name).to_numpy().astype(np.float64)


def _ratio_on_day(daily: _Daily, buckets: tuple[str, ...], day: int) -> np.ndarray:
    d = min(day, daily.n_days - 1)
    on_book = daily.total(tuple(f"principal_{b}" for b in BUCKETS))[:, d]
    late = daily.total(tuple(f"principal_{b}" for b in buckets))[:, d]
    return _ratio(late, on_book)


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    compute: Callable[[Tables, _Daily], np.ndarray]


def _paths_metric(name: str, column: str, description: str) -> Metric:
    return Metric(name, description, lambda t, d: _col(t, column))


METRICS: dict[str, Metric] = {m.name: m for m in (
    _paths_metric("dpd30_end", "end_dpd30_ratio",
                  "30+ ratio (M2..M6 / on-book principal) on the last day"),
    _paths_metric("dpd90_end", "end_dpd90_ratio",
                  "90+ ratio (M4..M6 / on-book principal) on the last day"),
    _paths_metric("dpd30_peak", "peak_dpd30_ratio", "highest 30+ ratio over days 1..horizon"),
    _paths_metric("dpd90_peak", "peak_dpd90_ratio", "highest 90+ ratio over days 1..horizon"),
    _paths_metric("net_loss_rate", "net_loss_rate",
                  "charged-off principal less recoveries / initial principal"),
    _paths_metric("loss_rate_avg_balance", "loss_rate_avg_balance",
                  "net loss / mean on-book principal (not annualised)"),
    Metric("dpd30_year_end", "30+ ratio on day 365 (the last day if the horizon is shorter)",
           lambda t, d: _ratio_on_day(d, BUCKETS[2:], YEAR_DAY)),
    Metric("dpd90_year_end", "90+ ratio on day 365 (the last day if the horizon is shorter)",
           lambda t, d: _ratio_on_day(d, BUCKETS[4:], YEAR_DAY)),
    Metric("m1_cure_30d",
           "share of newly missed payments cured before 31 DPD (counts, cohorts lagged 31 days)",
           lambda t, d: 1.0 - _lagged_share(d, "n_roll30", "n_missed", LAG_30, "m1_cure_30d")),
    Metric("roll_m1_m2", "share of newly missed payments reaching 31 DPD (1 - m1_cure_30d)",
           lambda t, d: _lagged_share(d, "n_roll30", "n_missed", LAG_30, "roll_m1_m2")),
    Metric("roll_30_90", "share of drawdowns reaching 31 DPD that reach 91 DPD (lag 60 days)",
           lambda t, d: _lagged_share(d, "n_roll90", "n_roll30", LAG_30_90, "roll_30_90")),
)}

STATS = ("mean", "p50", "p95", "p99", "p999")
_QUANTILE = {"p50": 0.5, "p95": 0.95, "p99": 0.99, "p999": 0.999}


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
    daily = _Daily(tables["timeseries"])
    return {n: np.asarray(METRICS[check_metric(n)].compute(tables, daily), dtype=np.float64)
            for n in names}


def stat(values: np.ndarray, name: str) -> float:
    """The statistic ``name`` (mean, p50, p95, p99, p999) of per-path ``values``."""
    return stat_with_error(values, name)[0]


def stat_with_error(values: np.ndarray, name: str) -> tuple[float, float]:
    """(estimate, Monte Carlo standard error) of statistic ``name`` across paths.

    The mean's error is the sample standard deviation over sqrt(paths); a quantile's is the
    distribution-free order-statistic error of :func:`simulator.analysis.quantile_with_error`
    (nan when there are too few paths to bound it).
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise InputError("no paths to take a statistic of")
    if check_stat(name) == "mean":
        se = float(np.std(x, ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan
        return float(np.mean(x)), se
    from simulator.analysis.summary import quantile_with_error

    q = quantile_with_error(x, _QUANTILE[name])
    return q["estimate"], q["se"]


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
