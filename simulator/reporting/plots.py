"""Figures for the risk-committee report, drawn from a run folder alone (nothing is re-simulated).

Every function takes a :class:`~simulator.results.Run` (or a :class:`RunData` built from one) and
returns a matplotlib :class:`~matplotlib.figure.Figure` (or draws into the ``fig`` it is given,
which may be a sub-figure of a report page). Figures are made with the object API and their own
Agg canvas, never pyplot, and the report's fonts are set in a ``matplotlib.rc_context`` while a
figure is drawn, so nothing is left in matplotlib's global state. They are meant to survive
black-and-white print: bands are grey shades with outlines, series differ by line style, marker
or hatching, not by colour alone.

The ratios are :mod:`simulator.analysis.figures`'s: the 30+ ratio is principal at DPD >= 31
(M2..M6) over on-book principal (M0..M6), the 90+ ratio principal at DPD >= 91 (M4..M6) over the
same; charged-off principal is off book. When a book runs off (no revolving lending) the on-book
denominator shrinks and ratios drift up late in the horizon; titles say so when it happens.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from simulator.analysis import risk
from simulator.analysis.figures import DPD30, DPD90, ON_BOOK, RATIOS, principal_columns, ratio
from simulator.analysis.grid import Grid
from simulator.analysis.rolls import flow_rates, month_ends
from simulator.contract.buckets import BUCKETS, span
from simulator.reporting import fonts

BANDS = ((0.01, 0.99, "98%"), (0.05, 0.95, "90%"), (0.25, 0.75, "50%"))
_BAND_GREYS = ("0.88", "0.74", "0.56")
_HATCHES = ("", "////", "\\\\\\\\", "xx", "..", "++", "oo", "**")
_LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)))
_MARKERS = ("o", "s", "^", "D", "v", "x")
PAGE_FIGSIZE = (8.27, 5.6)  # A4 portrait width, inches


def _pct_axis(ax, axis: str = "y", decimals: int = 1) -> None:
    fmt = FuncFormatter(lambda v, _pos: f"{100 * v:.{decimals}f}%")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def yuan_unit(largest: float) -> tuple[float, str]:
    """(divisor, unit) for money axes whose largest absolute value is ``largest``: one unit for
    the whole axis (亿 = 1e8 yuan when Chinese text renders, else M), never two."""
    a = abs(largest)
    if a >= 1e8 and fonts.find_cjk_font().renders_cjk:
        return 1e8, "亿"
    if a >= 1e6:
        return 1e6, "M"
    if a >= 1e3:
        return 1e3, "k"
    return 1.0, ""


def _yuan_axis(ax, axis: str = "y") -> None:
    """Money ticks in one unit per axis, chosen from the axis's limits when it is drawn."""
    target = ax.yaxis if axis == "y" else ax.xaxis

    def fmt(v, _pos):
        lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
        div, unit = yuan_unit(max(abs(lo), abs(hi)))
        decimals = 0 if div == 1.0 or max(abs(lo), abs(hi)) / div >= 10 else 1
        return f"{v / div:,.{decimals}f}{' ' + unit if unit == '亿' else unit}"

    target.set_major_formatter(FuncFormatter(fmt))


# --------------------------------------------------------------------------------------------
# Data: book-wide (summed over segments) per-path, per-day arrays from the timeseries table.
# --------------------------------------------------------------------------------------------


@dataclass
class RunData:
    """The arrays the figures need, read once from a run folder.

    ``col(name)`` returns a (paths, days) float64 array of the timeseries column summed over
    segments; ``days`` are the horizon days present (0..horizon).
    """

    name: str
    run_id: str
    grid: Grid
    path_table: dict[str, np.ndarray]

    @classmethod
    def from_run(cls, run) -> RunData:
        if isinstance(run, RunData):
            return run
        pt = run.paths
        table = {n: pt.column(n).to_numpy().astype(np.float64) for n in pt.schema.names}
        order = np.argsort(table["path"], kind="stable")
        table = {n: v[order] for n, v in table.items()}
        name = str(run.manifest.get("scenario_name", run.folder.name))
        if name != run.folder.name:  # two runs of one scenario differ by run id
            name = f"{name} [{run.folder.name}]"
        return cls(name, run.folder.name, Grid(run.timeseries), table)

    @property
    def paths(self) -> np.ndarray:
        return self.grid.paths

    @property
    def days(self) -> np.ndarray:
        return self.grid.days

    @property
    def segments(self) -> list[str]:
        return self.grid.segments

    def col(self, name: str) -> np.ndarray:
        return self.grid.book(name)

    def principal(self, buckets: tuple[str, ...]) -> np.ndarray:
        return self.grid.book(principal_columns(buckets))

    @property
    def on_book(self) -> np.ndarray:
        return self.principal(ON_BOOK)

    def ratio(self, which: str) -> np.ndarray:
        """(paths, days) delinquency ratio: 'dpd30' or 'dpd90' (analysis.figures.RATIOS)."""
        return ratio(self.grid.book(RATIOS[which].columns), self.on_book)

    def cum_net_loss_rate(self) -> np.ndarray:
        net = self.col("cum_charged_off_principal") - self.col("cum_recoveries")
        return ratio(net, self.on_book[:, :1])

    def month_ends(self) -> np.ndarray:
        """Indices into ``days`` of days 0, 30, 60, ... present in the run."""
        return month_ends(self.days)


def _new(fig, figsize=PAGE_FIGSIZE):
    """``fig`` itself, or a new figure on its own Agg canvas (no pyplot, no global backend)."""
    if fig is None:
        fig = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
    return fig


def _styled(draw):
    """Run a figure function with the report's fonts in a ``matplotlib.rc_context``."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with fonts.context():
            return draw(*args, **kwargs)

    return wrapper


THIN_BOOK = 0.10  # on-book principal below this share of day 0: ratios are read with care


def thin_book_day(d: RunData) -> int | None:
    """First day on which mean on-book principal is below THIN_BOOK of day 0 (None if never)."""
    ob = d.on_book.mean(axis=0)
    below = np.flatnonzero(ob < THIN_BOOK * ob[0]) if ob[0] > 0 else np.array([], int)
    return int(d.days[below[0]]) if below.size else None


def _mark_thin(ax, d: RunData, values: np.ndarray | None = None) -> bool:
    """Hatch the days where the book has run off below THIN_BOOK; clip the y axis to the bands
    before it. Returns True when the axis was clipped."""
    day = thin_book_day(d)
    if day is None:
        return False
    ax.axvspan(day, d.days[-1], facecolor="none", edgecolor="0.5", hatch="..", linewidth=0,
               label=f"on-book < {THIN_BOOK:.0%} of day 0")
    if values is None:
        return False
    before = d.days < day
    if not before.any():
        return False
    top = float(risk.quantile(values[:, before], 0.99, axis=0).max()) * 1.25
    if top > 0 and float(values.max()) > top:
        ax.set_ylim(0, top)
        return True
    return False


def _bands(ax, x, values, label_prefix="", grey=True):
    """Median line with 98/90/50% bands across paths (axis 0) of ``values``."""
    for (lo, hi, name), shade in zip(BANDS, _BAND_GREYS, strict=True):
        q = risk.quantile(values, [lo, hi], axis=0)
        ax.fill_between(x, q[0], q[1], facecolor=shade if grey else "none",
                        edgecolor="0.35", linewidth=0.4, label=f"{label_prefix}{name} band")
    med = risk.quantile(values, 0.5, axis=0)
    ax.plot(x, med, color="black", linewidth=1.6, label=f"{label_prefix}median")
    return med


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


@_styled
def fan_chart(run, which: str = "dpd30", baseline=None, fig=None) -> Figure:
    """Fan chart of the 30+ (``which='dpd30'``) or 90+ (``'dpd90'``) ratio over the horizon.

    Median across paths with 50/90/98% bands, computed per day from each path's ratio. With a
    ``baseline`` run, its median (dashed) and 90% band edges (dotted) are drawn over it.
    """
    if which not in RATIOS:
        raise ValueError(f"which must be one of {', '.join(RATIOS)}, got {which!r}")
    d = RunData.from_run(run)
    fig = _new(fig)
    ax = fig.subplots()
    _bands(ax, d.days, d.ratio(which))
    if baseline is not None:
        b = RunData.from_run(baseline)
        r = b.ratio(which)
        ax.plot(b.days, risk.quantile(r, 0.5, axis=0), color="black", linestyle="--", linewidth=1.3,
                label=f"baseline {b.name}: median")
        q = risk.quantile(r, [0.05, 0.95], axis=0)
        ax.plot(b.days, q[0], color="black", linestyle=":", linewidth=1.0,
                label=f"baseline {b.name}: 90% band")
        ax.plot(b.days, q[1], color="black", linestyle=":", linewidth=1.0)
    ax.set_ylim(bottom=0)
    clipped = _mark_thin(ax, d, d.ratio(which))
    label = RATIOS[which].describe()
    second = ("book runs off: the denominator shrinks, so the ratio rises late; "
              "y axis clipped in the dotted zone" if clipped
              else "median with 50%, 90% and 98% bands across paths")
    ax.set_title(f"{label} principal as % of on-book principal, {d.name}\n{second}",
                 fontsize=10)
    ax.set_xlabel("day of horizon")
    ax.set_ylabel("% of on-book principal")
    ax.set_xlim(d.days[0], d.days[-1])
    _pct_axis(ax, decimals=2)
    ax.grid(True, color="0.85", linewidth=0.5)
    ax.legend(loc="upper left", fontsize=8, frameon=True)
    return fig


@_styled
def bucket_composition(run, fig=None) -> Figure:
    """Stacked on-book principal by bucket over time, mean across paths.

    Left: yuan in every on-book bucket (the whole book). Right: the delinquent buckets (all but
    M0) as % of on-book principal, so that the small buckets can be read.
    """
    d = RunData.from_run(run)
    fig = _new(fig)
    ax1, ax2 = fig.subplots(1, 2)
    means = [d.col(f"principal_{b}").mean(axis=0) for b in BUCKETS]
    bottom = np.zeros_like(d.days, dtype=np.float64)
    for i, (b, m) in enumerate(zip(BUCKETS, means, strict=True)):
        ax1.fill_between(d.days, bottom, bottom + m, facecolor=str(0.95 - 0.11 * i),
                         edgecolor="black", linewidth=0.3, hatch=_HATCHES[i], label=b)
        bottom = bottom + m
    ax1.set_title("On-book principal by bucket (yuan, mean)", fontsize=10)
    ax1.set_xlabel("day of horizon")
    ax1.set_ylabel("yuan")
    _yuan_axis(ax1)
    ax1.set_xlim(d.days[0], d.days[-1])
    total = sum(means)
    bottom = np.zeros_like(bottom)
    for i, (b, m) in enumerate(zip(BUCKETS, means, strict=True)):
        if i == 0:
            continue
        share = np.divide(m, total, out=np.zeros_like(m), where=total != 0)
        ax2.fill_between(d.days, bottom, bottom + share, facecolor=str(0.95 - 0.11 * i),
                         edgecolor="black", linewidth=0.3, hatch=_HATCHES[i], label=b)
        bottom = bottom + share
    ax2.set_ylim(bottom=0)
    clipped = _mark_thin(ax2, d, bottom[None, :])
    ax2.set_title(f"Delinquent buckets {span(BUCKETS[1:])}, % of on-book"
                  + ("\n(y axis clipped in the dotted zone)" if clipped else ""), fontsize=10)
    ax2.set_xlabel("day of horizon")
    ax2.set_ylabel("% of on-book principal")
    _pct_axis(ax2)
    ax2.set_xlim(d.days[0], d.days[-1])
    handles, labels = ax1.get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="outside right center", fontsize=8,
               title="bucket")
    return fig


def loss_measures(rates: np.ndarray) -> dict[str, float]:
    """Expected loss, VaR 99 / 99.9 (quantiles) and ES 99 (mean of worst 1%) of ``rates``."""
    return {name: float(risk.statistic(rates, stat)) for name, stat in LOSS_MEASURES.items()}


LOSS_MEASURES = {"EL": "mean", "VaR 99": "p99", "VaR 99.9": "p999", "ES 99": "es99"}
"""The loss measures marked on the loss distribution, by their statistic in analysis.risk."""


@_styled
def loss_distribution(run, baseline=None, fig=None) -> Figure:
    """Histogram of the net loss rate across paths, with EL, VaR 99, VaR 99.9 and ES 99 marked."""
    d = RunData.from_run(run)
    fig = _new(fig)
    ax = fig.subplots()
    x = d.path_table["net_loss_rate"]
    allx = x if baseline is None else np.concatenate(
        [x, RunData.from_run(baseline).path_table["net_loss_rate"]])
    bins = np.histogram_bin_edges(allx, bins=min(40, max(10, int(np.sqrt(allx.size)) + 1)))
    if bins[0] == bins[-1]:
        bins = np.linspace(bins[0] - 1e-4, bins[0] + 1e-4, 11)
    ax.hist(x, bins=bins, facecolor="0.75", edgecolor="black", linewidth=0.5,
            label=f"{d.name} ({x.size} paths)")
    if baseline is not None:
        b = RunData.from_run(baseline)
        bx = b.path_table["net_loss_rate"]
        ax.hist(bx, bins=bins, histtype="step", edgecolor="black", linestyle="--",
                linewidth=1.2, hatch="///", label=f"baseline {b.name} ({bx.size} paths)")
    styles = {"EL": "-", "VaR 99": "--", "VaR 99.9": "-.", "ES 99": ":"}
    for name, v in loss_measures(x).items():
        ax.axvline(v, color="black", linestyle=styles[name], linewidth=1.4,
                   label=f"{name}: {100 * v:.3f}%")
    ax.set_title(f"Net loss rate over the horizon, {d.name}\n"
                 "(charge-offs − recoveries) / day-0 principal", fontsize=10)
    ax.set_xlabel("net loss rate, % of initial principal")
    ax.set_ylabel("number of paths")
    _pct_axis(ax, "x", decimals=2)
    ax.legend(fontsize=8, loc="upper right")
    return fig


def roll_rates(run) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Month-over-month flow rates of principal (:func:`simulator.analysis.rolls.flow_rates`):
    transition labels ``M0→M1 .. M6→CO``, month-end days of the starting months, and a
    (transitions, months) array."""
    return flow_rates(RunData.from_run(run).grid)


@_styled
def roll_rate_heatmap(run, fig=None) -> Figure:
    """Heat map of :func:`roll_rates` (rows: transition, columns: month) with numbers in cells."""
    d = RunData.from_run(run)
    labels, starts, rates = roll_rates(d)
    fig = _new(fig)
    ax = fig.subplots()
    shown = np.where(np.isfinite(rates), np.minimum(rates, 1.0), 0.0)
    ax.imshow(shown, cmap="Greys", vmin=0, vmax=1, aspect="auto")
    for (i, j), v in np.ndenumerate(rates):
        txt = "–" if not np.isfinite(v) else f"{100 * v:.0f}" if v >= 0.1 else f"{100 * v:.1f}"
        ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                color="white" if np.isfinite(v) and v > 0.55 else "black")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xticks(range(rates.shape[1]), [f"{m + 1}" for m in range(rates.shape[1])])
    ax.set_xlabel("month of horizon (days 30(m−1) → 30m)")
    ax.set_ylabel("flow")
    ax.set_title(f"Month-over-month flow rates, % of principal, {d.name}\n"
                 "bucket k+1 at month end ÷ bucket k a month earlier (pooled over paths)",
                 fontsize=10)
    return fig


@_styled
def income_split(run, fig=None) -> Figure:
    """Cumulative income, accrued (recognised) vs collected, mean across paths, in yuan.

    Left: contract interest. Right: penalty interest (罚息) and compound interest (复利), which
    are much smaller. Solid lines are accrued, dashed collected.
    """
    d = RunData.from_run(run)
    fig = _new(fig)
    ax1, ax2 = fig.subplots(1, 2)
    zh = fonts.find_cjk_font().renders_cjk
    names = {"interest": "interest", "penalty": "penalty (罚息)" if zh else "penalty",
             "compound": "compound (复利)" if zh else "compound"}
    for ax, kinds in ((ax1, ("interest",)), (ax2, ("penalty", "compound"))):
        for i, kind in enumerate(kinds):
            for what, ls in (("accrued", "-"), ("paid", "--")):
                v = np.cumsum(d.col(f"{kind}_{what}").mean(axis=0))
                ax.plot(d.days, v, color="black", linestyle=ls, marker=_MARKERS[i],
                        markevery=max(1, len(d.days) // 8), markersize=4,
                        label=f"{names[kind]}, {'accrued' if what == 'accrued' else 'collected'}")
        ax.set_xlabel("day of horizon")
        ax.set_ylabel("yuan, cumulative")
        _yuan_axis(ax)
        ax.set_xlim(d.days[0], d.days[-1])
        ax.grid(True, color="0.85", linewidth=0.5)
        ax.legend(fontsize=8, loc="upper left")
    ax1.set_title("Contract interest (yuan)", fontsize=10)
    ax2.set_title("Penalty and compound interest (yuan)", fontsize=10)
    fig.suptitle(f"Income accrued vs collected, cumulative, mean across paths, {d.name}",
                 fontsize=10)
    return fig


@_styled
def scenario_vs_baseline(run, baseline, fig=None) -> Figure:
    """Medians across paths of the 30+ and 90+ ratios and the cumulative net loss rate, scenario
    (solid) against baseline (dashed), with the 90% band of each (scenario grey, baseline dotted).
    """
    d = RunData.from_run(run)
    b = RunData.from_run(baseline)
    fig = _new(fig)
    axes = fig.subplots(1, 3)
    series = (*((f"{q.label} ratio", lambda r, q=q: r.ratio(q.key)) for q in (DPD30, DPD90)),
              ("cumulative net loss rate", lambda r: r.cum_net_loss_rate()))
    for ax, (title, f) in zip(axes, series, strict=True):
        for r, ls, lab in ((d, "-", d.name), (b, "--", f"baseline {b.name}:")):
            v = f(r)
            q = risk.quantile(v, [0.05, 0.5, 0.95], axis=0)
            if r is d:
                ax.fill_between(r.days, q[0], q[2], facecolor="0.85", edgecolor="none",
                                label=f"{lab} 90% band")
            else:
                ax.plot(r.days, q[0], color="black", linestyle=":", linewidth=0.9,
                        label=f"{lab} 90% band")
                ax.plot(r.days, q[2], color="black", linestyle=":", linewidth=0.9)
            ax.plot(r.days, q[1], color="black", linestyle=ls, linewidth=1.5,
                    label=f"{lab} median")
        if title.endswith("ratio"):
            ax.set_ylim(bottom=0)
            _mark_thin(ax, d, f(d))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("day of horizon")
        _pct_axis(ax, decimals=2)
        ax.set_xlim(d.days[0], d.days[-1])
        ax.grid(True, color="0.85", linewidth=0.5)
    axes[0].set_ylabel("% (ratios of on-book; loss of day-0 principal)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=8)
    fig.suptitle(f"{d.name} against baseline {b.name}", fontsize=10)
    return fig


def all_figures(run, baseline=None) -> dict[str, Figure]:
    """Every figure of the report, by name."""
    figs = {
        "dpd30_fan": fan_chart(run, "dpd30", baseline),
        "dpd90_fan": fan_chart(run, "dpd90", baseline),
        "buckets": bucket_composition(run),
        "loss_distribution": loss_distribution(run, baseline),
        "roll_rates": roll_rate_heatmap(run),
        "income": income_split(run),
    }
    if baseline is not None:
        figs["vs_baseline"] = scenario_vs_baseline(run, baseline)
    return figs
