"""The report's vintage page: each origination month's cumulative 30+, 90+ and net loss as
shares of its disbursed principal by months on book (:mod:`simulator.analysis.vintages`), and
its first-payment defaults."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from simulator.analysis import risk
from simulator.analysis.contributions import Allocation
from simulator.analysis.vintages import VintageCurves
from simulator.reporting.blocks import Block, pct, yuan
from simulator.reporting.finance_pages import contribution_table
from simulator.reporting.plots import _new, _pct_axis, _styled

PANELS = (("dpd30_rate", "Cumulative 30+ (first reaching 31 DPD)"),
          ("dpd90_rate", "Cumulative 90+ (first reaching 91 DPD)"),
          ("net_loss_rate", "Net loss (charged off - recoveries)"))


def _median_band(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P5, median, P95) across paths (axis 0) of the ages every path has reached."""
    q = risk.quantile(x, [0.05, 0.5, 0.95], axis=0)
    return q[0], q[1], q[2]


def _new_vintages(c: VintageCurves) -> list[int]:
    """Vintages of new business with something disbursed on every path and two months shown."""
    return [int(v) for v in c.vintages[1:]
            if (c.disbursed[:, v] > 0).all() and c.months_observed(int(v)) >= 2]


@_styled
def vintage_figure(c: VintageCurves, name: str, fig=None) -> Figure:
    """One panel per rate: a median line per vintage by months on book, its 90% band shaded."""
    fig = _new(fig)
    axes = fig.subplots(len(PANELS), 1, sharex=True)
    shown = _new_vintages(c)
    greys = np.linspace(0.0, 0.7, max(len(shown), 1))
    for ax, (rate, title) in zip(axes, PANELS, strict=True):
        for v, grey in zip(shown, greys, strict=False):
            n = c.months_observed(v)
            lo, med, hi = _median_band(c.rates[rate][:, v, :n])
            mob = np.arange(n)
            ax.fill_between(mob, lo, hi, color=str(grey), alpha=0.12, linewidth=0)
            ax.plot(mob, med, color=str(grey), linewidth=1.2,
                    label=f"vintage {v}" if rate == PANELS[0][0] else None)
        _pct_axis(ax, decimals=2)
        ax.set_ylim(bottom=0)
        ax.set_title(title, fontsize=9)
        ax.grid(True, color="0.85", linewidth=0.5)
    axes[-1].set_xlabel("months on book")
    if shown:
        axes[0].legend(fontsize=6, ncol=4, loc="upper left")
    fig.suptitle(f"Vintage curves, share of disbursed principal (median, 90% band), {name}",
                 fontsize=10)
    return fig


def _cell(x: np.ndarray) -> str:
    x = x[np.isfinite(x)]
    if not x.size:
        return "n/a"
    med, hi = (float(v) for v in risk.quantile(x, [0.5, 0.95]))
    return f"{pct(med, 2)} ({pct(hi, 2)})"


def vintage_blocks(c: VintageCurves, allocs: list[Allocation], horizon: int,
                   name: str) -> list[Block]:
    """The vintage page of a run of ``horizon`` days, with the tail's contributions by
    vintage (``allocs``)."""
    rows = []
    for v in c.vintages:
        v = int(v)
        n = c.months_observed(v)
        if n == 0:
            continue
        last = n - 1
        label = "day-0 book" if v == 0 else f"{v} (days {30 * v - 29}-{min(30 * v, horizon)})"
        rows.append([label, yuan(float(c.disbursed[:, v].mean())), str(last),
                     *(_cell(c.rates[r][:, v, last]) for r in
                       ("dpd30_rate", "dpd90_rate", "net_loss_rate", "fpd_rate"))])
    shown = _new_vintages(c)
    three = [v for v in shown if c.months_observed(v) > 3]
    at3 = (np.median([float(np.median(c.rates["dpd30_rate"][:, v, 3])) for v in three])
           if three else float("nan"))
    lead = (f"Across the {len(three)} vintages of new business with three months on book, the "
            f"median share of disbursed principal that has reached 30+ by then is {pct(at3, 2)}."
            if three else "No vintage of new business has three months on book in this run.")
    return [
        Block("h2", "Vintages"),
        Block("p", lead + " A vintage is the month its drawdowns were disbursed; its curves "
              "count each drawdown once, when it first reaches a threshold, by its principal "
              "then, so they only rise."),
        Block("table", header=["Vintage", "Disbursed (yuan)", "Months on book", "30+",
                               "90+", "Net loss", "First-payment default"], rows=rows),
        Block("small", "Cumulative at the last month the run shows (the last may be part of "
              "a month), as shares of the vintage's disbursed principal: median across paths "
              "(P95). Disbursed: mean over paths. The day-0 book (seasoned, burn-in and "
              "day-0 drawdowns) is one vintage on its principal on book on day 0, its months "
              "those of the horizon; its 30+ and 90+ start from the day-0 principal of the "
              "drawdowns that had reached them before, its losses count from day 1. "
              "First-payment default: principal of drawdowns reaching 31 DPD on the first "
              "instalment of their original schedule. A restructured drawdown keeps its "
              "vintage."),
        Block("figure", "Vintage curves", figure=lambda fig: vintage_figure(c, name, fig),
              reading="Reading: one line per vintage of new business (darker: earlier), the "
              "median across paths, its 90% band shaded; a vintage drawn in a stressed month "
              "rises above the ones before it."),
        Block("h2", "Risk contributions by vintage"),
        contribution_table(allocs, "Vintage"),
        Block("small", "Yuan of net loss over the horizon (charge-offs less recoveries from day "
              "1, each belonging to one vintage), allocated as on the segment page: ES 99 the "
              "vintage's mean loss over the worst paths, VaR 99 its mean over the paths ranked "
              "nearest the VaR scaled to add up; exact, shown to the fen."),
    ]
