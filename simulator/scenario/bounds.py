"""Every bound on a number the user gives, defined once: the scenario schema, the loan tape and
the ``overdue loan`` and ``overdue run`` options all read them from here.

Two kinds of bound live here. *Modelling* bounds (a daily rate at most 0.1 %, 1 to 36
instalments) say what the model is written for. *Size* bounds keep every number the program
computes finite and every money aggregate inside int64 micro-yuan; :func:`money_limit_factor`
derives the latter for a book as configured.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

# ---- modelling bounds -----------------------------------------------------------------------
DAILY_RATE_MAX = 0.001
"""Largest contract daily rate (> 0): 36 % a year, the top of what Chinese courts enforce."""

TERM_MONTHS_MIN, TERM_MONTHS_MAX = 1, 36
PENALTY_MULTIPLIER_MIN, PENALTY_MULTIPLIER_MAX = 1.0, 3.0
APR_CAP_MAX = 1
GRACE_DAYS_MAX = 30
PERIOD_DAYS_MIN, PERIOD_DAYS_MAX = 7, 31
CALENDAR_PERIOD_MIN_DAYS = 28  # the shortest calendar month
DPD_MAX = 3650
"""Day counts of the contract (acceleration, charge-off, non-accrual, lags): ten years."""

HORIZON_DAYS_MAX = 3650
MAX_DRAWDOWNS = 10  # drawdowns a borrower holds at once
RESTRUCTURE_EXTRA_MONTHS_MAX = 36
MONTHS_MAX = 1200
"""Months of shock timing (start, ramp, hold, revert) and of a monthly path: a hundred years,
far beyond the longest horizon, so only typos are refused."""

FACTOR_SD_MAX = 5  # the systematic factor's shifts and start, in standard deviations
PD_MULTIPLIER_MAX = 100  # months-on-book and seasonal PD multipliers
BURN_IN_MONTHS_MAX = 60

SENSITIVITY_MAX = 100
"""Ratios and sensitivities with no natural ceiling (other debt service ratio, unemployment
beta, DSR and rate sensitivities, cure factor loading in absolute value): far beyond any
calibrated value, low enough that no exponential of them overflows a float."""

AS_OF_MIN, AS_OF_MAX = date(1900, 1, 1), date(2199, 12, 31)
"""Day 0 of a simulation (and a loan's disbursement date). Seasoned drawdowns reach back up to
36 calendar months before it and the horizon ten years after it, all inside years 1 .. 9999
that dates can express; a date outside these two centuries is a typo."""

# ---- size bounds ----------------------------------------------------------------------------
BORROWERS_MAX = 1_000_000_000
PATHS_MAX = 10_000_000
SEED_MAX = 2**63 - 1
THREADS_MAX = 4096
CHUNK_SIZE_MAX = BORROWERS_MAX
PATH_BLOCK_MAX = PATHS_MAX

YUAN_MAX = 1_000_000_000
"""Largest single amount of money (yuan) anywhere in a scenario, a tape or ``overdue loan``: a
principal, an income, a fee or a cost. A billion yuan is 1e15 micro-yuan, so every amount
converts to int64 exactly and with room; whether a book of such amounts still fits once its
charges, redraws and principal-days over the horizon are counted is checked when the book is
drawn or read (:func:`simulator.book.money.check_money_fits`)."""

INT64_MAX = 2**63 - 1

MONEY_HEADROOM = 2
"""Aggregates are summed per path over borrowers, segments and days; a few are sums of two
metrics (disbursed + capitalised in the conservation check), so the bound leaves a factor 2."""


def money_limit_factor(
    *,
    daily_rate: Any,
    penalty_multiplier: float,
    days: Any,
    term_months: Any,
    extra_months: int,
    redraw_cycles: int,
    capitalises: bool,
) -> Any:
    """How many times its principal one drawdown slot can put into any int64 aggregate.

    Derivation (MODEL.md s.2: interest accrues on normal principal at ``r``, penalty on overdue
    principal at ``r m``, compound on overdue interest at ``r m``; penalty and compound do not
    accrue further charges):

    * per day, the principal P bears at most ``P r max(1, m) = P r m`` (m >= 1);
    * overdue interest never exceeds the schedule's interest, at most ``P r L`` for a schedule
      of L days (``(term + extra) x 31``), so compound adds at most ``P r m x r L`` a day;
    * over the ``H`` days from disbursement to the horizon's end (a seasoned drawdown's days
      before day 0 count: what was charged then is paid, and reported, later) the charges
      therefore sum to at most ``g = r m H (1 + r L)`` times P;
    * restructuring capitalises at most the charges so far (``g P``) into principal, which
      then bears at most ``g`` times itself again: ``g (1 + g)`` more, and is itself a flow;
    * redraws run one after another in the same slot, so they add principal flows (disbursed,
      paid) ``redraw_cycles`` times but no more principal-days than those ``H`` days.

    Every int64 aggregate (a level, a day's flow or its running sum over days) is thus at most
    ``P x (redraw_cycles + g [+ (1 + g)(1 + g)])``: the returned factor. Aggregates are kept
    per path (paths are added up only in float64, in the summary), so the number of paths does
    not enter the bound.
    """
    g = charge_factor(daily_rate=daily_rate, penalty_multiplier=penalty_multiplier, days=days,
                      term_months=term_months, extra_months=extra_months)
    factor = redraw_cycles + g
    if capitalises:
        factor += (1.0 + g) * (1.0 + g)
    return factor


def charge_factor(*, daily_rate: Any, penalty_multiplier: float, days: Any,
                  term_months: Any, extra_months: int) -> Any:
    """``g = r m H (1 + r L)``: the charges of ``days`` (``H``) per unit of principal (see
    :func:`money_limit_factor`)."""
    m = max(1.0, float(penalty_multiplier))
    schedule_days = (term_months + extra_months) * PERIOD_DAYS_MAX
    return daily_rate * m * days * (1.0 + daily_rate * schedule_days)


def principal_days_factor(*, g: Any, capitalises: bool, days: Any) -> Any:
    """How many times its principal one drawdown's principal-days (kept per drawdown in int64
    for the enforceable claim under the APR cap) can reach: the principal, grown at most to
    ``1 + g`` times itself by capitalisation, over the ``days`` from disbursement to the end of
    the horizon. Redraws in the same slot follow one another, so together they count no more
    days."""
    growth = 1.0 + g if capitalises else 1.0
    return growth * days


def redraw_cycles(horizon_days: int, period_days: int | None) -> int:
    """Drawdowns one slot can hold in turn over the horizon: a drawdown is repaid at a due date
    at the earliest, one period (``None``: calendar months, 28 days at least) after it was
    drawn, and redrawn the next day at the earliest."""
    shortest = CALENDAR_PERIOD_MIN_DAYS if period_days is None else int(period_days)
    return 1 + math.ceil(horizon_days / shortest)


MONEY_LIMIT_MICRO = INT64_MAX // MONEY_HEADROOM
"""What the money of a book (``sum over drawdowns of principal x money_limit_factor + fees``,
micro-yuan, per path) may reach."""
