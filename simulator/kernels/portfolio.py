"""The portfolio kernel: every drawdown of a chunk of borrowers, day by day, for a block of
paths, with the mechanics of ``simulator.contract.ledger`` and the behaviour of MODEL.md 6.

Pure: arrays in, aggregates out (``agg[path, day, segment, metric]``, see ``layout``).
Borrowers are independent given the path's macro factor, so a borrower's drawdowns are held in
small scratch arrays and nothing per drawdown outlives the borrower. A drawdown takes a full
step only on its event days (a due date, a draw that fires, a bucket or threshold day, see
``_next_step``); the days between only accrue constant amounts and are settled in one go, with
the same bits as stepping every day (``Contract.skip_quiet_days=False``, the tests' reference).
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from simulator.kernels import drawdown as dd
from simulator.kernels import layout as L
from simulator.kernels import rng
from simulator.kernels.calendar import due_day
from simulator.kernels.jit import jit
from simulator.kernels.layout import (
    ACTIVE,
    CHARGED_OFF_STATUS,
    CLOSED,
    D_ACCELERATED,
    D_COMPOUND,
    D_DUE_DAY,
    D_FEES,
    D_HELD_COMPOUND,
    D_HELD_PENALTY,
    D_INTEREST,
    D_PENALTY,
    D_PRINCIPAL,
    PLAN_ALL,
    PLAN_AMOUNT,
    PLAN_DUE,
    PLAN_NONE,
    PLAN_PAST_DUE,
    S_ACCELERATED,
    S_ACCRUED_INTEREST,
    S_CHARGED_OFF_PRINCIPAL,
    S_DPD,
    S_GENERATION,
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
    S_PRINCIPAL_DAYS,
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
    unemployment_beta: np.ndarray  # [segments]
    dsr_sensitivity: float
    unemployed_income_ratio: float
    other_debt_rate_sensitivity: float
    cure_daily: np.ndarray  # float64 [N_BUCKETS], index = bucket (0 unused)
    partial_daily: np.ndarray  # float64 [N_BUCKETS]
    partial_share: float
    cure_factor_loading: float
    prepayment_monthly: float
    recovery_rate: float
    recovery_lag_days: int
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
    z: np.ndarray  # float64 [paths, months]: systematic factor (low is a downturn)
    income_multiplier: np.ndarray  # float64 [segments, months]
    unemployment_pp: np.ndarray  # float64 [months]
    rate_bp: np.ndarray  # float64 [months]


@jit(inline="always")
def _miss_probability(b, seg, m, path, owed, restructured, income, borrower_id, pd_multiplier,
                      base_pd, other_dsr, unemployment_beta, unemployment_pp,
                      income_multiplier, rate_bp, beh):
    """P(missing this due payment) given affordability under the month's shocks, before the
    factor: the borrower's PD scaled by exp(sensitivity x rise of the debt-service ratio).

    Arrays come one by one (not in their tuples) and ``beh`` is read for scalars only, so the
    hot loop does no reference counting."""
    inc0 = income[b]
    unemployed = rng.uniform(beh.seed, rng.UNEMPLOYMENT, path, borrower_id[b], m) < (
        max(0.0, unemployment_pp[m]) / 100.0 * unemployment_beta[seg]
    )
    inc = inc0 * income_multiplier[seg, m]
    if unemployed:
        inc *= beh.unemployed_income_ratio
    due = owed / 1e6
    other0 = other_dsr[seg] * inc0
    other = other0 * (1.0 + beh.other_debt_rate_sensitivity * rate_bp[m] / 100.0)
    dsr = (due + other) / max(inc, 1e-9)
    dsr0 = (due + other0) / inc0
    pd = base_pd[seg] * math.exp(beh.dsr_sensitivity * (dsr - dsr0))
    if pd_multiplier.shape[0] > 0:
        pd *= pd_multiplier[b]
    if restructured:
        pd *= beh.restructure_pd_multiplier
    return min(0.999, pd)


K_CURE, K_MISS, K_PREPAY, K_RESTRUCTURE = 0, 1, 2, 3  # columns of the draw keys
N_KEYS = 4
H_CURE, H_PARTIAL = 0, 1  # the daily chances in ``hazard[month, bucket]``
N_HAZARDS = 2


@jit(inline="always")
def _draw_keys(keys, j, key_cure, key_miss, key_prepay, key_restructure, unit):
    """Drawdown ``j``'s draw keys for the path (``rng.unit_key`` of the path's stream keys)."""
    keys[j, K_CURE] = rng.unit_key(key_cure, unit)
    keys[j, K_MISS] = rng.unit_key(key_miss, unit)
    keys[j, K_PREPAY] = rng.unit_key(key_prepay, unit)
    keys[j, K_RESTRUCTURE] = rng.unit_key(key_restructure, unit)


@jit(inline="always")
def _next_step(st, sl, keys, j, d, t, cap, plan_code, period, as_of, n_months, grace_days,
               non_accrual_dpd, acceleration_dpd, charge_off_dpd, draws, hazard,
               restructure_from, restructure_to, restructure_daily):
    """The first day from ``t`` (before ``cap``, else ``cap``) on which drawdown ``j`` needs a
    full step.

    Its other days only accrue constant amounts (see ``dd.next_event``) and are settled at
    once by ``dd.accrue_run``. Where the day's draws decide (``draws``), a delinquent
    drawdown's days are quiet only until the first one whose restructuring or cure draw
    fires; the draws are made here exactly as the full step would make them, so skipping is
    bit-identical to stepping.
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
    e = dd.next_event(st, sl, j, t, cap, period, as_of, grace_days, non_accrual_dpd,
                      acceleration_dpd, charge_off_dpd)
    if plan_code.shape[0] > 0 and t >= 1:
        for tt in range(t, min(e, plan_code.shape[1])):
            if plan_code[d, tt] != PLAN_NONE:
                return tt
    if not draws or st[j, S_N_SLOTS] == 0 or e <= t:
        return e
    m = min(t // L.DAYS_PER_MONTH, n_months - 1)
    if m < n_months - 1:  # the cure chances change with the month's factor
        e = min(e, (m + 1) * L.DAYS_PER_MONTH)
    oldest = origin + sl[j, 0, D_DUE_DAY]
    bk = dd.bucket(t - oldest)
    fires = hazard[m, bk, H_CURE] + hazard[m, bk, H_PARTIAL]
    restructurable = restructure_from > 0 and st[j, S_RESTRUCTURED] == 0
    for tt in range(t, e):  # the draws, day by day until one fires
        dpd = tt - oldest
        if restructurable and restructure_from <= dpd <= restructure_to and (
            rng.uniform_at(keys[j, K_RESTRUCTURE], tt) < restructure_daily
        ):
            return tt
        if rng.uniform_at(keys[j, K_CURE], tt) < fires:
            return tt
    return e


@jit(inline="always")
def _restructure(st, sl, j, t, rate, method, extra_months, waive):
    """Capitalise the arrears into a new schedule over the remaining instalments plus the
    extra months, from sim day ``t``; returns (capitalised, waived) in micro-yuan."""
    principal = st[j, S_NORMAL_PRINCIPAL]
    capitalised = st[j, S_ACCRUED_INTEREST]
    charges = np.int64(0)
    for s in range(st[j, S_N_SLOTS]):
        principal += sl[j, s, L.D_PRINCIPAL]
        capitalised += sl[j, s, L.D_INTEREST]
        charges += sl[j, s, L.D_PENALTY] + sl[j, s, L.D_COMPOUND] + sl[j, s, L.D_FEES]
    waived = np.int64(0)
    if waive:
        waived = charges
    else:
        capitalised += charges
    remaining = max(1, st[j, S_TERM] - st[j, S_NEXT_INSTALMENT] + 1)
    term = remaining + extra_months
    total = principal + capitalised
    dd.start_schedule(st, j, t, total, term, dd.instalment_for(total, rate, term, method))
    st[j, S_RESTRUCTURED] = 1
    return capitalised, waived


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
    # Months without any shock: PD is then the borrower's own, whatever the instalment.
    shocked = ((macro.unemployment_pp > 0.0) | (macro.rate_bp != 0.0)
               | (macro.income_multiplier != 1.0).any(axis=0))
    _simulate(book, contract, beh, macro, path_lo, path_hi, b_lo, b_hi, horizon, plan_code,
              plan_amount, agg, end_state,
              np.zeros((max_dd, L.N_STATE), np.int64),
              np.zeros((max_dd, max_term + 2, L.N_SLOT_FIELDS), np.int64),
              np.zeros((max_dd, N_KEYS), np.uint64), np.zeros(L.N_FLOWS, np.int64), np.empty(2),
              shocked, np.empty((n_months, L.N_BUCKETS, N_HAZARDS)), _phi_bounds())


@functools.cache
def _phi_bounds() -> np.ndarray:
    """``rng.normal_cdf_bounds()``, a read-only table built once per process."""
    bounds = rng.normal_cdf_bounds()
    bounds.flags.writeable = False
    return bounds


@jit(_nrt=False)
def _simulate(book, contract, beh, macro, path_lo, path_hi, b_lo, b_hi, horizon, plan_code,
              plan_amount, agg, end_state, st, sl, keys, flows, quantile_pd, shocked, hazard,
              phi_bounds):
    """:func:`simulate_block` with its scratch arrays allocated: ``st``/``sl``, the state and
    due instalments of the borrower in hand; ``keys``, its drawdowns' draw keys by stream;
    ``quantile_pd``, its cached PD quantiles; ``hazard``, the path's daily cure and
    partial-payment chances by month and bucket; ``phi_bounds``, ``rng.normal_cdf_bounds()``.

    Compiled without reference counting: it allocates nothing and every array it touches
    outlives the call, and the atomic count updates numba otherwise makes for each array
    handed to an inlined helper took over a third of the time.
    """
    b_start = book.borrower_start
    b_segment = book.segment
    d_age = book.age
    d_dpd0 = book.dpd0
    d_term = book.term
    d_method = book.method
    d_principal = book.principal
    d_instalment = book.instalment
    b_approved = book.approved
    d_redraw_principal = book.redraw_principal
    d_redraw_instalment = book.redraw_instalment
    d_id = book.drawdown_id
    d_rate = book.daily_rate
    d_redraw_rate = book.redraw_rate
    b_income = book.income
    b_id = book.borrower_id
    b_pd_multiplier = book.pd_multiplier
    base_pd = beh.base_pd
    other_dsr = beh.other_debt_service_ratio
    unemployment_beta = beh.unemployment_beta
    cure_daily = beh.cure_daily
    partial_daily = beh.partial_daily
    z_paths = macro.z
    unemployment_pp = macro.unemployment_pp
    income_multiplier = macro.income_multiplier
    rate_bp = macro.rate_bp
    allocation = contract.allocation
    period = contract.period
    # every drawdown of a book shares day 0: its epoch day is disbursement + age
    as_of = book.disbursed[0] + d_age[0] if d_age.shape[0] > 0 else 0
    forced = plan_code.shape[0] > 0
    redraws = beh.redraw_probability > 0.0 and d_redraw_principal.shape[0] > 0
    n_months = z_paths.shape[1]
    pen_mult = contract.penalty_multiplier
    sqrt_rho = math.sqrt(beh.rho)
    sqrt_1mrho = math.sqrt(1.0 - beh.rho)
    d_first = b_start[b_lo]
    draws = not forced and contract.skip_quiet_days

    for path in range(path_lo, path_hi):
        a = agg[path - path_lo]
        # Draw keys hashed once per path and stream here, once per drawdown in _draw_keys.
        key_cure = rng.path_key(beh.seed, rng.CURE, path)
        key_miss = rng.path_key(beh.seed, rng.MISS, path)
        key_prepay = rng.path_key(beh.seed, rng.PREPAY, path)
        key_restructure = rng.path_key(beh.seed, rng.RESTRUCTURE, path)
        for mm in range(n_months):
            lift = math.exp(beh.cure_factor_loading * z_paths[path, mm])
            for bk in range(L.N_BUCKETS):
                hc = min(1.0, cure_daily[bk] * lift)
                hazard[mm, bk, H_CURE] = hc
                hazard[mm, bk, H_PARTIAL] = min(1.0 - hc, partial_daily[bk] * lift)
        for b in range(b_lo, b_hi):
            d0 = b_start[b]
            nd = b_start[b + 1] - d0
            seg = b_segment[b]
            approved = b_approved.shape[0] == 0 or b_approved[b] != 0
            quantile_pd[0] = np.inf  # Phi^-1 of the borrower's unshocked PD (plain,
            quantile_pd[1] = np.inf  # restructured): computed when first needed
            # The first day stepped: the earliest initial arrears began, or day 0 (always
            # stepped: every drawdown is reported there).
            first = 0
            for j in range(nd):
                if d_dpd0[d0 + j] > 0:
                    first = min(first, -d_dpd0[d0 + j])
            for j in range(nd):
                d = d0 + j
                for f in range(L.N_STATE):
                    st[j, f] = 0
                dd.start_schedule(st, j, -d_age[d], d_principal[d], d_term[d],
                                  d_instalment[d])
                st[j, S_REPORTED_CODE] = -1
                st[j, S_REPORTED_RESTRUCTURED] = -1
                _draw_keys(keys, j, key_cure, key_miss, key_prepay, key_restructure, d_id[d])
                if not contract.skip_quiet_days:  # the reference: every day from the oldest
                    first = min(first, -d_age[d] + 1)
            if contract.skip_quiet_days:  # seasoning paid on time, one due date at a time
                for j in range(nd):
                    if st[j, S_ORIGIN] < first:
                        dd.replay_on_time(st, j, d_rate[d0 + j], d_method[d0 + j], first, period,
                                          as_of)
            for j in range(nd):  # every drawdown is stepped on the first day
                st[j, S_NEXT_STEP] = first
                st[j, S_UNACCRUED_FROM] = first
            dpd30 = 0
            dpd90 = 0
            t = first
            # Each drawdown is stepped only on its own event days; in between, its quiet days
            # are settled when it is next stepped (or after the horizon, ``t = horizon + 1``).
            while True:
                last = t > horizon
                m = min(max(t, 0) // L.DAYS_PER_MONTH, n_months - 1)
                report = t >= 0
                flow_day = t >= 1
                z = z_paths[path, m]
                for j in range(nd):
                    if st[j, S_NEXT_STEP] != t and not last:
                        continue
                    d = d0 + j
                    loan_day = t - st[j, S_ORIGIN]
                    if loan_day < 0:  # not yet disbursed
                        continue
                    if st[j, S_ORIGIN] < st[j, S_UNACCRUED_FROM] < t and st[j, S_STATUS] == ACTIVE:
                        dd.accrue_run(d_rate, d_redraw_rate, st, sl, a, seg, j, d,
                                      st[j, S_UNACCRUED_FROM], t, pen_mult,
                                      contract.compound_interest, contract.non_accrual_dpd)
                    st[j, S_UNACCRUED_FROM] = t + 1
                    if last:
                        continue
                    if loan_day == 0:  # disbursed today: on the book, current
                        if report and st[j, S_REPORTED_CODE] < 0:
                            dd.report(a, t, seg, st, j, 0, st[j, S_NORMAL_PRINCIPAL])
                            if flow_day:
                                a[t, seg, L.DISBURSED] += st[j, S_NORMAL_PRINCIPAL]
                                a[t, seg, L.N_NEW] += 1
                        continue
                    if st[j, S_STATUS] != ACTIVE:
                        # closed or charged off before day 0
                        if report and st[j, S_REPORTED_CODE] < 0:
                            code = (L.CODE_CHARGED_OFF if st[j, S_STATUS] == CHARGED_OFF_STATUS
                                    else L.CODE_CLOSED)
                            dd.report(a, t, seg, st, j, code, np.int64(0))
                        continue
                    rate = dd.daily_rate(d_rate, d_redraw_rate, st, j, d)
                    prate = rate * pen_mult
                    # ---- 1. accrue
                    was_nonaccrual = st[j, S_DPD] >= contract.non_accrual_dpd
                    interest = dd.accrue(st[j, S_NORMAL_PRINCIPAL], rate)
                    st[j, S_PRINCIPAL_DAYS] += st[j, S_NORMAL_PRINCIPAL]
                    st[j, S_ACCRUED_INTEREST] += interest
                    pen_day = np.int64(0)
                    com_day = np.int64(0)
                    for s in range(st[j, S_N_SLOTS]):
                        st[j, S_PRINCIPAL_DAYS] += sl[j, s, D_PRINCIPAL]
                        if sl[j, s, D_DUE_DAY] >= loan_day:
                            continue
                        pen = dd.accrue(sl[j, s, D_PRINCIPAL], prate)
                        com = (dd.accrue(sl[j, s, D_INTEREST], prate)
                               if contract.compound_interest else 0)
                        late = loan_day - sl[j, s, D_DUE_DAY]
                        if sl[j, s, D_ACCELERATED] == 0 and late <= contract.grace_days:
                            sl[j, s, D_HELD_PENALTY] += pen
                            sl[j, s, D_HELD_COMPOUND] += com
                            continue
                        if sl[j, s, D_ACCELERATED] == 0 and contract.grace_days > 0 and (
                            late == contract.grace_days + 1
                        ):
                            if contract.grace_retroactive:
                                pen += sl[j, s, D_HELD_PENALTY]
                                com += sl[j, s, D_HELD_COMPOUND]
                            sl[j, s, D_HELD_PENALTY] = 0
                            sl[j, s, D_HELD_COMPOUND] = 0
                        sl[j, s, D_PENALTY] += pen
                        sl[j, s, D_COMPOUND] += com
                        pen_day += pen
                        com_day += com
                    if flow_day:
                        a[t, seg, L.INTEREST_ACCRUED] += interest
                        a[t, seg, L.PENALTY_ACCRUED] += pen_day
                        a[t, seg, L.COMPOUND_ACCRUED] += com_day
                        if was_nonaccrual:
                            a[t, seg, L.NONACCRUAL] += interest + pen_day + com_day
                    delinquent = st[j, S_N_SLOTS] > 0
                    # ---- 2. fall due
                    due_now = False
                    k = st[j, S_NEXT_INSTALMENT]
                    term = st[j, S_TERM]
                    if st[j, S_ACCELERATED] == 0 and k <= term and (
                        due_day(k, period, dd.disbursed_epoch(as_of, st, j)) == loan_day
                    ):
                        st[j, S_NEXT_INSTALMENT] = k + 1
                        npr = st[j, S_NORMAL_PRINCIPAL]
                        part = dd.principal_due(st, j, k, d_method[d])
                        if part + st[j, S_ACCRUED_INTEREST] > 0:
                            s = st[j, S_N_SLOTS]
                            for f in range(L.N_SLOT_FIELDS):
                                sl[j, s, f] = 0
                            sl[j, s, D_DUE_DAY] = loan_day
                            sl[j, s, D_PRINCIPAL] = part
                            sl[j, s, D_INTEREST] = st[j, S_ACCRUED_INTEREST]
                            st[j, S_N_SLOTS] = s + 1
                            due_now = True
                        st[j, S_NORMAL_PRINCIPAL] = npr - part
                        st[j, S_ACCRUED_INTEREST] = 0
                    # ---- 3. decide and pay
                    amount = np.int64(0)
                    if t <= 0:  # seasoning: paid on time until the initial arrears began
                        if due_now and not delinquent and (
                            d_dpd0[d] == 0 or t < -d_dpd0[d]
                        ):  # its only due instalment, settled whole (no flows before day 1)
                            st[j, S_N_SLOTS] = 0
                            st[j, S_PAID_PRINCIPAL] += sl[j, 0, D_PRINCIPAL]
                            st[j, S_PAID_INTEREST] += sl[j, 0, D_INTEREST]
                    elif forced:
                        code = plan_code[d, t]
                        if code == PLAN_AMOUNT:
                            amount = plan_amount[d, t]
                        elif code == PLAN_DUE:
                            if due_now:
                                amount = dd.owed(sl, j, st[j, S_N_SLOTS] - 1)
                        elif code == PLAN_PAST_DUE or code == PLAN_ALL:
                            amount = dd.past_due(sl, st, j)
                            if code == PLAN_ALL:
                                amount += st[j, S_ACCRUED_INTEREST] + st[j, S_NORMAL_PRINCIPAL]
                    elif delinquent:
                        dpd_now = loan_day - sl[j, 0, D_DUE_DAY]
                        if (beh.restructure_dpd_from > 0 and st[j, S_RESTRUCTURED] == 0
                                and beh.restructure_dpd_from <= dpd_now <= beh.restructure_dpd_to
                                and rng.uniform_at(keys[j, K_RESTRUCTURE], t)
                                < beh.restructure_daily):
                            capitalised, waived = _restructure(
                                st, sl, j, t, rate, d_method[d], beh.restructure_extra_months,
                                beh.restructure_waive)
                            a[t, seg, L.CAPITALISED] += capitalised
                            a[t, seg, L.WAIVED] += waived
                            a[t, seg, L.N_RESTRUCTURINGS] += 1
                            loan_day = 0
                        else:
                            bk = dd.bucket(dpd_now)
                            hc = hazard[m, bk, H_CURE]
                            hp = hazard[m, bk, H_PARTIAL]
                            u = rng.uniform_at(keys[j, K_CURE], t)
                            if u < hc + hp:
                                amount = dd.past_due(sl, st, j)
                                if u < hc:
                                    a[t, seg, L.N_CURED] += 1
                                else:  # a partial payment, whole fen
                                    amount = (np.int64(math.floor(amount * beh.partial_share))
                                              // dd.FEN * dd.FEN)
                    elif due_now:
                        owed = dd.owed(sl, j, st[j, S_N_SLOTS] - 1)
                        restructured = st[j, S_RESTRUCTURED] != 0
                        # In a month without shocks the PD is the borrower's own, whatever the
                        # instalment: its quantile is cached.
                        limit = quantile_pd[int(restructured)]
                        if shocked[m] or limit == np.inf:
                            limit = rng.normal_ppf(_miss_probability(
                                b, seg, m, path, owed, restructured, b_income, b_id,
                                b_pd_multiplier, base_pd, other_dsr, unemployment_beta,
                                unemployment_pp, income_multiplier, rate_bp, beh))
                            if not shocked[m]:
                                quantile_pd[int(restructured)] = limit
                        threshold = (limit - sqrt_rho * z) / sqrt_1mrho
                        u = rng.uniform_at(keys[j, K_MISS], loan_day)
                        if rng.below_normal_cdf(u, threshold, phi_bounds):
                            a[t, seg, L.N_MISSED] += 1
                        elif rng.uniform_at(keys[j, K_PREPAY], loan_day) < beh.prepayment_monthly:
                            amount = owed + st[j, S_ACCRUED_INTEREST] + st[j, S_NORMAL_PRINCIPAL]
                            a[t, seg, L.N_PREPAYMENTS] += 1
                        else:  # pays what fell due: its only due instalment, settled whole
                            prin = sl[j, 0, D_PRINCIPAL]
                            intr = sl[j, 0, D_INTEREST]
                            st[j, S_N_SLOTS] = 0
                            st[j, S_PAID_PRINCIPAL] += prin
                            st[j, S_PAID_INTEREST] += intr
                            a[t, seg, L.PRINCIPAL_PAID] += prin
                            a[t, seg, L.INTEREST_PAID] += intr
                    if amount > 0:
                        total = (dd.past_due(sl, st, j) + st[j, S_ACCRUED_INTEREST]
                                 + st[j, S_NORMAL_PRINCIPAL])
                        for f in range(L.N_FLOWS):
                            flows[f] = 0
                        dd.pay(st, sl, j, min(amount, total), allocation, flows)
                        st[j, S_PAID_PRINCIPAL] += flows[D_PRINCIPAL]
                        st[j, S_PAID_INTEREST] += flows[D_INTEREST]
                        st[j, S_PAID_PENALTY] += flows[D_PENALTY]
                        st[j, S_PAID_COMPOUND] += flows[D_COMPOUND]
                        st[j, S_PAID_FEES] += flows[D_FEES]
                        st[j, S_PREPAID_PRINCIPAL] += flows[L.F_PREPAID]
                        if flow_day:
                            a[t, seg, L.PRINCIPAL_PAID] += flows[D_PRINCIPAL]
                            a[t, seg, L.PREPAID] += flows[L.F_PREPAID]
                            a[t, seg, L.INTEREST_PAID] += flows[D_INTEREST]
                            a[t, seg, L.PENALTY_PAID] += flows[D_PENALTY]
                            a[t, seg, L.COMPOUND_PAID] += flows[D_COMPOUND]
                            a[t, seg, L.FEES_PAID] += flows[D_FEES]
                    # ---- 4. end of day
                    n = st[j, S_N_SLOTS]
                    if contract.late_fee > 0 and n > 0:
                        s = n - 1
                        if sl[j, s, D_DUE_DAY] == loan_day and dd.owed(sl, j, s) > 0:
                            sl[j, s, D_FEES] += contract.late_fee
                            if flow_day:
                                a[t, seg, L.FEES_CHARGED] += contract.late_fee
                    keep = 0
                    for s in range(n):
                        if dd.owed(sl, j, s) > 0:
                            if keep != s:
                                for f in range(L.N_SLOT_FIELDS):
                                    sl[j, keep, f] = sl[j, s, f]
                            keep += 1
                    st[j, S_N_SLOTS] = keep
                    dpd = loan_day - sl[j, 0, D_DUE_DAY] if keep > 0 else 0
                    st[j, S_DPD] = dpd
                    if flow_day and dpd == L.PAST_30_DPD:
                        a[t, seg, L.N_ROLL30] += 1
                    elif flow_day and dpd == L.PAST_90_DPD:
                        a[t, seg, L.N_ROLL90] += 1
                    if contract.acceleration_dpd >= 0 and st[j, S_ACCELERATED] == 0 and (
                        dpd >= contract.acceleration_dpd
                    ):
                        st[j, S_ACCELERATED] = 1
                        if st[j, S_NORMAL_PRINCIPAL] > 0 or st[j, S_ACCRUED_INTEREST] > 0:
                            s = keep
                            for f in range(L.N_SLOT_FIELDS):
                                sl[j, s, f] = 0
                            sl[j, s, D_DUE_DAY] = loan_day
                            sl[j, s, D_PRINCIPAL] = st[j, S_NORMAL_PRINCIPAL]
                            sl[j, s, D_INTEREST] = st[j, S_ACCRUED_INTEREST]
                            sl[j, s, D_ACCELERATED] = 1
                            st[j, S_N_SLOTS] = keep + 1
                            st[j, S_NORMAL_PRINCIPAL] = 0
                            st[j, S_ACCRUED_INTEREST] = 0
                    outstanding = st[j, S_NORMAL_PRINCIPAL]
                    for s in range(st[j, S_N_SLOTS]):
                        outstanding += sl[j, s, D_PRINCIPAL]
                    redraw = False
                    if contract.charge_off_dpd >= 0 and dpd >= contract.charge_off_dpd:
                        st[j, S_STATUS] = CHARGED_OFF_STATUS
                        st[j, S_CHARGED_OFF_PRINCIPAL] = outstanding
                        if flow_day:
                            _charge_off(a, t, seg, st, sl, j, outstanding,
                                        dd.draw_unit(d_id, st, j, d), path, horizon,
                                        beh.seed, beh.legal_share, beh.legal_rate,
                                        beh.legal_lag_days, beh.legal_cost, beh.apr_cap,
                                        beh.recovery_rate, beh.recovery_lag_days)
                    elif (st[j, S_N_SLOTS] == 0 and st[j, S_NORMAL_PRINCIPAL] == 0
                          and st[j, S_ACCRUED_INTEREST] == 0):
                        st[j, S_STATUS] = CLOSED
                        st[j, S_DPD] = 0
                        dpd = 0
                        redraw = (redraws and flow_day and approved and t < horizon
                                  and rng.uniform(beh.seed, rng.REDRAW, path,
                                                  dd.draw_unit(d_id, st, j, d), t)
                                  < beh.redraw_probability)
                    # ---- report changes of bucket and principal
                    if report:
                        if st[j, S_STATUS] == CHARGED_OFF_STATUS:
                            dd.report(a, t, seg, st, j, L.CODE_CHARGED_OFF, np.int64(0))
                        elif st[j, S_STATUS] == CLOSED:
                            dd.report(a, t, seg, st, j, L.CODE_CLOSED, np.int64(0))
                        else:
                            dd.report(a, t, seg, st, j, dd.bucket(dpd), outstanding)
                        restructured_on_book = (st[j, S_RESTRUCTURED] != 0
                                                and st[j, S_STATUS] == ACTIVE)
                        dd.report_restructured(a, t, seg, st, j,
                                               outstanding if restructured_on_book else -1)
                    if redraw:  # a new drawdown, disbursed today, on the book from tomorrow
                        st[j, S_GENERATION] += 1
                        _draw_keys(keys, j, key_cure, key_miss, key_prepay, key_restructure,
                                   dd.draw_unit(d_id, st, j, d))
                        st[j, S_STATUS] = ACTIVE
                        st[j, S_RESTRUCTURED] = 0
                        st[j, S_PRINCIPAL_DAYS] = 0
                        dd.start_schedule(st, j, t, d_redraw_principal[d], d_term[d],
                                          d_redraw_instalment[d])
                        st[j, S_REPORTED_CODE] = -1  # a new drawdown: n_closed keeps the old one
                        dd.report(a, t, seg, st, j, 0, st[j, S_NORMAL_PRINCIPAL])
                        a[t, seg, L.DISBURSED] += st[j, S_NORMAL_PRINCIPAL]
                        a[t, seg, L.N_NEW] += 1
                if last:
                    break
                if report:
                    b_dpd = 0  # the borrower's DPD: the oldest unpaid instalment on book
                    for j in range(nd):
                        if st[j, S_STATUS] == ACTIVE and st[j, S_N_SLOTS] > 0:
                            b_dpd = max(b_dpd, t - st[j, S_ORIGIN] - sl[j, 0, D_DUE_DAY])
                    new30 = 1 if b_dpd >= L.PAST_30_DPD else 0
                    new90 = 1 if b_dpd >= L.PAST_90_DPD else 0
                    if new30 != dpd30:
                        a[t, seg, L.BORROWERS_DPD30] += new30 - dpd30
                        dpd30 = new30
                    if new90 != dpd90:
                        a[t, seg, L.BORROWERS_DPD90] += new90 - dpd90
                        dpd90 = new90
                # The next day any drawdown steps; those stepped today look ahead from tomorrow.
                # Day 0 is stepped for every drawdown: all are reported there.
                nt = t + 1
                cap = horizon + 1 if nt >= 1 else 0
                upcoming = horizon + 1
                for j in range(nd):
                    if st[j, S_NEXT_STEP] == t:
                        if contract.skip_quiet_days and nt != 0:
                            st[j, S_NEXT_STEP] = _next_step(
                                st, sl, keys, j, d0 + j, nt, cap, plan_code, period, as_of,
                                n_months, contract.grace_days, contract.non_accrual_dpd,
                                contract.acceleration_dpd, contract.charge_off_dpd,
                                draws and nt >= 1, hazard, beh.restructure_dpd_from,
                                beh.restructure_dpd_to, beh.restructure_daily)
                        else:
                            st[j, S_NEXT_STEP] = nt
                    upcoming = min(upcoming, st[j, S_NEXT_STEP])
                t = upcoming
            if end_state.shape[0] > 0:
                for j in range(nd):
                    _end_state(end_state[d0 + j - d_first], st, sl, j)


@jit(inline="always")
def _charge_off(a, t, seg, st, sl, j, principal, unit, path, horizon, seed, legal_share,
                legal_rate, legal_lag_days, legal_cost, apr_cap, recovery_rate,
                recovery_lag_days):
    """Charge-off flows: the principal written off, and what comes back later: a litigated
    drawdown recovers a share of its claim capped at the enforceable claim (all-in APR cap on
    principal-days, less charges already paid) after the legal lag; others the base recovery
    rate of principal after the recovery lag."""
    a[t, seg, L.CHARGED_OFF] += principal
    if legal_share > 0.0 and rng.uniform(seed, rng.LEGAL, path, unit, 0) < legal_share:
        charges = st[j, S_ACCRUED_INTEREST]
        for s in range(st[j, S_N_SLOTS]):
            charges += (sl[j, s, D_INTEREST] + sl[j, s, D_PENALTY] + sl[j, s, D_COMPOUND]
                        + sl[j, s, D_FEES])
        paid_charges = (st[j, S_PAID_INTEREST] + st[j, S_PAID_PENALTY] + st[j, S_PAID_COMPOUND]
                        + st[j, S_PAID_FEES])
        allowance = dd.accrue(st[j, S_PRINCIPAL_DAYS], apr_cap / L.DAYS_PER_YEAR)
        claim = principal + min(charges, max(0, allowance - paid_charges))
        a[t, seg, L.N_LITIGATED] += 1
        a[t, seg, L.LEGAL_COST] += legal_cost
        if t + legal_lag_days <= horizon:
            got = dd.accrue(claim, legal_rate)
            a[t + legal_lag_days, seg, L.RECOVERIES] += got
            a[t + legal_lag_days, seg, L.LEGAL_RECOVERIES] += got
    elif t + recovery_lag_days <= horizon:
        a[t + recovery_lag_days, seg, L.RECOVERIES] += dd.accrue(principal, recovery_rate)


@jit(inline="always")
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
