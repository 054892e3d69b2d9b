"""Hand-computed ledger cases: acceleration, grace, charge-off, allocation orders, prepayment,
late fee, the enforceable claim under the APR cap, non-accrual, recovery.

Expected numbers are written as the arithmetic that gives them. ``HALF_FEN`` is the tolerance
where the ledger's daily rounding to the micro-yuan can differ from one multiplication.
"""

from __future__ import annotations

import pytest

from simulator.contract import Ledger, Terms, run_ledger, to_micro

HALF_FEN = 5_000
R = 0.0005
PEN = R * 1.5


def micro(yuan: float) -> int:
    return round(yuan * 1_000_000)


def near(actual: int, yuan: float, tol: int = HALF_FEN) -> bool:
    return abs(actual - micro(yuan)) <= tol


def loan(**kw) -> Terms:
    base = {"principal": to_micro(10_000), "daily_rate": R}
    return Terms(**(base | kw))


def step_to(ledger: Ledger, day: int, payments: dict | None = None):
    payments = payments or {}
    out = None
    while ledger.day < day:
        out = ledger.step(payments.get(ledger.day + 1, 0))
    return out


# Example A's loan: instalment 916.80 = 766.80 + 150.00; period 2 interest on 9,233.20.
P1, I1 = 766.80, 150.00
I2 = (10_000 - P1) * R * 30  # 138.498
P2 = 916.80 - I2  # 778.302


# ----------------------------------------------------------------------------- DPD
def test_due_today_is_not_past_due():
    days = run_ledger(loan(), {}, 31)
    assert (days[29].dpd, days[29].status, days[29].bucket) == (0, "current", "M0")
    assert (days[30].dpd, days[30].status, days[30].bucket) == (1, "delinquent", "M1")


def test_buckets_and_classes_follow_dpd():
    days = run_ledger(loan(acceleration_dpd=None, charge_off_dpd=None), {}, 400)
    # Instalment 1 due day 30 and never paid: DPD on day t is t - 30.
    # M1 1-30, M2 31-60, M3 61-90, M4 91-120, ... M6 from 151; non-performing above 90.
    expect = {1: ("M1", "special_mention"), 30: ("M1", "special_mention"),
              31: ("M2", "special_mention"), 60: ("M2", "special_mention"),
              61: ("M3", "special_mention"), 90: ("M3", "special_mention"),
              91: ("M4", "substandard"), 120: ("M4", "substandard"),
              121: ("M5", "substandard"), 151: ("M6", "substandard"),
              270: ("M6", "substandard"), 271: ("M6", "doubtful"),
              360: ("M6", "doubtful"), 361: ("M6", "loss")}
    for dpd, (bucket, cls) in expect.items():
        d = days[30 + dpd - 1]
        assert (d.dpd, d.bucket, d.category) == (dpd, bucket, cls)


# ----------------------------------------------------------------------------- acceleration
def test_acceleration_moves_principal_and_broken_period_interest():
    # Interest-first 10,000 at 0.05 %/day: 150.00 interest due every 30 days, never paid.
    # Acceleration at 100 DPD: DPD 100 on day 130. Broken period: days 121..130, 10 x 5.00.
    terms = loan(method="interest_first", acceleration_dpd=100)
    ledger = Ledger(terms)
    d129 = step_to(ledger, 129)
    assert d129.normal_principal == micro(10_000) and "accelerated" not in d129.events
    d130 = ledger.step()
    assert "accelerated" in d130.events and d130.dpd == 100
    assert d130.normal_principal == 0 and d130.accrued_interest == 0
    assert d130.overdue_principal == micro(10_000)
    assert d130.overdue_interest == micro(4 * 150.00 + 10 * 10_000 * R)  # 650.00
    d131 = ledger.step()
    # From the next day: penalty on the whole 10,000, compound on all 650 of interest,
    # no more normal interest.
    assert d131.interest_accrued == 0
    assert d131.penalty_accrued == micro(10_000 * PEN)  # 7.50
    assert d131.compound_accrued == micro(650 * PEN)  # 0.4875
    # No more instalments fall due after acceleration (the next would be day 150).
    d150 = step_to(ledger, 150)
    assert not any(e.endswith(" due") for e in d150.events)


def test_acceleration_default_90_on_equal_installment():
    # Unpaid from the start: DPD 90 on day 120, when instalment 4 also falls due.
    days = run_ledger(loan(), {}, 121)
    assert "accelerated" in days[119].events and days[119].normal_principal == 0
    assert days[119].overdue_principal == micro(10_000)
    # Day 121: penalty on all 10,000 (per-instalment rounding: a few micro-yuan).
    assert near(days[120].penalty_accrued, 10_000 * PEN, tol=10)
    assert not any("accelerated" in d.events for d in days[:119])


def test_acceleration_off_keeps_the_schedule():
    days = run_ledger(loan(acceleration_dpd=None, charge_off_dpd=None), {}, 361)
    assert sum(1 for d in days if any(e.endswith(" due") for e in d.events)) == 12
    assert not any("accelerated" in d.events for d in days)


# ----------------------------------------------------------------------------- grace
def test_payment_within_grace_bears_no_penalty():
    days = run_ledger(loan(grace_days=3), {33: "past_due"}, 33)
    assert days[-1].payment == micro(916.80)
    assert days[-1].paid_penalty == 0 and days[-1].paid_compound == 0
    # Grace never changes DPD counting.
    assert [d.dpd for d in run_ledger(loan(grace_days=3), {}, 34)[30:]] == [1, 2, 3, 4]


def test_grace_exceeded_charges_back_to_the_due_date():
    # Paid on day 34, 4 days late > 3 grace days: penalty for days 31..34.
    days = run_ledger(loan(grace_days=3), {34: "past_due"}, 34)
    assert days[-1].paid_penalty == micro(P1 * PEN * 4)  # 2.3004
    assert days[-1].paid_compound == micro(I1 * PEN * 4)  # 0.45
    assert days[-1].payment == micro(916.80 + P1 * PEN * 4 + I1 * PEN * 4)
    assert days[33].penalty_accrued == micro(P1 * PEN * 4)  # charged back on day 34 at once


def test_grace_exceeded_not_retroactive():
    days = run_ledger(loan(grace_days=3, grace_retroactive=False), {34: "past_due"}, 34)
    assert days[-1].paid_penalty == micro(P1 * PEN)  # day 34 only: 0.5751
    assert days[-1].paid_compound == micro(I1 * PEN)  # 0.1125


# ----------------------------------------------------------------------------- charge-off
def test_charge_off_writes_off_all_remaining_principal():
    # 500 paid on day 60 (example C): 329.372 to principal, the rest is written off when
    # DPD (from day 30) reaches 180, on day 210.
    to_principal = 500 - I1 - P1 * PEN * 30 - I1 * PEN * 30
    days = run_ledger(loan(), {60: to_micro(500)}, 260)
    d209, d210, d260 = days[208], days[209], days[259]
    assert d209.status == "delinquent" and d209.charged_off_principal == 0
    assert d210.status == "charged_off" and "charged off" in d210.events
    assert (d210.bucket, d210.category) == ("CO", "written_off")
    assert near(d210.charged_off_principal, 10_000 - to_principal, tol=2)
    assert d210.normal_principal == d210.overdue_principal == d210.penalty == 0
    # The claim is frozen from then on: no more accrual.
    assert d260.contractual_claim == d210.contractual_claim
    assert d260.enforceable_claim == d210.enforceable_claim
    # The frozen claim includes the charge-off day's own accrual.
    day210_accrual = d210.interest_accrued + d210.penalty_accrued + d210.compound_accrued
    assert d210.contractual_claim == d209.contractual_claim + day210_accrual
    assert all(d.penalty_accrued == 0 for d in days[210:])


def test_charge_off_without_acceleration_takes_normal_principal_too():
    # Charge-off at 90 DPD, no acceleration: day 120; instalments 1..4 fell due, the rest
    # was still on schedule and is written off as well: all 10,000.
    days = run_ledger(loan(acceleration_dpd=None, charge_off_dpd=90), {}, 125)
    assert days[119].status == "charged_off"
    assert days[119].charged_off_principal == micro(10_000)


def test_recovery_after_charge_off_reduces_the_claim():
    days = run_ledger(loan(), {230: to_micro(1_000)}, 231)
    claim = days[228].contractual_claim
    assert days[229].recovered == micro(1_000) and "recovery" in days[229].events
    assert days[229].contractual_claim == claim - micro(1_000)
    assert days[229].paid_total == days[228].paid_total  # a recovery is not a book payment


def test_recovery_cannot_exceed_the_claim():
    # Paying "all" twice after charge-off: the second finds nothing owed.
    days = run_ledger(loan(), {220: "all", 221: "all", 222: to_micro(5)}, 222)
    claim = days[218].contractual_claim
    assert days[219].recovered == claim and days[219].contractual_claim == 0
    assert days[220].payment == 0 and days[221].payment == 0
    assert days[221].recovered == claim


# ----------------------------------------------------------------------------- allocation
# Pay on day 61 with nothing paid before. Instalment 1 (due 30) has run 31 days late,
# instalment 2 (due 60) one day.
PEN1 = P1 * PEN * 31  # 17.8281
COM1 = I1 * PEN * 31  # 3.4875
PEN2 = P2 * PEN  # 0.5837...
COM2 = I2 * PEN  # 0.1038...


def _after_payment(allocation: str, amount: float) -> Ledger:
    ledger = Ledger(loan(allocation=allocation))
    step_to(ledger, 61, {61: to_micro(amount)})
    return ledger


def test_default_allocation_oldest_first():
    ledger = _after_payment("default", 200)
    s1, s2 = ledger.instalments
    # 200 clears instalment 1's compound, penalty, interest; the rest goes to its principal.
    assert near(s1.principal, P1 - (200 - COM1 - PEN1 - I1))
    assert s1.interest == s1.penalty == s1.compound == 0
    assert near(s2.interest, I2) and near(s2.principal, P2)


def test_statute_allocation_all_interest_before_principal():
    ledger = _after_payment("statute", 200)
    s1, s2 = ledger.instalments
    # Interest-type items of both instalments, oldest first, before any principal:
    # 200 - (3.4875 + 17.8281 + 150) = 28.6844 -> instalment 2's compound and penalty,
    # then 28.6844 - 0.1039 - 0.5837 = 27.9968 of its interest.
    assert near(s1.principal, P1) and s1.interest == s1.penalty == s1.compound == 0
    assert s2.compound == 0 and s2.penalty == 0
    assert near(s2.interest, I2 - (200 - COM1 - PEN1 - I1 - COM2 - PEN2))
    assert near(s2.principal, P2)
    assert ledger.paid["principal"] == 0


def test_principal_first_allocation():
    ledger = _after_payment("principal_first", 1_000)
    s1, s2 = ledger.instalments
    # 1,000 -> instalment 1's 766.80 of principal, then 233.20 of instalment 2's.
    assert s1.principal == 0
    assert near(s1.interest, I1) and near(s1.penalty, PEN1) and near(s1.compound, COM1)
    assert near(s2.principal, P2 - (1_000 - P1))
    assert ledger.paid["principal"] == micro(1_000)
    assert ledger.dpd == 31  # charges of instalment 1 are still past due


# ----------------------------------------------------------------------------- prepayment
def test_prepayment_mid_period():
    # 1,000 on day 15: 15 days of interest (75.00), then 925.00 off principal -> 9,075.
    # Instalment 1 (still 916.80): interest 75 was paid, so only days 16..30 on 9,075
    # = 68.0625; principal part 916.80 - 68.0625 = 848.7375.
    days = run_ledger(loan(), {15: to_micro(1_000)}, 30)
    d15, d30 = days[14], days[29]
    assert d15.paid_interest == micro(15 * 10_000 * R)
    assert d15.prepaid_principal == micro(1_000 - 75)
    assert d15.normal_principal == micro(9_075)
    assert d30.overdue_interest == micro(9_075 * R * 15)
    assert d30.overdue_principal == micro(916.80 - 9_075 * R * 15)
    assert d30.normal_principal == micro(9_075 - (916.80 - 9_075 * R * 15))


def test_prepaying_everything_closes_with_interest_for_days_used():
    days = run_ledger(loan(), {10: "all", 11: to_micro(50)}, 11)
    assert days[9].payment == micro(10_000 + 10 * 5.00)
    assert days[9].status == "closed" and days[9].contractual_claim == 0
    assert days[10].payment == 0 and days[10].paid_total == days[9].paid_total


# ----------------------------------------------------------------------------- late fee
def test_late_fee_once_per_missed_instalment():
    days = run_ledger(loan(late_fee=to_micro(20)), {31: "past_due"}, 61)
    assert days[29].fees_charged == micro(20) and days[29].fees == micro(20)
    # Paid next day: fee 20, one day's penalty and compound, the instalment.
    assert days[30].payment == micro(20 + P1 * PEN + I1 * PEN + 916.80)
    assert days[30].paid_fees == micro(20)
    assert days[30].fees == 0
    # Instalment 2 (due 60) unpaid: a second fee.
    assert days[59].fees_charged == micro(20)


def test_no_late_fee_when_paid_on_the_due_day():
    days = run_ledger(loan(late_fee=to_micro(20)), {30: "due"}, 31)
    assert days[29].fees_charged == 0 and days[30].fees == 0


# ----------------------------------------------------------------------------- APR cap
def test_enforceable_claim_capped_at_24_percent():
    # Interest-first 10,000 at 0.06 %/day, nothing paid, no acceleration or charge-off.
    # Day 300: 10 instalments of 180.00 interest due on days 30..300; compound on each
    # from the day after its due day at 0.09 %/day: 180 x 0.0009 x sum(300 - 30k, k=1..10).
    terms = loan(daily_rate=0.0006, method="interest_first", acceleration_dpd=None,
                 charge_off_dpd=None)
    d = run_ledger(terms, {}, 300)[-1]
    compound = 180 * 0.0009 * sum(300 - 30 * k for k in range(1, 11))  # 218.70
    charges = 10 * 180 + compound  # 2,018.70
    allowance = 0.24 / 365 * 10_000 * 300  # 1,972.60
    assert near(d.contractual_claim, 10_000 + charges, tol=10)
    assert charges > allowance
    assert near(d.enforceable_claim, 10_000 + allowance, tol=1)


def test_enforceable_allowance_counts_charges_already_paid():
    # Same loan, 100.00 paid on day 100, to instalment 1's compound (180 x 0.0009 x 70
    # = 11.34) and 88.66 of its interest, which then bears no compound for days 101..300.
    # The allowance left is 1,972.60 - 100.00; unpaid charges still exceed it.
    terms = loan(daily_rate=0.0006, method="interest_first", acceleration_dpd=None,
                 charge_off_dpd=None)
    d = run_ledger(terms, {100: to_micro(100)}, 300)[-1]
    assert d.paid_principal == 0
    compound = 180 * 0.0009 * sum(300 - 30 * k for k in range(1, 11))
    unpaid = 10 * 180 + compound - 100 - (100 - 180 * 0.0009 * 70) * 0.0009 * 200  # 1,902.74
    allowance = 0.24 / 365 * 10_000 * 300
    assert near(d.contractual_claim, 10_000 + unpaid, tol=10)
    assert unpaid > allowance - 100
    assert near(d.enforceable_claim, 10_000 + allowance - 100, tol=1)


def test_enforceable_equals_contractual_below_the_cap():
    d = run_ledger(loan(), {}, 45)[-1]
    assert d.enforceable_claim == d.contractual_claim


# ----------------------------------------------------------------------------- non-accrual
def test_charges_after_90_dpd_are_non_accrual():
    days = run_ledger(loan(acceleration_dpd=None), {}, 125)
    # DPD reaches 90 at the end of day 120; charges from day 121 are not income.
    assert all(d.nonaccrual_charges == 0 for d in days[:120])
    for d in days[120:]:
        assert d.nonaccrual_charges == d.interest_accrued + d.penalty_accrued + d.compound_accrued
        assert d.nonaccrual_charges > 0
    # Day 121 still accrues normal interest on the principal not yet due (no acceleration):
    # 10,000 less four instalments' principal, at 0.05 %.
    assert days[120].interest_accrued == pytest.approx(days[120].normal_principal * R, abs=1)


def test_negative_payment_is_refused():
    with pytest.raises(ValueError):
        Ledger(loan()).step(-1)
