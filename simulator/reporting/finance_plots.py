"""Figures for the P&L, provisions, capital, risk-contribution and attribution pages.

Drawn as :mod:`simulator.reporting.plots` draws: the object API on an Agg canvas, the report's
fonts in an rc_context, grey shades with outlines and hatching so that they read on paper.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from simulator.analysis import risk
from simulator.analysis.capital import CapitalPaths
from simulator.analysis.contributions import Allocation
from simulator.analysis.ecl import Provisions
from simulator.analysis.pnl import PnL
from simulator.reporting.plots import _bands, _new, _pct_axis, _styled, _yuan_axis, yuan_unit

UP, DOWN, TOTAL = "0.55", "0.92", "0.2"  # fills: an increase, a decrease, a total


def waterfall(ax, start: tuple[str, float], steps: list[tuple[str, float]],
              end: tuple[str, float], money: bool = True) -> None:
    """Bars from ``start`` through each step to ``end``: totals dark, increases mid grey,
    decreases light grey and hatched; each bar labelled with its value."""
    labels = [start[0], *(s[0] for s in steps), end[0]]
    level = start[1]
    bottoms, heights, fills, hatches = [0.0], [start[1]], [TOTAL], [""]
    for _, v in steps:
        bottoms.append(level if v >= 0 else level + v)
        heights.append(abs(v))
        fills.append(UP if v >= 0 else DOWN)
        hatches.append("" if v >= 0 else "////")
        level += v
    bottoms.append(0.0)
    heights.append(end[1])
    fills.append(TOTAL)
    hatches.append("")
    x = np.arange(len(labels))
    for i in range(len(labels)):
        ax.bar(x[i], heights[i], bottom=bottoms[i], color=fills[i], edgecolor="black",
               linewidth=0.6, hatch=hatches[i], width=0.7)
    values = [start[1], *(s[1] for s in steps), end[1]]
    top = max(max(b + h for b, h in zip(bottoms, heights, strict=True)), 0.0)
    span = top - min(min(bottoms), 0.0) or 1.0
    unit = yuan_unit(max(abs(top), abs(min(min(bottoms), 0.0))))  # the axis's unit
    for i, v in enumerate(values):
        text = (_money_text(v, unit) if money else f"{v:+.4g}" if 0 < i < len(values) - 1
                else f"{v:.4g}")
        ax.text(x[i], bottoms[i] + heights[i] + 0.01 * span, text, ha="center", va="bottom",
                fontsize=7)
    for i in range(len(labels) - 1):  # connectors between bars
        lvl = bottoms[i] + heights[i] if (i == 0 or values[i] >= 0) else bottoms[i]
        ax.plot([x[i] + 0.35, x[i + 1] - 0.35], [lvl, lvl], color="black", linewidth=0.5,
                linestyle=":")
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
    ax.axhline(0, color="black", linewidth=0.6)
    if money:
        ax.set_ylim(min(min(bottoms), 0.0), top + 0.08 * span)  # room for the labels
    else:  # a metric's steps are small beside its level: the axis starts near the lowest level
        levels = np.cumsum([start[1], *(s[1] for s in steps)])
        lo, hi = float(min(levels.min(), end[1])), float(max(levels.max(), end[1]))
        pad = 0.25 * (hi - lo) or 0.05 * abs(hi) or 1.0
        ax.set_ylim(lo - pad, hi + pad)
    ax.grid(True, axis="y", color="0.85", linewidth=0.5)
    if money:
        _yuan_axis(ax)


def _money_text(v: float, unit: tuple[float, str]) -> str:
    """A bar's label in the unit of its axis (:func:`simulator.reporting.plots.yuan_unit`)."""
    div, name = unit
    v = 0.0 if round(v) == 0 else v  # no "-0"
    if div == 1.0:
        return f"{v:,.0f}"
    return f"{v / div:,.2f}{' ' + name if name == '亿' else name}"


@_styled
def pnl_figure(p: PnL, name: str, fig=None) -> Figure:
    """Left: the mean P&L over the horizon as a waterfall. Right: net income across paths."""
    fig = _new(fig)
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.4, 1])
    mean = {k: float(p.total(k).mean()) for k in p.daily}
    waterfall(ax1, ("interest", mean["interest"]),
              [("penalty", mean["penalty"]), ("fees", mean["fees"]),
               ("funding", -mean["funding_cost"]), ("collection", -mean["collection_cost"]),
               ("legal", -mean["legal_cost"]), ("credit losses", -mean["credit_losses"]),
               ("provisions", -mean["provisions_change"])],
              ("net income", mean["net_income"]))
    ax1.set_title("Mean over paths, yuan", fontsize=10)
    x = p.total("net_income")
    bins = np.histogram_bin_edges(x, bins=min(40, max(10, int(np.sqrt(x.size)) + 1)))
    if bins[0] == bins[-1]:
        bins = np.linspace(bins[0] - 1, bins[0] + 1, 11)
    ax2.hist(x, bins=bins, facecolor="0.75", edgecolor="black", linewidth=0.5,
             label=f"{x.size} paths")
    for stat, ls, lab in (("mean", "-", "mean"), ("p50", "--", "median")):
        ax2.axvline(risk.statistic(x, stat), color="black", linestyle=ls, linewidth=1.2,
                    label=lab)
    ax2.axvline(float(risk.quantile(x, 0.01)), color="black", linestyle=":", linewidth=1.2,
                label="1st percentile")
    ax2.axvline(0, color="0.4", linewidth=0.8)
    _yuan_axis(ax2, "x")
    ax2.set_xlabel("net income over the horizon, yuan")
    ax2.set_ylabel("number of paths")
    ax2.set_title("Net income across paths", fontsize=10)
    ax2.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Profit and loss over the horizon, {name} (income as collected)", fontsize=10)
    return fig


@_styled
def provisions_figure(p: Provisions, name: str, fig=None) -> Figure:
    """Left: provisions at each month-end across paths. Right: their coverage of NPL."""
    fig = _new(fig)
    ax1, ax2 = fig.subplots(1, 2)
    days = p.date_days
    _bands(ax1, days, p.total())
    _yuan_axis(ax1)
    ax1.set_ylim(bottom=0)
    ax1.set_ylabel("provisions, yuan")
    ax1.set_title("Provisions (expected credit loss on book)", fontsize=10)
    cov = p.coverage()
    if np.isfinite(cov).all():
        _bands(ax2, days, cov)
    else:  # a path without NPL on some date has no coverage: medians of the paths that do
        med = [float(np.median(c[np.isfinite(c)])) if np.isfinite(c).any() else np.nan
               for c in cov.T]
        ax2.plot(days, med, color="black", linewidth=1.6, label="median (paths with NPL)")
    _pct_axis(ax2, decimals=0)
    ax2.set_ylim(bottom=0)
    ax2.set_ylabel("provisions / principal at 91+ DPD")
    ax2.set_title("Coverage of NPL (拨备覆盖率)", fontsize=10)
    for ax in (ax1, ax2):
        ax.set_xlabel("day of horizon (month-ends)")
        ax.set_xlim(days[0], days[-1])
        ax.grid(True, color="0.85", linewidth=0.5)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(f"IFRS 9 provisions across paths, {name}", fontsize=10)
    return fig


@_styled
def capital_figure(c: CapitalPaths, name: str, fig=None) -> Figure:
    """Left: the standardised capital ratio across paths over the horizon, the IRB median
    dashed and the minimum dotted. Right: each path's lowest standardised ratio."""
    fig = _new(fig)
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.5, 1])
    std = c.ratio_standardised
    _bands(ax1, c.days, std, "standardised ")
    irb = c.ratio_irb
    if np.isfinite(irb).all():
        ax1.plot(c.days, risk.quantile(irb, 0.5, axis=0), color="black", linestyle="--",
                 linewidth=1.2, label="IRB median")
    ax1.axhline(c.minimum_ratio, color="black", linestyle=":", linewidth=1.2,
                label=f"minimum {c.minimum_ratio:.1%}")
    _pct_axis(ax1)
    ax1.set_xlabel("day of horizon")
    ax1.set_ylabel("capital / risk-weighted assets")
    ax1.set_xlim(c.days[0], c.days[-1])
    ax1.grid(True, color="0.85", linewidth=0.5)
    ax1.legend(fontsize=7, loc="best")
    ax1.set_title("Capital ratio over the horizon", fontsize=10)
    low = c.minimum("standardised")
    low = low[np.isfinite(low)]
    if low.size:
        ax2.hist(low, bins=min(30, max(8, int(np.sqrt(low.size)) + 1)), facecolor="0.75",
                 edgecolor="black", linewidth=0.5)
    ax2.axvline(c.minimum_ratio, color="black", linestyle=":", linewidth=1.2)
    _pct_axis(ax2, "x")
    ax2.set_xlabel("lowest standardised ratio over the horizon")
    ax2.set_ylabel("number of paths")
    ax2.set_title("Lowest ratio per path", fontsize=10)
    fig.suptitle(f"Capital ratio, {name}", fontsize=10)
    return fig


@_styled
def contributions_figure(allocs: list[Allocation], name: str, fig=None) -> Figure:
    """Each segment's contribution to VaR 99 and ES 99, side by side with 95% error bars."""
    fig = _new(fig)
    ax = fig.subplots()
    segments = list(allocs[0].parts)
    y = np.arange(len(segments))
    h = 0.8 / len(allocs)
    for k, (a, fill, hatch) in enumerate(zip(allocs, ("0.45", "0.85"), ("", "////"),
                                             strict=False)):
        vals = [float(a.parts[s]) for s in segments]
        err = [1.96 * a.se[s] if np.isfinite(a.se[s]) else 0.0 for s in segments]
        ax.barh(y + (k - (len(allocs) - 1) / 2) * h, vals, height=h, color=fill,
                edgecolor="black", linewidth=0.6, hatch=hatch, xerr=err, capsize=2,
                label=f"{a.measure}: total {float(a.total):,.0f} yuan")
    ax.set_yticks(y, segments)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.6)
    _yuan_axis(ax, "x")
    ax.set_xlabel("contribution to the net loss measure, yuan")
    ax.grid(True, axis="x", color="0.85", linewidth=0.5)
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"Euler contributions by segment, {name} (bars: 95% Monte Carlo interval)",
                 fontsize=10)
    return fig


@_styled
def attribution_figure(record: dict, fig=None) -> Figure:
    """Waterfall from the metric with every driver off, through each driver's part, to the
    metric with every driver on."""
    fig = _new(fig)
    ax = fig.subplots()
    steps = [(p["driver"], p["value"]) for p in record["parts"]]
    waterfall(ax, ("all off", record["base"]), steps, ("all on", record["full"]), money=False)
    ax.set_ylabel(record["metric"])
    method = ("Shapley values" if record["method"] == "shapley"
              else "sequential, in the order shown")
    ax.set_title(f"{record['metric']}: each driver's part ({method}); the axis does not "
                 "start at 0", fontsize=10)
    return fig
