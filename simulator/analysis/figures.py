"""The derived figures of a run, each defined once: what is on book, the 30+ and 90+ (NPL)
ratios, the NPL ratio without disposal, net loss and loss rates on average balance, and the
regulatory tables' rows as functions of the contract's thresholds.

Conventions
-----------
* On-book principal is the principal in every bucket M0..M6; charged-off principal is off book.
* A delinquency ratio is on-book principal at ``DPD >= min_dpd`` over on-book principal: the 30+
  ratio counts DPD >= 31 (M2..M6), the 90+ or non-performing (NPL) ratio DPD >= 91 (M4..M6).
  When nothing is on book the ratio is 0 (there is nothing delinquent).
* Net loss is charged-off principal less recoveries; a loss rate over an empty book is 0.
* The NPL ratio *without disposal* (the PBOC stress test's measure, where nothing is written
  off) puts charged-off principal back: (90+ principal on book + principal charged off since
  day 0) / (on-book principal + principal charged off since day 0). Charge-offs count gross
  (recoveries are not netted) and whatever their DPD at charge-off.
* A loss rate on average balance is net charge-offs (charged-off principal less recoveries)
  over days 1..T divided by the mean on-book principal over days 0..T, not annualised. Over the
  horizon it is ``loss_rate_avg_balance``; over nine quarters (T = 810 days, 27 simulation
  months of 30 days, or the whole horizon when that is shorter) it is the Federal Reserve's
  nine-quarter loss rate.
* Early warning, as listed lenders report it: the day-1 delinquency rate is principal due in
  a month and unpaid at the end of its due day over principal due in the month; the 30-day
  collection rate is the share of that unpaid principal paid within 30 days of its due date
  (:class:`EarlyWarning`). A balance brought forward by acceleration is no instalment; an
  instalment restructured on its due day counts as unpaid, and is not collected.
* Which DPD a bucket holds depends on the scenario's ``contract.charge_off_dpd``
  (:mod:`simulator.contract.buckets`); so do the rows of the five-category table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.analysis.grid import Grid
from simulator.contract.buckets import (
    BUCKETS,
    CATEGORIES,
    Category,
    DpdRange,
    buckets_from,
    on_book_range,
    span,
)
from simulator.kernels.layout import COLLECTION_WINDOW_DAYS
from simulator.scenario.schema import DAYS_PER_MONTH

ON_BOOK = BUCKETS
"""The buckets whose principal is on book."""


def principal_columns(buckets: tuple[str, ...]) -> tuple[str, ...]:
    """The timeseries columns holding the principal of ``buckets``."""
    return tuple(f"principal_{b}" for b in buckets)


@dataclass(frozen=True)
class Ratio:
    """A delinquency ratio: on-book principal at ``DPD >= min_dpd`` over on-book principal."""

    key: str  # the name in tables: dpd30, dpd90
    label: str  # what people call it: 30+, 90+
    min_dpd: int

    @property
    def buckets(self) -> tuple[str, ...]:
        return buckets_from(self.min_dpd)

    @property
    def columns(self) -> tuple[str, ...]:
        return principal_columns(self.buckets)

    def describe(self) -> str:
        """``"30+ (DPD ≥ 31, M2–M6)"``."""
        return f"{self.label} (DPD ≥ {self.min_dpd}, {span(self.buckets)})"


DPD30 = Ratio("dpd30", "30+", 31)
DPD90 = Ratio("dpd90", "90+", 91)
"""The non-performing (NPL) ratio."""
RATIOS = {r.key: r for r in (DPD30, DPD90)}


def ratio(num: np.ndarray, den: np.ndarray, empty: float = 0.0) -> np.ndarray:
    """``num / den`` elementwise, ``empty`` where ``den`` is 0."""
    out = np.full(np.broadcast(num, den).shape, empty, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


# --------------------------------------------------------------------------------------------
# Amounts per path and day, and the figures made of them
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookAmounts:
    """Principal per path and day (paths on axis 0, days on axis 1; a segment axis 2 optional).

    ``charged_off`` and ``recoveries`` are cumulative from day 1, so 0 on day 0.
    """

    on_book: np.ndarray
    dpd30: np.ndarray
    dpd90: np.ndarray
    charged_off: np.ndarray
    recoveries: np.ndarray

    @classmethod
    def by_segment(cls, grid: Grid) -> BookAmounts:
        """(paths, days, segments) amounts of a run's grid."""
        return cls(grid.sum(principal_columns(ON_BOOK)), grid.sum(DPD30.columns),
                   grid.sum(DPD90.columns), grid.sum(("cum_charged_off_principal",)),
                   grid.sum(("cum_recoveries",)))

    @classmethod
    def book_wide(cls, grid: Grid) -> BookAmounts:
        """(paths, days) amounts summed over segments."""
        return cls(grid.book(principal_columns(ON_BOOK)), grid.book(DPD30.columns),
                   grid.book(DPD90.columns), grid.book("cum_charged_off_principal"),
                   grid.book("cum_recoveries"))

    def total(self) -> BookAmounts:
        """Summed over the segment axis."""
        return BookAmounts(*(a.sum(axis=2) for a in self._arrays()))

    def segment(self, s: int) -> BookAmounts:
        """Segment ``s`` of amounts by segment."""
        return BookAmounts(*(a[:, :, s] for a in self._arrays()))

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return (self.on_book, self.dpd30, self.dpd90, self.charged_off, self.recoveries)

    @property
    def net_loss(self) -> np.ndarray:
        """Charged-off principal less recoveries, cumulative from day 1."""
        return self.charged_off - self.recoveries


def npl_without_disposal(a: BookAmounts) -> np.ndarray:
    """(90+ principal on book + principal charged off since day 0) / (on-book principal +
    principal charged off since day 0): the NPL ratio when nothing is written off."""
    return ratio(a.dpd90 + a.charged_off, a.on_book + a.charged_off)


def day_metrics(a: BookAmounts) -> dict[str, np.ndarray]:
    """The figures of each path on each day, named as the ``quantiles`` table names them.

    ``cum_net_loss_rate`` is net loss up to the day over day-0 on-book principal.
    """
    return {
        "dpd30_ratio": ratio(a.dpd30, a.on_book),
        "dpd90_ratio": ratio(a.dpd90, a.on_book),
        "npl_no_disposal_ratio": npl_without_disposal(a),
        "cum_net_loss_rate": ratio(a.net_loss, a.on_book[:, :1]),
        "outstanding_principal": a.on_book,
    }


NINE_QUARTERS_DAYS = 9 * 3 * DAYS_PER_MONTH
"""Nine quarters in simulation days: 27 months of 30 days (the shocks' calendar), 810."""


def nine_quarter_end(horizon: int) -> int:
    """The last day of the nine-quarter loss window: day 810, or the horizon when shorter."""
    return min(horizon, NINE_QUARTERS_DAYS)


def nine_quarter_window(horizon: int) -> str:
    """What the nine-quarter loss rate of a run covers, said plainly."""
    if horizon >= NINE_QUARTERS_DAYS:
        return f"nine quarters (days 1..{NINE_QUARTERS_DAYS})"
    return (f"the {horizon}-day horizon only, shorter than nine quarters "
            f"({NINE_QUARTERS_DAYS} days)")


def loss_rate_on_average_balance(a: BookAmounts, days: np.ndarray, last_day: int) -> np.ndarray:
    """Per path: net charge-offs over days 1..``last_day`` / mean on-book principal over days
    0..``last_day`` (the days of ``days`` up to ``last_day``; ``a`` is (paths, days))."""
    within = days <= last_day
    last = int(np.flatnonzero(within)[-1])
    return ratio(a.net_loss[:, last], a.on_book[:, within].mean(axis=1))


# --------------------------------------------------------------------------------------------
# Early warning, as listed lenders define it
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EarlyWarning:
    """Monthly early-warning rates per path (paths on axis 0, months on axis 1).

    Month k (1-based) holds the instalments due on days 30(k-1)+1 .. 30k, the months between
    the month-ends the other monthly figures use; only whole months within the horizon.
    ``day1_delinquency`` is the principal due in the month and unpaid at the end of its due
    day over the principal due (NaN where nothing fell due). ``collection_30`` is the share
    of that unpaid principal paid within 30 days of its due date (NaN where nothing was unpaid,
    or the month's last due day is less than 30 days before the horizon: not yet known).
    ``due``, ``unpaid`` and ``collected`` are the month's amounts behind them (micro-yuan), and
    ``collection_known`` marks the months whose 30 days have passed.
    """

    month_end_days: np.ndarray  # (months,): 30, 60, ...
    day1_delinquency: np.ndarray
    collection_30: np.ndarray
    due: np.ndarray
    unpaid: np.ndarray
    collected: np.ndarray
    collection_known: np.ndarray  # (months,) bool

    @classmethod
    def from_grid(cls, grid: Grid) -> EarlyWarning:
        """The rates of a run's grid, summed over segments (every day must be there)."""
        if not grid.contiguous():
            raise ValueError("early-warning rates need every day of the horizon")
        return early_warning(grid.book("principal_due"), grid.book("principal_due_unpaid"),
                             grid.book("principal_collected_30"))

    def pooled_day1_delinquency(self) -> np.ndarray:
        """Per path: principal unpaid on its due day over principal due, summed over every
        whole month of the horizon (a month weighs by what fell due; NaN when nothing did)."""
        return ratio(self.unpaid.sum(axis=1), self.due.sum(axis=1), np.nan)

    def pooled_collection_30(self) -> np.ndarray:
        """Per path: of the principal unpaid on its due day in the months whose 30 days have
        passed, the share collected within 30 days (NaN when none was unpaid)."""
        known = self.collection_known
        return ratio(self.collected[:, known].sum(axis=1), self.unpaid[:, known].sum(axis=1),
                     np.nan)


def early_warning(due: np.ndarray, unpaid: np.ndarray, collected: np.ndarray) -> EarlyWarning:
    """:class:`EarlyWarning` of (paths, days 0..horizon) daily principal due, due and unpaid
    at the end of the day, and of that collected within 30 days (counted on the due day)."""
    horizon = due.shape[1] - 1
    months = horizon // DAYS_PER_MONTH
    ends = DAYS_PER_MONTH * np.arange(1, months + 1)

    def monthly(x: np.ndarray) -> np.ndarray:
        return x[:, 1: months * DAYS_PER_MONTH + 1].reshape(
            x.shape[0], months, DAYS_PER_MONTH).sum(axis=2)

    m_due, m_unpaid, m_collected = monthly(due), monthly(unpaid), monthly(collected)
    known = ends + COLLECTION_WINDOW_DAYS <= horizon
    day1 = ratio(m_unpaid, m_due, np.nan)
    coll = np.where(known, ratio(m_collected, m_unpaid, np.nan), np.nan)
    return EarlyWarning(ends, day1, coll, m_due, m_unpaid, m_collected, known)


# --------------------------------------------------------------------------------------------
# Vintages
# --------------------------------------------------------------------------------------------

VINTAGE_RATES = {"dpd30_rate": "cum_dpd30_principal", "dpd90_rate": "cum_dpd90_principal",
                 "charge_off_rate": "cum_charged_off_principal",
                 "net_loss_rate": "cum_net_loss", "fpd_rate": "cum_fpd_principal"}
"""A vintage's rates: the amount (cumulative to a month's end) over its disbursed principal."""


def vintage_rates(amounts: dict[str, np.ndarray], disbursed: np.ndarray
                  ) -> dict[str, np.ndarray]:
    """The :data:`VINTAGE_RATES` of ``amounts`` (the ``vintages`` table's cumulative columns;
    net loss is charged-off principal less recoveries), NaN where nothing was disbursed."""
    amounts = {**amounts, "cum_net_loss": amounts["cum_charged_off_principal"]
               - amounts["cum_recoveries"]}
    out = {}
    for rate, name in VINTAGE_RATES.items():
        out[rate] = np.full(np.shape(disbursed), np.nan)
        np.divide(amounts[name], disbursed, out=out[rate], where=disbursed != 0)
    return out


# --------------------------------------------------------------------------------------------
# The contract's thresholds as a run folder records them
# --------------------------------------------------------------------------------------------


def charge_off_dpd(scenario: dict[str, Any]) -> int | None:
    """``contract.charge_off_dpd`` of a resolved scenario read as YAML (None when off).

    A missing key takes the schema's default; ``off``, ``false`` and ``null`` mean never.
    """
    from simulator.scenario.schema import Contract

    contract = scenario.get("contract") or {}
    if "charge_off_dpd" not in contract:
        return Contract.model_fields["charge_off_dpd"].default
    value = contract["charge_off_dpd"]
    if value is None or value is False or str(value).strip().lower() == "off":
        return None
    return int(value)


def bucket_ranges(charge_off: int | None) -> dict[str, DpdRange | None]:
    """Each bucket's DPD range on book under ``charge_off`` (None: the bucket stays empty)."""
    return {b: on_book_range(k, charge_off) for k, b in enumerate(BUCKETS)}


# --------------------------------------------------------------------------------------------
# Regulatory tables by DPD band: five-category classification (五级分类) and IFRS 9 stages
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """An IFRS 9 stage by DPD alone (the 30 and 90 DPD backstops)."""

    key: str
    english: str
    dpd: DpdRange
    chinese: str = ""


STAGES: tuple[Stage, ...] = (
    Stage("stage1", "Stage 1", DpdRange(0, 30)),
    Stage("stage2", "Stage 2", DpdRange(31, 90)),
    Stage("stage3", "Stage 3 (credit-impaired)", DpdRange(91, None)),
)

Band = Category | Stage


@dataclass(frozen=True)
class BandRow:
    """One row of a table by DPD band: the bands it covers and the buckets in them.

    A bucket whose DPD range straddles a band boundary (M6 in the five-category table when
    charge-off is off or later than 271 DPD) cannot be split from aggregates, so it gets a row of
    its own naming every band it spans. ``buckets`` is empty when no on-book DPD falls in the
    band.
    """

    bands: tuple[Band, ...]
    buckets: tuple[str, ...]
    dpd: DpdRange | None  # the DPD the row's buckets hold on book (None: nothing)

    def name(self, chinese: bool) -> str:
        return " / ".join(f"{b.chinese} {b.english}" if chinese and b.chinese else b.english
                          for b in self.bands)

    def bucket_label(self) -> str:
        if not self.buckets or self.dpd is None:
            return "—"
        if self.dpd.lo == 0:
            return f"{span(self.buckets)} (current)" if self.dpd.hi == 0 else (
                f"{span(self.buckets)} (DPD ≤ {self.dpd.hi})")
        return f"{span(self.buckets)} ({self.dpd.label()})"


def band_rows(bands: tuple[Band, ...], charge_off: int | None) -> list[BandRow]:
    """The rows of a table by DPD band under a charge-off threshold, in band order."""
    ranges = bucket_ranges(charge_off)
    placed: dict[str, tuple[Band, ...]] = {}
    for b, r in ranges.items():
        if r is not None:
            placed[b] = tuple(band for band in bands if band.dpd.overlaps(r))
    rows: list[BandRow] = []
    for band in bands:
        own = tuple(b for b, hit in placed.items() if hit == (band,))
        if own:
            rows.append(BandRow((band,), own, _join(ranges, own)))
        straddling = {hit for hit in placed.values() if len(hit) > 1 and hit[0] == band}
        for hit in sorted(straddling, key=len):
            group = tuple(b for b, h in placed.items() if h == hit)
            rows.append(BandRow(hit, group, _join(ranges, group)))
        if not own and not any(band in hit for hit in placed.values()):
            rows.append(BandRow((band,), (), None))
    return rows


def five_category_rows(charge_off: int | None) -> list[BandRow]:
    """The five-category (五级分类) table's rows under a charge-off threshold."""
    return band_rows(CATEGORIES, charge_off)


def stage_rows(charge_off: int | None) -> list[BandRow]:
    """The IFRS 9 stage table's rows under a charge-off threshold."""
    return band_rows(STAGES, charge_off)


def _join(ranges: dict[str, DpdRange | None], buckets: tuple[str, ...]) -> DpdRange:
    first, last = ranges[buckets[0]], ranges[buckets[-1]]
    assert first is not None and last is not None
    return DpdRange(first.lo, last.hi)
