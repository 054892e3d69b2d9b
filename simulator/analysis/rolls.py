"""Month-over-month flow (roll) rates of principal between buckets, from the run's aggregates.

A month is one bucket wide (``BUCKET_DAYS``), so principal that stays unpaid for a month moves
one bucket on: the rate for ``Mk→Mk+1`` in month m is principal in bucket k+1 at the end of
month m+1 over principal in bucket k at the end of month m, pooled over paths (sum over sum);
for the last bucket the numerator is principal charged off during the month. A run folder holds
aggregates, not loans, so these are flow rates, not loan-level transition probabilities;
part-payments and cures can make them differ.
"""

from __future__ import annotations

import numpy as np

from simulator.analysis.grid import Grid
from simulator.contract.buckets import BUCKET_DAYS, BUCKETS

MONTH_DAYS = BUCKET_DAYS
"""Month ends for roll rates are days 0, 30, 60, ...: one bucket a month."""

LABELS = [f"{a}→{b}" for a, b in zip(BUCKETS[:-1], BUCKETS[1:], strict=True)] + [
    f"{BUCKETS[-1]}→CO"]
"""The transitions, in bucket order: ``M0→M1`` .. ``M5→M6``, ``M6→CO``."""


def month_ends(days: np.ndarray) -> np.ndarray:
    """Indices into the sorted ``days`` of days 0, 30, 60, ... present in them."""
    want = np.arange(0, int(days[-1]) + 1, MONTH_DAYS)
    idx = np.searchsorted(days, want)
    ok = (idx < len(days)) & (days[np.minimum(idx, len(days) - 1)] == want)
    return idx[ok]


def flow_rates(grid: Grid) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(transition labels, month-end days of the starting months, (transitions, months) rates).

    NaN where the starting bucket is empty.
    """
    idx = month_ends(grid.days)
    if len(idx) < 2:
        return list(LABELS), grid.days[idx[:-1]], np.full((len(LABELS), 0), np.nan)
    rates = np.full((len(LABELS), len(idx) - 1), np.nan)
    co = grid.book("cum_charged_off_principal")
    for k, bucket in enumerate(BUCKETS):
        den = grid.book(f"principal_{bucket}")[:, idx[:-1]].sum(axis=0)
        if k + 1 < len(BUCKETS):
            num = grid.book(f"principal_{BUCKETS[k + 1]}")[:, idx[1:]].sum(axis=0)
        else:
            num = (co[:, idx[1:]] - co[:, idx[:-1]]).sum(axis=0)
        np.divide(num, den, out=rates[k], where=den > 0)
    return list(LABELS), grid.days[idx[:-1]], rates
