"""The vintages table: a forced-plan book computed by hand, and an engine run whose vintages
add up to its timeseries.

The hand book, one path, rate 0 (no interest, penalty or fees), charge-off at 150 DPD, equal
principal over three 30-day periods:
* drawdown A, on the book on day 0 (vintage 0): 3,000 yuan due 1,000 on days 30, 60, 90, never
  paid: 31 DPD on day 61 (month 3) with 3,000 outstanding, on its first instalment (a
  first-payment default); 91 DPD on day 121 (month 5); charged off on day 180 (month 6), 3,000;
* drawdown B, an applicant disbursed on day 40 (vintage 2): 1,500 yuan due 500 on days 70, 100
  and 130; day 70's paid, the rest never: 31 DPD on day 131 (month 5) with 1,000 outstanding,
  not on its first instalment; 91 DPD on day 191 (month 7).
No recoveries (the one-factor behaviour recovers nothing).
"""

import datetime as dt

import numpy as np
import pyarrow.parquet as pq

import simulator
from simulator.book.inputs import allocation_table
from simulator.book.macro import plain_macro
from simulator.contract.money import MICRO
from simulator.contract.schedule import METHOD_CODE, epoch_day, instalment_micro
from simulator.engine.tables import vintages_table
from simulator.kernels import layout as L
from simulator.kernels.portfolio import Book, Contract, simulate_block
from simulator.validation.checks import one_factor_behaviour

HORIZON = 200
YUAN = MICRO


def _hand_run() -> dict[str, np.ndarray]:
    principal = np.array([3_000, 1_500], np.int64) * YUAN
    age = np.array([0, -40], np.int32)
    as_of = epoch_day(dt.date(2026, 1, 1))
    book = Book(
        borrower_start=np.array([0, 1, 2], np.int64), borrower_id=np.arange(2, dtype=np.int64),
        segment=np.zeros(2, np.int32), income=np.full(2, 8_000.0),
        drawdown_id=np.arange(2, dtype=np.int64), principal=principal, daily_rate=np.zeros(2),
        term=np.full(2, 3, np.int32), method=np.full(2, METHOD_CODE["equal_principal"], np.int8),
        instalment=np.array([instalment_micro(int(p), 0.0, 3, "equal_principal")
                             for p in principal], np.int64),
        age=age, dpd0=np.zeros(2, np.int32), disbursed=as_of - age.astype(np.int64))
    contract = Contract(penalty_multiplier=1.5, compound_interest=False, late_fee=0,
                        grace_days=0, grace_retroactive=False, acceleration_dpd=-1,
                        charge_off_dpd=150, allocation=allocation_table("default"), period=30,
                        non_accrual_dpd=90)
    code = np.zeros((2, HORIZON + 1), np.int8)
    code[1, 70] = L.PLAN_DUE
    columns = L.N_METRICS + L.vintage_columns(HORIZON, 1)
    agg = np.zeros((1, HORIZON + 1, 1, columns), np.int64)
    macro = plain_macro(np.zeros((1, HORIZON // 30 + 1)), 1)
    simulate_block(book, contract, one_factor_behaviour(1, 0.01, 0.1), macro, 0, 1, 0, 2,
                   HORIZON, code, np.zeros((2, HORIZON + 1), np.int64), agg,
                   np.zeros((0, L.N_END_FIELDS), np.int64))
    t = vintages_table(agg)
    return {n: t.column(n).to_numpy() for n in t.column_names}


def _series(rows, vintage, column):
    sel = rows["vintage"] == vintage
    return dict(zip(rows["month"][sel].tolist(), (rows[column][sel]).tolist(), strict=True))


def test_hand_book_vintages():
    rows = _hand_run()
    months = range(8)  # day 0, then months 1..7 (days 181-200 in month 7)
    # vintage 0: from month 0; vintage 2: from month 2; nothing else was disbursed
    assert sorted(set(rows["vintage"].tolist())) == list(range(8))
    assert _series(rows, 0, "disbursed_principal") == dict.fromkeys(months, 3_000.0)
    assert _series(rows, 2, "disbursed_principal") == dict.fromkeys(range(2, 8), 1_500.0)
    assert (rows["disbursed_principal"][~np.isin(rows["vintage"], [0, 2])] == 0).all()
    step = lambda first, value, start=0: {m: value if m >= first else 0.0  # noqa: E731
                                          for m in range(start, 8)}
    assert _series(rows, 0, "cum_dpd30_principal") == step(3, 3_000.0)
    assert _series(rows, 0, "cum_fpd_principal") == step(3, 3_000.0)
    assert _series(rows, 0, "cum_dpd90_principal") == step(5, 3_000.0)
    assert _series(rows, 0, "cum_charged_off_principal") == step(6, 3_000.0)
    assert _series(rows, 2, "cum_dpd30_principal") == step(5, 1_000.0, 2)
    assert _series(rows, 2, "cum_fpd_principal") == step(8, 0.0, 2)
    assert _series(rows, 2, "cum_dpd90_principal") == step(7, 1_000.0, 2)
    assert (rows["cum_recoveries"] == 0).all()
    # the rates: shares of the vintage's disbursed principal; months on book from its own
    assert _series(rows, 2, "dpd30_rate")[5] == 1_000 / 1_500
    assert _series(rows, 0, "net_loss_rate")[6] == 1.0
    sel = rows["vintage"] == 2
    assert rows["months_on_book"][sel].tolist() == list(range(6))
    assert np.isnan(rows["dpd30_rate"][rows["vintage"] == 1]).all()  # nothing disbursed


def test_engine_vintages_add_up_to_the_timeseries(tmp_path):
    scenario = simulator.load_scenario("scenarios/case_study_after.yaml", [
        "monte_carlo.paths=3", "book.borrowers=1500", "book.burn_in_months=2",
        "horizon_days=400"])
    simulator.run(scenario, out=tmp_path / "run")
    ts = pq.read_table(tmp_path / "run" / "timeseries.parquet")
    vt = pq.read_table(tmp_path / "run" / "vintages.parquet")
    t = {n: ts.column(n).to_numpy() for n in ts.column_names}
    v = {n: vt.column(n).to_numpy() for n in vt.column_names}
    last_month = v["month"].max()
    for p in range(3):
        day0 = (t["path"] == p) & (t["day"] == 0)
        on_book = sum(t[f"principal_M{k}"][day0].sum() for k in range(7))
        end = (t["path"] == p) & (t["day"] == 400)
        row0 = (v["path"] == p) & (v["vintage"] == 0) & (v["month"] == 0)
        assert abs(v["disbursed_principal"][row0].sum() - on_book) < 1e-3
        last = (v["path"] == p) & (v["month"] == last_month)
        later = last & (v["vintage"] >= 1)
        assert abs(v["disbursed_principal"][later].sum()
                   - t["disbursed_principal"][t["path"] == p].sum()) < 1e-3
        for name in ("cum_charged_off_principal", "cum_recoveries"):
            assert abs(v[name][last].sum() - t[name][end].sum()) < 1e-3, name
        assert v["cum_charged_off_principal"][last].sum() > 0
        # each drawdown reaches 30+ at most once: the vintage's 30+ principal is below what
        # it disbursed, and first-payment defaults are part of it
        assert (v["cum_dpd30_principal"] <= v["disbursed_principal"] + 1e-6).all()
        assert (v["cum_fpd_principal"] <= v["cum_dpd30_principal"] + 1e-6).all()
        assert v["cum_dpd30_principal"][later].sum() > 0
        # the day-0 book starts from what had reached 30+ before: at least what is at 31+ DPD
        # (M2..M6) on day 0, which must have reached it
        past30 = sum(t[f"principal_M{k}"][day0].sum() for k in range(2, 7))
        assert past30 > 0
        assert v["cum_dpd30_principal"][row0].sum() >= past30 - 1e-3
        assert v["cum_dpd90_principal"][row0].sum() <= v["cum_dpd30_principal"][row0].sum()
