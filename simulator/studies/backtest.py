"""The 2020 back-test: the calibrated baseline fed the actual 2020 macro series from 1 January
2020 (``scenarios/covid_2020.yaml``), its 30+ ratio month by month set beside Ant's.

Nothing is fitted to the outcome but the satellite equation's one coefficient
(:mod:`simulator.book.satellite`), and that was estimated on this same episode: the May /
January multiple is in sample, which the printout says. The band is the 90% band of the paths
(5th to 95th percentile across them: the factor's randomness and the book's own noise), the
mean's Monte Carlo standard error beside it.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date

import numpy as np

from simulator.analysis import metrics
from simulator.analysis.figures import BookAmounts, day_metrics
from simulator.analysis.grid import Grid
from simulator.book import satellite
from simulator.errors import InputError
from simulator.scenario import Scenario
from simulator.scenario.schema import DAYS_PER_MONTH

START = date(2020, 1, 1)
"""Day 0 of the back-test: the actual figures are read from it."""

ACTUAL_30PLUS = {30: 0.0176, 150: 0.0301}
"""Ant's consumer credit 30+ ratio by day from 1 January 2020: January and May 2020, read at
each month's end (Ant Group 2020 prospectus summaries; MODEL.md 7). June onwards it "declined
slightly", with no figure."""

SOURCE = "Ant Group 2020 prospectus summaries (MODEL.md 7)"
BAND = (0.05, 0.95)
WIDTH = 96
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


@dataclass(frozen=True)
class Row:
    """The simulated 30+ ratio on one month-end beside the actual, where there is one."""

    day: int
    label: str
    mean: float
    se: float
    lo: float
    hi: float
    actual: float | None

    @property
    def inside(self) -> bool | None:
        """Whether the actual lies in the 90% band (None without an actual)."""
        return None if self.actual is None else bool(self.lo <= self.actual <= self.hi)


@dataclass(frozen=True)
class Backtest:
    rows: tuple[Row, ...]
    borrowers: int
    paths: int
    seed: int
    multiple: float  # simulated mean 30+ on day 150 over day 30
    multiple_se: float

    @property
    def actual_multiple(self) -> float:
        return ACTUAL_30PLUS[150] / ACTUAL_30PLUS[30]


def check_backtest_scenario(scenario: Scenario, source: str) -> None:
    """The back-test reads Ant's 2020 figures by day from 1 January 2020, through May."""
    if scenario.as_of != START:
        raise InputError(f"the 2020 back-test starts on {START.isoformat()}; this scenario's "
                         f"as_of is {scenario.as_of.isoformat()}", path="as_of", source=source)
    if scenario.horizon_days < max(ACTUAL_30PLUS):
        raise InputError(f"must reach day {max(ACTUAL_30PLUS)} (end of May 2020)",
                         path="horizon_days", source=source)


def ratio_of_means(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """mean(num) / mean(den) across paths and its Monte Carlo standard error (delta method,
    the two paired path by path)."""
    r = float(num.mean() / den.mean())
    if num.size < 2:
        return r, float("nan")
    d = (num - r * den) / den.mean()
    return r, float(d.std(ddof=1) / np.sqrt(num.size))


def month_ends(horizon: int) -> range:
    """Day 0 and each month-end (day 30 k) within the horizon."""
    return range(0, horizon + 1, DAYS_PER_MONTH)


def month_rows(dpd30: dict[int, np.ndarray]) -> tuple[Row, ...]:
    """One row per day of ``dpd30`` (day: the ratio per path), day 0 and month-ends."""
    rows = []
    for day, x in dpd30.items():
        mean, se = metrics.stat_with_error(x, "mean")
        lo, hi = np.quantile(x, BAND)
        k = day // DAYS_PER_MONTH
        label = "start (1 January 2020)" if k == 0 else f"end of {MONTHS[(k - 1) % 12]}"
        rows.append(Row(day, label, mean, se, float(lo), float(hi), ACTUAL_30PLUS.get(day)))
    return tuple(rows)


def backtest(scenario: Scenario, threads: int | None = None) -> Backtest:
    """Run the back-test scenario and set its 30+ ratio beside Ant's."""
    from simulator.api import simulate  # the engine, only when something is run

    tables, _ = simulate(scenario, threads=threads)
    grid = Grid(tables["timeseries"])
    ratio = day_metrics(BookAmounts.book_wide(grid))["dpd30_ratio"]
    dpd30 = {d: ratio[:, grid.day_index(d)] for d in month_ends(scenario.horizon_days)}
    multiple, multiple_se = ratio_of_means(dpd30[150], dpd30[30])
    return Backtest(month_rows(dpd30), int(scenario.book.borrowers),
                    scenario.monte_carlo.paths, scenario.monte_carlo.seed, multiple, multiple_se)


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def format_backtest(bt: Backtest) -> str:
    lines = [
        "2020 back-test: 30+ ratio (30+ principal over on-book principal), simulated against "
        f"actual ({SOURCE})",
        f"{bt.borrowers:,} borrowers x {bt.paths:,} paths, seed {bt.seed}; band: 5th-95th "
        "percentile across paths",
        "",
        f"{'month':<24} {'day':>4} {'simulated mean':>15} {'MC s.e.':>8} {'90% band':>17} "
        f"{'actual':>7}  inside",
    ]
    for r in bt.rows:
        actual = _pct(r.actual) if r.actual is not None else ""
        inside = {None: "", True: "yes", False: "NO"}[r.inside]
        lines.append(f"{r.label:<24} {r.day:>4} {_pct(r.mean):>15} {_pct(r.se):>8} "
                     f"{_pct(r.lo):>8}-{_pct(r.hi):<8} {actual:>7}  {inside}")
    checked = [r for r in bt.rows if r.inside is not None]
    outside = [r.label for r in checked if not r.inside]
    peak = max(bt.rows, key=lambda r: r.mean)
    notes = [
        f"May / January multiple: simulated {bt.multiple:.3f} +- {bt.multiple_se:.3f} (MC s.e.), "
        f"actual {bt.actual_multiple:.3f}.",
        ("The actual lies inside the 90% band at every month with a figure ("
         + ", ".join(r.label for r in checked) + ")."
         if not outside else
         "The actual lies OUTSIDE the 90% band at: " + ", ".join(outside) + "."),
        f"After May the actual \"declined slightly\" (no figure); the simulated mean peaks at "
        f"the {peak.label} ({_pct(peak.mean)}): arrears drain slowly, cures past 30 DPD being "
        "rare and charge-off at 240 DPD.",
        f"In sample: the satellite's one coefficient ({satellite.UNEMPLOYMENT_LOADING:g} sd of "
        "the factor per point of unemployment) was estimated on this same episode, by moving "
        "it until the May / January multiple of the mean 30+ ratio stood at 1.71 (20,000 x 100 "
        "paths). The multiple at May is therefore a fit, not a test; the months around it, "
        "January's level and the decline after May are the part the fit did not aim at.",
        "Out of sample: estimate the coefficient on one episode and run another one's macro "
        "series through it unchanged - e.g. fit on 2020, then feed the 2022 lockdown months "
        "(surveyed unemployment 5.5% to 6.1% in March-May 2022) and compare with a lender's "
        "published 30+ for those months; or, with a lender's own monthly history, fit on the "
        "years before a window and run the window.",
    ]
    lines += ["", *(textwrap.fill(n, WIDTH) for n in notes)]
    return "\n".join(lines)
