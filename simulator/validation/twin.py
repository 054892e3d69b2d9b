"""The behaviour twin: the whole portfolio simulated in plain Python, the kernel's reference.

The ledger (``simulator.contract.ledger``) is the reference for money on one drawdown under
payments it is told; the twin is the reference for behaviour: every borrower, every drawdown,
every day of every path, every decision drawn from the same counter-based generator
(:mod:`simulator.validation.twin_rng`, written from the kernel's definition, not imported
from it). It reads the kernel's inputs (``simulator.book.inputs.kernel_inputs``) and returns
the engine's aggregates by metric name, levels for state metrics and daily amounts for flows,
so the two can be compared cell by cell (:mod:`simulator.validation.twin_check`), and under
``"vintages"`` the vintage block ``[path, vintage, month, VINTAGE_METRICS]``.

Written for clarity, not speed: each drawdown is stepped on every day from its first day
(seasoned drawdowns from their disbursement, before day 0; the kernel's quiet-day skipping
and seasoning replay are shortcuts documented to give the same bits), and each day's levels
are counted afresh from every drawdown's state rather than kept as changes.

One day of a drawdown, in order (MODEL.md 1-6):

1. accrue normal interest, penalty and compound interest (grace days held aside);
2. the next instalment falls due on its due day;
3. decide and pay: before the first day of behaviour (day 1, or the burn-in's first day) the
   seasoned history (paid on time until its arrears began); in arrears, restructuring (if
   offered) or the borrower's cure / partial payment; on a due date, miss (the borrower in
   arrears, or its month's decision: the one-factor rule on its PD), else prepay, else pay
   what fell due;
4. end of day: late fee, DPD, roll counts, acceleration, charge-off with recoveries, or
   closing and perhaps a redraw.

The borrower (MODEL.md 6) holds its employment months, drawn once at its start, and its state
at the end of each day, which the next day's decisions read: the level payments, youngest
origin and oldest unpaid due date of its drawdowns on book, and whether one is restructured.
In the burn-in (days ``(-burn_in_days, 0]``) the path draws as on any day, under its factor's
own history, and nothing but recoveries falling after day 0 reaches the flows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from simulator.book.inputs import KernelInputs, allocation_table
from simulator.contract.ledger import ALLOCATION_GROUPS, BUCKETS, Instalment, bucket_index
from simulator.contract.money import FEN, accrue
from simulator.contract.schedule import METHODS, due_day, instalment_micro
from simulator.results.registry import STAGE_FROM, STAGE_TO
from simulator.validation import twin_rng as rng

LOG_PD_CAP = math.log(0.999)  # the PD is capped at 0.999 (``steps.LOG_PD_CAP``)

ACTIVE, CLOSED, CHARGED_OFF = "active", "closed", "charged off"
GENERATION_SHIFT = 1 << 40  # the draw unit of a redraw: drawdown id + generation x 2**40
DAYS_PER_MONTH = 30  # the macro month of day t is t // 30, the last month held to the end
BUCKET_COUNTS = tuple(f"n_{b}" for b in BUCKETS)
BUCKET_PRINCIPALS = tuple(f"principal_{b}" for b in BUCKETS)

# Metrics by name (the engine's timeseries names; the three cumulative columns by their daily
# flows). Levels: the state at the end of each day; flows: that day's amounts.
LEVEL_METRICS = (*BUCKET_COUNTS, "n_CO", "n_closed", *BUCKET_PRINCIPALS, "borrowers_dpd30",
                 "borrowers_dpd90", "n_restructured", "principal_restructured", "borrowers",
                 "borrowers_unemployed")
FLOW_METRICS = (
    "principal_paid", "prepaid_principal", "charged_off_principal", "recoveries",
    "interest_accrued", "penalty_accrued", "compound_accrued", "fees_charged",
    "interest_paid", "penalty_paid", "compound_paid", "fees_paid", "nonaccrual_charges",
    "n_missed", "n_cured", "n_prepaid", "disbursed_principal", "n_new", "capitalised",
    "waived", "n_restructurings", "n_litigated", "legal_recoveries", "legal_cost",
    "n_roll30", "n_roll90", "principal_due", "principal_due_unpaid", "principal_collected_30",
    *(f"{kind}_{f}_to_{to}" for kind in ("n", "principal") for f in STAGE_FROM for to in STAGE_TO),
)
QUARTER_DAYS = 90  # IFRS 9 stage transfers are counted on days 90, 180, ... (from day 0)
COLLECTION_WINDOW_DAYS = 30  # a day-1 delinquent instalment's principal paid within it
# Vintage curves by (vintage, month of the event): vintage 0 is the book on day 0, v >= 1 the
# drawdowns disbursed on days 30(v-1)+1 .. 30v; the month of day t the same way (0: day 0).
VINTAGE_METRICS = ("disbursed", "dpd30", "dpd90", "charged_off", "recoveries", "fpd")
METRIC_NAMES = LEVEL_METRICS + FLOW_METRICS


@dataclass
class Drawdown:
    """One drawdown of the book, through its generations: the book's own drawdown, then each
    redraw after it closes. Money in micro-yuan; days are sim days unless named loan days
    (days since ``origin``, the start of the current schedule)."""

    row: int  # its row in the book
    unit: int  # the key of its draws (this generation's)
    keys: dict[int, int]  # stream -> key hashed up to the unit, for the day-by-day draws
    origin: int  # sim day of disbursement, or of the restructuring or redraw
    rate: float  # daily interest rate
    term: int  # instalments of the current schedule
    instalment: int  # its fixed instalment (equal_installment, equal_principal)
    level: int  # its level monthly payment: the debt service its borrower's DSR counts
    normal_principal: int  # not yet due
    accrued_interest: int = 0  # in the current broken period
    next_k: int = 1  # next instalment to fall due
    instalments: list[Instalment] = field(default_factory=list)  # due, unpaid, oldest first
    dpd: int = 0  # at the end of the last day stepped
    accelerated: bool = False
    status: str = ACTIVE
    restructured: bool = False
    generation: int = 0
    closed_generations: int = 0  # earlier generations, each closed and counted in n_closed
    principal_days: int = 0  # outstanding principal summed over days (the APR cap's base)
    paid_charges: int = 0  # interest, penalty, compound and fees paid on this generation
    vintage: int = 0  # month of disbursement (0: on book on day 0), kept when restructured
    reached: set[int] = field(default_factory=set)  # the DPD thresholds (31, 91) reached
    quarter_stage: str = "new"  # its stage at the last quarter end ("new": disbursed since)
    quarter_principal: int = 0  # its principal then (when new: disbursed)
    exits: list[tuple[str, int, str]] = field(default_factory=list)  # generations ended since

    def outstanding(self) -> int:
        return self.normal_principal + sum(s.principal for s in self.instalments)

    def stage(self) -> str:
        """IFRS 9: Stage 3 from 91 DPD, Stage 2 from 31 DPD or once restructured."""
        if self.dpd >= 91:
            return "stage3"
        return "stage2" if self.dpd >= 31 or self.restructured else "stage1"

    def end_generation(self, to: str, t: int) -> None:
        """Charged off or closed on day ``t``: its transfer waits for the quarter end."""
        if t >= 1:
            self.exits.append((self.quarter_stage, self.quarter_principal, to))

    def past_due(self) -> int:
        return sum(s.owed() for s in self.instalments)


class Twin:
    """The portfolio of ``inputs`` simulated in plain Python (see the module docstring)."""

    def __init__(self, inputs: KernelInputs) -> None:
        book, c, beh, macro = inputs.book, inputs.contract, inputs.behaviour, inputs.macro
        self.horizon = int(inputs.horizon)
        self.n_segments = len(inputs.segments)
        # the book, as plain Python values
        self.borrower_start = book.borrower_start.tolist()
        self.borrower_id = book.borrower_id.tolist()
        self.segment = book.segment.tolist()
        self.income = book.income.tolist()
        self.drawdown_id = book.drawdown_id.tolist()
        self.principal = book.principal.tolist()
        self.daily_rate = book.daily_rate.tolist()
        self.term = book.term.tolist()
        self.method = [METHODS[code] for code in book.method.tolist()]
        self.instalment = book.instalment.tolist()
        self.age = book.age.tolist()
        self.dpd0 = book.dpd0.tolist()
        self.log_pd_multiplier = [_log(x) for x in book.pd_multiplier.tolist()] or None
        self.approved = book.approved.tolist() or None
        self.redraw_principal = book.redraw_principal.tolist()
        self.redraw_rate = book.redraw_rate.tolist()
        self.redraw_instalment = book.redraw_instalment.tolist()
        # every drawdown of a book shares day 0: its epoch day is disbursement + age
        self.day0_epoch = int(book.disbursed[0] + book.age[0]) if len(book.age) else 0
        # the contract
        self.c = c
        self.period = int(c.period)
        self.allocation = _allocation_groups(c.allocation)
        # behaviour and macro
        self.beh = beh
        self.redraws = beh.redraw_probability > 0.0 and len(self.redraw_principal) > 0
        self.burn_in = int(beh.burn_in_days)
        self.start = -self.burn_in  # the first day of behaviour is the one after it
        # the PD's terms as logarithms: the miss rule sums them and reads Phi^-1 in log(PD)
        self.log_base_pd = [_log(x) for x in beh.base_pd.tolist()]
        self.log_months_on_book_pd = [_log(x) for x in beh.months_on_book_pd.tolist()]
        self.log_unemployed_pd = _log(beh.unemployed_pd_multiplier)
        self.log_restructure_pd = _log(beh.restructure_pd_multiplier)
        self.z = macro.z.tolist()
        self.segment_z = macro.segment_z.tolist()
        self.income_multiplier = macro.income_multiplier.tolist()
        self.rate_bp = macro.rate_bp.tolist()
        self.log_season = [_log(x) for x in macro.season.tolist()]
        self.unemployment_start = macro.unemployment_start.tolist()
        self.separation = macro.separation.tolist()
        self.job_finding = macro.job_finding.tolist()
        self.cure_daily = macro.cure_daily.tolist()  # collection's chances, before the lift
        self.partial_daily = macro.partial_daily.tolist()
        self.n_months = macro.z.shape[1]
        self.probit = rng.probit_table()  # the miss rule's Phi^-1 table

    # ------------------------------------------------------------------ the whole portfolio
    def run(self, n_paths: int) -> dict[str, np.ndarray]:
        """Aggregates by metric name, each int64 ``[path, day, segment]``."""
        days = self.horizon + 1
        out = {name: np.zeros((n_paths, days, self.n_segments), np.int64)
               for name in METRIC_NAMES}
        months = month_index(self.horizon) + 1
        out["vintages"] = np.zeros((n_paths, months, months, len(VINTAGE_METRICS)), np.int64)
        for path in range(n_paths):
            tally = {name: [[0] * self.n_segments for _ in range(days)] for name in METRIC_NAMES}
            self.vintage_tally = [[[0] * len(VINTAGE_METRICS) for _ in range(months)]
                                  for _ in range(months)]
            self._path(path, tally)
            for name in METRIC_NAMES:
                out[name][path] = tally[name]
            out["vintages"][path] = self.vintage_tally
        return out

    def _path(self, path: int, tally: dict[str, list[list[int]]]) -> None:
        self.path = path
        self.tally = tally
        self.keys = {s: rng.path_key(self.beh.seed, s, path)
                     for s in (rng.CURE, rng.MISS, rng.PREPAY, rng.RESTRUCTURE)}
        # the path's daily cure and partial-payment chances by month and bucket: the base
        # hazards lifted by exp(loading x Z), the two together at most 1
        self.hazards = []
        for m in range(self.n_months):
            lift = _exp(self.beh.cure_factor_loading * self.z[path][m])
            row = []
            for k in range(len(BUCKETS)):
                cure = min(1.0, self.cure_daily[path][m][k] * lift)
                row.append((cure, min(1.0 - cure, self.partial_daily[path][m][k] * lift)))
            self.hazards.append(row)
        # its recovery rate by month, lifted the same way (at most 1)
        self.recovery = [min(1.0, self.beh.recovery_rate
                             * _exp(self.beh.recovery_factor_loading * z))
                         for z in self.z[path]]
        for b in range(len(self.borrower_id)):
            self._borrower(b)

    def _borrower(self, b: int) -> None:
        seg = self.segment[b]
        self._employment(b, seg)
        loans = [self._book_drawdown(d, b) for d in
                 range(self.borrower_start[b], self.borrower_start[b + 1])]
        self.decided_month = -1  # the month of its last due-date decision
        self.misses_month = False
        self.last_log_pd = math.nan  # its last log PD and Phi^-1 of it
        self.last_quantile = 0.0
        first = min([self.start] + [loan.origin + 1 for loan in loans]
                    + [self.start - self.dpd0[loan.row] for loan in loans])
        self._summarise(loans, first - 1)
        for t in range(first, self.horizon + 1):
            for loan in loans:
                self._day(b, seg, loan, t)
            if t == 0:  # the day-0 book's vintage: its principal on book on day 0, and in
                for loan in loans:  # the 30+ / 90+ curves what had reached them before
                    if loan.status == ACTIVE and loan.origin <= 0:
                        self._vintage(0, 0, "disbursed", loan.outstanding())
                        for threshold, name in ((31, "dpd30"), (91, "dpd90")):
                            if threshold in loan.reached:
                                self._vintage(0, 0, name, loan.outstanding())
            self._summarise(loans, t)
            if t >= 0:
                self._count_levels(seg, loans, t)
            if t >= 0 and t % QUARTER_DAYS == 0:
                self._quarter_end(seg, loans, t)

    def _employment(self, b: int, seg: int) -> None:
        """The borrower's months unemployed: unemployed in the first month with the segment's
        starting rate, then each month it loses a job with the separation chance or finds one
        with the job-finding chance of the month before; one draw a month. Counted on every day
        from day 0 by the day's month."""
        key = rng.unit_key(rng.path_key(self.beh.seed, rng.UNEMPLOYMENT, self.path),
                           self.borrower_id[b])
        state = rng.uniform_at(key, 0) < self.unemployment_start[seg]
        self.unemployed = [state]
        for m in range(1, self.n_months):
            u = rng.uniform_at(key, m)
            if state:
                state = not u < self.job_finding[seg][m - 1]
            else:
                state = u < self.separation[seg][m - 1]
            self.unemployed.append(state)
        for t in range(self.horizon + 1):
            self._add("borrowers", t, seg, 1)
            self._add("borrowers_unemployed", t, seg, int(self.unemployed[self._month(t)]))

    def _summarise(self, loans: list[Drawdown], t: int) -> None:
        """The borrower at the end of day ``t``, from its drawdowns on book."""
        on_book = [loan for loan in loans if loan.status == ACTIVE and loan.origin <= t]
        self.level = sum(loan.level for loan in on_book)
        self.youngest = max((loan.origin for loan in on_book), default=None)
        self.oldest = min((loan.origin + loan.instalments[0].due for loan in on_book
                           if loan.instalments), default=None)
        self.restructured = any(loan.restructured for loan in on_book)

    def _book_drawdown(self, d: int, b: int) -> Drawdown:
        unit = self.drawdown_id[d]
        return Drawdown(row=d, unit=unit, keys=self._draw_keys(unit, b), origin=-self.age[d],
                        vintage=month_index(-self.age[d]),
                        rate=self.daily_rate[d], term=self.term[d],
                        instalment=self.instalment[d],
                        level=_level_payment(self.principal[d], self.daily_rate[d],
                                             self.term[d]),
                        normal_principal=self.principal[d], quarter_principal=self.principal[d])

    def _draw_keys(self, unit: int, b: int) -> dict[int, int]:
        """The drawdown's keys: its borrower's for the miss and cure draws, its own for
        prepayment and restructuring."""
        borrower = self.borrower_id[b]
        return {s: rng.unit_key(k, borrower if s in (rng.CURE, rng.MISS) else unit)
                for s, k in self.keys.items()}

    def _add(self, name: str, t: int, seg: int, value: int) -> None:
        self.tally[name][t][seg] += value

    def _vintage(self, vintage: int, t: int, name: str, value: int) -> None:
        self.vintage_tally[vintage][month_index(t)][VINTAGE_METRICS.index(name)] += value

    def _flow(self, name: str, t: int, seg: int, value: int) -> None:
        """A flow of day ``t``: nothing before day 1 reaches the flows."""
        if t >= 1:
            self.tally[name][t][seg] += value

    def _count_levels(self, seg: int, loans: list[Drawdown], t: int) -> None:
        """The end of day ``t``: every disbursed drawdown in its bucket, and the borrower in
        the 30+ / 90+ counts by its oldest unpaid due date on book."""
        worst = 0
        for loan in loans:
            if loan.origin > t:  # an applicant not yet arrived
                continue
            self._add("n_closed", t, seg, loan.closed_generations)
            if loan.status == CHARGED_OFF:
                self._add("n_CO", t, seg, 1)
            elif loan.status == CLOSED:
                self._add("n_closed", t, seg, 1)
            else:
                k = bucket_index(loan.dpd)
                principal = loan.outstanding()
                self._add(BUCKET_COUNTS[k], t, seg, 1)
                self._add(BUCKET_PRINCIPALS[k], t, seg, principal)
                if loan.restructured:
                    self._add("n_restructured", t, seg, 1)
                    self._add("principal_restructured", t, seg, principal)
                if loan.instalments:
                    worst = max(worst, t - loan.origin - loan.instalments[0].due)
        self._add("borrowers_dpd30", t, seg, int(worst >= 31))
        self._add("borrowers_dpd90", t, seg, int(worst >= 91))

    def _quarter_end(self, seg: int, loans: list[Drawdown], t: int) -> None:
        """A quarter end (or day 0): every generation on book at the quarter's start or
        disbursed in it, from its stage then to where it is now (its principal then)."""
        for loan in loans:
            moves, loan.exits = loan.exits, []
            if loan.status == ACTIVE and loan.origin <= t:
                now = loan.stage()
                moves.append((loan.quarter_stage, loan.quarter_principal, now))
                loan.quarter_stage, loan.quarter_principal = now, loan.outstanding()
            if t >= 1:  # day 0 opens the first quarter
                for frm, principal, to in moves:
                    self._add(f"n_{frm}_to_{to}", t, seg, 1)
                    self._add(f"principal_{frm}_to_{to}", t, seg, principal)

    # ------------------------------------------------------------------ one drawdown, one day
    def _day(self, b: int, seg: int, loan: Drawdown, t: int) -> None:
        loan_day = t - loan.origin
        if loan_day < 0 or loan.status != ACTIVE:
            return
        if loan_day == 0:  # disbursed today: on the book, current, from tomorrow
            if t >= 1:  # an approved applicant (before day 1: part of the opening book)
                self._add("disbursed_principal", t, seg, loan.normal_principal)
                self._add("n_new", t, seg, 1)
                self._vintage(loan.vintage, t, "disbursed", loan.normal_principal)
            return
        flows = t >= 1  # nothing before day 1 reaches the flows
        due_now, was_delinquent = self._accrue_and_fall_due(seg, loan, t, loan_day, flows)
        due = loan.instalments[-1] if due_now else None
        principal_due = due.principal if due is not None else 0
        loan_day = self._decide_and_pay(b, seg, loan, t, loan_day, due_now, was_delinquent)
        if due is not None:
            self._due_unpaid(seg, loan, t, due, principal_due)
        self._end_of_day(b, seg, loan, t, loan_day, flows)

    def _due_unpaid(self, seg: int, loan: Drawdown, t: int, due: Instalment,
                    principal_due: int) -> None:
        """Day-1 delinquency: the principal that fell due today (``principal_due``), and what
        of it is still owed after the day's payment (a restructuring today leaves all of it
        unpaid: the instalment was rescheduled, not paid)."""
        self._flow("principal_due", t, seg, principal_due)
        if loan.origin == t:  # rescheduled today
            unpaid = principal_due
        else:
            unpaid = due.principal if any(s is due for s in loan.instalments) else 0
        self._flow("principal_due_unpaid", t, seg, unpaid)

    def _accrue_and_fall_due(self, seg: int, loan: Drawdown, t: int, loan_day: int,
                             flows: bool) -> tuple[bool, bool]:
        """Steps 1 and 2; returns (an instalment fell due today, in arrears before it)."""
        c = self.c
        was_nonaccrual = loan.dpd >= c.non_accrual_dpd
        loan.principal_days += loan.outstanding()
        interest = accrue(loan.normal_principal, loan.rate)
        loan.accrued_interest += interest
        penalty_rate = loan.rate * c.penalty_multiplier
        penalty_today = compound_today = 0
        for s in loan.instalments:
            if s.due >= loan_day:  # fell due today: overdue from tomorrow
                continue
            pen = accrue(s.principal, penalty_rate)
            com = accrue(s.interest, penalty_rate) if c.compound_interest else 0
            late = loan_day - s.due
            if not s.accelerated and late <= c.grace_days:
                s.held_penalty += pen
                s.held_compound += com
                continue
            if not s.accelerated and c.grace_days > 0 and late == c.grace_days + 1:
                if c.grace_retroactive:  # the grace is exceeded: charged back to the due date
                    pen += s.held_penalty
                    com += s.held_compound
                s.held_penalty = s.held_compound = 0
            s.penalty += pen
            s.compound += com
            penalty_today += pen
            compound_today += com
        if flows:
            self._add("interest_accrued", t, seg, interest)
            self._add("penalty_accrued", t, seg, penalty_today)
            self._add("compound_accrued", t, seg, compound_today)
            if was_nonaccrual:
                self._add("nonaccrual_charges", t, seg,
                          interest + penalty_today + compound_today)
        was_delinquent = bool(loan.instalments)
        due_now = False
        k = loan.next_k
        if not loan.accelerated and k <= loan.term and self._due_day(loan, k) == loan_day:
            loan.next_k = k + 1
            part = self._principal_part(loan, k)
            if part + loan.accrued_interest > 0:
                loan.instalments.append(
                    Instalment(due=loan_day, principal=part, interest=loan.accrued_interest))
                due_now = True
            loan.normal_principal -= part
            loan.accrued_interest = 0
        return due_now, was_delinquent

    def _due_day(self, loan: Drawdown, k: int) -> int:
        """Loan day of instalment ``k`` of the current schedule."""
        return due_day(k, self.period, self.day0_epoch + loan.origin)

    def _principal_part(self, loan: Drawdown, k: int) -> int:
        """The principal of instalment ``k``: all that is left at maturity; for equal
        instalments what the instalment leaves after the period's interest."""
        method = self.method[loan.row]
        if k == loan.term:
            return loan.normal_principal
        if method == "equal_installment":
            return min(max(loan.instalment - loan.accrued_interest, 0), loan.normal_principal)
        if method == "equal_principal":
            return min(loan.instalment, loan.normal_principal)
        return 0  # interest_first

    def _decide_and_pay(self, b: int, seg: int, loan: Drawdown, t: int, loan_day: int,
                        due_now: bool, was_delinquent: bool) -> int:
        """Step 3; returns the loan day (a restructuring starts a new schedule today)."""
        beh = self.beh
        amount = 0
        if t <= self.start:  # the seasoned history: paid on time until its arrears began
            dpd0 = self.dpd0[loan.row]
            if due_now and not was_delinquent and (dpd0 == 0 or t < self.start - dpd0):
                loan.paid_charges += loan.instalments[0].interest
                loan.instalments = []
            return loan_day
        if was_delinquent:
            dpd = loan_day - loan.instalments[0].due
            if (t >= 1 and beh.restructure_dpd_from > 0 and not loan.restructured
                    and beh.restructure_dpd_from <= dpd <= beh.restructure_dpd_to
                    and rng.uniform_at(loan.keys[rng.RESTRUCTURE], t) < beh.restructure_daily):
                self._restructure(seg, loan, t)
                return 0
            # the borrower's cure: its draw, with the chances of its bucket
            cure, partial = self.hazards[self._month(t)][bucket_index(t - self.oldest)]
            u = rng.uniform_at(loan.keys[rng.CURE], t)
            if u < cure + partial:
                amount = loan.past_due()
                if u < cure:
                    self._flow("n_cured", t, seg, 1)
                else:  # a partial payment, in whole fen
                    amount = math.floor(amount * beh.partial_share) // FEN * FEN
        elif due_now:
            due = loan.instalments[0]
            if self.oldest is not None or self._misses(b, seg, loan, t):
                self._flow("n_missed", t, seg, 1)
            elif rng.uniform_at(loan.keys[rng.PREPAY], loan_day) < beh.prepayment_monthly:
                amount = due.owed() + loan.accrued_interest + loan.normal_principal
                self._flow("n_prepaid", t, seg, 1)
            else:  # pays what fell due, exactly
                loan.paid_charges += due.interest
                self._flow("principal_paid", t, seg, due.principal)
                self._flow("interest_paid", t, seg, due.interest)
                loan.instalments = []
        if amount > 0:
            total = loan.past_due() + loan.accrued_interest + loan.normal_principal
            self._pay(seg, loan, t, min(amount, total))
        return loan_day

    def _month(self, t: int) -> int:
        """The macro month of day ``t``: the burn-in's months cover days (-burn_in, 0], then
        day ``t >= 1`` is in month ``t // 30`` after them; the last month holds."""
        if t >= 1:
            m = self.burn_in // DAYS_PER_MONTH + t // DAYS_PER_MONTH
        else:
            m = max(t + self.burn_in - 1, 0) // DAYS_PER_MONTH
        return min(m, self.n_months - 1)

    def _misses(self, b: int, seg: int, loan: Drawdown, t: int) -> bool:
        """The borrower's decision for the month, made at its first due date in it: it misses
        when ``sqrt(rho) Z_s + sqrt(1 - rho) e < Phi^-1(PD)``, i.e. when
        ``e < (Phi^-1(PD) - sqrt(rho) Z_s) / sqrt(1 - rho)``, one draw per month."""
        m = self._month(t)
        if self.decided_month != m:
            log_pd = self._log_miss_probability(b, seg, m, t)
            if log_pd != self.last_log_pd:
                self.last_log_pd = log_pd
                self.last_quantile = rng.miss_quantile(log_pd, self.probit)
            rho = self.beh.rho
            threshold = ((self.last_quantile - math.sqrt(rho) * self.segment_z[self.path][seg][m])
                         / math.sqrt(1.0 - rho))
            u = rng.uniform_at(loan.keys[rng.MISS], m)
            self.decided_month, self.misses_month = m, u < rng.normal_cdf(threshold)
        return self.misses_month

    def _log_miss_probability(self, b: int, seg: int, m: int, t: int) -> float:
        """The log of the borrower's PD for month ``m`` before the factor: its segment's base
        PD x its youngest drawdown's months-on-book multiplier x the season x exp(sensitivity
        x (DSR - reference)), where DSR = (level payments + other debt service under the
        month's rates) / the month's income (a replacement share of it while unemployed);
        then the unemployed, score and restructuring multipliers; capped at 0.999. Summed as
        the logarithms of its terms, in this order."""
        beh = self.beh
        unemployed = self.unemployed[m]
        income0 = self.income[b]
        income = income0 * self.income_multiplier[seg][m]
        if unemployed:
            income *= beh.unemployed_income_ratio
        other = float(beh.other_debt_service_ratio[seg]) * income0 * (
            1.0 + beh.other_debt_rate_sensitivity * self.rate_bp[m] / 100.0)
        dsr = (self.level / 1e6 + other) / max(income, 1e-9)
        curve = self.log_months_on_book_pd
        months_on_book = (t - self.youngest) // DAYS_PER_MONTH
        log_pd = (self.log_base_pd[seg] + curve[min(max(months_on_book, 1), len(curve)) - 1]
                  + self.log_season[m]
                  + beh.dsr_sensitivity * (dsr - float(beh.dsr_reference[seg])))
        if unemployed:
            log_pd += self.log_unemployed_pd
        if self.log_pd_multiplier is not None:
            log_pd += self.log_pd_multiplier[b]
        if self.restructured:
            log_pd += self.log_restructure_pd
        return min(LOG_PD_CAP, log_pd)

    def _pay(self, seg: int, loan: Drawdown, t: int, amount: int) -> None:
        """Allocate a payment as the ledger does: the allocation groups over the due
        instalments oldest first, then the period's interest, then normal principal."""
        paid = dict.fromkeys(("fee", "compound", "penalty", "interest", "principal"), 0)
        # instalments 1..30 days past a due day from day 1: what this payment takes of their
        # principal is collected within 30 days, counted on the due day
        late = [(s, s.principal) for s in loan.instalments if not s.accelerated
                and loan.origin + s.due >= 1
                and 1 <= t - loan.origin - s.due <= COLLECTION_WINDOW_DAYS]
        left = amount
        for group in self.allocation:
            for s in loan.instalments:
                for part in group:
                    take = min(left, getattr(s, part))
                    setattr(s, part, getattr(s, part) - take)
                    paid[part] += take
                    left -= take
        take = min(left, loan.accrued_interest)
        loan.accrued_interest -= take
        paid["interest"] += take
        left -= take
        prepaid = min(left, loan.normal_principal)
        loan.normal_principal -= prepaid
        paid["principal"] += prepaid
        loan.paid_charges += paid["interest"] + paid["penalty"] + paid["compound"] + paid["fee"]
        for s, before in late:
            self._add("principal_collected_30", loan.origin + s.due, seg, before - s.principal)
        self._flow("principal_paid", t, seg, paid["principal"])
        self._flow("prepaid_principal", t, seg, prepaid)
        self._flow("interest_paid", t, seg, paid["interest"])
        self._flow("penalty_paid", t, seg, paid["penalty"])
        self._flow("compound_paid", t, seg, paid["compound"])
        self._flow("fees_paid", t, seg, paid["fee"])

    def _restructure(self, seg: int, loan: Drawdown, t: int) -> None:
        """Capitalise the arrears into a new schedule from today over the remaining
        instalments plus the extra months; penalty, compound and fees waived or capitalised
        (charges held within the grace days lapse)."""
        beh = self.beh
        principal = loan.outstanding()
        capitalised = loan.accrued_interest + sum(s.interest for s in loan.instalments)
        charges = sum(s.penalty + s.compound + s.fee for s in loan.instalments)
        waived = charges if beh.restructure_waive else 0
        if not beh.restructure_waive:
            capitalised += charges
        term = max(1, loan.term - loan.next_k + 1) + beh.restructure_extra_months
        total = principal + capitalised
        self._start_schedule(loan, t, total, term,
                             instalment_micro(total, loan.rate, term, self.method[loan.row]))
        loan.restructured = True
        self._flow("capitalised", t, seg, capitalised)
        self._flow("waived", t, seg, waived)
        self._flow("n_restructurings", t, seg, 1)

    @staticmethod
    def _start_schedule(loan: Drawdown, t: int, principal: int, term: int,
                        instalment: int) -> None:
        loan.origin = t
        loan.normal_principal = principal
        loan.accrued_interest = 0
        loan.next_k = 1
        loan.accelerated = False
        loan.instalments = []
        loan.term = term
        loan.instalment = instalment
        loan.level = _level_payment(principal, loan.rate, term)

    def _end_of_day(self, b: int, seg: int, loan: Drawdown, t: int, loan_day: int,
                    flows: bool) -> None:
        """Step 4: late fee, DPD and rolls, acceleration, charge-off or closing (and a
        redraw)."""
        c, beh = self.c, self.beh
        if c.late_fee > 0 and loan.instalments:
            newest = loan.instalments[-1]
            if newest.due == loan_day and newest.owed() > 0:  # unpaid on its due day
                newest.fee += c.late_fee
                if flows:
                    self._add("fees_charged", t, seg, c.late_fee)
        loan.instalments = [s for s in loan.instalments if s.owed() > 0]
        loan.dpd = loan_day - loan.instalments[0].due if loan.instalments else 0
        if flows and loan.dpd == 31:
            self._add("n_roll30", t, seg, 1)
        if flows and loan.dpd == 91:
            self._add("n_roll90", t, seg, 1)
        self._thresholds(loan, t, flows)
        if 0 <= c.acceleration_dpd <= loan.dpd and not loan.accelerated:
            loan.accelerated = True  # everything not yet due falls due today
            if loan.normal_principal > 0 or loan.accrued_interest > 0:
                loan.instalments.append(Instalment(
                    due=loan_day, principal=loan.normal_principal,
                    interest=loan.accrued_interest, accelerated=True))
                loan.normal_principal = loan.accrued_interest = 0
        if 0 <= c.charge_off_dpd <= loan.dpd:
            loan.status = CHARGED_OFF
            loan.end_generation("charged_off", t)
            self._charge_off(seg, loan, t)
        elif not loan.instalments and loan.normal_principal == 0 and loan.accrued_interest == 0:
            loan.status = CLOSED
            loan.dpd = 0
            loan.end_generation("repaid", t)
            # today's underwriting from day 1; in the burn-in every borrower draws again
            approved = self.approved is None or self.approved[b] != 0 or t <= 0
            if (self.redraws and self.start < t < self.horizon and approved
                    and rng.uniform(beh.seed, rng.REDRAW, self.path, loan.unit, t)
                    < beh.redraw_probability):
                self._redraw(seg, loan, t, b)

    def _thresholds(self, loan: Drawdown, t: int, flows: bool) -> None:
        """Vintages: the first day in its life a drawdown is at 31+ (and 91+) DPD, its
        principal then; at 31+ on the first instalment of its original schedule, a
        first-payment default. Reached before day 1: not counted, then or later."""
        for threshold, name in ((31, "dpd30"), (91, "dpd90")):
            if loan.dpd >= threshold and threshold not in loan.reached:
                loan.reached.add(threshold)
                if flows:
                    self._vintage(loan.vintage, t, name, loan.outstanding())
                    if threshold == 31 and not loan.restructured and (
                            loan.instalments[0].due == self._due_day(loan, 1)):
                        self._vintage(loan.vintage, t, "fpd", loan.outstanding())

    def _charge_off(self, seg: int, loan: Drawdown, t: int) -> None:
        """Write the principal off; a litigated drawdown recovers a share of its claim, capped
        at the enforceable claim (the all-in APR cap on principal-days, less charges already
        paid), after the legal lag; others the month's recovery rate after the recovery lag.
        A charge-off in the burn-in counts only what comes back from day 1 on."""
        beh = self.beh
        principal = loan.outstanding()
        self._flow("charged_off_principal", t, seg, principal)
        if t >= 1:
            self._vintage(loan.vintage, t, "charged_off", principal)
        if t >= 1 and beh.legal_share > 0.0 and (
            rng.uniform(beh.seed, rng.LEGAL, self.path, loan.unit, 0) < beh.legal_share
        ):
            charges = loan.accrued_interest + sum(s.interest + s.penalty + s.compound + s.fee
                                                  for s in loan.instalments)
            allowance = accrue(loan.principal_days, beh.apr_cap / 365.0)
            claim = principal + min(charges, max(0, allowance - loan.paid_charges))
            self._flow("n_litigated", t, seg, 1)
            self._flow("legal_cost", t, seg, beh.legal_cost)
            if 1 <= t + beh.legal_lag_days <= self.horizon:
                got = accrue(claim, beh.legal_rate)
                self._add("recoveries", t + beh.legal_lag_days, seg, got)
                self._add("legal_recoveries", t + beh.legal_lag_days, seg, got)
                self._vintage(loan.vintage, t + beh.legal_lag_days, "recoveries", got)
        elif 1 <= t + beh.recovery_lag_days <= self.horizon:
            got = accrue(principal, self.recovery[self._month(t)])
            self._add("recoveries", t + beh.recovery_lag_days, seg, got)
            self._vintage(loan.vintage, t + beh.recovery_lag_days, "recoveries", got)

    def _redraw(self, seg: int, loan: Drawdown, t: int, b: int) -> None:
        """A new drawdown disbursed today (on the book from tomorrow): the same book row, a new
        generation with its own draws; on today's terms from day 1, on the book's in the
        burn-in (today's policy starts at day 1)."""
        d = loan.row
        loan.closed_generations += 1
        loan.generation += 1
        loan.unit = self.drawdown_id[d] + loan.generation * GENERATION_SHIFT
        loan.keys = self._draw_keys(loan.unit, b)
        loan.status = ACTIVE
        loan.restructured = False
        loan.vintage = month_index(t)
        loan.reached = set()
        loan.principal_days = 0  # its own claim starts at its disbursement
        loan.paid_charges = 0
        loan.quarter_stage = "new"
        if t >= 1:
            loan.rate = self.redraw_rate[d]
            self._start_schedule(loan, t, self.redraw_principal[d], self.term[d],
                                 self.redraw_instalment[d])
        else:
            loan.rate = self.daily_rate[d]
            self._start_schedule(loan, t, self.principal[d], self.term[d], self.instalment[d])
        loan.quarter_principal = loan.normal_principal
        self._flow("disbursed_principal", t, seg, loan.normal_principal)
        self._flow("n_new", t, seg, 1)
        if t >= 1:
            self._vintage(loan.vintage, t, "disbursed", loan.normal_principal)


def month_index(t: int) -> int:
    """The vintage month of day ``t``: 0 for day 0 and before, m for days 30(m-1)+1 .. 30m."""
    return 0 if t <= 0 else (t - 1) // DAYS_PER_MONTH + 1


def _level_payment(principal: int, rate: float, term: int) -> int:
    """A schedule's level monthly payment: its principal over the term plus the average
    month's interest of an amortising loan."""
    return principal // term + int(principal * rate * DAYS_PER_MONTH * (term + 1) / (2.0 * term))


def _log(x: float) -> float:
    """``math.log``, -inf at 0 as compiled code has it (a zero multiplier: no misses)."""
    return math.log(x) if x > 0.0 else -math.inf


def _exp(x: float) -> float:
    """``math.exp`` with IEEE overflow to infinity, as compiled code has it (an unemployed
    borrower without income has an unbounded debt-service ratio: PD capped at 0.999)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _allocation_groups(table: np.ndarray) -> tuple[tuple[str, ...], ...]:
    """The ledger's allocation order that the kernel's table encodes."""
    for name, groups in ALLOCATION_GROUPS.items():
        if np.array_equal(allocation_table(name), table):
            return groups
    raise ValueError("the contract's allocation table is none of the ledger's orders")


def simulate_twin(inputs: KernelInputs, n_paths: int) -> dict[str, np.ndarray]:
    """The twin's aggregates of paths ``0 .. n_paths - 1``, by metric name."""
    return Twin(inputs).run(n_paths)
