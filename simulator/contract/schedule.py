"""Repayment schedules: the instalment amount and the due days of one drawdown.

Date arithmetic is integer-only and compiled, so the kernel computes due days the same way.

The schedule fixes only what the contract fixes in advance: the due days and, for
``equal_installment``, the instalment ``A`` (rounded to the fen, as a borrower is billed);
for ``equal_principal``, the principal per instalment. Interest is what accrues day by day, so
the principal part of an equal instalment is ``A`` minus the interest accrued in its period
(MODEL.md section 1; with 30-day periods this is exactly the textbook annuity split).
"""

from __future__ import annotations

import datetime as _dt

from simulator.contract.money import FEN
from simulator.kernels.calendar import civil_from_days, days_from_civil, due_day  # noqa: F401

METHODS = ("equal_installment", "interest_first", "equal_principal")
METHOD_CODE = {name: code for code, name in enumerate(METHODS)}
CALENDAR = 0  # period code for calendar months (a positive code is a period in days)


def instalment_micro(principal: int, daily_rate: float, term: int, method: str) -> int:
    """The fixed per-instalment amount of a schedule, in micro-yuan.

    ``equal_installment``: the annuity ``A = P i (1+i)^n / ((1+i)^n - 1)`` with the monthly rate
    ``i = 30 r`` (MODEL.md), rounded half up to the fen. ``equal_principal``: ``P / n`` rounded
    down to the fen (the last instalment takes the remainder). ``interest_first``: 0 (no fixed
    amount; principal falls due at maturity).
    """
    if method == "equal_installment":
        i = 30.0 * daily_rate
        if i == 0.0:
            a = principal / term
        else:
            g = (1.0 + i) ** term
            a = principal * i * g / (g - 1.0)
        return int((a / FEN) + 0.5) * FEN
    if method == "equal_principal":
        return (principal // term) // FEN * FEN
    if method == "interest_first":
        return 0
    raise ValueError(f"unknown repayment method {method!r}")


def epoch_day(date: _dt.date) -> int:
    """Days since 1970-01-01."""
    return days_from_civil(date.year, date.month, date.day)
