"""Invariants of the ledger over random loans and random payment histories (hypothesis).

Settings: ``max_examples=200, deadline=None`` (a loan runs up to ~420 days in pure Python).
"""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.contract import BUCKETS, Day, Ledger, Terms, to_micro
from simulator.contract.ledger import bucket_index
from simulator.contract.schedule import METHODS
from simulator.contract.terms import ALLOCATIONS

SETTINGS = settings(max_examples=200, deadline=None)
LABELS = {"day", "dpd", "bucket", "category", "status", "events"}
MONEY = [f.name for f in dataclasses.fields(Day) if f.name not in LABELS]


@st.composite
def terms(draw) -> Terms:
    acc = draw(st.sampled_from([None, 30, 60, 90]))
    co = draw(st.sampled_from([None, 90, 120, 180]))
    return Terms(
        principal=to_micro(draw(st.integers(1_000_00, 300_000_00))) // 100,
        daily_rate=draw(st.floats(0.00015, 0.0006)),
        term=draw(st.sampled_from([3, 6, 12])),
        method=draw(st.sampled_from(METHODS)),
        period=draw(st.sampled_from([30, "calendar"])),
        compound_interest=draw(st.booleans()),
        late_fee=draw(st.sampled_from([0, to_micro(20)])),
        grace_days=draw(st.sampled_from([0, 0, 3])),
        grace_retroactive=draw(st.booleans()),
        acceleration_dpd=acc,
        charge_off_dpd=co,
        allocation=draw(st.sampled_from(ALLOCATIONS)),
    )


def payments(principal: int, days: int):
    amount = st.integers(0, principal // 4) | st.integers(0, 2_000_000_000)
    what = st.one_of(amount, st.sampled_from(["due", "past_due", "all"]))
    return st.dictionaries(st.integers(1, days), what, max_size=15)


@st.composite
def histories(draw):
    t = draw(terms())
    days = Ledger(t).due_day(t.term) + draw(st.integers(0, 60))
    return t, days, draw(payments(t.principal, days))


def run(t: Terms, days: int, pays: dict):
    ledger = Ledger(t)
    for day in range(1, days + 1):
        d = ledger.step(pays.get(day, 0))
        yield ledger, d


@SETTINGS
@given(histories())
def test_daily_invariants(case):
    t, days, pays = case
    prev = None
    for ledger, d in run(t, days, pays):
        # No balance or flow is ever negative.
        for name in MONEY:
            assert getattr(d, name) >= 0, name
        # Principal is conserved.
        assert t.principal == (
            d.normal_principal + d.overdue_principal + d.paid_principal + d.charged_off_principal
        )
        # Money paid is the sum of its parts; a day's payment moves the totals by itself.
        assert d.paid_total == (
            d.paid_principal + d.paid_interest + d.paid_penalty + d.paid_compound + d.paid_fees
        )
        assert d.prepaid_principal <= d.paid_principal
        before_paid = prev.paid_total if prev else 0
        before_rec = prev.recovered if prev else 0
        if d.status == "charged_off" and prev is not None and prev.status == "charged_off":
            assert d.recovered - before_rec == d.payment
            assert d.paid_total == before_paid
        else:
            assert d.paid_total - before_paid == d.payment
        # DPD is 0 exactly when nothing is past due at the end of the day; an instalment due
        # today and unpaid is not past due.
        if d.status != "charged_off":
            past_due = any(s.due < d.day for s in ledger.instalments)
            assert (d.dpd > 0) == past_due
            assert (d.dpd == 0) == (d.status in ("current", "closed"))
            assert d.bucket == BUCKETS[bucket_index(d.dpd)]
        else:
            assert d.bucket == "CO" and t.charge_off_dpd is not None and d.dpd >= t.charge_off_dpd
        # The claim a court enforces never exceeds the contract, and always covers principal.
        assert d.enforceable_claim <= d.contractual_claim
        if d.status not in ("charged_off", "closed"):
            assert d.enforceable_claim >= d.normal_principal + d.overdue_principal
            owed = (d.normal_principal + d.accrued_interest + d.overdue_principal
                    + d.overdue_interest + d.penalty + d.compound + d.fees)
            assert d.contractual_claim == owed
        if d.status == "closed":
            assert d.paid_principal == t.principal and d.contractual_claim == 0
        prev = d


@SETTINGS
@given(histories(), st.data())
def test_paying_all_settles_everything(case, data):
    t, days, pays = case
    settle = data.draw(st.integers(1, days), label="settle day")
    pays = {k: v for k, v in pays.items() if k < settle} | {settle: "all"}
    history = [d for _, d in run(t, settle, pays)]
    d = history[-1]
    assert d.contractual_claim == 0 and d.enforceable_claim == 0
    for name in ("normal_principal", "accrued_interest", "overdue_principal",
                 "overdue_interest", "penalty", "compound", "fees"):
        assert getattr(d, name) == 0, name
    if d.status == "charged_off":
        assert d.charged_off_principal > 0
        before = history[-2] if len(history) > 1 else None
        assert before is not None and d.payment == before.contractual_claim
    else:
        assert d.status == "closed" and d.dpd == 0
        assert d.paid_principal == t.principal


@SETTINGS
@given(terms(), st.integers(1, 60))
def test_on_time_borrower_never_pays_charges(t, extra):
    ledger = Ledger(t)
    n = ledger.due_day(t.term) + extra
    due_days = {ledger.due_day(k) for k in range(1, t.term + 1)}
    for day in range(1, n + 1):
        d = ledger.step("due" if day in due_days else 0)
        assert d.dpd == 0
    assert d.status == "closed"
    assert d.paid_penalty == d.paid_compound == d.paid_fees == 0
    assert d.paid_principal == t.principal
