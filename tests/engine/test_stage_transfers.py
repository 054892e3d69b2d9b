"""The quarterly IFRS 9 stage transfers on a hand-made book with forced payments, both with
quiet days skipped and stepping every day. Expectations by hand: equal-principal drawdowns of
12,000 yuan over 12 months of 30 days repay 1,000 yuan of principal on days 30, 60, ...; a
missed instalment is its DPD days past due from its due day; charge-off at 120 DPD."""

import dataclasses

import numpy as np
import pytest

from simulator.book.inputs import allocation_table
from simulator.contract.money import MICRO
from simulator.contract.schedule import METHOD_CODE, epoch_day, instalment_micro
from simulator.kernels import layout as L
from simulator.kernels.portfolio import Book, Contract
from simulator.results.registry import STAGE_FROM, STAGE_TO
from simulator.validation.checks import AS_OF, BookCase, run_kernel_forced

HORIZON = 200
P = 12_000 * MICRO
MONTHLY = P // 12


def _case(skip_quiet_days: bool) -> BookCase:
    n = 4  # A pays every due; B nothing; C repays all on day 10; D cures on day 100
    method = METHOD_CODE["equal_principal"]
    book = Book(
        borrower_start=np.arange(n + 1, dtype=np.int64), borrower_id=np.arange(n),
        segment=np.zeros(n, np.int32), income=np.full(n, 8_000.0),
        drawdown_id=np.arange(n), principal=np.full(n, P, np.int64),
        daily_rate=np.full(n, 0.0005), term=np.full(n, 12, np.int32),
        method=np.full(n, method, np.int8),
        instalment=np.full(n, instalment_micro(P, 0.0005, 12, "equal_principal"), np.int64),
        age=np.zeros(n, np.int32), dpd0=np.zeros(n, np.int32),
        disbursed=np.full(n, epoch_day(AS_OF), np.int64))
    contract = Contract(penalty_multiplier=1.5, compound_interest=False, late_fee=0,
                        grace_days=0, grace_retroactive=True, acceleration_dpd=-1,
                        charge_off_dpd=120, allocation=allocation_table("default"), period=30,
                        non_accrual_dpd=90, skip_quiet_days=skip_quiet_days)
    code = np.zeros((n, HORIZON + 1), np.int8)
    dues = np.arange(30, HORIZON + 1, 30)
    code[0, dues] = L.PLAN_DUE
    code[2, 10] = L.PLAN_ALL
    code[3, 100] = L.PLAN_PAST_DUE
    code[3, dues[dues > 100]] = L.PLAN_DUE
    return BookCase(book, contract, (), code, np.zeros_like(code, np.int64), HORIZON, 1,
                    "hand-made")


def _matrix(agg: np.ndarray, day: int, kind: str) -> dict[tuple[str, str], int]:
    base = L.TRANSFER_N if kind == "n" else L.TRANSFER_PRINCIPAL
    return {(f, t): int(agg[day, 0, base + i * len(STAGE_TO) + k])
            for i, f in enumerate(STAGE_FROM) for k, t in enumerate(STAGE_TO)
            if agg[day, 0, base + i * len(STAGE_TO) + k] != 0}


@pytest.mark.parametrize("skip", [True, False])
def test_transfers_on_quarter_ends_by_hand(skip):
    agg, _ = run_kernel_forced(_case(skip))
    # Day 90: A current; B 60 DPD and D 60 DPD (first instalment due day 30); C repaid.
    assert _matrix(agg, 90, "n") == {("stage1", "stage1"): 1, ("stage1", "stage2"): 2,
                                     ("stage1", "repaid"): 1}
    assert _matrix(agg, 90, "principal") == {("stage1", "stage1"): P,
                                             ("stage1", "stage2"): 2 * P,
                                             ("stage1", "repaid"): P}
    # Day 180: A current with 9 months' principal left at day 90; B charged off on day 150
    # (120 DPD) with nothing repaid; D paid its arrears on day 100 and its dues since.
    assert _matrix(agg, 180, "n") == {("stage1", "stage1"): 1, ("stage2", "charged_off"): 1,
                                      ("stage2", "stage1"): 1}
    assert _matrix(agg, 180, "principal") == {("stage1", "stage1"): P - 3 * MONTHLY,
                                              ("stage2", "charged_off"): P,
                                              ("stage2", "stage1"): P}
    other = [d for d in range(HORIZON + 1) if d not in (90, 180)]
    assert not agg[other][:, :, L.TRANSFER_N:L.N_METRICS].any()


def test_a_charge_off_after_the_last_quarter_end_is_not_counted():
    case = _case(True)
    case = dataclasses.replace(case, horizon=170, plan_code=case.plan_code[:, :171],
                               plan_amount=case.plan_amount[:, :171])
    agg, _ = run_kernel_forced(case)
    assert not agg[91:, :, L.TRANSFER_N:L.N_METRICS].any()
