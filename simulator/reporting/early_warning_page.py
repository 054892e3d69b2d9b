"""The report's page on early-warning rates as listed lenders report them: day-1 delinquency and
the 30-day collection rate by month (:class:`simulator.analysis.figures.EarlyWarning`), beside
the flow rates by balance on the roll-rate page."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from simulator.analysis import risk
from simulator.analysis.figures import EarlyWarning
from simulator.analysis.grid import Grid
from simulator.reporting.blocks import Block, pct
from simulator.reporting.plots import _bands, _new, _pct_axis, _styled

TABLE_MONTHS = 12  # months listed in the table (the figure shows them all)


def _known(x: np.ndarray) -> np.ndarray:
    """Months whose rate is known on every path."""
    return np.isfinite(x).all(axis=0)


def _row(label: str, x: np.ndarray) -> list[str]:
    x = x[np.isfinite(x)]
    if not x.size:
        return [label, "n/a", "n/a", "n/a"]
    q = risk.quantile(x, [0.05, 0.5, 0.95])
    return [label, pct(float(q[1]), 2), pct(float(q[0]), 2), pct(float(q[2]), 2)]


def _pooled(num: np.ndarray, den: np.ndarray) -> float:
    return float(num.sum() / den.sum()) if den.sum() > 0 else float("nan")


@_styled
def early_warning_figure(ew: EarlyWarning, name: str, fig=None) -> Figure:
    """Left: day-1 delinquency by month across paths. Right: the 30-day collection rate."""
    fig = _new(fig)
    axes = fig.subplots(1, 2)
    for ax, values, title in (
        (axes[0], ew.day1_delinquency, "Day-1 delinquency (principal unpaid on its due day)"),
        (axes[1], ew.collection_30, "30-day collection (of day-1 delinquent principal)"),
    ):
        known = _known(values)
        if known.any():
            _bands(ax, ew.month_end_days[known], values[:, known])
            ax.legend(fontsize=7, loc="best")
        _pct_axis(ax, decimals=1)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("day of horizon (end of the due month)")
        ax.grid(True, color="0.85", linewidth=0.5)
    axes[0].set_ylim(bottom=0)
    fig.suptitle(f"Early-warning rates by month across paths, {name}", fontsize=10)
    return fig


def early_warning_blocks(g: Grid, name: str) -> list[Block]:
    """The early-warning page; nothing when the run has no whole month or was written before
    the run folder recorded the flows behind it."""
    if "principal_due" not in g.table.schema.names:
        return []
    due, unpaid = g.book("principal_due"), g.book("principal_due_unpaid")
    collected = g.book("principal_collected_30")
    ew = EarlyWarning.from_grid(g)
    months = len(ew.month_end_days)
    if months == 0:
        return []
    rows = []
    for k in range(min(months, TABLE_MONTHS)):
        d1 = _row("", ew.day1_delinquency[:, k])[1:]
        c30 = _row("", ew.collection_30[:, k])[1:]
        rows.append([f"{k + 1} (days {30 * k + 1}-{30 * (k + 1)})", *d1, *c30])
    known = _known(ew.collection_30)
    last_known = int(np.flatnonzero(known)[-1]) + 1 if known.any() else 0
    year = min(months, 12) * 30
    d1_year = _pooled(unpaid[:, 1: year + 1], due[:, 1: year + 1])
    c30_days = min(year, last_known * 30)
    c30_year = _pooled(collected[:, 1: c30_days + 1], unpaid[:, 1: c30_days + 1])
    return [
        Block("h2", "Early-warning rates"),
        Block("p", f"Over the first {year // 30} months, {pct(d1_year, 2)} of the principal "
              "falling due was not paid on its due day (day-1 delinquency, pooled over paths), "
              f"and {pct(c30_year, 1)} of that was collected within 30 days of its due date "
              f"(months 1-{c30_days // 30}). Listed lenders report both each quarter; a rising "
              "day-1 rate or a falling collection rate shows a turn before the 30+ ratio does."),
        Block("table", header=["Due month", "Day-1 delinquency: median", "P5", "P95",
                               "30-day collection: median", "P5", "P95"], rows=rows),
        Block("small", "Per path, then across paths. Day-1 delinquency: principal due in the "
              "month and still unpaid at the end of its due day / principal due in the month. "
              "30-day collection: of that unpaid principal, the share paid within 30 days of its "
              "due date (n/a for the last month until 30 days have passed). A balance brought "
              "forward by acceleration is no instalment; an instalment restructured on its due "
              "day counts as unpaid and not collected. Flow rates by balance (the share of a "
              "bucket's principal found one bucket later a month on) are on the roll-rate "
              "page."),
        Block("figure", "Early-warning rates", figure=lambda fig:
              early_warning_figure(ew, name, fig),
              reading="Reading: each month's rate across paths (median and 50/90/98% bands); "
              "the collection rate stops 30 days before the horizon, where it is not yet "
              "known."),
    ]
