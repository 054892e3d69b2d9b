"""The derived tables of a run, and the risk measures a committee reads, with Monte Carlo errors.

The ``paths`` and ``quantiles`` tables are derived from the ``timeseries`` table; :func:`summary`
turns the ``paths`` table into the figures a risk committee reads (expected loss, loss quantiles,
expected shortfall, delinquency ratios), each with a Monte Carlo standard error so that a reader
can tell signal from simulation noise.

The ratios and their conventions are :mod:`simulator.analysis.figures`'s; the quantile and
expected-shortfall conventions and their errors are :mod:`simulator.analysis.risk`'s.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from simulator.analysis import risk
from simulator.analysis.figures import (
    BookAmounts,
    day_metrics,
    loss_rate_on_average_balance,
    nine_quarter_end,
    npl_without_disposal,
    ratio,
)
from simulator.analysis.grid import Grid
from simulator.results.registry import (
    QUANTILE_LEVELS,
    QUANTILE_METRICS,
    QUANTILE_STATS,
    arrow_schema,
)

_INCOME = ("penalty", "compound", "interest")


class _BookMetrics:
    """Per (path, day, segment) arrays the derived tables need."""

    def __init__(self, timeseries: pa.Table) -> None:
        self.grid = Grid(timeseries)
        self.amounts = BookAmounts.by_segment(self.grid)


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
    0..horizon and is not annualised; ``nine_quarter_loss_rate`` is the same over days 0..810
    (or the horizon when shorter). The NPL ratio without disposal is
    :func:`simulator.analysis.figures.npl_without_disposal`.
    """
    return _paths_from(_BookMetrics(timeseries))


def _paths_from(m: _BookMetrics) -> pa.Table:
    g = m.grid
    book = m.amounts.total()  # (P, D)
    on_book = book.on_book
    charged_off = book.charged_off[:, -1]
    recoveries = book.recoveries[:, -1]

    initial = on_book[:, 0]
    net_loss = charged_off - recoveries
    ratio30 = ratio(book.dpd30, on_book)
    ratio90 = ratio(book.dpd90, on_book)
    later = g.days >= 1
    if not later.any():
        later = np.ones_like(later)

    income = {}
    for kind in _INCOME:
        flow = g.sum((f"{kind}_accrued",))
        income[kind] = flow[:, later, :].sum(axis=(1, 2))

    cols = {
        "path": pa.array(g.paths.astype(np.int32), pa.int32()),
        "initial_principal": initial,
        "net_loss": net_loss,
        "net_loss_rate": ratio(net_loss, initial),
        "loss_rate_avg_balance": loss_rate_on_average_balance(book, g.days, g.horizon),
        "nine_quarter_loss_rate": loss_rate_on_average_balance(
            book, g.days, nine_quarter_end(g.horizon)),
        "peak_dpd30_ratio": ratio30[:, later].max(axis=1),
        "peak_dpd90_ratio": ratio90[:, later].max(axis=1),
        "end_dpd30_ratio": ratio30[:, -1],
        "end_dpd90_ratio": ratio90[:, -1],
        "end_npl_no_disposal_ratio": npl_without_disposal(book)[:, -1],
        "penalty_income": income["penalty"],
        "compound_income": income["compound"],
        "interest_income": income["interest"],
        "recoveries": recoveries,
        "charged_off_principal": charged_off,
        **{name: g.sum((name,))[:, later, :].sum(axis=(1, 2))
           for name in ("disbursed_principal", "collection_cost", "legal_cost")},
    }
    schema = arrow_schema("paths")
    return pa.Table.from_arrays([pa.array(cols[f.name], f.type) for f in schema], schema=schema)


def _stats(values: np.ndarray) -> np.ndarray:
    """Statistics across axis 0 of ``values`` (paths first), in QUANTILE_STATS order.

    Returns an array of shape ``(len(QUANTILE_STATS),) + values.shape[1:]``.
    """
    levels = [QUANTILE_LEVELS[s] for s in QUANTILE_STATS if s != "mean"]
    q = risk.quantile(values, levels, axis=0)
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
    The metrics are :func:`simulator.analysis.figures.day_metrics`. ``cum_net_loss_rate`` on day
    t is (charged-off principal - recoveries) up to day t over on-book principal on day 0; for a
    segment, over that segment's day-0 principal. ``npl_no_disposal_ratio`` is (90+ principal on
    book + principal charged off since day 0) / (on-book principal + principal charged off since
    day 0).
    """
    return _quantiles_from(_BookMetrics(timeseries), by_segment)


def _quantiles_from(m: _BookMetrics, by_segment: bool) -> pa.Table:
    g = m.grid
    book = day_metrics(m.amounts.total())
    blocks: list[tuple[str, np.ndarray]] = [(name, book[name]) for name in QUANTILE_METRICS]
    if by_segment:
        for s, seg in enumerate(g.segments):
            per = day_metrics(m.amounts.segment(s))
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

MEASURES: dict[str, tuple[str, str]] = {
    # summary key -> (paths column, statistic across paths), in the order they are shown
    "expected_net_loss_rate": ("net_loss_rate", "mean"),
    "net_loss_rate_q95": ("net_loss_rate", "p95"),
    "net_loss_rate_q99": ("net_loss_rate", "p99"),
    "net_loss_rate_q999": ("net_loss_rate", "p999"),
    "net_loss_rate_es99": ("net_loss_rate", "es99"),
    "mean_peak_dpd30_ratio": ("peak_dpd30_ratio", "mean"),
    "mean_peak_dpd90_ratio": ("peak_dpd90_ratio", "mean"),
    "mean_end_dpd30_ratio": ("end_dpd30_ratio", "mean"),
    "mean_end_dpd90_ratio": ("end_dpd90_ratio", "mean"),
}


def _entry(label: str, r: dict) -> dict:
    return {
        "label": label,
        "estimate": float(r["estimate"]),
        "se": float(r["se"]),
        "ci_low": float(r["ci_low"]),
        "ci_high": float(r["ci_high"]),
    }


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
      :func:`simulator.analysis.risk.quantile_with_error`. ``nan`` when there are too few paths
      to bound the quantile.
    * Expected shortfall at 99%: mean of the worst 1% of paths (at least one), ``se`` =
      ``sd_tail / sqrt(k)``; see :func:`simulator.analysis.risk.expected_shortfall_with_error`.
    * With one path every standard error and interval is ``nan``.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    n = paths.num_rows
    if n == 0:
        raise ValueError("no paths to summarise")

    def col(name: str) -> np.ndarray:
        return paths.column(name).to_numpy().astype(np.float64)

    metrics = {key: _entry(_SUMMARY_LABELS[key],
                           risk.statistic_with_error(col(column), stat, confidence))
               for key, (column, stat) in MEASURES.items()}
    return {"n_paths": n, "confidence": confidence, "z": risk.z_value(confidence),
            "metrics": metrics}


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
