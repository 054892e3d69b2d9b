"""The numba kernel against the plain-Python ledger (the specification), to the micro-yuan.

Random books (seed stated in each test) under every contract combination: 3 allocation orders x
grace (none, 3 days retroactive, 5 days not) x acceleration on/off x charge-off on/off, every
repayment method, seasoned drawdowns (some in arrears at day 0, some closed before it), forced
payment plans of amounts, "due", "past_due", "all" and nothing. Tolerance: none (exact).
"""

import dataclasses
import datetime as dt

import numpy as np
import pytest

from simulator.book.inputs import allocation_table
from simulator.contract.schedule import METHODS, epoch_day, instalment_micro
from simulator.contract.terms import Terms
from simulator.kernels import layout as L
from simulator.kernels.portfolio import Book, Contract
from simulator.validation.checks import (
    METRICS,
    BookCase,
    check_ledger,
    contract_combinations,
    ledger_expected,
    random_book,
    run_kernel_forced,
)

HORIZON = 400


def _cases(seed, per_book, skip_quiet_days=True):
    rng = np.random.default_rng(seed)
    for combo in contract_combinations():
        case = random_book(rng, per_book, HORIZON, combo)
        if not skip_quiet_days:
            case = dataclasses.replace(
                case, contract=case.contract._replace(skip_quiet_days=False))
        yield combo, case


@pytest.mark.parametrize(("seed", "per_book", "skip"), [(20260101, 12, True), (7, 6, False)])
def test_kernel_equals_ledger_on_random_books(seed, per_book, skip):
    # seed 20260101: 36 books x 12 = 432 drawdowns on the fast path (quiet days settled at
    # once); seed 7: 36 x 6 = 216 drawdowns stepping every day. Required: exact equality.
    seen = {"methods": set(), "seasoned": 0, "arrears0": 0, "charged_off": 0, "closed": 0,
            "penalty": 0, "fees": 0, "prepaid": 0}
    for _combo, case in _cases(seed, per_book, skip):
        got_agg, got_end = run_kernel_forced(case)
        exp_agg, exp_end = ledger_expected(case)
        for f, name in enumerate(L.END_FIELDS):
            np.testing.assert_array_equal(got_end[:, f], exp_end[:, f],
                                          err_msg=f"{case.label}: end state {name}")
        for name, m in METRICS.items():
            np.testing.assert_array_equal(got_agg[:, :, m], exp_agg[:, :, m],
                                          err_msg=f"{case.label}: daily {name}")
        seen["methods"] |= {METHODS[m] for m in case.book.method}
        seen["seasoned"] += int((case.book.age > 0).sum())
        seen["arrears0"] += int((case.book.dpd0 > 0).sum())
        seen["charged_off"] += int((exp_end[:, L.END_FIELDS.index("status")] == 2).sum())
        seen["closed"] += int((exp_end[:, L.END_FIELDS.index("status")] == 1).sum())
        seen["penalty"] += int(exp_agg[:, :, METRICS["penalty_accrued"]].sum() > 0)
        seen["fees"] += int(exp_agg[:, :, METRICS["fees_charged"]].sum() > 0)
        seen["prepaid"] += int(exp_agg[:, :, METRICS["prepaid_principal"]].sum() > 0)
    # The books really exercise what they claim to.
    assert seen["methods"] == set(METHODS)
    assert seen["seasoned"] >= 0.25 * 36 * per_book
    assert seen["arrears0"] > 0 and seen["charged_off"] > 0 and seen["closed"] > 0
    assert seen["penalty"] > 10 and seen["fees"] > 0 and seen["prepaid"] > 10


def test_check_ledger_reports_exact_agreement():
    r = check_ledger(drawdowns=72, days=200, seed=3)
    assert r.ok and r.n_mismatches == 0
    assert r.books == 36 and r.drawdowns == 72
    assert r.max_money_diff_yuan == 0.0


def _one_drawdown_case(age, dpd0, term=3, horizon=30):
    """A single 3,000-yuan drawdown, equal instalments, 30-day periods, no forced payment."""
    as_of = epoch_day(dt.date(2026, 1, 1))
    p, r = 3_000_000_000, 0.0005
    inst = instalment_micro(p, r, term, "equal_installment")
    book = Book(
        borrower_start=np.array([0, 1], np.int64), borrower_id=np.array([0], np.int64),
        segment=np.array([0], np.int32), income=np.array([8000.0]),
        drawdown_id=np.array([0], np.int64), principal=np.array([p], np.int64),
        daily_rate=np.array([r]), term=np.array([term], np.int32), method=np.array([0], np.int8),
        instalment=np.array([inst], np.int64), age=np.array([age], np.int32),
        dpd0=np.array([dpd0], np.int32), disbursed=np.array([as_of - age], np.int64),
    )
    contract = Contract(1.5, True, 0, 0, True, 90, 180, allocation_table("default"), 30, 90)
    terms = Terms(principal=p, daily_rate=r, term=term,
                  disbursed_on=dt.date(2026, 1, 1) - dt.timedelta(days=age))
    return BookCase(book, contract, (terms,), np.zeros((1, horizon + 1), np.int8),
                    np.zeros((1, horizon + 1), np.int64), horizon, 1, "one drawdown")


def test_drawdown_closed_before_day_0_is_counted_closed():
    # Term 3, 30-day periods, paid on time, 100 days old: it closed on loan day 90.
    got, _ = run_kernel_forced(_one_drawdown_case(age=100, dpd0=0))
    assert (got[:, 0, METRICS["n_closed"]] == 1).all()
    assert (got[:, 0, L.N_BY_CODE : L.N_BY_CODE + L.N_CODES].sum(axis=1) == 1).all()
    assert (got[:, 0, L.PRINCIPAL_BY_BUCKET : L.PRINCIPAL_BY_BUCKET + L.N_BUCKETS] == 0).all()


def test_drawdown_charged_off_before_day_0_is_counted_charged_off():
    # Missed every due date (dpd0 > age): DPD 180 on loan day 210, charged off before day 0.
    got, end = run_kernel_forced(_one_drawdown_case(age=250, dpd0=400))
    assert (got[:, 0, METRICS["n_CO"]] == 1).all()
    assert end[0, L.END_FIELDS.index("status")] == L.CHARGED_OFF_STATUS
    # Charged off before day 0: not a flow of the simulation.
    assert got[:, 0, METRICS["charged_off_principal"]].sum() == 0
