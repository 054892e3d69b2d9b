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

from simulator._numba import jit
from simulator.contract.money import FEN

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


@jit
def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (integer arithmetic only)."""
    y -= 1 if m <= 2 else 0
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@jit
def civil_from_days(z: int) -> tuple[int, int, int]:
    """Inverse of :func:`days_from_civil`."""
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (1 if m <= 2 else 0), m, d


@jit
def _days_in_month(y: int, m: int) -> int:
    if m == 12:
        return 31
    return days_from_civil(y, m + 1, 1) - days_from_civil(y, m, 1)


@jit
def due_day(k: int, period: int, disbursed_epoch_day: int) -> int:
    """Loan day (days after disbursement) on which instalment ``k`` (1-based) falls due.

    ``period`` > 0 is a fixed period in days; ``period == CALENDAR`` means the same day of the
    month ``k`` months after disbursement, clipped to the month's end (31 Jan -> 28/29 Feb).
    """
    if period > 0:
        return k * period
    y, m, d = civil_from_days(disbursed_epoch_day)
    months = m - 1 + k
    y2 = y + months // 12
    m2 = months % 12 + 1
    d2 = min(d, _days_in_month(y2, m2))
    return days_from_civil(y2, m2, d2) - disbursed_epoch_day


def epoch_day(date: _dt.date) -> int:
    """Days since 1970-01-01."""
    return days_from_civil(date.year, date.month, date.day)
