"""Schedules: instalment amounts, due days (fixed and calendar), and the splits the ledger makes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.contract import Terms, run_ledger, to_micro
from simulator.contract.schedule import (
    CALENDAR,
    civil_from_days,
    days_from_civil,
    due_day,
    epoch_day,
    instalment_micro,
)

FEN = 10_000


def annuity(p: float, r: float, n: int) -> float:
    i = 30 * r
    return p * i * (1 + i) ** n / ((1 + i) ** n - 1)


@pytest.mark.parametrize(
    ("p", "r", "n", "expected"),
    [
        (10_000, 0.0005, 12, 916.80),  # MODEL.md example A
        # 3,000 at 0.04 %/day over 3: i = 1.2 %, 3000 x .012 x 1.012^3 / (1.012^3 - 1)
        (3_000, 0.0004, 3, 1_024.10),
        # 50,000 at 0.02 %/day over 6: i = 0.6 %, 1.006^6 = 1.0365443,
        # 300 x 1.0365443 / 0.0365443 = 300 x 28.36402 = 8,509.21
        (50_000, 0.0002, 6, 8_509.21),
    ],
)
def test_equal_installment_amount(p, r, n, expected):
    assert round(annuity(p, r, n), 2) == expected
    assert instalment_micro(to_micro(p), r, n, "equal_installment") == to_micro(expected)


def test_equal_principal_and_interest_first_amounts():
    # 10,000 / 12 = 833.333... rounded down to the fen; the last instalment takes the rest.
    assert instalment_micro(to_micro(10_000), 0.0005, 12, "equal_principal") == to_micro("833.33")
    assert instalment_micro(to_micro(10_000), 0.0005, 12, "interest_first") == 0
    with pytest.raises(ValueError):
        instalment_micro(to_micro(10_000), 0.0005, 12, "balloon")


def test_fixed_period_due_days():
    assert [due_day(k, 30, 0) for k in (1, 2, 12)] == [30, 60, 360]
    assert [due_day(k, 14, 0) for k in (1, 3)] == [14, 42]


@pytest.mark.parametrize(
    ("disbursed", "k", "due"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),  # clipped to February's end
        (dt.date(2026, 1, 31), 2, dt.date(2026, 3, 31)),  # back to the 31st
        (dt.date(2026, 1, 31), 3, dt.date(2026, 4, 30)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),  # leap year
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),  # over the year end
        (dt.date(2026, 1, 1), 12, dt.date(2027, 1, 1)),
    ],
)
def test_calendar_due_days(disbursed, k, due):
    assert due_day(k, CALENDAR, epoch_day(disbursed)) == (due - disbursed).days


def test_calendar_loan_falls_due_on_month_ends():
    # Disbursed 31 Jan 2026: due 28 Feb (day 28), 31 Mar (day 59), 30 Apr (day 89).
    terms = Terms(principal=to_micro(3_000), daily_rate=0.0004, term=3, period="calendar",
                  disbursed_on=dt.date(2026, 1, 31))
    days = run_ledger(terms, {}, 89)
    due = [d.day for d in days if any(e.endswith(" due") for e in d.events)]
    assert due == [28, 59, 89]
    # The first period has 28 days of interest: 3,000 x 0.0004 x 28 = 33.60.
    assert days[27].overdue_interest == to_micro("33.60")
    # Its principal is the instalment less that interest: 1,024.10 - 33.60.
    assert days[27].overdue_principal == to_micro("990.50")


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_civil_day_numbers_agree_with_datetime(date):
    n = days_from_civil(date.year, date.month, date.day)
    assert n == (date - dt.date(1970, 1, 1)).days
    assert civil_from_days(n) == (date.year, date.month, date.day)


def test_equal_principal_schedule():
    # 12,000 at 0.05 %/day, 12 x 30 days: principal 1,000 each; interest on the declining
    # balance: period k carries (12,000 - 1,000 (k-1)) x 0.0005 x 30.
    terms = Terms(principal=to_micro(12_000), daily_rate=0.0005, method="equal_principal")
    pays = {30 * k: "due" for k in range(1, 13)}
    days = run_ledger(terms, pays, 360)
    for k in range(1, 13):
        d = days[30 * k - 1]
        interest = (12_000 - 1_000 * (k - 1)) * 0.0005 * 30
        assert d.payment == to_micro(1_000 + interest), k
        assert d.dpd == 0
    assert days[-1].status == "closed"
    assert days[-1].paid_interest == to_micro(sum((12 - j) * 1_000 * 0.015 for j in range(12)))


def test_equal_principal_last_takes_remainder():
    # 10,000 / 12 -> 833.33 each; the 12th is 10,000 - 11 x 833.33 = 834.37.
    terms = Terms(principal=to_micro(10_000), daily_rate=0.0005, method="equal_principal")
    pays = {30 * k: "due" for k in range(1, 12)}
    days = run_ledger(terms, pays, 360)
    assert days[329].paid_principal == to_micro(11 * 833.33)
    assert days[-1].overdue_principal == to_micro(10_000 - 11 * 833.33)


def test_interest_first_schedule():
    # 20,000 at 0.04 %/day over 6: 240.00 interest a month, principal at month 6.
    terms = Terms(principal=to_micro(20_000), daily_rate=0.0004, term=6, method="interest_first")
    days = run_ledger(terms, {30 * k: "due" for k in range(1, 7)}, 180)
    assert [days[30 * k - 1].payment for k in range(1, 6)] == [to_micro(240)] * 5
    assert days[179].payment == to_micro(20_000 + 240)
    assert days[-1].status == "closed"
