"""The portfolio kernel: every drawdown of a chunk of borrowers, day by day, for a block of
paths, with the mechanics of ``simulator.contract.ledger`` and the behaviour of MODEL.md 6.

Pure: arrays in, aggregates out (``agg[path, day, segment, metric]``, see ``layout``).
Borrowers are independent given the path's macro factor, so a borrower's drawdowns are held in
small scratch arrays and nothing per drawdown outlives the borrower. A drawdown takes a full
step (``steps``) only on its event days (a due date, a draw that fires, a bucket or threshold
day, see ``_next_step``); the days between only accrue constant amounts and are
settled in one go, with the same bits as stepping every day (``Contract.skip_quiet_days=False``,
the tests' reference).
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from simulator.kernels import drawdown as dd
from simulator.kernels import layout as L
from simulator.kernels import rng, steps
from simulator.kernels.jit import jit
from simulator.kernels.layout import (
    ACTIVE,
    CHARGED_OFF_STATUS,
    D_COMPOUND,
    D_DUE_DAY,
    D_FEES,
    D_INTEREST,
    D_PENALTY,
    D_PRINCIPAL,
    H_CURE,
    H_PARTIAL,
    K_CURE,
    K_MISS,
    K_PREPAY,
    K_RESTRUCTURE,
    K_UNEMPLOYMENT,
    PLAN_NONE,
    S_ACCELERATED,
    S_ACCRUED_INTEREST,
    S_CHARGED_OFF_PRINCIPAL,
    S_DPD,
    S_LEVEL_PAYMENT,
    S_N_SLOTS,
    S_NEXT_INSTALMENT,
    S_NEXT_STEP,
    S_NORMAL_PRINCIPAL,
    S_ORIGIN,
    S_PAID_COMPOUND,
    S_PAID_FEES,
    S_PAID_INTEREST,
    S_PAID_PENALTY,
    S_PAID_PRINCIPAL,
    S_PREPAID_PRINCIPAL,
    S_REPORTED_CODE,
    S_REPORTED_RESTRUCTURED,
    S_RESTRUCTURED,
    S_STATUS,
    S_TERM,
    S_UNACCRUED_FROM,
)


class Book(NamedTuple):
    """Struct of arrays; a borrower's drawdowns are ``[borrower_start[b], borrower_start[b+1])``.
    Money in micro-yuan; ``age`` is days since disbursement at day 0, ``dpd0`` the DPD then."""

    borrower_start: np.ndarray  # int64 [n_borrowers + 1]
    borrower_id: np.ndarray  # int64 [n_borrowers]: the key of borrower-level draws
    segment: np.ndarray  # int32 [n_borrowers]
    income: np.ndarray  # float64 [n_borrowers]: monthly income, yuan
    drawdown_id: np.ndarray  # int64 [n_drawdowns]: the key of drawdown-level draws
    principal: np.ndarray  # int64
    daily_rate: np.ndarray  # float64
    term: np.ndarray  # int32
    method: np.ndarray  # int8 (METHOD_*)
    instalment: np.ndarray  # int64: the fixed instalment (equal_*), see schedule.py
    age: np.ndarray  # int32
    dpd0: np.ndarray  # int32
    disbursed: np.ndarray  # int64: epoch day of disbursement (calendar schedules)
    # Optional (empty: off). Per borrower: PD multiplier from the risk score; 1 if today's
    # underwriting would approve a new drawdown. Per drawdown: the terms of a redraw.
    pd_multiplier: np.ndarray = np.ones(0)
    approved: np.ndarray = np.ones(0, np.int8)
    redraw_principal: np.ndarray = np.zeros(0, np.int64)
    redraw_rate: np.ndarray = np.zeros(0)
    redraw_instalment: np.ndarray = np.zeros(0, np.int64)


class Contract(NamedTuple):
    penalty_multiplier: float
    compound_interest: bool
    late_fee: int
    grace_days: int
    grace_retroactive: bool
    acceleration_dpd: int  # -1: off
    charge_off_dpd: int  # -1: off
    allocation: np.ndarray  # int64 [groups, parts]: slot fields, -1 padding
    period: int  # days, or 0 for calendar months
    non_accrual_dpd: int
    skip_quiet_days: bool = True  # False: step every day (the fast path's reference)


class Behaviour(NamedTuple):
    seed: int
    rho: float
    base_pd: np.ndarray  # float64 [segments]
    other_debt_service_ratio: np.ndarray  # [segments]
    dsr_reference: np.ndarray  # [segments]
    dsr_sensitivity: float
    unemployed_income_ratio: float
    unemployed_pd_multiplier: float
    other_debt_rate_sensitivity: float
    months_on_book_pd: np.ndarray  # float64: by months on book 1, 2, ... (the last held)
    partial_share: float
    cure_factor_loading: float
    prepayment_monthly: float
    recovery_rate: float  # at Z = 0
    recovery_factor_loading: float
    recovery_lag_days: int
    burn_in_days: int = 0  # days simulated before day 0 (a whole number of months)
    redraw_probability: float = 0.0
    restructure_dpd_from: int = 0  # 0: restructuring off
    restructure_dpd_to: int = 0
    restructure_daily: float = 0.0
    restructure_extra_months: int = 0
    restructure_waive: bool = True
    restructure_pd_multiplier: float = 1.0
    legal_share: float = 0.0
    legal_rate: float = 0.0
    legal_lag_days: int = 0
    legal_cost: int = 0  # micro-yuan per case
    apr_cap: float = 0.24


class Macro(NamedTuple):
    """By month from the burn-in's start (``simulator.book.macro``; ``month_of``)."""

    z: np.ndarray  # float64 [paths, months]: systematic factor (low is a downturn)
    segment_z: np.ndarray  # float64 [paths, segments, months]: the segments' factors
    income_multiplier: np.ndarray  # float64 [segments, months]
    rate_bp: np.ndarray  # float64 [months]
    season: np.ndarray  # float64 [months]: PD multiplier
    unemployment_start: np.ndarray  # float64 [segments]: chance of starting unemployed
    separation: np.ndarray  # float64 [segments, months]: chance of a job loss to month m+1
    job_finding: np.ndarray  # float64 [segments, months]: of finding one
    cure_daily: np.ndarray  # float64 [paths, months, N_BUCKETS]: before the factor's lift
    partial_daily: np.ndarray  # float64 [paths, months, N_BUCKETS]


class Plan(NamedTuple):
    """Forced payments (tests and ``overdue check ledger``): ``code[d, day]`` (``PLAN_*``)
    with ``amount[d, day]`` for every drawdown ``d`` of the book; no rows: payments are
    drawn."""

    code: np.ndarray  # int8 [drawdowns, days]
    amount: np.ndarray  # int64 [drawdowns, days]


class Chunk(NamedTuple):
    """A task's paths ``[path_lo, path_hi)`` and borrowers ``[b_lo, b_hi)``, to the horizon."""

    path_lo: int
    path_hi: int
    b_lo: int
    b_hi: int
    horizon: int


class LogPD(NamedTuple):
    """The PD's multiplicative terms as logarithms (``rng.logs``), prepared once per chunk
    and summed by ``steps.log_miss_probability``."""

    base_pd: np.ndarray  # float64 [segments]
    months_on_book: np.ndarray  # float64: by months on book 1, 2, ... (the last held)
    season: np.ndarray  # float64 [months]
    score: np.ndarray  # float64 [borrowers of the chunk, from first_borrower]; empty: none
    first_borrower: int
    unemployed: float
    restructured: float


class Scratch(NamedTuple):
    """Working arrays of the borrower and path in hand, and tables prepared once per chunk:
    allocated by :func:`simulate_block` so that the compiled loop allocates nothing."""

    state: np.ndarray  # int64 [drawdowns, N_STATE]: ``st``
    slots: np.ndarray  # int64 [drawdowns, instalments + 2, N_SLOT_FIELDS]: ``sl``
    keys: np.ndarray  # uint64 [drawdowns, N_KEYS]: the drawdowns' draw keys by stream
    flows: np.ndarray  # int64 [N_FLOWS]: a payment's allocation
    borrower: np.ndarray  # int64 [N_BORROWER]: the borrower at the start of the day (B_*)
    unemployed: np.ndarray  # int8 [months]: 1 in the months the borrower is unemployed
    pd_cache: np.ndarray  # float64 [7]: the borrower's last log PD, its quantile, DSR
    # inputs and term
    log_pd: LogPD
    hazard: np.ndarray  # float64 [months, N_BUCKETS, N_HAZARDS]: the path's daily chances
    recovery: np.ndarray  # float64 [months]: the path's recovery rate
    phi_bounds: np.ndarray  # rng.normal_cdf_bounds()
    probit: np.ndarray  # rng.probit_table()


@jit(forceinline=True, _nrt=False)
def month_of(t, burn_in_days, n_months):
    """The macro month of sim day ``t`` (``simulator.book.macro``): the burn-in's months cover
    days ``(-burn_in_days, 0]``, then day ``t >= 1`` falls in month ``t // 30`` after them;
    the last month holds to the end."""
    if t >= 1:
        m = burn_in_days // L.DAYS_PER_MONTH + t // L.DAYS_PER_MONTH
    else:
        m = max(t + burn_in_days - 1, 0) // L.DAYS_PER_MONTH
    return min(m, n_months - 1)


@jit(forceinline=True, _nrt=False)
def _next_month_day(t, burn_in_days):
    """The first day after ``t`` in another month (before ``month_of``'s clamp)."""
    if t >= 1:
        return (t // L.DAYS_PER_MONTH + 1) * L.DAYS_PER_MONTH
    return (max(t + burn_in_days - 1, 0) // L.DAYS_PER_MONTH + 1) * L.DAYS_PER_MONTH \
        - burn_in_days + 1


@jit(forceinline=True, _nrt=False)
def _draw_keys(keys, j, path_keys, unit):
    """Drawdown ``j``'s own draw keys for the path (``rng.unit_key`` of the path's stream keys):
    prepayment and restructuring. Its cure and miss keys are its borrower's (set once, in
    :func:`_start_borrower`)."""
    keys[j, K_PREPAY] = rng.unit_key(path_keys[K_PREPAY], unit)
    keys[j, K_RESTRUCTURE] = rng.unit_key(path_keys[K_RESTRUCTURE], unit)


@jit(forceinline=True, _nrt=False)
def _stream_keys(seed, path):
    """The path's stream keys, in K_* order, then the employment chain's (hashed once per
    path)."""
    return (rng.path_key(seed, rng.CURE, path), rng.path_key(seed, rng.MISS, path),
            rng.path_key(seed, rng.PREPAY, path), rng.path_key(seed, rng.RESTRUCTURE, path),
            rng.path_key(seed, rng.UNEMPLOYMENT, path))


@jit(forceinline=True, _nrt=False)
def _path_chances(hazard, recovery, macro, path, beh):
    """The path's daily cure and partial-payment chances by month and bucket (collection's,
    ``simulator.book.collection``) lifted by the month's factor, and its recovery rate, the
    same way."""
    z = macro.z
    for m in range(z.shape[1]):
        lift = math.exp(beh.cure_factor_loading * z[path, m])
        for bk in range(L.N_BUCKETS):
            hc = min(1.0, macro.cure_daily[path, m, bk] * lift)
            hazard[m, bk, H_CURE] = hc
            hazard[m, bk, H_PARTIAL] = min(1.0 - hc, macro.partial_daily[path, m, bk] * lift)
        recovery[m] = min(1.0, beh.recovery_rate
                          * math.exp(beh.recovery_factor_loading * z[path, m]))


@jit(forceinline=True, _nrt=False)
def _employment(unemployed, a, b, seg, path_keys, horizon, book, beh, macro):
    """The borrower's months unemployed (``unemployed[m]``): a two-state chain, unemployed in
    the first month with the segment's starting rate, then leaving a job or finding one with
    the month's hazards; one draw a month. Reported as the employment counts from day 0
    (changes on the days the month changes)."""
    burn_months = beh.burn_in_days // L.DAYS_PER_MONTH
    key = rng.unit_key(path_keys[K_UNEMPLOYMENT], book.borrower_id[b])
    state = rng.uniform_at(key, 0) < macro.unemployment_start[seg]
    unemployed[0] = state
    for m in range(1, unemployed.shape[0]):
        u = rng.uniform_at(key, m)
        if state:
            state = not u < macro.job_finding[seg, m - 1]
        else:
            state = u < macro.separation[seg, m - 1]
        unemployed[m] = state
    n_months = unemployed.shape[0]
    last = unemployed[month_of(0, beh.burn_in_days, n_months)]
    a[0, seg, L.BORROWERS] += 1
    a[0, seg, L.BORROWERS_UNEMPLOYED] += last
    t = 1 if burn_months > 0 else L.DAYS_PER_MONTH
    while t <= horizon:
        now = unemployed[month_of(t, beh.burn_in_days, n_months)]
        a[t, seg, L.BORROWERS_UNEMPLOYED] += now - last
        last = now
        t = (t // L.DAYS_PER_MONTH + 1) * L.DAYS_PER_MONTH


@jit(forceinline=True, _nrt=False)
def _start_borrower(st, keys, d0, nd, b, book, path_keys, contract, beh, as_of):
    """Fresh state for the borrower's drawdowns (book rows ``[d0, d0 + nd)``), brought to the
    first day stepped, which it returns: the earliest day initial arrears began, or the first
    day of behaviour (day 0, or the burn-in's start): always stepped. Seasoning before it was
    paid on time and is replayed one due date at a time."""
    start = -beh.burn_in_days
    first = start
    for j in range(nd):
        if book.dpd0[d0 + j] > 0:
            first = min(first, start - book.dpd0[d0 + j])
    cure_key = rng.unit_key(path_keys[K_CURE], book.borrower_id[b])
    miss_key = rng.unit_key(path_keys[K_MISS], book.borrower_id[b])
    for j in range(nd):
        d = d0 + j
        for f in range(L.N_STATE):
            st[j, f] = 0
        dd.start_schedule(st, j, -book.age[d], book.principal[d], book.term[d],
                          book.instalment[d], book.daily_rate[d])
        st[j, S_REPORTED_CODE] = -1
        st[j, S_REPORTED_RESTRUCTURED] = -1
        st[j, L.S_VINTAGE] = steps.month_index(-book.age[d])
        keys[j, K_CURE] = cure_key
        keys[j, K_MISS] = miss_key
        _draw_keys(keys, j, path_keys, book.drawdown_id[d])
        if not contract.skip_quiet_days:  # the reference: every day from the oldest
            first = min(first, -book.age[d] + 1)
    if contract.skip_quiet_days:
        for j in range(nd):
            if st[j, S_ORIGIN] < first:
                dd.replay_on_time(st, j, book.daily_rate[d0 + j], book.method[d0 + j], first,
                                  contract.period, as_of)
    for j in range(nd):
        st[j, S_NEXT_STEP] = first
        st[j, S_UNACCRUED_FROM] = first
    return first


@jit(forceinline=True, _nrt=False)
def _settle_quiet_days(a, seg, st, sl, j, d, t, book, contract):
    """The quiet days since drawdown ``j`` last stepped, accrued at once up to day ``t``."""
    if st[j, S_ORIGIN] < st[j, S_UNACCRUED_FROM] < t and st[j, S_STATUS] == ACTIVE:
        dd.accrue_run(book.daily_rate, book.redraw_rate, st, sl, a, seg, j, d,
                      st[j, S_UNACCRUED_FROM], t, contract.penalty_multiplier,
                      contract.compound_interest, contract.non_accrual_dpd)
    st[j, S_UNACCRUED_FROM] = t + 1


@jit(forceinline=True, _nrt=False)
def _summarise(bs, st, sl, nd, t):
    """The borrower at the end of day ``t`` (``B_*``) from its drawdowns on book: what its
    decisions of the next day read."""
    level = np.int64(0)
    youngest = -L.NO_ARREARS
    oldest = L.NO_ARREARS
    restructured = 0
    for j in range(nd):
        if st[j, S_STATUS] != ACTIVE or st[j, S_ORIGIN] > t:
            continue
        level += st[j, S_LEVEL_PAYMENT]
        youngest = max(youngest, st[j, S_ORIGIN])
        if st[j, S_N_SLOTS] > 0:
            oldest = min(oldest, st[j, S_ORIGIN] + sl[j, 0, D_DUE_DAY])
        if st[j, S_RESTRUCTURED] != 0:
            restructured = 1
    bs[L.B_LEVEL_PAYMENTS] = level
    bs[L.B_YOUNGEST_ORIGIN] = youngest
    bs[L.B_OLDEST_DUE] = oldest
    bs[L.B_RESTRUCTURED] = restructured


@jit(forceinline=True, _nrt=False)
def _report_borrower(a, t, seg, oldest, dpd30, dpd90):
    """The borrower's 30+ and 90+ flags, by its DPD (its oldest unpaid instalment due on day
    ``oldest``), as changes from ``dpd30``/``dpd90``; returns the new flags."""
    b_dpd = t - oldest if oldest != L.NO_ARREARS else 0
    new30 = 1 if b_dpd >= L.PAST_30_DPD else 0
    new90 = 1 if b_dpd >= L.PAST_90_DPD else 0
    if new30 != dpd30:
        a[t, seg, L.BORROWERS_DPD30] += new30 - dpd30
    if new90 != dpd90:
        a[t, seg, L.BORROWERS_DPD90] += new90 - dpd90
    return new30, new90


@jit(forceinline=True, _nrt=False)
def _redraw(a, t, seg, st, keys, j, d, path, path_keys, book, beh):
    """A drawdown closed today is followed by a new one with the redraw probability: on
    today's terms from day 1, on the book's in the burn-in (today's policy starts at day 1).
    The new schedule is made by a call that takes only numbers (``steps.redraw``): handing a
    called function the book's arrays copies them all."""
    unit = dd.draw_unit(book.drawdown_id, st, j, d)
    if rng.uniform(beh.seed, rng.REDRAW, path, unit, t) < beh.redraw_probability:
        if t >= 1:
            steps.redraw(a, t, seg, st, j, book.redraw_principal[d], book.term[d],
                         book.redraw_instalment[d], book.redraw_rate[d], True)
        else:
            steps.redraw(a, t, seg, st, j, book.principal[d], book.term[d],
                         book.instalment[d], book.daily_rate[d], False)
        _draw_keys(keys, j, path_keys, dd.draw_unit(book.drawdown_id, st, j, d))


@jit(forceinline=True, _nrt=False)
def _next_step(st, sl, keys, j, d, t, cap, plan, as_of, draws, hazard, oldest, contract, beh):
    """The first day from ``t`` (before ``cap``, else ``cap``) on which drawdown ``j`` needs a
    full step.

    Its other days only accrue constant amounts (see ``dd.next_event``) and are settled at
    once by ``dd.accrue_run``. Where the day's draws decide (``draws``), a delinquent
    drawdown's days are quiet only until the first one whose restructuring draw or its
    borrower's cure draw fires (the borrower's bucket from ``oldest``, its oldest unpaid due
    day, fixed until one of its drawdowns steps); the draws are made here exactly as the full
    step would make them, so skipping is bit-identical to stepping.
    """
    origin = st[j, S_ORIGIN]
    if t < origin:  # not yet disbursed: disbursement day is an event
        return min(cap, origin)
    if t == origin:  # disbursed today: reported today
        return t
    if st[j, S_STATUS] != ACTIVE:
        return cap
    if st[j, S_N_SLOTS] == 0 and (
        st[j, S_ACCELERATED] != 0 or st[j, S_NEXT_INSTALMENT] > st[j, S_TERM]
    ):
        return t
    e = dd.next_event(st, sl, j, t, cap, contract.period, as_of, contract.grace_days,
                      contract.non_accrual_dpd, contract.acceleration_dpd,
                      contract.charge_off_dpd)
    if plan.code.shape[0] > 0 and t >= 1:
        for tt in range(t, min(e, plan.code.shape[1])):
            if plan.code[d, tt] != PLAN_NONE:
                return tt
    if not draws or st[j, S_N_SLOTS] == 0 or e <= t:
        return e
    n_months = hazard.shape[0]
    m = month_of(t, beh.burn_in_days, n_months)
    if m < n_months - 1:  # the cure chances change with the month's factor
        e = min(e, _next_month_day(t, beh.burn_in_days))
    dpd = t - oldest  # the borrower's bucket changes at DPD 1, 31, ..., 151
    if dpd <= (L.LAST_BUCKET - 1) * L.BUCKET_DAYS:
        e = min(e, oldest + (max(dpd - 1, 0) // L.BUCKET_DAYS + 1) * L.BUCKET_DAYS + 1)
    bk = dd.bucket(dpd)
    fires = hazard[m, bk, H_CURE] + hazard[m, bk, H_PARTIAL]
    own_oldest = origin + sl[j, 0, D_DUE_DAY]
    restructure_from = beh.restructure_dpd_from
    restructurable = restructure_from > 0 and st[j, S_RESTRUCTURED] == 0 and t >= 1
    for tt in range(t, e):  # the draws, day by day until one fires
        own_dpd = tt - own_oldest
        if restructurable and restructure_from <= own_dpd <= beh.restructure_dpd_to and (
            rng.uniform_at(keys[j, K_RESTRUCTURE], tt) < beh.restructure_daily
        ):
            return tt
        if rng.uniform_at(keys[j, K_CURE], tt) < fires:
            return tt
    return e


def simulate_block(book, contract, beh, macro, path_lo, path_hi, b_lo, b_hi, horizon,
                   plan_code, plan_amount, agg, end_state):
    """Simulate borrowers ``[b_lo, b_hi)`` on paths ``[path_lo, path_hi)``.

    ``agg[path - path_lo, day, segment, metric]`` receives the chunk's aggregates (added to).
    When ``plan_code`` has rows, payments are forced from it (``plan_code[d, day]``, with
    ``plan_amount``) instead of drawn, for every drawdown ``d`` of the book. When ``end_state``
    has rows, row ``d - first drawdown of b_lo`` receives each drawdown's state at the horizon
    (of the last path simulated).

    The scratch arrays are allocated here, in numpy: the compiled loop allocates nothing.
    """
    starts = book.borrower_start[b_lo : b_hi + 1]
    max_dd = max(1, int(np.diff(starts).max(initial=0)))
    max_term = int(book.term[starts[0] : starts[-1]].max(initial=1))
    max_term += beh.restructure_extra_months
    n_months = macro.z.shape[1]
    scratch = Scratch(
        state=np.zeros((max_dd, L.N_STATE), np.int64),
        slots=np.zeros((max_dd, max_term + 2, L.N_SLOT_FIELDS), np.int64),
        keys=np.zeros((max_dd, L.N_KEYS), np.uint64),
        flows=np.zeros(L.N_FLOWS, np.int64),
        borrower=np.zeros(L.N_BORROWER, np.int64),
        unemployed=np.zeros(n_months, np.int8),
        pd_cache=np.zeros(7),
        log_pd=_log_pd(book, beh, macro, b_lo, b_hi),
        hazard=np.empty((n_months, L.N_BUCKETS, L.N_HAZARDS)),
        recovery=np.empty(n_months),
        phi_bounds=_phi_bounds(),
        probit=_probit(),
    )
    _simulate(book, contract, beh, macro, Chunk(path_lo, path_hi, b_lo, b_hi, horizon),
              Plan(plan_code, plan_amount), scratch, agg, end_state)


def _log_pd(book, beh, macro, b_lo, b_hi) -> LogPD:
    """The PD's terms as logarithms, for borrowers ``[b_lo, b_hi)``."""
    score = book.pd_multiplier[b_lo:b_hi] if book.pd_multiplier.shape[0] > 0 else np.ones(0)
    multipliers = rng.logs(np.array([beh.unemployed_pd_multiplier,
                                     beh.restructure_pd_multiplier]))
    return LogPD(rng.logs(beh.base_pd), rng.logs(beh.months_on_book_pd), rng.logs(macro.season),
                 rng.logs(np.ascontiguousarray(score, np.float64)), b_lo, float(multipliers[0]),
                 float(multipliers[1]))


@functools.cache
def _probit() -> np.ndarray:
    """``rng.probit_table()``, read-only, built once per process."""
    table = rng.probit_table()
    table.flags.writeable = False
    return table


@functools.cache
def _phi_bounds() -> np.ndarray:
    """``rng.normal_cdf_bounds()``, a read-only table built once per process."""
    bounds = rng.normal_cdf_bounds()
    bounds.flags.writeable = False
    return bounds


@jit(_nrt=False, loop_vectorize=False)
def _simulate(book, contract, beh, macro, chunk, plan, scratch, agg, end_state):
    """:func:`simulate_block` with its scratch arrays allocated (``Scratch``).

    Compiled without reference counting: it allocates nothing and every array it touches
    outlives the call, and the atomic count updates numba otherwise makes for each array
    handed to an inlined helper took over a third of the time (and without them, handing
    the helpers whole groups of arrays costs nothing).

    Days before day 1 are the book's history: paid on time up to ``start`` (day 0, or the
    burn-in's first day), then, in the burn-in, drawn like any day of the path (its factor's
    own history, ``Macro``) with nothing recorded but day 0's levels and the recoveries that
    fall after day 0.
    """
    st = scratch.state
    sl = scratch.slots
    keys = scratch.keys
    bs = scratch.borrower
    horizon = chunk.horizon
    # every drawdown of a book shares day 0: its epoch day is disbursement + age
    as_of = book.disbursed[0] + book.age[0] if book.age.shape[0] > 0 else 0
    redraws = beh.redraw_probability > 0.0 and book.redraw_principal.shape[0] > 0
    n_months = macro.z.shape[1]
    sqrt_rho = math.sqrt(beh.rho)
    sqrt_1mrho = math.sqrt(1.0 - beh.rho)
    forced = plan.code.shape[0] > 0
    draws = not forced and contract.skip_quiet_days
    start = -beh.burn_in_days

    for path in range(chunk.path_lo, chunk.path_hi):
        a = agg[path - chunk.path_lo]
        path_keys = _stream_keys(beh.seed, path)
        _path_chances(scratch.hazard, scratch.recovery, macro, path, beh)
        for b in range(chunk.b_lo, chunk.b_hi):
            d0 = book.borrower_start[b]
            nd = book.borrower_start[b + 1] - d0
            seg = book.segment[b]
            approved = book.approved.shape[0] == 0 or book.approved[b] != 0
            scratch.pd_cache[0] = np.nan  # no PD yet
            scratch.pd_cache[2] = np.nan  # no DSR term yet (NaN equals nothing)
            bs[L.B_DECIDED_MONTH] = -1
            _employment(scratch.unemployed, a, b, seg, path_keys, horizon, book, beh, macro)
            t = _start_borrower(st, keys, d0, nd, b, book, path_keys, contract, beh, as_of)
            _summarise(bs, st, sl, nd, t - 1)
            dpd30 = 0
            dpd90 = 0
            # Each drawdown is stepped only on its own event days; in between, its quiet days
            # are settled when it is next stepped (or after the horizon, ``t = horizon + 1``).
            while True:
                last = t > horizon
                m = month_of(t, beh.burn_in_days, n_months)
                report = t >= 0
                flow_day = t >= 1
                oldest = bs[L.B_OLDEST_DUE]  # the borrower at the start of the day
                for j in range(nd):
                    if st[j, S_NEXT_STEP] != t and not last:
                        continue
                    d = d0 + j
                    loan_day = t - st[j, S_ORIGIN]
                    if loan_day < 0:  # not yet disbursed
                        continue
                    if loan_day > 0 and st[j, S_STATUS] == ACTIVE:
                        steps.passed_quarter_ends(a, seg, st, sl, j, t)
                    _settle_quiet_days(a, seg, st, sl, j, d, t, book, contract)
                    if last:
                        continue
                    if loan_day == 0:  # disbursed today
                        if report:
                            steps.report_new(a, t, seg, st, j, flow_day)
                        steps.quarter_entry(a, t, seg, st, j)
                        continue
                    if st[j, S_STATUS] != ACTIVE:  # closed or charged off before day 0
                        if report:
                            steps.report_settled(a, t, seg, st, j)
                        continue
                    rate = dd.daily_rate(book.daily_rate, book.redraw_rate, st, j, d)
                    delinquent = st[j, S_N_SLOTS] > 0
                    steps.accrue(a, t, seg, st, sl, j, loan_day, rate, contract, flow_day)
                    due_now = steps.fall_due(st, sl, j, loan_day, book.method[d],
                                             contract.period, as_of)
                    due_principal = steps.due_principal(st, sl, j, due_now)
                    # decide and pay
                    amount = np.int64(0)
                    if t <= start:  # seasoning: paid on time until the initial arrears began
                        if due_now and not delinquent and (book.dpd0[d] == 0
                                                           or t < start - book.dpd0[d]):
                            dd.settle_only_slot(st, sl, j)  # no flows before day 1
                    elif forced:
                        amount = steps.planned_amount(plan, d, t, st, sl, j, due_now)
                    elif delinquent:
                        amount, rescheduled = steps.arrears_draws(
                            a, t, seg, st, sl, keys, j, loan_day, m, scratch.hazard, rate,
                            book.method[d], beh, oldest, flow_day)
                        if rescheduled:  # a new schedule, from today
                            loan_day = 0
                    elif due_now:
                        amount = steps.due_draws(a, t, seg, b, j, path, m, loan_day, book, beh,
                                                 macro, scratch, sqrt_rho, sqrt_1mrho, flow_day)
                    if amount > 0:
                        steps.pay(a, t, seg, st, sl, j, amount, contract.allocation,
                                  scratch.flows, flow_day)
                    if due_now and flow_day:
                        steps.record_due(a, t, seg, st, sl, j, loan_day, due_principal)
                    # end of day
                    steps.late_fee(a, t, seg, st, sl, j, loan_day, contract.late_fee, flow_day)
                    dpd = steps.days_past_due(a, t, seg, st, sl, j, loan_day, flow_day)
                    steps.vintage_thresholds(a, t, st, sl, j, dpd, contract.period, as_of,
                                             flow_day)
                    steps.accelerate(st, sl, j, loan_day, dpd, contract.acceleration_dpd)
                    outstanding = dd.principal_outstanding(st, sl, j)
                    closed = steps.charge_off_or_close(a, t, seg, st, sl, j, d, dpd, outstanding,
                                                       path, horizon, flow_day,
                                                       scratch.recovery[m], book, contract, beh)
                    if report:
                        steps.report(a, t, seg, st, j, outstanding)
                    if st[j, S_STATUS] == ACTIVE:
                        steps.quarter_end(a, t, seg, st, j, outstanding)
                    else:  # charged off or closed today (before a redraw takes the row)
                        steps.quarter_exit(a, t, seg, st, j, horizon)
                    if (closed and redraws and t > start and t < horizon
                            and (approved or t <= 0)):
                        _redraw(a, t, seg, st, keys, j, d, path, path_keys, book, beh)
                if last:
                    break
                if t == 0:
                    for j in range(nd):
                        steps.opening_vintage(a, st, sl, j)
                _summarise(bs, st, sl, nd, t)
                if report:
                    dpd30, dpd90 = _report_borrower(a, t, seg, bs[L.B_OLDEST_DUE], dpd30, dpd90)
                # The next day any drawdown steps; those stepped today look ahead from tomorrow,
                # and so do the borrower's drawdowns in arrears (its cure depends on them all).
                # Day 0 is stepped for every drawdown: all are reported there; and so is the
                # first day of draws (the burn-in's), which the seasoning cannot look past.
                nt = t + 1
                cap = horizon + 1 if nt >= 1 else 0
                if nt <= start:
                    cap = min(cap, start + 1)
                upcoming = horizon + 1
                for j in range(nd):
                    if st[j, S_NEXT_STEP] == t or (
                        st[j, S_N_SLOTS] > 0 and st[j, S_STATUS] == ACTIVE
                    ):
                        if contract.skip_quiet_days and nt != 0:
                            st[j, S_NEXT_STEP] = _next_step(
                                st, sl, keys, j, d0 + j, nt, cap, plan, as_of,
                                draws and nt > start, scratch.hazard, bs[L.B_OLDEST_DUE],
                                contract, beh)
                        else:
                            st[j, S_NEXT_STEP] = nt
                    upcoming = min(upcoming, st[j, S_NEXT_STEP])
                t = upcoming
            if end_state.shape[0] > 0:
                for j in range(nd):
                    _end_state(end_state[d0 + j - book.borrower_start[chunk.b_lo]], st, sl, j)


@jit(forceinline=True, _nrt=False)
def _end_state(row, st, sl, j):
    """Drawdown ``j``'s state at the horizon into ``row`` (``L.END_FIELDS``)."""
    row[L.END_NORMAL_PRINCIPAL] = st[j, S_NORMAL_PRINCIPAL]
    row[L.END_ACCRUED_INTEREST] = st[j, S_ACCRUED_INTEREST]
    row[L.END_OVERDUE_PRINCIPAL : L.END_BALANCES] = 0
    for s in range(st[j, S_N_SLOTS]):
        row[L.END_OVERDUE_PRINCIPAL] += sl[j, s, D_PRINCIPAL]
        row[L.END_OVERDUE_INTEREST] += sl[j, s, D_INTEREST]
        row[L.END_PENALTY] += sl[j, s, D_PENALTY]
        row[L.END_COMPOUND] += sl[j, s, D_COMPOUND]
        row[L.END_FEES] += sl[j, s, D_FEES]
    if st[j, S_STATUS] == CHARGED_OFF_STATUS:
        row[: L.END_BALANCES] = 0
    row[L.END_DPD] = st[j, S_DPD]
    row[L.END_STATUS] = st[j, S_STATUS]
    row[L.END_PAID_PRINCIPAL] = st[j, S_PAID_PRINCIPAL]
    row[L.END_PAID_INTEREST] = st[j, S_PAID_INTEREST]
    row[L.END_PAID_PENALTY] = st[j, S_PAID_PENALTY]
    row[L.END_PAID_COMPOUND] = st[j, S_PAID_COMPOUND]
    row[L.END_PAID_FEES] = st[j, S_PAID_FEES]
    row[L.END_PREPAID_PRINCIPAL] = st[j, S_PREPAID_PRINCIPAL]
    row[L.END_CHARGED_OFF_PRINCIPAL] = st[j, S_CHARGED_OFF_PRINCIPAL]
