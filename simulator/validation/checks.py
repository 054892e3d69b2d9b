"""Model validation that runs the real numba kernel: ``overdue check``.

Three checks, each a function returning a result object (nothing is printed here):

* :func:`check_ledger`: random books and forced payment plans run through the kernel and through
  the plain-Python ledger (``simulator.contract.ledger``), the specification; every drawdown's
  end state and every day's aggregates must agree to the micro-yuan.
* :func:`check_vasicek`: one due date, no cure, constant PD: the share of loans that miss, across
  paths, must follow the Vasicek law (MODEL.md 6) within a tolerance derived from the sizes.
* :func:`check_conservation`: on every path, day and segment of a scenario run, the day-0
  principal equals outstanding + cumulative paid + cumulative charged-off principal, exactly in
  micro-yuan, and every drawdown is in exactly one of M0..M6, CO, closed.

The fourth, ``overdue check twin``, compares the kernel with the behaviour twin, a plain-Python
simulation of the whole portfolio: :mod:`simulator.validation.twin` and ``twin_check``.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from simulator.analysis.figures import ON_BOOK, principal_columns
from simulator.book.inputs import KernelInputs, allocation_table
from simulator.book.macro import factor_paths, plain_macro
from simulator.contract.ledger import Day, Ledger, Payment, bucket_index
from simulator.contract.money import MICRO
from simulator.contract.schedule import (
    CALENDAR,
    METHOD_CODE,
    METHODS,
    civil_from_days,
    due_day,
    epoch_day,
    instalment_micro,
)
from simulator.contract.terms import ALLOCATIONS, Terms
from simulator.engine.local import run_local
from simulator.engine.tables import AGGREGATE_COLUMNS, levels
from simulator.engine.tasks import plan_tasks
from simulator.kernels import layout as L
from simulator.kernels.portfolio import Behaviour, Book, Contract, simulate_block

HALF_FEN = 5_000  # micro-yuan: the tolerance of MODEL.md 5; the kernel must do better (exact)
AS_OF = _dt.date(2026, 1, 1)

# Aggregate metrics by name: the timeseries columns, and the daily flows behind the
# cumulative ones.
METRICS: dict[str, int] = AGGREGATE_COLUMNS | {
    "prepaid_principal": L.PREPAID,
    "charged_off_principal": L.CHARGED_OFF,
    "recoveries": L.RECOVERIES,
}
_STATUS = {"current": L.ACTIVE, "delinquent": L.ACTIVE, "closed": L.CLOSED,
           "charged_off": L.CHARGED_OFF_STATUS}
_MONEY_END = {"normal_principal", "accrued_interest", "overdue_principal", "overdue_interest",
              "penalty", "compound", "fees", "paid_principal", "paid_interest", "paid_penalty",
              "paid_compound", "paid_fees", "prepaid_principal", "charged_off_principal"}
_MONEY_METRICS = {n for n in METRICS if not n.startswith(("n_", "borrowers_"))}


# ============================================================================================
# kernel vs ledger


@dataclass(frozen=True)
class BookCase:
    """One random book with its contract and forced plan, in kernel and ledger form."""

    book: Book
    contract: Contract
    terms: tuple[Terms, ...]  # per drawdown
    plan_code: np.ndarray  # int8 [drawdowns, horizon + 1]
    plan_amount: np.ndarray  # int64 [drawdowns, horizon + 1]
    horizon: int
    n_segments: int
    label: str  # the contract in words


@dataclass(frozen=True)
class Mismatch:
    book: int
    drawdown: int  # index within the book; -1 for aggregates
    day: int  # sim day (the horizon for end states)
    field: str
    kernel: int
    ledger: int


@dataclass
class LedgerCheck:
    """Result of :func:`check_ledger`. Differences in micro-yuan (money) or units (counts)."""

    seed: int
    books: int
    drawdowns: int
    seasoned: int
    days: int
    end_max_diff: dict[str, int] = field(default_factory=dict)
    agg_max_diff: dict[str, int] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)
    n_mismatches: int = 0
    tolerance_micro: int = HALF_FEN

    @property
    def max_money_diff_yuan(self) -> float:
        diffs = [v for k, v in self.end_max_diff.items() if k in _MONEY_END]
        diffs += [v for k, v in self.agg_max_diff.items() if k in _MONEY_METRICS]
        return max(diffs, default=0) / MICRO

    @property
    def ok(self) -> bool:
        """Exact agreement: every difference zero (half a fen is the documented tolerance of
        hand calculations; kernel and ledger share integer arithmetic and must not differ)."""
        return self.n_mismatches == 0


_GRACE = ((0, True), (3, True), (5, False))  # (grace days, retroactive)


def contract_combinations() -> list[tuple[str, int, bool, bool, bool]]:
    """(allocation, grace days, retroactive, acceleration on, charge-off on): every case."""
    return [(a, g, r, acc, co) for a, (g, r), acc, co in
            itertools.product(ALLOCATIONS, _GRACE, (True, False), (True, False))]


def _plan_for(rng: np.random.Generator, due_sim_days: list[int], principal: int,
              horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """A forced plan for one drawdown: one of a few habits, with random noise."""
    code = np.zeros(horizon + 1, np.int8)
    amount = np.zeros(horizon + 1, np.int64)
    style = rng.integers(0, 5)
    dues = [t for t in due_sim_days if 1 <= t <= horizon]
    p_due = (0.95, 0.6, 0.0, 0.3, 0.8)[style]
    for t in dues:
        if rng.random() < p_due:
            code[t] = L.PLAN_DUE
    n_other = (1, 3, 0, 8, 2)[style]
    for _ in range(rng.poisson(n_other)):
        t = int(rng.integers(1, horizon + 1))
        kind = rng.choice([L.PLAN_AMOUNT, L.PLAN_AMOUNT, L.PLAN_PAST_DUE, L.PLAN_ALL,
                           L.PLAN_DUE, L.PLAN_NONE], p=[0.35, 0.15, 0.25, 0.05, 0.1, 0.1])
        code[t] = kind
        if kind == L.PLAN_AMOUNT:
            if rng.random() < 0.5:  # whole fen
                amount[t] = int(rng.integers(1, max(2, principal // 5 // 10_000))) * 10_000
            else:  # any micro-yuan amount, up to beyond everything owed
                amount[t] = int(rng.integers(1, principal + principal // 2))
    return code, amount


def random_book(rng: np.random.Generator, n_drawdowns: int, horizon: int,
                combination: tuple[str, int, bool, bool, bool]) -> BookCase:
    """A random book under one contract combination (see :func:`contract_combinations`)."""
    allocation, grace, retro, accel_on, co_on = combination
    accel = int(rng.choice([30, 60, 90])) if accel_on else -1
    co = int(rng.choice([90, 120, 180])) if co_on else -1
    if accel_on and co_on:
        co = max(co, accel)
    period = int(rng.choice([30, 30, 30, CALENDAR, 14]))
    contract = Contract(
        penalty_multiplier=float(rng.choice([1.0, 1.3, 1.5])),
        compound_interest=bool(rng.random() < 0.75),
        late_fee=int(rng.choice([0, 0, 5_000_000, 12_340_000])),
        grace_days=grace,
        grace_retroactive=retro,
        acceleration_dpd=accel,
        charge_off_dpd=co,
        allocation=allocation_table(allocation),
        period=period,
        non_accrual_dpd=int(rng.choice([30, 60, 90, 1000])),
    )
    as_of = epoch_day(AS_OF)
    n_segments = 2
    starts = [0]
    while starts[-1] < n_drawdowns:
        starts.append(min(n_drawdowns, starts[-1] + int(rng.choice([1, 1, 2, 3]))))
    n_b = len(starts) - 1
    principal = np.empty(n_drawdowns, np.int64)
    rate = np.empty(n_drawdowns)
    term = np.empty(n_drawdowns, np.int32)
    method = np.empty(n_drawdowns, np.int8)
    age = np.zeros(n_drawdowns, np.int32)
    dpd0 = np.zeros(n_drawdowns, np.int32)
    disbursed = np.empty(n_drawdowns, np.int64)
    codes = np.zeros((n_drawdowns, horizon + 1), np.int8)
    amounts = np.zeros((n_drawdowns, horizon + 1), np.int64)
    terms = []
    for d in range(n_drawdowns):
        p = int(rng.integers(1_000, 300_001)) * MICRO
        if rng.random() < 0.3:
            p += int(rng.integers(0, 100)) * 10_000  # some fen too
        r = float(np.round(rng.uniform(0.00015, 0.0006), 6))
        n = int(rng.choice([3, 6, 12]))
        m = METHODS[int(rng.integers(0, 3))]
        a = 0
        if rng.random() < 0.4:  # seasoned
            a = int(rng.integers(1, n * 31))
            dues = [k for k in range(1, n + 1) if due_day(k, period, as_of - a) <= a]
            if dues and rng.random() < 0.5:  # in arrears at day 0 since a due date
                k = int(rng.choice(dues))
                dpd0[d] = a - due_day(k, period, as_of - a)
            elif rng.random() < 0.1:
                dpd0[d] = int(rng.integers(1, 200))  # arbitrary: missed from that day on
        principal[d], rate[d], term[d], method[d] = p, r, n, METHOD_CODE[m]
        age[d], disbursed[d] = a, as_of - a
        y, mo, dd = civil_from_days(as_of - a)
        terms.append(Terms(
            principal=p, daily_rate=r, term=n, method=m,
            period="calendar" if period == CALENDAR else period,
            disbursed_on=_dt.date(y, mo, dd),
            penalty_multiplier=contract.penalty_multiplier,
            compound_interest=contract.compound_interest,
            late_fee=contract.late_fee, grace_days=grace, grace_retroactive=retro,
            acceleration_dpd=None if accel < 0 else accel,
            charge_off_dpd=None if co < 0 else co,
            allocation=allocation, non_accrual_dpd=contract.non_accrual_dpd,
        ))
        due_sim = [due_day(k, period, as_of - a) - a for k in range(1, n + 1)]
        codes[d], amounts[d] = _plan_for(rng, due_sim, p, horizon)
    book = Book(
        borrower_start=np.array(starts, np.int64),
        borrower_id=np.arange(n_b, dtype=np.int64),
        segment=rng.integers(0, n_segments, n_b).astype(np.int32),
        income=np.full(n_b, 8_000.0),
        drawdown_id=np.arange(n_drawdowns, dtype=np.int64),
        principal=principal, daily_rate=rate, term=term, method=method,
        instalment=np.array([instalment_micro(int(principal[d]), float(rate[d]), int(term[d]),
                                              METHODS[method[d]]) for d in range(n_drawdowns)],
                            np.int64),
        age=age, dpd0=dpd0, disbursed=disbursed,
    )
    accel_txt = f"accel {accel}" if accel >= 0 else "no accel"
    co_txt = f"CO {co}" if co >= 0 else "no CO"
    label = (f"{allocation}, grace {grace}{' retro' if retro else ''}, {accel_txt}, {co_txt}, "
             f"period {'calendar' if period == CALENDAR else period}")
    return BookCase(book, contract, tuple(terms), codes, amounts, horizon, n_segments, label)


def one_factor_behaviour(n_segments: int, pd: float, rho: float, seed: int = 0) -> Behaviour:
    """The one-factor special case of MODEL.md 6: PD ``pd`` whatever the affordability, age,
    season or employment, no cure, no recovery (so recoveries must stay zero)."""
    one = np.ones(n_segments)
    return Behaviour(seed=int(seed), rho=float(rho), base_pd=one * pd,
                     other_debt_service_ratio=one * 0.2, dsr_reference=one, dsr_sensitivity=0.0,
                     unemployed_income_ratio=1.0, unemployed_pd_multiplier=1.0,
                     other_debt_rate_sensitivity=0.0, months_on_book_pd=np.ones(1),
                     partial_share=0.0,
                     cure_factor_loading=0.0, prepayment_monthly=0.0, recovery_rate=0.0,
                     recovery_factor_loading=0.0, recovery_lag_days=0)


def run_kernel_forced(case: BookCase) -> tuple[np.ndarray, np.ndarray]:
    """(aggregate levels [day, segment, metric], end states [drawdown, field]) from the kernel,
    one path, every payment forced from the case's plan (the behaviour is bypassed)."""
    months = case.horizon // 30 + 1
    macro = plain_macro(np.zeros((1, months)), case.n_segments)
    n_b = len(case.book.borrower_id)
    n_d = len(case.book.principal)
    agg = np.zeros((1, case.horizon + 1, case.n_segments, L.N_METRICS), np.int64)
    end = np.zeros((n_d, len(L.END_FIELDS)), np.int64)
    simulate_block(case.book, case.contract, one_factor_behaviour(case.n_segments, 0.01, 0.1),
                   macro, 0, 1,
                   0, n_b, case.horizon, case.plan_code, case.plan_amount, agg, end)
    return levels(agg)[0], end


def seasoning_payments(terms: Terms, age: int, dpd0: int) -> dict[int, Payment]:
    """The payments before day 0 of a seasoned drawdown, by loan day: every due date at sim day
    ``t = loan day - age <= 0`` is paid exactly if ``dpd0 == 0 or t < -dpd0``, else missed."""
    period = CALENDAR if terms.period == "calendar" else int(terms.period)
    start = epoch_day(terms.disbursed_on)
    out: dict[int, Payment] = {}
    for k in range(1, terms.term + 1):
        day = due_day(k, period, start)
        t = day - age
        if day <= age and (dpd0 == 0 or t < -dpd0):
            out[day] = "due"
    return out


_PLAN_PAYMENT = {L.PLAN_DUE: "due", L.PLAN_PAST_DUE: "past_due", L.PLAN_ALL: "all"}


class TracedLedger(Ledger):
    """The ledger, noting by its own day numbering the principal of each instalment falling
    due, what of it is unpaid after the day's payment (day-1 delinquency), and what payments
    take of it 1..30 days after its due day (the early-warning metrics)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.due: dict[int, int] = {}
        self.unpaid: dict[int, int] = {}
        self.collected: dict[int, int] = {}

    def _fall_due(self) -> bool:
        fell = super()._fall_due()
        if fell:
            self.due[self.day] = self.instalments[-1].principal
        return fell

    def _allocate(self, amount: int) -> None:
        late = [(s, s.principal) for s in self.instalments if not s.accelerated
                and 1 <= self.day - s.due <= L.COLLECTION_WINDOW_DAYS]
        super()._allocate(amount)
        for s, before in late:
            self.collected[s.due] = self.collected.get(s.due, 0) + before - s.principal

    def _end_of_day(self, flows: dict[str, int], events: list[str]) -> None:
        if self.day in self.due:
            self.unpaid[self.day] = sum(s.principal for s in self.instalments
                                        if s.due == self.day and not s.accelerated)
        super()._end_of_day(flows, events)


def ledger_days(case: BookCase, d: int) -> tuple[list[Day | None], TracedLedger]:
    """The ledger's Day at every sim day 0..horizon for drawdown ``d`` (None before its first
    step: a drawdown disbursed on day 0), and the ledger with its trace."""
    terms = case.terms[d]
    age = int(case.book.age[d])
    payments = seasoning_payments(terms, age, int(case.book.dpd0[d]))
    for t in range(1, case.horizon + 1):
        c = int(case.plan_code[d, t])
        if c == L.PLAN_AMOUNT:
            payments[t + age] = int(case.plan_amount[d, t])
        elif c in _PLAN_PAYMENT:
            payments[t + age] = _PLAN_PAYMENT[c]
    ledger = TracedLedger(terms)
    days: list[Day] = [ledger.step(payments.get(i, 0)) for i in range(1, age + case.horizon + 1)]
    return [days[age + t - 1] if age + t >= 1 else None for t in range(case.horizon + 1)], ledger


_PAID_FLOWS = (("principal_paid", "paid_principal"), ("prepaid_principal", "prepaid_principal"),
               ("interest_paid", "paid_interest"), ("penalty_paid", "paid_penalty"),
               ("compound_paid", "paid_compound"), ("fees_paid", "paid_fees"),
               ("charged_off_principal", "charged_off_principal"))
_ACCRUAL_FLOWS = (("interest_accrued", "interest_accrued"), ("penalty_accrued", "penalty_accrued"),
                  ("compound_accrued", "compound_accrued"), ("fees_charged", "fees_charged"),
                  ("nonaccrual_charges", "nonaccrual_charges"))


def ledger_expected(case: BookCase) -> tuple[np.ndarray, np.ndarray]:
    """What the kernel must produce, from the ledger: (aggregate levels, end states)."""
    h = case.horizon
    n_d = len(case.book.principal)
    exp = np.zeros((h + 1, case.n_segments, L.N_METRICS), np.int64)
    end = np.zeros((n_d, len(L.END_FIELDS)), np.int64)
    start = case.book.borrower_start
    for b in range(len(case.book.borrower_id)):
        seg = int(case.book.segment[b])
        worst = np.zeros(h + 1, np.int64)  # borrower's max DPD over drawdowns on book
        for d in range(start[b], start[b + 1]):
            days, ledger = ledger_days(case, d)
            age = int(case.book.age[d])
            for name, by_day in (("principal_due", ledger.due),
                                 ("principal_due_unpaid", ledger.unpaid),
                                 ("principal_collected_30", ledger.collected)):
                for day_no, value in by_day.items():
                    if 1 <= day_no - age <= h:  # nothing recorded before day 1
                        exp[day_no - age, seg, METRICS[name]] += value
            prev: Day | None = None
            for t, day in enumerate(days):
                row = exp[t, seg]
                if day is None:
                    row[METRICS["n_M0"]] += 1
                    row[METRICS["principal_M0"]] += case.terms[d].principal
                    continue
                if day.status == "charged_off":
                    row[METRICS["n_CO"]] += 1
                elif day.status == "closed":
                    row[METRICS["n_closed"]] += 1
                else:
                    bk = bucket_index(day.dpd)
                    row[METRICS[f"n_M{bk}"]] += 1
                    row[METRICS[f"principal_M{bk}"]] += day.outstanding_principal
                    worst[t] = max(worst[t], day.dpd)
                if t >= 1:
                    if day.dpd in (31, 91) and day.status != "closed":
                        row[METRICS["n_roll30" if day.dpd == 31 else "n_roll90"]] += 1
                    for metric, attr in _PAID_FLOWS:
                        row[METRICS[metric]] += getattr(day, attr) - (
                            getattr(prev, attr) if prev is not None else 0)
                    for metric, attr in _ACCRUAL_FLOWS:
                        row[METRICS[metric]] += getattr(day, attr)
                prev = day
            _quarter_transfers(exp[:, seg], days, case.terms[d].principal)
            last = days[-1]
            if last is not None:
                values = {f: getattr(last, f) for f in L.END_FIELDS if f != "status"}
                values["status"] = _STATUS[last.status]
                end[d - start[0]] = [values[f] for f in L.END_FIELDS]
            else:
                end[d - start[0], 0] = case.terms[d].principal
        exp[:, seg, METRICS["borrowers_dpd30"]] += worst >= 31
        exp[:, seg, METRICS["borrowers_dpd90"]] += worst >= 91
        exp[:, seg, METRICS["borrowers"]] += 1  # nobody unemployed: the one-factor macro
    return exp, end


def _stage(day: Day | None) -> str:
    """IFRS 9 stage at the end of a day (forced plans restructure nothing): Stage 3 from 91
    DPD, Stage 2 from 31; a day-0 drawdown not yet stepped is current."""
    if day is None:
        return "stage1"
    if day.status in ("charged_off", "closed"):
        return "charged_off" if day.status == "charged_off" else "repaid"
    return "stage3" if day.dpd >= 91 else "stage2" if day.dpd >= 31 else "stage1"


def _quarter_transfers(exp: np.ndarray, days: list[Day | None], principal: int) -> None:
    """Each quarter end's transfer of a drawdown on book at the quarter's start (every
    drawdown of a ledger book is on book on day 0), into ``exp[day, metric]``."""
    for q in range(L.QUARTER_DAYS, len(days), L.QUARTER_DAYS):
        before = days[q - L.QUARTER_DAYS]
        frm = _stage(before)
        if frm in ("charged_off", "repaid"):
            continue
        to = _stage(days[q])
        exp[q, METRICS[f"n_{frm}_to_{to}"]] += 1
        exp[q, METRICS[f"principal_{frm}_to_{to}"]] += (
            before.outstanding_principal if before is not None else principal)


def check_ledger(drawdowns: int = 360, days: int = 400, seed: int = 0,
                 books: int | None = None, max_reported: int = 20) -> LedgerCheck:
    """Run random books with forced plans through the kernel and the ledger; compare.

    ``books`` defaults to one book per contract combination (36); drawdowns are spread evenly.
    """
    combos = contract_combinations()
    n_books = books or len(combos)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(combos))
    per_book = np.full(n_books, drawdowns // n_books)
    per_book[: drawdowns % n_books] += 1
    result = LedgerCheck(seed=seed, books=n_books, drawdowns=int(drawdowns), seasoned=0,
                         days=days)
    result.end_max_diff = dict.fromkeys(L.END_FIELDS, 0)
    result.agg_max_diff = dict.fromkeys(METRICS, 0)
    for i in range(n_books):
        if per_book[i] == 0:
            continue
        case = random_book(rng, int(per_book[i]), days, combos[order[i % len(combos)]])
        result.seasoned += int((case.book.age > 0).sum())
        got_agg, got_end = run_kernel_forced(case)
        exp_agg, exp_end = ledger_expected(case)
        diff = np.abs(got_end - exp_end)
        for f, name in enumerate(L.END_FIELDS):
            result.end_max_diff[name] = max(result.end_max_diff[name], int(diff[:, f].max()))
        for d, f in zip(*np.nonzero(diff), strict=True):
            result.n_mismatches += 1
            if len(result.mismatches) < max_reported:
                result.mismatches.append(Mismatch(i, int(d), days, L.END_FIELDS[f],
                                                  int(got_end[d, f]), int(exp_end[d, f])))
        adiff = np.abs(got_agg - exp_agg).sum(axis=1)  # per day, summed over segments
        seg_diff = np.abs(got_agg - exp_agg)
        for name, m in METRICS.items():
            result.agg_max_diff[name] = max(result.agg_max_diff[name], int(seg_diff[:, :, m].max()))
        for t, m in zip(*np.nonzero(adiff), strict=True):
            name = next(k for k, v in METRICS.items() if v == m)
            result.n_mismatches += 1
            if len(result.mismatches) < max_reported:
                result.mismatches.append(Mismatch(i, -1, int(t), name,
                                                  int(got_agg[t, :, m].sum()),
                                                  int(exp_agg[t, :, m].sum())))
    return result


# ============================================================================================
# Vasicek


def vasicek_cdf(x: np.ndarray | float, pd: float, rho: float) -> np.ndarray:
    """P(X <= x) for the Vasicek share of defaults with mean ``pd`` and correlation ``rho``."""
    x = np.clip(np.asarray(x, float), 1e-300, 1 - 1e-16)
    return stats.norm.cdf((math.sqrt(1 - rho) * stats.norm.ppf(x) - stats.norm.ppf(pd))
                          / math.sqrt(rho))


def vasicek_quantile(q: np.ndarray | float, pd: float, rho: float) -> np.ndarray:
    """Quantile ``q`` of the Vasicek law: Phi((Phi^-1(pd) + sqrt(rho) Phi^-1(q)) / sqrt(1-rho))."""
    return stats.norm.cdf((stats.norm.ppf(pd) + math.sqrt(rho) * stats.norm.ppf(q))
                          / math.sqrt(1 - rho))


def vasicek_variance(pd: float, rho: float) -> float:
    """Var X = Phi2(Phi^-1(pd), Phi^-1(pd); rho) - pd^2."""
    k = stats.norm.ppf(pd)
    joint = stats.multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf([k, k])
    return float(joint) - pd * pd


@dataclass(frozen=True)
class QuantileRow:
    name: str  # "q0.5", ..., or "mean"
    simulated: float
    expected: float
    low: float
    high: float

    @property
    def ok(self) -> bool:
        return self.low <= self.simulated <= self.high


@dataclass
class VasicekCheck:
    pd: float
    rho: float
    loans: int
    paths: int
    seed: int
    alpha: float
    rows: list[QuantileRow]
    missed_share: np.ndarray  # per path
    tolerance_rule: str

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)


QUANTILES = (0.5, 0.9, 0.99, 0.999)


def vasicek_inputs(pd: float, rho: float, loans: int, paths: int, seed: int,
                   persistence: float = 0.7) -> KernelInputs:
    """One borrower per loan, one 30-day instalment of 1,000 yuan due on day 30, constant PD,
    no shock, cure, partial payment, prepayment or recovery; horizon 31 days."""
    as_of = epoch_day(AS_OF)
    n = int(loans)
    principal = np.full(n, 1_000 * MICRO, np.int64)
    rate = np.full(n, 0.0005)
    book = Book(
        borrower_start=np.arange(n + 1, dtype=np.int64), borrower_id=np.arange(n, dtype=np.int64),
        segment=np.zeros(n, np.int32), income=np.full(n, 8_000.0),
        drawdown_id=np.arange(n, dtype=np.int64), principal=principal, daily_rate=rate,
        term=np.ones(n, np.int32), method=np.zeros(n, np.int8),
        instalment=np.full(n, instalment_micro(1_000 * MICRO, 0.0005, 1, "equal_installment")),
        age=np.zeros(n, np.int32), dpd0=np.zeros(n, np.int32),
        disbursed=np.full(n, as_of, np.int64),
    )
    contract = Contract(penalty_multiplier=1.5, compound_interest=True, late_fee=0, grace_days=0,
                        grace_retroactive=True, acceleration_dpd=-1, charge_off_dpd=-1,
                        allocation=allocation_table("default"), period=30, non_accrual_dpd=90)
    beh = one_factor_behaviour(1, pd, rho, seed)
    horizon = 31
    months = horizon // 30 + 1
    macro = plain_macro(factor_paths(int(seed), 0, int(paths), months, persistence))
    return KernelInputs(book, contract, beh, macro, horizon, ("all",))


def vasicek_rows(x: np.ndarray, pd: float, rho: float, loans: int,
                 alpha: float = 1e-3) -> list[QuantileRow]:
    """Judge per-path shares ``x`` (each of ``loans`` loans) against the law (pd, rho): the
    quantiles :data:`QUANTILES` and the mean, with the tolerances of :func:`check_vasicek`."""
    paths = len(x)
    z = float(stats.norm.ppf(1 - alpha / 2))
    rows = []
    for q in QUANTILES:
        k_lo = stats.binom.ppf(alpha / 2, paths, q)
        k_hi = stats.binom.ppf(1 - alpha / 2, paths, q)
        x_lo = float(vasicek_quantile(k_lo / paths, pd, rho)) if k_lo > 0 else 0.0
        x_hi = float(vasicek_quantile((k_hi + 1) / paths, pd, rho)) if k_hi + 1 < paths else 1.0
        low = max(0.0, x_lo - z * math.sqrt(x_lo * (1 - x_lo) / loans))
        high = min(1.0, x_hi + z * math.sqrt(x_hi * (1 - x_hi) / loans))
        rows.append(QuantileRow(f"q{q:g}", float(np.quantile(x, q, method="inverted_cdf")),
                                float(vasicek_quantile(q, pd, rho)), low, high))
    var = vasicek_variance(pd, rho)
    se = math.sqrt((var + (pd * (1 - pd) - var) / loans) / paths)
    rows.append(QuantileRow("mean", float(np.mean(x)), pd, max(0.0, pd - z * se), pd + z * se))
    return rows


def check_vasicek(pd: float, rho: float, loans: int = 20_000, paths: int = 400, seed: int = 1,
                  alpha: float = 1e-3, threads: int | None = None) -> VasicekCheck:
    """Simulate one due date with the real kernel and compare the missed share with Vasicek.

    Tolerance, for each quantile ``q`` (each comparison at level ``alpha``, two-sided): the
    empirical quantile of ``M`` paths is an order statistic whose rank lies in the binomial
    interval ``[k_lo, k_hi]`` of Binomial(M, q); mapped through the law it lies between the
    quantiles at ``k_lo / M`` and ``(k_hi + 1) / M``; widen each end by the within-path binomial
    noise ``z sqrt(x (1 - x) / N)`` of a share of ``N`` loans. The mean: ``pd`` give or take
    ``z sqrt((Var X + E[X(1 - X)] / N) / M)``.
    """
    from simulator.kernels.jit import set_threads

    if not (0 < pd < 1 and 0 < rho < 1):
        raise ValueError("pd and rho must lie in (0, 1)")
    inputs = vasicek_inputs(pd, rho, loans, paths, seed)
    n_threads = set_threads(threads)
    tasks = plan_tasks(paths, loans, chunk_size=max(1, loans // max(1, n_threads)), path_block=16)
    agg = run_local(inputs, tasks, paths, n_threads)
    missed = agg[:, 30, 0, L.N_MISSED].astype(float)
    in_m1 = levels(agg)[:, 31, 0, L.N_BY_CODE + 1]
    if not np.array_equal(missed, in_m1.astype(float)):
        raise RuntimeError("n_missed on day 30 differs from n_M1 on day 31")
    x = missed / loans
    rows = vasicek_rows(x, pd, rho, loans, alpha)
    z = float(stats.norm.ppf(1 - alpha / 2))
    rule = (f"each row at level {alpha:g} (z = {z:.2f}): quantile q of M = {paths} paths lies "
            f"between the law's quantiles at the binomial order-statistic ranks "
            f"k_lo/M and (k_hi+1)/M of Binomial(M, q), each widened by z*sqrt(x(1-x)/N), "
            f"N = {loans} loans; mean: pd +- z*sqrt((Var X + E[X(1-X)]/N)/M)")
    return VasicekCheck(pd, rho, int(loans), int(paths), int(seed), alpha, rows, x, rule)


# ============================================================================================
# conservation


@dataclass
class ConservationCheck:
    scenario: str
    paths: int
    days: int
    segments: int
    drawdowns: int
    rows: int  # (path, day, segment) rows checked
    principal_max_diff: int  # micro-yuan, integer aggregates
    count_max_diff: int
    table_max_diff_yuan: float  # the same identity on the float timeseries table
    worst: tuple[int, int, int] | None  # (path, day, segment) of the largest principal gap

    @property
    def ok(self) -> bool:
        return (self.principal_max_diff == 0 and self.count_max_diff == 0
                and self.table_max_diff_yuan <= 1e-6)


def conservation_gaps(agg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(principal gap [path, day, segment] in micro-yuan, count gap) of the identities

        day-0 outstanding + cumulative disbursed + cumulative capitalised
            = outstanding + cumulative paid + cumulative charged-off principal
        day-0 drawdowns + cumulative new drawdowns = n_M0..n_M6 + n_CO + n_closed

    from the merged integer aggregate (new drawdowns: redraws and approved applicants;
    capitalised: arrears turned into principal by restructuring)."""
    lv = levels(agg)
    by_bucket = slice(L.PRINCIPAL_BY_BUCKET, L.PRINCIPAL_BY_BUCKET + L.N_BUCKETS)
    outstanding = lv[:, :, :, by_bucket].sum(axis=3)
    paid = np.cumsum(lv[:, :, :, L.PRINCIPAL_PAID], axis=1)
    charged = np.cumsum(lv[:, :, :, L.CHARGED_OFF], axis=1)
    added = np.cumsum(lv[:, :, :, L.DISBURSED] + lv[:, :, :, L.CAPITALISED], axis=1)
    principal_gap = outstanding[:, :1, :] + added - (outstanding + paid + charged)
    counts = lv[:, :, :, L.N_BY_CODE : L.N_BY_CODE + L.N_CODES].sum(axis=3)
    count_gap = counts - (counts[:, :1, :] + np.cumsum(lv[:, :, :, L.N_NEW], axis=1))
    return principal_gap, count_gap


def check_conservation(scenario, threads: int | None = None, chunk_size: int | None = None,
                       path_block: int | None = None) -> ConservationCheck:
    """Run ``scenario`` in memory and check conservation on every path, day and segment."""
    from simulator.book.inputs import kernel_inputs
    from simulator.engine.tables import timeseries_table
    from simulator.kernels.jit import set_threads

    inputs = kernel_inputs(scenario)
    n_paths = scenario.monte_carlo.paths
    n_b = len(inputs.book.borrower_id)
    n_threads = set_threads(threads)
    agg = run_local(inputs, plan_tasks(n_paths, n_b, chunk_size, path_block), n_paths, n_threads)
    per_seg = np.bincount(np.repeat(inputs.book.segment, np.diff(inputs.book.borrower_start)),
                          minlength=len(inputs.segments))
    pgap, cgap = conservation_gaps(agg)
    # The same identity on the float yuan columns users read.
    tab = timeseries_table(agg, inputs.segments, inputs.channels)
    cols = {c: tab.column(c).to_numpy() for c in tab.column_names}
    out = sum(cols[c] for c in principal_columns(ON_BOOK))
    shape = agg.shape[:3]
    out3 = out.reshape(shape)
    added = np.cumsum((cols["disbursed_principal"] + cols["capitalised"]).reshape(shape), axis=1)
    fgap = out3[:, :1, :] + added - (out3 + cols["cum_paid_principal"].reshape(shape)
                                     + cols["cum_charged_off_principal"].reshape(shape))
    worst = None
    if np.abs(pgap).max() > 0:
        worst = tuple(int(i) for i in np.unravel_index(np.abs(pgap).argmax(), pgap.shape))
    return ConservationCheck(
        scenario=scenario.name, paths=n_paths, days=agg.shape[1] - 1, segments=agg.shape[2],
        drawdowns=int(per_seg.sum()), rows=int(np.prod(shape)),
        principal_max_diff=int(np.abs(pgap).max()), count_max_diff=int(np.abs(cgap).max()),
        table_max_diff_yuan=float(np.abs(fgap).max()), worst=worst,
    )
