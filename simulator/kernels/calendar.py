"""Calendar arithmetic for schedules, compiled so the kernel and the ledger compute due days
the same way: integer-only proleptic Gregorian dates and the due day of an instalment."""

from __future__ import annotations

from simulator.kernels.jit import jit


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


@jit(forceinline=True)
def due_day(k: int, period: int, disbursed_epoch_day: int) -> int:
    """Loan day (days after disbursement) on which instalment ``k`` (1-based) falls due.

    ``period`` > 0 is a fixed period in days; ``period == CALENDAR`` means the same day of the
    month ``k`` months after disbursement, clipped to the month's end (31 Jan -> 28/29 Feb).
    Inlined, so a fixed period costs a multiplication; the calendar's arithmetic is called.
    """
    if period > 0:
        return k * period
    return _calendar_due_day(k, disbursed_epoch_day)


@jit
def _calendar_due_day(k: int, disbursed_epoch_day: int) -> int:
    """:func:`due_day` of a calendar schedule."""
    y, m, d = civil_from_days(disbursed_epoch_day)
    months = m - 1 + k
    y2 = y + months // 12
    m2 = months % 12 + 1
    d2 = min(d, _days_in_month(y2, m2))
    return days_from_civil(y2, m2, d2) - disbursed_epoch_day
