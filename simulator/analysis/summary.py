"""Distributions and risk measures across Monte Carlo paths, each with its Monte Carlo error.

The ``paths`` and ``quantiles`` tables are derived from the ``timeseries`` table; :func:`summary`
turns the ``paths`` table into the figures a risk committee reads (expected loss, loss quantiles,
expected shortfall, delinquency ratios), each with a Monte Carlo standard error so that a reader
can tell signal from simulation noise.

Conventions
-----------
* A delinquency ratio is outstanding principal in M2..M6 (DPD >= 31, "30+") or M4..M6
  (DPD >= 91, "90+") over outstanding on-book principal M0..M6; charged-off principal is excluded.
  When nothing is on book the ratio is 0 (there is nothing delinquent).
* Rates over an empty book (initial or average principal 0) are 0.
* Quantiles across paths use linear interpolation (``numpy.quantile`` default).
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import ndtri  # the normal quantile (scipy.stats.norm.ppf's own)

from simulator.results.registry import (
    BUCKETS,
    QUANTILE_LEVELS,
    QUANTILE_METRICS,
    QUANTILE_STATS,
    arrow_schema,
)

_DPD30_BUCKETS = BUCKETS[2:]  # M2..M6: DPD >= 31
_DPD90_BUCKETS = BUCKETS[4:]  # M4..M6: DPD >= 91
_INCOME = ("penalty", "compound", "interest")


# --------------------------------------------------------------------------------------------
# Grouping: map (path, day, segment) rows onto a dense (P, D, S) grid once.
# --------------------------------------------------------------------------------------------


def _dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (sorted unique values, code of each value) for integer ``values``.

    Uses a presence table (linear time) when the range is compact, ``np.unique`` otherwise.
    """
    if values.size == 0:
        return values[:0].copy(), np.zeros(0, dtype=np.int64)
    lo = int(values.min())
    hi = int(values.max())
    span = hi - lo + 1
    if span <= 4 * values.size + 1024:
        offset = values.astype(np.int64) - lo
        present = np.bincount(offset, minlength=span) > 0
        uniques = np.flatnonzero(present) + lo
        mapping = np.cumsum(present) - 1
        return uniques.astype(values.dtype), mapping[offset]
    uniques, codes = np.unique(values, return_inverse=True)
    return uniques, codes.astype(np.int64)


def _segment_codes(column: pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """Return (segment names sorted, code of each row) for a string or dictionary column."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(pa.string())
    encoded = pc.dictionary_encode(column.combine_chunks())
    names = encoded.dictionary.to_pylist()
    raw = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    order = sorted(range(len(names)), key=lambda i: names[i])
    remap = np.empty(len(names), dtype=np.int64)
    remap[order] = np.arange(len(names))
    return [names[i] for i in order], remap[raw]


class _Grid:
    """The timeseries laid out on a dense (path, day, segment) grid."""

    def __init__(self, timeseries: pa.Table) -> None:
        missing = [c for c in ("path", "day", "segment") if c not in timeseries.schema.names]
        if missing:
            raise ValueError(f"timeseries: missing column {missing[0]!r}")
        if timeseries.num_rows == 0:
            raise ValueError("timeseries: the table is empty")
        self.table = timeseries
        self.paths, path_code = _dense_codes(self._np("path"))
        self.days, day_code = _dense_codes(self._np("day"))
        self.segments, seg_code = _segment_codes(timeseries.column("segment"))
        p, d, s = len(self.paths), len(self.days), len(self.segments)
        if self.days[0] != 0:
            raise ValueError("timeseries: day 0 (the state at the start) is missing")
        self.key = (path_code * d + day_code) * s + seg_code
        counts = np.bincount(self.key, minlength=p * d * s)
        if counts.max() > 1:
            raise ValueError("timeseries: a (path, day, segment) row appears more than once")
        if counts.min() < 1 or timeseries.num_rows != p * d * s:
            raise ValueError(
                "timeseries: every path must have a row for every day and every segment "
                f"({p} paths x {d} days x {s} segments = {p * d * s} rows expected, "
                f"{timeseries.num_rows} found)"
            )
        self.shape = (p, d, s)

    def _np(self, name: str) -> np.ndarray:
        if name not in self.table.schema.names:
            raise ValueError(f"timeseries: missing column {name!r}")
        return self.table.column(name).to_numpy()

    def rowsum(self, names: tuple[str, ...]) -> np.ndarray:
        """Row-wise float64 sum of the named columns."""
        out = self._np(names[0]).astype(np.float64, copy=True)
        for name in names[1:]:
            out += self._np(name)
        return out

    def grid(self, values: np.ndarray) -> np.ndarray:
        """Scatter per-row ``values`` onto the (P, D, S) grid."""
        out = np.empty(self.table.num_rows, dtype=np.float64)
        out[self.key] = values
        return out.reshape(self.shape)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0."""
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


class _BookMetrics:
    """Per (path, day, segment) arrays the derived tables need."""

    def __init__(self, timeseries: pa.Table) -> None:
        g = _Grid(timeseries)
        self.grid = g
        self.on_book = g.grid(g.rowsum(tuple(f"principal_{b}" for b in BUCKETS)))
        self.dpd30 = g.grid(g.rowsum(tuple(f"principal_{b}" for b in _DPD30_BUCKETS)))
        self.dpd90 = g.grid(g.rowsum(tuple(f"principal_{b}" for b in _DPD90_BUCKETS)))
        self.charged_off = g.grid(g.rowsum(("cum_charged_off_principal",)))
        self.recoveries = g.grid(g.rowsum(("cum_recoveries",)))


# --------------------------------------------------------------------------------------------
# Derived tables
# --------------------------------------------------------------------------------------------


def paths_table(timeseries: pa.Table) -> pa.Table:
    """Derive the ``paths`` table (one row per path) from the ``timeseries`` table.

    Parameters
    ----------
    timeseries
        A table with the ``timeseries`` registry columns (at least path, day, segment, the
        principal buckets, cumulative charge-offs and recoveries, and the accrual flows). Every
        path must have one row per day (0..horizon) and segment.

    Returns
    -------
    pyarrow.Table
        Rows sorted by path, with the registry schema of ``paths``.

    Notes
    -----
    Peak ratios run over days 1..horizon (day 0 when that is the only day); end ratios and
    cumulative amounts are taken on the last day. Income sums the accrued flows of days
    1..horizon. ``loss_rate_avg_balance`` divides by the mean on-book principal over days
    0..horizon and is not annualised.
    """
    return _paths_from(_BookMetrics(timeseries))


def _paths_from(m: _BookMetrics) -> pa.Table:
    g = m.grid
    on_book = m.on_book.sum(axis=2)  # (P, D)
    dpd30 = m.dpd30.sum(axis=2)
    dpd90 = m.dpd90.sum(axis=2)
    charged_off = m.charged_off.sum(axis=2)[:, -1]
    recoveries = m.recoveries.sum(axis=2)[:, -1]

    initial = on_book[:, 0]
    net_loss = charged_off - recoveries
    ratio30 = _ratio(dpd30, on_book)
    ratio90 = _ratio(dpd90, on_book)
    later = g.days >= 1
    if not later.any():
        later = np.ones_like(later)

    income = {}
    for kind in _INCOME:
        flow = g.grid(g.rowsum((f"{kind}_accrued",)))
        income[kind] = flow[:, later, :].sum(axis=(1, 2))

    cols = {
        "path": pa.array(g.paths.astype(np.int32), pa.int32()),
        "initial_principal": initial,
        "net_loss": net_loss,
        "net_loss_rate": _ratio(net_loss, initial),
        "loss_rate_avg_balance": _ratio(net_loss, on_book.mean(axis=1)),
        "peak_dpd30_ratio": ratio30[:, later].max(axis=1),
        "peak_dpd90_ratio": ratio90[:, later].max(axis=1),
        "end_dpd30_ratio": ratio30[:, -1],
        "end_dpd90_ratio": ratio90[:, -1],
        "penalty_income": income["penalty"],
        "compound_income": income["compound"],
        "interest_income": income["interest"],
        "recoveries": recoveries,
        "charged_off_principal": charged_off,
        **{name: g.grid(g.rowsum((name,)))[:, later, :].sum(axis=(1, 2))
           for name in ("disbursed_principal", "collection_cost", "legal_cost")},
    }
    schema = arrow_schema("paths")
    return pa.Table.from_arrays([pa.array(cols[f.name], f.type) for f in schema], schema=schema)


def _stats(values: np.ndarray) -> np.ndarray:
    """Statistics across axis 0 of ``values`` (paths first), in QUANTILE_STATS order.

    Returns an array of shape ``(len(QUANTILE_STATS),) + values.shape[1:]``.
    """
    levels = [QUANTILE_LEVELS[s] for s in QUANTILE_STATS if s != "mean"]
    q = np.quantile(values, levels, axis=0)
    return np.concatenate([values.mean(axis=0)[None], q], axis=0)


def quantiles_table(timeseries: pa.Table, by_segment: bool = True) -> pa.Table:
    """Derive the ``quantiles`` table: per day and metric, the mean and quantiles across paths.

    Parameters
    ----------
    timeseries
        As for :func:`paths_table`.
    by_segment
        Also write per-segment variants named ``<metric>:<segment>`` (for example
        ``dpd30_ratio:gig``), after the book-wide metrics.

    Returns
    -------
    pyarrow.Table
        Long format, rows ordered by day, then metric (book-wide metrics first in
        ``QUANTILE_METRICS`` order, then per segment in name order), then stat
        (``mean, p01, p05, p50, p95, p99, p999``).

    Notes
    -----
    ``cum_net_loss_rate`` on day t is (charged-off principal - recoveries) up to day t over
    on-book principal on day 0; for a segment, over that segment's day-0 principal.
    """
    return _quantiles_from(_BookMetrics(timeseries), by_segment)


def _quantiles_from(m: _BookMetrics, by_segment: bool) -> pa.Table:
    g = m.grid

    def metrics(on_book, dpd30, dpd90, net_loss):
        return {
            "dpd30_ratio": _ratio(dpd30, on_book),
            "dpd90_ratio": _ratio(dpd90, on_book),
            "cum_net_loss_rate": _ratio(net_loss, on_book[:, :1]),
            "outstanding_principal": on_book,
        }

    net = m.charged_off - m.recoveries
    blocks: list[tuple[str, np.ndarray]] = []  # (metric name, (P, D) values)
    for name, values in metrics(
        m.on_book.sum(axis=2), m.dpd30.sum(axis=2), m.dpd90.sum(axis=2), net.sum(axis=2)
    ).items():
        blocks.append((name, values))
    if by_segment:
        for s, seg in enumerate(g.segments):
            per = metrics(m.on_book[:, :, s], m.dpd30[:, :, s], m.dpd90[:, :, s], net[:, :, s])
            for name in QUANTILE_METRICS:
                blocks.append((f"{name}:{seg}", per[name]))

    names = [b[0] for b in blocks]
    stacked = np.stack([b[1] for b in blocks], axis=2)  # (P, D, M)
    stats = _stats(stacked)  # (K, D, M)
    values = np.transpose(stats, (1, 2, 0))  # (D, M, K)
    n_days, n_metrics, n_stats = values.shape

    day = np.repeat(g.days.astype(np.int32), n_metrics * n_stats)
    metric_idx = np.tile(np.repeat(np.arange(n_metrics, dtype=np.int32), n_stats), n_days)
    stat_idx = np.tile(np.arange(n_stats, dtype=np.int32), n_days * n_metrics)
    metric = pa.DictionaryArray.from_arrays(pa.array(metric_idx), pa.array(names, pa.string()))
    stat = pa.DictionaryArray.from_arrays(
        pa.array(stat_idx), pa.array(list(QUANTILE_STATS), pa.string())
    )
    schema = arrow_schema("quantiles")
    return pa.Table.from_arrays(
        [
            pa.array(day, pa.int32()),
            metric.cast(pa.string()),
            stat.cast(pa.string()),
            pa.array(values.reshape(-1), pa.float64()),
        ],
        schema=schema,
    )


def derive_tables(timeseries: pa.Table) -> dict[str, pa.Table]:
    """Return the three results tables, ``timeseries``, ``paths`` and ``quantiles``.

    A convenience for the run command: the result can go straight to ``write_run``.
    """
    m = _BookMetrics(timeseries)
    return {
        "timeseries": timeseries,
        "paths": _paths_from(m),
        "quantiles": _quantiles_from(m, by_segment=True),
    }


# --------------------------------------------------------------------------------------------
# Risk measures with Monte Carlo error
# --------------------------------------------------------------------------------------------

_SUMMARY_LABELS = {
    "expected_net_loss_rate": "Expected net loss rate",
    "net_loss_rate_q95": "Net loss rate, 95th percentile",
    "net_loss_rate_q99": "Net loss rate, 99th percentile",
    "net_loss_rate_q999": "Net loss rate, 99.9th percentile",
    "net_loss_rate_es99": "Net loss rate, expected shortfall 99%",
    "mean_peak_dpd30_ratio": "Peak 30+ ratio (mean over paths)",
    "mean_peak_dpd90_ratio": "Peak 90+ ratio (mean over paths)",
    "mean_end_dpd30_ratio": "End 30+ ratio (mean over paths)",
    "mean_end_dpd90_ratio": "End 90+ ratio (mean over paths)",
}

_MEAN_COLUMNS = {
    "mean_peak_dpd30_ratio": "peak_dpd30_ratio",
    "mean_peak_dpd90_ratio": "peak_dpd90_ratio",
    "mean_end_dpd30_ratio": "end_dpd30_ratio",
    "mean_end_dpd90_ratio": "end_dpd90_ratio",
}


def _entry(label: str, estimate: float, se: float, lo: float, hi: float) -> dict:
    return {
        "label": label,
        "estimate": float(estimate),
        "se": float(se),
        "ci_low": float(lo),
        "ci_high": float(hi),
    }


def _mean_entry(label: str, x: np.ndarray, z: float) -> dict:
    n = x.size
    est = float(x.mean())
    se = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return _entry(label, est, se, est - z * se, est + z * se)


def quantile_with_error(x: np.ndarray, q: float, confidence: float = 0.95) -> dict:
    """Estimate the ``q`` quantile of ``x`` with a distribution-free Monte Carlo error.

    The estimate is ``numpy.quantile(x, q)`` (linear interpolation). The confidence interval is
    the order-statistic (binomial) interval: the number of draws below the true quantile is
    Binomial(n, q), so the order statistics of ranks ``floor(n*q - z*sqrt(n*q*(1-q)))`` and
    ``ceil(n*q + z*sqrt(n*q*(1-q)))`` (1-based) bracket it with about the stated confidence. The
    standard error is approximated as the interval's half-width divided by ``z``.

    When a rank falls outside ``1..n`` the sample is too small to bound that quantile: the
    interval and the standard error are then ``nan`` (as they are for ``n == 1``).
    """
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = x.size
    if n == 0:
        raise ValueError("no paths to summarise")
    z = float(ndtri(0.5 + confidence / 2))
    est = float(np.quantile(x, q))
    half = z * math.sqrt(n * q * (1 - q))
    lo_rank = math.floor(n * q - half)
    hi_rank = math.ceil(n * q + half)
    if n < 2 or lo_rank < 1 or hi_rank > n:
        return {"estimate": est, "se": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    lo, hi = float(x[lo_rank - 1]), float(x[hi_rank - 1])
    return {"estimate": est, "se": (hi - lo) / (2 * z), "ci_low": lo, "ci_high": hi}


def expected_shortfall_with_error(x: np.ndarray, level: float = 0.99, confidence: float = 0.95):
    """Expected shortfall at ``level``: the mean of the worst ``k = ceil(n*(1-level))`` values.

    The standard error is that of the tail mean, ``sd_tail / sqrt(k)`` (sample standard
    deviation of the ``k`` tail values); it ignores the uncertainty in where the tail starts, so
    it understates the error somewhat. It is ``nan`` when ``k == 1`` (fewer than
    ``2 / (1 - level)`` paths).
    """
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = x.size
    if n == 0:
        raise ValueError("no paths to summarise")
    z = float(ndtri(0.5 + confidence / 2))
    k = max(1, math.ceil(round(n * (1 - level), 9)))
    tail = x[n - k :]
    est = float(tail.mean())
    se = float(tail.std(ddof=1) / math.sqrt(k)) if k > 1 else math.nan
    return {"estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se, "k": k}


def summary(paths: pa.Table, confidence: float = 0.95) -> dict:
    """Risk measures across paths, each with its Monte Carlo standard error.

    Parameters
    ----------
    paths
        The ``paths`` table.
    confidence
        Two-sided confidence level of the intervals (``z = Phi^-1(0.5 + confidence/2)``).

    Returns
    -------
    dict
        ``n_paths``, ``confidence``, ``z`` and ``metrics``: an ordered mapping from a key
        (``expected_net_loss_rate``, ``net_loss_rate_q95``, ``net_loss_rate_q99``,
        ``net_loss_rate_q999``, ``net_loss_rate_es99``, ``mean_peak_dpd30_ratio``,
        ``mean_peak_dpd90_ratio``, ``mean_end_dpd30_ratio``, ``mean_end_dpd90_ratio``) to
        ``{"label", "estimate", "se", "ci_low", "ci_high"}``; all values are fractions.

    Notes
    -----
    * Means: ``se = sd / sqrt(n)`` (sample sd, ``ddof=1``), interval ``estimate +- z*se``.
    * Quantiles 95, 99 and 99.9 of the net loss rate: order-statistic (binomial) interval, ranks
      ``n*q +- z*sqrt(n*q*(1-q))``, and ``se`` = half-width / z; see
      :func:`quantile_with_error`. ``nan`` when there are too few paths to bound the quantile.
    * Expected shortfall at 99%: mean of the worst 1% of paths (at least one), ``se`` =
      ``sd_tail / sqrt(k)``; see :func:`expected_shortfall_with_error`.
    * With one path every standard error and interval is ``nan``.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    n = paths.num_rows
    if n == 0:
        raise ValueError("no paths to summarise")
    z = float(ndtri(0.5 + confidence / 2))

    def col(name: str) -> np.ndarray:
        return paths.column(name).to_numpy().astype(np.float64)

    loss = col("net_loss_rate")
    metrics: dict[str, dict] = {}
    key = "expected_net_loss_rate"
    metrics[key] = _mean_entry(_SUMMARY_LABELS[key], loss, z)
    for key, q in (
        ("net_loss_rate_q95", 0.95),
        ("net_loss_rate_q99", 0.99),
        ("net_loss_rate_q999", 0.999),
    ):
        r = quantile_with_error(loss, q, confidence)
        metrics[key] = _entry(
            _SUMMARY_LABELS[key], r["estimate"], r["se"], r["ci_low"], r["ci_high"]
        )
    key = "net_loss_rate_es99"
    r = expected_shortfall_with_error(loss, 0.99, confidence)
    metrics[key] = _entry(_SUMMARY_LABELS[key], r["estimate"], r["se"], r["ci_low"], r["ci_high"])
    for key, column in _MEAN_COLUMNS.items():
        metrics[key] = _mean_entry(_SUMMARY_LABELS[key], col(column), z)
    return {"n_paths": n, "confidence": confidence, "z": z, "metrics": metrics}


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{100 * x:.3f}%"


def format_summary(summary: dict) -> str:
    """Render :func:`summary`'s result as a fixed-width table (Metric | Estimate | MC s.e.)."""
    rows = [(m["label"], _pct(m["estimate"]), _pct(m["se"])) for m in summary["metrics"].values()]
    head = ("Metric", "Estimate", "MC s.e.")
    w0 = max(len(head[0]), *(len(r[0]) for r in rows))
    w1 = max(len(head[1]), *(len(r[1]) for r in rows))
    w2 = max(len(head[2]), *(len(r[2]) for r in rows))
    conf = summary["confidence"]
    lines = [
        f"{summary['n_paths']} paths. MC s.e.: Monte Carlo standard error "
        f"(n/a where too few paths to estimate it; {conf:.0%} intervals in the summary).",
        f"{head[0]:<{w0}}  {head[1]:>{w1}}  {head[2]:>{w2}}",
        f"{'-' * w0}  {'-' * w1}  {'-' * w2}",
    ]
    lines += [f"{a:<{w0}}  {b:>{w1}}  {c:>{w2}}" for a, b, c in rows]
    return "\n".join(lines)
