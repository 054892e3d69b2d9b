"""Day-1 delinquency and 30-day collection (the early-warning rates): the kernel's flows on a
forced plan computed by hand, and an engine run's timeseries through ``figures``.

The hand case: one drawdown of 3,000 yuan at rate 0 (no interest, penalty or fees, so every
payment is principal, oldest instalment first), equal principal over three 30-day periods: 1,000
yuan due on days 30, 60 and 90.
* day 30: nothing paid: 1,000 unpaid;
* day 45: 600 paid, 15 days late: 600 collected for day 30;
* day 60: the "due" amount (1,000) paid: 400 to day 30's instalment (30 days late, collected),
  600 to day 60's: 400 of it unpaid;
* day 90: nothing paid: 1,000 unpaid;
* day 100: all past due: day 60's 400 (40 days late, not collected), day 90's 1,000 (10 days
  late, collected).
"""

import datetime as dt

import numpy as np
import pyarrow.parquet as pq

import simulator
from simulator.analysis.figures import EarlyWarning, early_warning
from simulator.analysis.grid import Grid
from simulator.book.inputs import allocation_table
from simulator.contract.money import MICRO
from simulator.contract.schedule import METHOD_CODE, epoch_day, instalment_micro
from simulator.kernels import layout as L
from simulator.kernels.portfolio import Book, Contract
from simulator.validation.checks import BookCase, run_kernel_forced

HORIZON = 130
YUAN = MICRO


def _hand_case() -> BookCase:
    principal = 3_000 * YUAN
    as_of = epoch_day(dt.date(2026, 1, 1))
    book = Book(
        borrower_start=np.array([0, 1], np.int64), borrower_id=np.zeros(1, np.int64),
        segment=np.zeros(1, np.int32), income=np.full(1, 8_000.0),
        drawdown_id=np.zeros(1, np.int64), principal=np.array([principal], np.int64),
        daily_rate=np.zeros(1), term=np.array([3], np.int32),
        method=np.array([METHOD_CODE["equal_principal"]], np.int8),
        instalment=np.array([instalment_micro(principal, 0.0, 3, "equal_principal")],
                            np.int64),
        age=np.zeros(1, np.int32), dpd0=np.zeros(1, np.int32),
        disbursed=np.array([as_of], np.int64))
    contract = Contract(penalty_multiplier=1.5, compound_interest=False, late_fee=0,
                        grace_days=0, grace_retroactive=False, acceleration_dpd=-1,
                        charge_off_dpd=-1, allocation=allocation_table("default"), period=30,
                        non_accrual_dpd=1000)
    code = np.zeros((1, HORIZON + 1), np.int8)
    amount = np.zeros((1, HORIZON + 1), np.int64)
    code[0, 45], amount[0, 45] = L.PLAN_AMOUNT, 600 * YUAN
    code[0, 60] = L.PLAN_DUE
    code[0, 100] = L.PLAN_PAST_DUE
    return BookCase(book, contract, (), code, amount, HORIZON, 1, "hand case")


def test_kernel_flows_and_rates_match_the_hand_computation():
    agg, _ = run_kernel_forced(_hand_case())
    due = agg[:, 0, L.PRINCIPAL_DUE]
    unpaid = agg[:, 0, L.PRINCIPAL_DUE_UNPAID]
    collected = agg[:, 0, L.PRINCIPAL_COLLECTED_30]
    want_due = {30: 1_000, 60: 1_000, 90: 1_000}
    want_unpaid = {30: 1_000, 60: 400, 90: 1_000}
    want_collected = {30: 1_000, 90: 1_000}
    for got, want in ((due, want_due), (unpaid, want_unpaid), (collected, want_collected)):
        expected = np.zeros(HORIZON + 1, np.int64)
        for day, yuan in want.items():
            expected[day] = yuan * YUAN
        np.testing.assert_array_equal(got, expected)
    ew = early_warning(due[None], unpaid[None], collected[None])
    np.testing.assert_array_equal(ew.month_end_days, [30, 60, 90, 120])
    np.testing.assert_allclose(ew.day1_delinquency[0, :3], [1.0, 0.4, 1.0])
    assert np.isnan(ew.day1_delinquency[0, 3])  # nothing due in month 4
    np.testing.assert_allclose(ew.collection_30[0, :3], [1.0, 0.0, 1.0])
    assert np.isnan(ew.collection_30[0, 3])


def test_rates_pool_the_month_and_leave_the_unknown_months_out():
    # Two paths, horizon 75: months 1 and 2 are whole; month 2's collection is not yet known
    # (its last due day, 60, is less than 30 days before day 75).
    due = np.zeros((2, 76))
    unpaid = np.zeros((2, 76))
    collected = np.zeros((2, 76))
    due[:, [10, 30, 45]] = [[100, 300, 50], [0, 0, 50]]
    unpaid[:, [10, 30, 45]] = [[10, 30, 5], [0, 0, 50]]
    collected[:, [10, 30, 45]] = [[10, 20, 5], [0, 0, 25]]
    ew = early_warning(due, unpaid, collected)
    np.testing.assert_allclose(ew.day1_delinquency, [[40 / 400, 5 / 50], [np.nan, 1.0]])
    np.testing.assert_allclose(ew.collection_30, [[30 / 40, np.nan], [np.nan, np.nan]])


def test_engine_run_records_the_flows_consistently(tmp_path):
    scenario = simulator.load_scenario("scenarios/baseline.yaml", [
        "monte_carlo.paths=2", "book.borrowers=2000", "book.burn_in_months=2",
        "horizon_days=120"])
    run = simulator.run(scenario, out=tmp_path / "run")
    ts = pq.read_table(tmp_path / "run" / "timeseries.parquet")
    due = ts.column("principal_due").to_numpy()
    unpaid = ts.column("principal_due_unpaid").to_numpy()
    collected = ts.column("principal_collected_30").to_numpy()
    day = ts.column("day").to_numpy()
    assert (unpaid <= due).all() and (collected <= unpaid).all() and (collected >= 0).all()
    assert (due[day == 0] == 0).all()  # nothing recorded before day 1
    ew = EarlyWarning.from_grid(Grid(ts))
    assert ew.day1_delinquency.shape == (2, 4)
    assert ((ew.day1_delinquency > 0) & (ew.day1_delinquency < 1)).all()
    known = ew.collection_30[:, :3]
    assert ((known > 0) & (known < 1)).all()
    assert np.isnan(ew.collection_30[:, 3]).all()
    assert run is not None
