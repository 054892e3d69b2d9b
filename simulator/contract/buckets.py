"""Delinquency buckets and the five-category classification (五级分类), by days past due.

Defined once here; the scenario schema, the ledger, the results registry, the synthetic book and
every figure derived from a run (ratios, report tables) read them from this module.

Buckets are 30 DPD wide: M0 is current (DPD 0), M1 is DPD 1-30, ..., M5 is 121-150, and M6 holds
every DPD from 151 until the drawdown leaves the book. It leaves at the end of the day its DPD
reaches the contract's ``charge_off_dpd``, so the DPD a bucket can hold on book depends on that
threshold (:func:`on_book_range`): with charge-off at 180, M6 is 151-179; at 360, 151-359; with
charge-off off, 151 and beyond; at 120, M4 is 91-119 and M5 and M6 stay empty.
"""

from __future__ import annotations

from dataclasses import dataclass

BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6")
"""Delinquency buckets on book, by DPD: M0 current, M1 1-30, ..., M5 121-150, M6 151 and over."""

BUCKET_DAYS = 30
"""DPD width of the buckets M1..M5 (M6 is open above)."""

LAST = len(BUCKETS) - 1  # index of M6


@dataclass(frozen=True)
class DpdRange:
    """Days past due ``lo..hi`` (both included); ``hi`` None for no upper end."""

    lo: int
    hi: int | None

    def contains(self, other: DpdRange) -> bool:
        """True when every DPD of ``other`` lies in this range."""
        if other.lo < self.lo:
            return False
        if self.hi is None:
            return True
        return other.hi is not None and other.hi <= self.hi

    def overlaps(self, other: DpdRange) -> bool:
        below = self.hi is not None and self.hi < other.lo
        above = other.hi is not None and other.hi < self.lo
        return not (below or above)

    def label(self) -> str:
        """``"0 DPD"``, ``"1–30 DPD"``, ``"151+ DPD"``."""
        if self.hi is None:
            return f"{self.lo}+ DPD"
        if self.hi == self.lo:
            return f"{self.lo} DPD"
        return f"{self.lo}–{self.hi} DPD"


def bucket_index(dpd: int) -> int:
    """0 for M0 (current), 1..6 for M1..M6; DPD beyond 150 is M6."""
    if dpd <= 0:
        return 0
    return min(LAST, (dpd - 1) // BUCKET_DAYS + 1)


def nominal_range(bucket: int) -> DpdRange:
    """The 30-day DPD range of bucket ``bucket`` (M6: 151-180), before charge-off cuts it."""
    if bucket == 0:
        return DpdRange(0, 0)
    return DpdRange(BUCKET_DAYS * (bucket - 1) + 1, BUCKET_DAYS * bucket)


def on_book_range(bucket: int, charge_off_dpd: int | None) -> DpdRange | None:
    """The DPD a drawdown in ``bucket`` can have on book, or None when it cannot be there.

    M6 is open above; charge-off at ``charge_off_dpd`` removes a drawdown the day its DPD reaches
    the threshold, so on book DPD stays below it.
    """
    lo = nominal_range(bucket).lo
    hi = None if bucket == LAST else nominal_range(bucket).hi
    if charge_off_dpd is not None:
        top = charge_off_dpd - 1
        hi = top if hi is None else min(hi, top)
    if hi is not None and hi < lo:
        return None
    return DpdRange(lo, hi)


def buckets_from(min_dpd: int) -> tuple[str, ...]:
    """The buckets holding exactly the DPD >= ``min_dpd`` (``min_dpd`` a bucket's lower edge)."""
    found = [b for k, b in enumerate(BUCKETS) if nominal_range(k).lo >= min_dpd]
    if not found or nominal_range(BUCKETS.index(found[0])).lo != min_dpd:
        raise ValueError(f"DPD {min_dpd} is not the lower edge of a bucket")
    return tuple(found)


def span(buckets: tuple[str, ...]) -> str:
    """``"M2–M6"`` for a run of buckets, ``"M0"`` for one."""
    return buckets[0] if len(buckets) == 1 else f"{buckets[0]}–{buckets[-1]}"


# Five-category classification (五级分类) by DPD under the 2023 rules: overdue at all is at
# least special mention, over 90 DPD substandard, over 270 doubtful, over 360 loss.
@dataclass(frozen=True)
class Category:
    key: str
    chinese: str
    english: str
    dpd: DpdRange


CATEGORIES: tuple[Category, ...] = (
    Category("normal", "正常", "Normal", DpdRange(0, 0)),
    Category("special_mention", "关注", "Special mention", DpdRange(1, 90)),
    Category("substandard", "次级", "Substandard", DpdRange(91, 270)),
    Category("doubtful", "可疑", "Doubtful", DpdRange(271, 360)),
    Category("loss", "损失", "Loss", DpdRange(361, None)),
)


def five_category(dpd: int, charged_off: bool) -> str:
    """五级分类 of a drawdown with ``dpd`` days past due (``written_off`` once charged off)."""
    if charged_off:
        return "written_off"
    for hi, key in _UPPER:
        if hi is None or dpd <= hi:
            return key
    raise AssertionError("the last category is open above")


_UPPER = tuple((c.dpd.hi, c.key) for c in CATEGORIES)
