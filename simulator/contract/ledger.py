"""The day-by-day ledger of one drawdown: the plain-Python reference for MODEL.md sections 1-4.

Written for clarity, not speed: the numba kernel must agree with it to the micro-yuan.

One day ``t`` (loan day, 1 = the day after disbursement) runs in this order:

1. **Accrue.** Normal interest on normal (not yet due) principal; on every instalment past its
   due day, penalty (罚息) on its principal and compound interest (复利) on its interest, at
   ``r x m``. Within the grace days the charges are held aside; once the grace is exceeded they
   are charged back (retroactive) or dropped.
2. **Fall due.** On a due day the instalment's principal part leaves normal principal and the
   interest accrued in the period is crystallised: both now sit in a *due instalment*.
3. **Pay.** A payment goes to the oldest due instalment first, in the allocation order, then to
   the interest accrued in the current broken period, then to normal principal (prepayment).
4. **End of day.** Due instalments still unpaid are overdue from tomorrow (a late fee is
   charged, if any); DPD is counted from the oldest unpaid due day; acceleration and charge-off
   happen when DPD reaches their thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.contract.buckets import BUCKETS, bucket_index, five_category
from simulator.contract.money import accrue
from simulator.contract.schedule import CALENDAR, due_day, epoch_day, instalment_micro
from simulator.contract.terms import Terms

# Allocation orders: a list of groups; each group is paid across instalments oldest first,
# and within one instalment in the group's order.
ALLOCATION_GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    # MODEL.md 3: oldest instalment first; within it fees, compound, penalty, interest, principal.
    "default": (("fee", "compound", "penalty", "interest", "principal"),),
    # Civil Code art. 561: costs, then all interest-type items, then principal.
    "statute": (("fee",), ("compound", "penalty", "interest"), ("principal",)),
    # Enforcement order: principal, then interest, then charges.
    "principal_first": (("principal",), ("interest",), ("penalty",), ("compound",), ("fee",)),
}


@dataclass
class Instalment:
    """An instalment that has fallen due and is not yet fully paid. Money in micro-yuan."""

    due: int
    principal: int
    interest: int
    penalty: int = 0
    compound: int = 0
    fee: int = 0
    held_penalty: int = 0  # accrued within the grace days, not yet charged
    held_compound: int = 0
    accelerated: bool = False  # the remaining principal, made due by acceleration

    def owed(self) -> int:
        return self.principal + self.interest + self.penalty + self.compound + self.fee


@dataclass
class Day:
    """The state of the drawdown at the end of one day, and that day's flows (micro-yuan)."""

    day: int
    normal_principal: int
    accrued_interest: int
    overdue_principal: int
    overdue_interest: int
    penalty: int
    compound: int
    fees: int
    dpd: int
    bucket: str
    category: str
    status: str
    paid_total: int
    paid_principal: int
    paid_interest: int
    paid_penalty: int
    paid_compound: int
    paid_fees: int
    prepaid_principal: int
    charged_off_principal: int
    recovered: int
    contractual_claim: int
    enforceable_claim: int
    interest_accrued: int
    penalty_accrued: int
    compound_accrued: int
    fees_charged: int
    nonaccrual_charges: int
    payment: int
    events: tuple[str, ...] = ()

    @property
    def outstanding_principal(self) -> int:
        return self.normal_principal + self.overdue_principal


Payment = int | str  # micro-yuan, or one of PAYMENT_WORDS
PAYMENT_WORDS = ("due", "past_due", "all")


@dataclass
class Ledger:
    """One drawdown, stepped one day at a time with :meth:`step`."""

    terms: Terms
    day: int = 0
    normal_principal: int = 0
    accrued_interest: int = 0
    instalments: list[Instalment] = field(default_factory=list)
    next_k: int = 1
    dpd: int = 0
    accelerated: bool = False
    charged_off: bool = False
    closed: bool = False
    charged_off_principal: int = 0
    frozen_claim: int = 0
    frozen_enforceable: int = 0
    recovered: int = 0
    principal_days: int = 0
    paid: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = self.terms
        self.normal_principal = t.principal
        self.instalment = instalment_micro(t.principal, t.daily_rate, t.term, t.method)
        self.period_code = CALENDAR if t.period == "calendar" else int(t.period)
        self.disbursed_epoch = epoch_day(t.disbursed_on)
        self.paid = dict.fromkeys(
            ("principal", "interest", "penalty", "compound", "fee", "prepaid"), 0
        )

    # ----------------------------------------------------------------- queries
    def due_day(self, k: int) -> int:
        return due_day(k, self.period_code, self.disbursed_epoch)

    def total_owed(self) -> int:
        return self.past_due() + self.accrued_interest + self.normal_principal

    def past_due(self) -> int:
        return sum(s.owed() for s in self.instalments)

    def due_today(self) -> int:
        return sum(s.owed() for s in self.instalments if s.due == self.day)

    def _unpaid_charges(self) -> int:
        return self.accrued_interest + sum(
            s.interest + s.penalty + s.compound + s.fee for s in self.instalments
        )

    def _claims(self) -> tuple[int, int]:
        """Contractual claim, and the part a court enforces under the all-in APR cap."""
        if self.charged_off:
            return self.frozen_claim, self.frozen_enforceable
        principal = self.normal_principal + sum(s.principal for s in self.instalments)
        charges = self._unpaid_charges()
        paid_charges = sum(self.paid[k] for k in ("interest", "penalty", "compound", "fee"))
        allowance = accrue(self.principal_days, self.terms.apr_cap / 365.0)
        enforceable = principal + min(charges, max(0, allowance - paid_charges))
        return principal + charges, enforceable

    # ----------------------------------------------------------------- one day
    def step(self, payment: Payment = 0) -> Day:
        """Advance one day, applying ``payment`` (micro-yuan, "due", "past_due" or "all")."""
        self.day += 1
        flows = dict.fromkeys(("interest", "penalty", "compound", "fee", "nonaccrual"), 0)
        events: list[str] = []
        if self.closed or self.charged_off:
            # A recovery is capped at the claim still unrecovered: nothing more is owed.
            remaining = max(0, self.frozen_claim - self.recovered) if self.charged_off else 0
            amount = min(self._resolve(payment), remaining)
            if amount:
                self.recovered += amount
                events.append("recovery")
            return self._snapshot(flows, amount, events)

        was_nonaccrual = self.dpd >= self.terms.non_accrual_dpd
        self._accrue(flows)
        if was_nonaccrual:
            flows["nonaccrual"] = flows["interest"] + flows["penalty"] + flows["compound"]
        if self._fall_due():
            events.append(f"instalment {self.next_k - 1} due")
        amount = min(self._resolve(payment), self.total_owed())
        if amount:
            self._allocate(amount)
            events.append("payment")
        self._end_of_day(flows, events)
        return self._snapshot(flows, amount, events)

    def _accrue(self, flows: dict[str, int]) -> None:
        t, terms = self.day, self.terms
        self.principal_days += self.normal_principal + sum(s.principal for s in self.instalments)
        interest = accrue(self.normal_principal, terms.daily_rate)
        self.accrued_interest += interest
        flows["interest"] += interest
        rate = terms.penalty_rate
        for s in self.instalments:
            if s.due >= t:
                continue
            pen = accrue(s.principal, rate)
            com = accrue(s.interest, rate) if terms.compound_interest else 0
            days_late = t - s.due
            if not s.accelerated and days_late <= terms.grace_days:
                s.held_penalty += pen
                s.held_compound += com
                continue
            if not s.accelerated and terms.grace_days and days_late == terms.grace_days + 1:
                if terms.grace_retroactive:
                    pen += s.held_penalty
                    com += s.held_compound
                s.held_penalty = s.held_compound = 0
            s.penalty += pen
            s.compound += com
            flows["penalty"] += pen
            flows["compound"] += com

    def _fall_due(self) -> bool:
        t, terms = self.day, self.terms
        if self.accelerated or self.next_k > terms.term or self.due_day(self.next_k) != t:
            return False
        k = self.next_k
        self.next_k += 1
        np_ = self.normal_principal
        if k == terms.term:
            part = np_
        elif terms.method == "equal_installment":
            part = min(max(self.instalment - self.accrued_interest, 0), np_)
        elif terms.method == "equal_principal":
            part = min(self.instalment, np_)
        else:  # interest_first
            part = 0
        inst = Instalment(due=t, principal=part, interest=self.accrued_interest)
        self.normal_principal -= part
        self.accrued_interest = 0
        if inst.owed() == 0:
            return False
        self.instalments.append(inst)
        return True

    def _resolve(self, payment: Payment) -> int:
        if isinstance(payment, str):
            if payment == "due":
                return self.due_today()
            if payment == "past_due":
                return self.past_due()
            if payment == "all":
                return self.total_owed()
            raise ValueError(f"unknown payment {payment!r}")
        if payment < 0:
            raise ValueError("a payment cannot be negative")
        return int(payment)

    def _allocate(self, amount: int) -> None:
        left = amount
        for group in ALLOCATION_GROUPS[self.terms.allocation]:
            for s in self.instalments:
                for part in group:
                    take = min(left, getattr(s, part))
                    if take:
                        setattr(s, part, getattr(s, part) - take)
                        self.paid[part] += take
                        left -= take
        take = min(left, self.accrued_interest)
        self.accrued_interest -= take
        self.paid["interest"] += take
        left -= take
        take = min(left, self.normal_principal)
        self.normal_principal -= take
        self.paid["principal"] += take
        self.paid["prepaid"] += take
        left -= take
        assert left == 0, "payment larger than the amount owed"

    def _end_of_day(self, flows: dict[str, int], events: list[str]) -> None:
        t, terms = self.day, self.terms
        for s in self.instalments:
            if s.due == t and s.owed() > 0 and terms.late_fee:
                s.fee += terms.late_fee
                flows["fee"] += terms.late_fee
        self.instalments = [s for s in self.instalments if s.owed() > 0]
        self.dpd = t - self.instalments[0].due if self.instalments else 0
        if (
            terms.acceleration_dpd is not None
            and not self.accelerated
            and self.dpd >= terms.acceleration_dpd
        ):
            self.accelerated = True
            if self.normal_principal or self.accrued_interest:
                self.instalments.append(
                    Instalment(
                        due=t,
                        principal=self.normal_principal,
                        interest=self.accrued_interest,
                        accelerated=True,
                    )
                )
                self.normal_principal = self.accrued_interest = 0
            events.append("accelerated")
        if terms.charge_off_dpd is not None and self.dpd >= terms.charge_off_dpd:
            self.frozen_claim, self.frozen_enforceable = self._claims()
            self.charged_off = True
            self.charged_off_principal = self.normal_principal + sum(
                s.principal for s in self.instalments
            )
            events.append("charged off")
        elif not self.instalments and self.normal_principal == 0 and self.accrued_interest == 0:
            self.closed = True
            self.dpd = 0
            events.append("closed")

    def _snapshot(self, flows: dict[str, int], amount: int, events: list[str]) -> Day:
        on_book = not self.charged_off
        insts = self.instalments if on_book else []
        contractual, enforceable = self._claims()
        if self.charged_off:
            contractual = max(0, contractual - self.recovered)
            enforceable = max(0, enforceable - self.recovered)
        status = (
            "charged_off" if self.charged_off
            else "closed" if self.closed
            else "delinquent" if self.dpd > 0
            else "current"
        )
        return Day(
            day=self.day,
            normal_principal=self.normal_principal if on_book else 0,
            accrued_interest=self.accrued_interest if on_book else 0,
            overdue_principal=sum(s.principal for s in insts),
            overdue_interest=sum(s.interest for s in insts),
            penalty=sum(s.penalty for s in insts),
            compound=sum(s.compound for s in insts),
            fees=sum(s.fee for s in insts),
            dpd=self.dpd,
            bucket="CO" if self.charged_off else BUCKETS[bucket_index(self.dpd)],
            category=five_category(self.dpd, self.charged_off),
            status=status,
            paid_total=sum(
                self.paid[k] for k in ("principal", "interest", "penalty", "compound", "fee")
            ),
            paid_principal=self.paid["principal"],
            paid_interest=self.paid["interest"],
            paid_penalty=self.paid["penalty"],
            paid_compound=self.paid["compound"],
            paid_fees=self.paid["fee"],
            prepaid_principal=self.paid["prepaid"],
            charged_off_principal=self.charged_off_principal,
            recovered=self.recovered,
            contractual_claim=contractual,
            enforceable_claim=enforceable,
            interest_accrued=flows["interest"],
            penalty_accrued=flows["penalty"],
            compound_accrued=flows["compound"],
            fees_charged=flows["fee"],
            nonaccrual_charges=flows["nonaccrual"],
            payment=amount,
            events=tuple(events),
        )


def run_ledger(
    terms: Terms, payments: dict[int, Payment] | None = None, days: int = 360
) -> list[Day]:
    """Step a fresh drawdown through ``days`` days; ``payments`` maps loan day to a payment."""
    payments = payments or {}
    ledger = Ledger(terms)
    return [ledger.step(payments.get(t, 0)) for t in range(1, days + 1)]

