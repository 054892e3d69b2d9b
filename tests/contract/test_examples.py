"""MODEL.md section 5, worked examples A, B and C, through the Python API and `overdue loan`.

Every expected number is worked out here from the rules, not read off the program. Tolerance
is half a fen (5,000 micro-yuan), as MODEL.md states for its examples.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from simulator.contract import Ledger, Terms, run_ledger, to_micro

HALF_FEN = 5_000  # micro-yuan
R = 0.0005
PEN = R * 1.5  # penalty and compound rate, 0.075 % a day


def micro(yuan: float) -> int:
    return round(yuan * 1_000_000)


def close(actual_micro: int, expected_yuan: float, tol: int = HALF_FEN) -> bool:
    return abs(actual_micro - micro(expected_yuan)) <= tol


def overdue(*args: str) -> dict:
    """Run the console entry point in a fresh interpreter; return the parsed JSON."""
    cmd = [sys.executable, "-c", "from simulator.cli import main; main()", "loan", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


LOAN_A = Terms(principal=to_micro(10_000), daily_rate=R)

# i = 30 r = 1.5 %; A = P i (1+i)^n / ((1+i)^n - 1), rounded to the fen.
I_MONTH = 30 * R
ANNUITY = round(10_000 * I_MONTH * (1 + I_MONTH) ** 12 / ((1 + I_MONTH) ** 12 - 1), 2)
FIRST_INTEREST = 10_000 * R * 30  # 150.00
FIRST_PRINCIPAL = ANNUITY - FIRST_INTEREST  # 766.80
PENALTY_A = FIRST_PRINCIPAL * PEN * 30  # 766.80 x 0.075 % x 30 = 17.253
COMPOUND_A = FIRST_INTEREST * PEN * 30  # 150.00 x 0.075 % x 30 = 3.375


def test_hand_numbers_match_model_md():
    assert ANNUITY == 916.80
    assert FIRST_PRINCIPAL == pytest.approx(766.80)
    assert round(PENALTY_A, 2) == 17.25
    assert COMPOUND_A == pytest.approx(3.375)
    assert round(PENALTY_A + COMPOUND_A, 2) == 20.63


# ----------------------------------------------------------------------------- A
def test_example_a_api():
    ledger = Ledger(LOAN_A)
    assert ledger.instalment == micro(ANNUITY)
    days = [ledger.step("all" if t == 60 else 0) for t in range(1, 61)]
    d30, d59, d60 = days[29], days[58], days[59]
    # Instalment 1 falls due on day 30 and splits 766.80 + 150.00.
    assert close(d30.overdue_principal, FIRST_PRINCIPAL)
    assert close(d30.overdue_interest, FIRST_INTEREST)
    assert close(d30.normal_principal, 10_000 - FIRST_PRINCIPAL)  # 9,233.20 untouched
    # On day 59 penalty accrues only on the 766.80 overdue, not on the other 9,233.20.
    assert close(d59.penalty_accrued, FIRST_PRINCIPAL * PEN, tol=1)
    assert d59.dpd == 29
    assert d60.status == "closed"
    assert close(d60.paid_penalty, PENALTY_A)
    assert close(d60.paid_compound, COMPOUND_A)
    assert close(d60.paid_penalty + d60.paid_compound, 20.63)


def test_example_a_cli():
    out = overdue(
        "--principal", "10000", "--daily-rate", "0.0005", "--term", "12",
        "--pay", "60:all", "--days", "60", "--format", "json",
    )
    assert out["day"] == 60
    assert out["status"] == "closed"
    assert out["paid_penalty"] == pytest.approx(17.25, abs=0.005)
    assert out["paid_compound"] == pytest.approx(3.375, abs=0.005)
    assert out["terms"]["instalment"] == pytest.approx(916.80)
    assert out["paid_principal"] == pytest.approx(10_000)


def test_example_a_instalment_split_cli():
    out = overdue("--principal", "10000", "--daily-rate", "0.0005", "--days", "30",
                  "--format", "json")
    (inst,) = out["instalments"]
    assert inst["due_day"] == 30
    assert inst["principal"] == pytest.approx(766.80, abs=0.005)
    assert inst["interest"] == pytest.approx(150.00, abs=0.005)
    assert inst["principal"] + inst["interest"] == pytest.approx(916.80, abs=0.005)
    assert out["dpd"] == 0  # due today and unpaid is not yet past due


# ----------------------------------------------------------------------------- B
B_PAYMENTS = {30 * k: "due" for k in range(1, 12)} | {390: "all"}
PENALTY_B = 10_000 * PEN * 30  # 225.00
COMPOUND_B = 150 * PEN * 30  # 3.375


def test_example_b_api():
    terms = Terms(principal=to_micro(10_000), daily_rate=R, method="interest_first")
    days = run_ledger(terms, B_PAYMENTS, 390)
    # Interest-first: each of the first 11 instalments is 150.00 of interest only.
    assert days[29].payment == micro(150.00)
    assert days[329].paid_principal == 0
    # The final 10,150.00 falls due on day 360.
    assert days[359].overdue_principal == micro(10_000)
    assert days[359].overdue_interest == micro(150.00)
    last = days[-1]
    assert last.status == "closed"
    assert close(last.paid_penalty, PENALTY_B)
    assert close(last.paid_compound, COMPOUND_B)
    assert close(last.paid_interest, 12 * 150.00)


def test_example_b_cli():
    pays = [a for k in range(1, 12) for a in ("--pay", f"{30 * k}:due")]
    out = overdue("--principal", "10000", "--daily-rate", "0.0005", "--method", "interest_first",
                  *pays, "--pay", "390:all", "--days", "390", "--format", "json")
    assert out["status"] == "closed"
    assert out["paid_penalty"] == pytest.approx(225.00, abs=0.005)
    assert out["paid_compound"] == pytest.approx(3.375, abs=0.005)


# ----------------------------------------------------------------------------- C
# On day 60: 3.375 + 17.25 + 150.00 cleared, the rest of 500 goes to principal.
C_TO_PRINCIPAL = 500 - COMPOUND_A - PENALTY_A - FIRST_INTEREST
C_LEFT = FIRST_PRINCIPAL - C_TO_PRINCIPAL  # 437.43
C_PENALTY_NEXT = 437.43 * PEN  # 0.328 a day


def test_example_c_hand_numbers():
    assert round(C_LEFT, 2) == 437.43
    assert round(C_PENALTY_NEXT, 3) == 0.328


def test_example_c_api():
    ledger = Ledger(LOAN_A)
    days = [ledger.step(to_micro(500) if t == 60 else 0) for t in range(1, 61)]
    first = ledger.instalments[0]
    assert first.due == 30
    assert (first.interest, first.penalty, first.compound) == (0, 0, 0)
    assert close(first.principal, C_LEFT)
    assert close(days[-1].paid_penalty, PENALTY_A)
    assert close(days[-1].paid_compound, COMPOUND_A)
    # Instalment 2, due the same day, is unpaid as well.
    assert [s.due for s in ledger.instalments] == [30, 60]
    assert days[-1].dpd == 30
    day61 = ledger.step(0)
    assert day61.dpd == 31
    assert close(ledger.instalments[0].penalty, C_PENALTY_NEXT)


def test_example_c_cli():
    out = overdue("--principal", "10000", "--daily-rate", "0.0005", "--pay", "60:500",
                  "--days", "61", "--format", "json")
    assert out["dpd"] == 31
    first, second = out["instalments"]
    assert first["due_day"] == 30 and second["due_day"] == 60
    assert first["principal"] == pytest.approx(437.43, abs=0.005)
    assert first["penalty"] == pytest.approx(0.328, abs=0.005)
    assert first["interest"] == 0 and first["compound"] == 0
