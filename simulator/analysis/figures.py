"""The derived figures of a run, each defined once: what is on book, the 30+ and 90+ (NPL)
ratios, net loss, and the regulatory tables' rows as functions of the contract's thresholds.

Conventions
-----------
* On-book principal is the principal in every bucket M0..M6; charged-off principal is off book.
* A delinquency ratio is on-book principal at ``DPD >= min_dpd`` over on-book principal: the 30+
  ratio counts DPD >= 31 (M2..M6), the 90+ or non-performing (NPL) ratio DPD >= 91 (M4..M6).
  When nothing is on book the ratio is 0 (there is nothing delinquent).
* Net loss is charged-off principal less recoveries; a loss rate over an empty book is 0.
* Which DPD a bucket holds depends on the scenario's ``contract.charge_off_dpd``
  (:mod:`simulator.contract.buckets`); so do the rows of the five-category table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.contract.buckets import (
    BUCKETS,
    CATEGORIES,
    Category,
    DpdRange,
    buckets_from,
    on_book_range,
    span,
)

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


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` elementwise, 0 where ``den`` is 0."""
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
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
# Five-category classification (五级分类) rows from bucket principal
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRow:
    """One row of the five-category table: the categories it covers and the buckets in them.

    A bucket whose DPD range straddles a category boundary (M6 when charge-off is off or later
    than 271 DPD) cannot be split from aggregates, so it gets a row of its own naming every
    category it spans. ``buckets`` is empty when no on-book DPD falls in the category.
    """

    categories: tuple[Category, ...]
    buckets: tuple[str, ...]
    dpd: DpdRange | None  # the DPD the row's buckets hold on book (None: nothing)

    def name(self, chinese: bool) -> str:
        parts = [f"{c.chinese} {c.english}" if chinese else c.english for c in self.categories]
        return " / ".join(parts)

    def bucket_label(self) -> str:
        if not self.buckets or self.dpd is None:
            return "—"
        if self.dpd.lo == 0:
            return f"{span(self.buckets)} (current)"
        return f"{span(self.buckets)} ({self.dpd.label()})"


def five_category_rows(charge_off: int | None) -> list[CategoryRow]:
    """The rows of the five-category table at a given charge-off threshold, in category order."""
    ranges = bucket_ranges(charge_off)
    placed: dict[str, tuple[Category, ...]] = {}
    for b, r in ranges.items():
        if r is not None:
            placed[b] = tuple(c for c in CATEGORIES if c.dpd.overlaps(r))
    rows: list[CategoryRow] = []
    done: set[tuple[str, ...]] = set()
    for c in CATEGORIES:
        own = tuple(b for b, cats in placed.items() if cats == (c,))
        if own:
            rows.append(CategoryRow((c,), own, _join(ranges, own)))
        shared = [b for b, cats in placed.items() if len(cats) > 1 and cats[0] == c]
        for b in shared:
            key = placed[b]
            if key not in done:
                group = tuple(x for x, cats in placed.items() if cats == key)
                rows.append(CategoryRow(key, group, _join(ranges, group)))
                done.add(key)
        covered = own or any(c in cats for cats in placed.values())
        if not covered:
            rows.append(CategoryRow((c,), (), None))
    return rows


def _join(ranges: dict[str, DpdRange | None], buckets: tuple[str, ...]) -> DpdRange:
    first, last = ranges[buckets[0]], ranges[buckets[-1]]
    assert first is not None and last is not None
    return DpdRange(first.lo, last.hi)
