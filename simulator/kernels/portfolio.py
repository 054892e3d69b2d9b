"""The portfolio kernel: every drawdown of a chunk of borrowers, day by day, for a block of
paths, with the mechanics of ``simulator.contract.ledger`` and the behaviour of MODEL.md 6.

Pure: arrays in, aggregates out (``agg[path, day, segment, metric]``, see ``layout``).
Borrowers are independent given the path's macro factor, so a borrower's drawdowns are stepped
together day by day in small scratch arrays and nothing per drawdown outlives the borrower.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from simulator._numba import jit
from simulator.contract.schedule import due_day
from simulator.kernels import rng
from simulator.kernels.layout import (
    ACTIVE,
    BORROWERS_DPD30,
    BORROWERS_DPD90,
    CHARGED_OFF,
    CHARGED_OFF_STATUS,
    CLOSED,
    CODE_CLOSED,
    CODE_CO,
    COMPOUND_ACCRUED,
    COMPOUND_PAID,
    D_ACCEL,
    D_COM,
    D_DUE,
    D_FEE,
    D_HCOM,
    D_HPEN,
    D_INT,
    D_PEN,
    D_PRIN,
    FEES_CHARGED,
    FEES_PAID,
    INTEREST_ACCRUED,
    INTEREST_PAID,
    N_BUCKET,
    N_CURED,
    N_MISSED,
    N_PREPAYMENTS,
    N_SLOT_FIELDS,
    N_STATE,
    NONACCRUAL,
    P_BUCKET,
    PENALTY_ACCRUED,
    PENALTY_PAID,
    PLAN_ALL,
    PLAN_AMOUNT,
    PLAN_DUE,
    PLAN_NONE,
    PLAN_PAST_DUE,
    PREPAID,
    PRINCIPAL_PAID,
    RECOVERIES,
    S_ACC,
    S_ACCEL,
    S_CO_P,
    S_DPD,
    S_NEXTK,
    S_NP,
    S_NSLOT,
    S_PAID_COM,
    S_PAID_FEE,
    S_PAID_I,
    S_PAID_P,
    S_PAID_PEN,
    S_PREPAID,
    S_REP_CODE,
    S_REP_PRIN,
    S_STATUS,
)

METHOD_EQUAL_INSTALLMENT, METHOD_INTEREST_FIRST, METHOD_EQUAL_PRINCIPAL = 0, 1, 2
FEN = 10_000


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
    cure_daily: np.ndarray  # float64 [7], index = bucket (0 unused)
    partial_daily: np.ndarray  # float64 [7]
    partial_share: float
    cure_factor_loading: float
    prepayment_monthly: float
    recovery_rate: float
    recovery_lag_days: int


class Macro(NamedTuple):
    z: np.ndarray  # float64 [paths, months]: systematic factor (low is a downturn)
    income_multiplier: np.ndarray  # float64 [segments, months]
    unemployment_pp: np.ndarray  # float64 [months]
    rate_bp: np.ndarray  # float64 [months]


@jit
def _accrue(balance, rate):
    if balance <= 0:
        return np.int64(0)
    return np.int64(math.floor(balance * rate + 0.5))


@jit
def _bucket(dpd):
    if dpd <= 0:
        return 0
    return min(6, (dpd - 1) // 30 + 1)


@jit
def _owed(sl, j, s):
    return sl[j, s, D_PRIN] + sl[j, s, D_INT] + sl[j, s, D_PEN] + sl[j, s, D_COM] + sl[j, s, D_FEE]


@jit
def _past_due(sl, st, j):
    total = np.int64(0)
    for s in range(st[j, S_NSLOT]):
        total += _owed(sl, j, s)
    return total


@jit
def _pay(st, sl, j, amount, allocation, flows):
    """Allocate ``amount`` as the ledger does; paid amounts go to ``flows`` (by slot field for
    fee/compound/penalty/interest/principal, and flows[9] for prepaid principal)."""
    left = amount
    n = st[j, S_NSLOT]
    for g in range(allocation.shape[0]):
        for s in range(n):
            for q in range(allocation.shape[1]):
                f = allocation[g, q]
                if f < 0 or left == 0:
                    continue
                take = min(left, sl[j, s, f])
                sl[j, s, f] -= take
                flows[f] += take
                left -= take
    take = min(left, st[j, S_ACC])
    st[j, S_ACC] -= take
    flows[D_INT] += take
    left -= take
    take = min(left, st[j, S_NP])
    st[j, S_NP] -= take
    flows[D_PRIN] += take
    flows[9] += take
    left -= take
    return amount - left


@jit
def _report(a, t, seg, st, j, code, prin):
    """Record a drawdown's bucket code and principal at day ``t`` as changes from the last
    reported ones (the engine sums changes over days into levels)."""
    old = st[j, S_REP_CODE]
    if code == old and prin == st[j, S_REP_PRIN]:
        return
    if old >= 0:
        a[t, seg, N_BUCKET + old] -= 1
        if old < CODE_CO:
            a[t, seg, P_BUCKET + old] -= st[j, S_REP_PRIN]
    a[t, seg, N_BUCKET + code] += 1
    if code < CODE_CO:
        a[t, seg, P_BUCKET + code] += prin
    st[j, S_REP_CODE] = code
    st[j, S_REP_PRIN] = prin


@jit
def _miss_probability(b, seg, m, path, owed, book, beh, macro):
    """P(missing this due payment) given affordability under the month's shocks, before the
    factor: base PD scaled by exp(sensitivity x rise of the debt-service ratio)."""
    inc0 = book.income[b]
    unemployed = rng.uniform(beh.seed, rng.UNEMPLOYMENT, path, book.borrower_id[b], m) < (
        max(0.0, macro.unemployment_pp[m]) / 100.0 * beh.unemployment_beta[seg]
    )
    inc = inc0 * macro.income_multiplier[seg, m]
    if unemployed:
        inc *= beh.unemployed_income_ratio
    due = owed / 1e6
    other0 = beh.other_debt_service_ratio[seg] * inc0
    other = other0 * (1.0 + beh.other_debt_rate_sensitivity * macro.rate_bp[m] / 100.0)
    dsr = (due + other) / max(inc, 1e-9)
    dsr0 = (due + other0) / inc0
    return min(0.999, beh.base_pd[seg] * math.exp(beh.dsr_sensitivity * (dsr - dsr0)))


@jit
def _quiet_until(book, contract, st, d0, nd, t, horizon, plan_code):
    """First day from ``t`` on which any drawdown of the borrower needs a full step.

    A day is quiet for a drawdown that is current (nothing due and unpaid) and has no due date,
    forced payment or disbursement that day: only normal interest accrues, a constant amount,
    so a run of quiet days is settled at once (``k`` days = ``k`` equal daily accruals). Day 0
    is never skipped: every drawdown is reported there.
    """
    e = horizon + 1
    if t < 0:
        e = 0
    forced = plan_code.shape[0] > 0
    for j in range(nd):
        d = d0 + j
        age = book.age[d]
        if t + age < 1:  # not yet disbursed: its first day is an event
            e = min(e, 1 - age)
            continue
        if st[j, S_STATUS] != ACTIVE:
            continue
        if st[j, S_NSLOT] > 0 or st[j, S_ACCEL] != 0 or st[j, S_NEXTK] > book.term[d]:
            return t
        e = min(e, due_day(st[j, S_NEXTK], contract.period, book.disbursed[d]) - age)
        if forced and t >= 1:
            for tt in range(t, min(e, plan_code.shape[1])):
                if plan_code[d, tt] != PLAN_NONE:
                    e = tt
                    break
        if e <= t:
            return t
    return e


@jit
def _accrue_quiet(book, st, a, seg, d0, nd, t, e):
    """Days ``[t, e)`` of a quiet borrower: each drawdown on book accrues its constant daily
    interest; nothing else changes (see :func:`_quiet_until`)."""
    for j in range(nd):
        d = d0 + j
        if t + book.age[d] < 1 or st[j, S_STATUS] != ACTIVE:
            continue
        daily = _accrue(st[j, S_NP], book.daily_rate[d])
        st[j, S_ACC] += daily * (e - t)
        if t >= 1:
            for tt in range(t, e):
                a[tt, seg, INTEREST_ACCRUED] += daily


@jit
def simulate_block(book, contract, beh, macro, path_lo, path_hi, b_lo, b_hi, horizon,
                   plan_code, plan_amount, agg, end_state):
    """Simulate borrowers ``[b_lo, b_hi)`` on paths ``[path_lo, path_hi)``.

    ``agg[path - path_lo, day, segment, metric]`` receives the chunk's aggregates (added to).
    When ``plan_code`` has rows, payments are forced from it (``plan_code[d, day]``, with
    ``plan_amount``) instead of drawn, for every drawdown ``d`` of the book. When ``end_state``
    has rows, row ``d - first drawdown of b_lo`` receives each drawdown's state at the horizon
    (of the last path simulated).
    """
    max_dd = 0
    max_term = 1
    for b in range(b_lo, b_hi):
        max_dd = max(max_dd, book.borrower_start[b + 1] - book.borrower_start[b])
        for d in range(book.borrower_start[b], book.borrower_start[b + 1]):
            max_term = max(max_term, book.term[d])
    st = np.zeros((max(max_dd, 1), N_STATE), np.int64)
    sl = np.zeros((max(max_dd, 1), max_term + 2, N_SLOT_FIELDS), np.int64)
    flows = np.zeros(10, np.int64)
    forced = plan_code.shape[0] > 0
    n_months = macro.z.shape[1]
    pen_mult = contract.penalty_multiplier
    sqrt_rho = math.sqrt(beh.rho)
    sqrt_1mrho = math.sqrt(1.0 - beh.rho)
    d_first = book.borrower_start[b_lo]

    for path in range(path_lo, path_hi):
        a = agg[path - path_lo]
        for b in range(b_lo, b_hi):
            d0 = book.borrower_start[b]
            nd = book.borrower_start[b + 1] - d0
            seg = book.segment[b]
            start = -1  # day 0 is always stepped: every drawdown is reported there
            for j in range(nd):
                d = d0 + j
                st[j, :] = 0
                st[j, S_NP] = book.principal[d]
                st[j, S_NEXTK] = 1
                st[j, S_REP_CODE] = -1
                start = min(start, -book.age[d])
            dpd30 = 0
            dpd90 = 0
            t = start + 1
            while t <= horizon:
                if t != 0 and contract.skip_quiet_days:
                    quiet_to = _quiet_until(book, contract, st, d0, nd, t, horizon, plan_code)
                    if quiet_to > t:
                        _accrue_quiet(book, st, a, seg, d0, nd, t, quiet_to)
                        t = quiet_to
                        continue
                m = min(max(t, 0) // 30, n_months - 1)
                report = t >= 0
                flow_day = t >= 1
                z = macro.z[path, m]
                b_dpd = 0
                for j in range(nd):
                    d = d0 + j
                    loan_day = t + book.age[d]
                    if loan_day < 1:  # disbursed today: on the book, current
                        if report and st[j, S_REP_CODE] < 0:
                            _report(a, t, seg, st, j, 0, st[j, S_NP])
                        continue
                    if st[j, S_STATUS] != ACTIVE:
                        if report and st[j, S_REP_CODE] < 0:  # closed or charged off before day 0
                            code = CODE_CO if st[j, S_STATUS] == CHARGED_OFF_STATUS else CODE_CLOSED
                            _report(a, t, seg, st, j, code, np.int64(0))
                        continue
                    rate = book.daily_rate[d]
                    prate = rate * pen_mult
                    # ---- 1. accrue
                    was_nonaccrual = st[j, S_DPD] >= contract.non_accrual_dpd
                    interest = _accrue(st[j, S_NP], rate)
                    st[j, S_ACC] += interest
                    pen_day = np.int64(0)
                    com_day = np.int64(0)
                    for s in range(st[j, S_NSLOT]):
                        if sl[j, s, D_DUE] >= loan_day:
                            continue
                        pen = _accrue(sl[j, s, D_PRIN], prate)
                        com = _accrue(sl[j, s, D_INT], prate) if contract.compound_interest else 0
                        late = loan_day - sl[j, s, D_DUE]
                        if sl[j, s, D_ACCEL] == 0 and late <= contract.grace_days:
                            sl[j, s, D_HPEN] += pen
                            sl[j, s, D_HCOM] += com
                            continue
                        if sl[j, s, D_ACCEL] == 0 and contract.grace_days > 0 and (
                            late == contract.grace_days + 1
                        ):
                            if contract.grace_retroactive:
                                pen += sl[j, s, D_HPEN]
                                com += sl[j, s, D_HCOM]
                            sl[j, s, D_HPEN] = 0
                            sl[j, s, D_HCOM] = 0
                        sl[j, s, D_PEN] += pen
                        sl[j, s, D_COM] += com
                        pen_day += pen
                        com_day += com
                    if flow_day:
                        a[t, seg, INTEREST_ACCRUED] += interest
                        a[t, seg, PENALTY_ACCRUED] += pen_day
                        a[t, seg, COMPOUND_ACCRUED] += com_day
                        if was_nonaccrual:
                            a[t, seg, NONACCRUAL] += interest + pen_day + com_day
                    delinquent = st[j, S_NSLOT] > 0
                    # ---- 2. fall due
                    due_now = False
                    k = st[j, S_NEXTK]
                    term = book.term[d]
                    if st[j, S_ACCEL] == 0 and k <= term and (
                        due_day(k, contract.period, book.disbursed[d]) == loan_day
                    ):
                        st[j, S_NEXTK] = k + 1
                        npr = st[j, S_NP]
                        if k == term:
                            part = npr
                        elif book.method[d] == METHOD_EQUAL_INSTALLMENT:
                            part = min(max(book.instalment[d] - st[j, S_ACC], 0), npr)
                        elif book.method[d] == METHOD_EQUAL_PRINCIPAL:
                            part = min(book.instalment[d], npr)
                        else:
                            part = np.int64(0)
                        if part + st[j, S_ACC] > 0:
                            s = st[j, S_NSLOT]
                            sl[j, s, :] = 0
                            sl[j, s, D_DUE] = loan_day
                            sl[j, s, D_PRIN] = part
                            sl[j, s, D_INT] = st[j, S_ACC]
                            st[j, S_NSLOT] = s + 1
                            due_now = True
                        st[j, S_NP] = npr - part
                        st[j, S_ACC] = 0
                    # ---- 3. decide and pay
                    amount = np.int64(0)
                    if t <= 0:  # seasoning: paid on time until the initial arrears began
                        if due_now and not delinquent and (
                            book.dpd0[d] == 0 or t < -book.dpd0[d]
                        ):
                            amount = _owed(sl, j, st[j, S_NSLOT] - 1)
                    elif forced:
                        code = plan_code[d, t]
                        if code == PLAN_AMOUNT:
                            amount = plan_amount[d, t]
                        elif code == PLAN_DUE:
                            if due_now:
                                amount = _owed(sl, j, st[j, S_NSLOT] - 1)
                        elif code == PLAN_PAST_DUE:
                            amount = _past_due(sl, st, j)
                        elif code == PLAN_ALL:
                            amount = _past_due(sl, st, j) + st[j, S_ACC] + st[j, S_NP]
                        elif code != PLAN_NONE:
                            amount = 0
                    elif delinquent:
                        bk = _bucket(loan_day - sl[j, 0, D_DUE])
                        lift = math.exp(beh.cure_factor_loading * z)
                        hc = min(1.0, beh.cure_daily[bk] * lift)
                        hp = min(1.0 - hc, beh.partial_daily[bk] * lift)
                        u = rng.uniform(beh.seed, rng.CURE, path, book.drawdown_id[d], t)
                        if u < hc:
                            amount = _past_due(sl, st, j)
                            a[t, seg, N_CURED] += 1
                        elif u < hc + hp:
                            amount = (
                                np.int64(math.floor(_past_due(sl, st, j) * beh.partial_share))
                                // FEN * FEN
                            )
                    elif due_now:
                        owed = _owed(sl, j, st[j, S_NSLOT] - 1)
                        pd = _miss_probability(b, seg, m, path, owed, book, beh, macro)
                        threshold = (rng.normal_ppf(pd) - sqrt_rho * z) / sqrt_1mrho
                        u = rng.uniform(beh.seed, rng.MISS, path, book.drawdown_id[d], loan_day)
                        if u < rng.normal_cdf(threshold):
                            a[t, seg, N_MISSED] += 1
                        elif rng.uniform(beh.seed, rng.PREPAY, path, book.drawdown_id[d],
                                         loan_day) < beh.prepayment_monthly:
                            amount = owed + st[j, S_ACC] + st[j, S_NP]
                            a[t, seg, N_PREPAYMENTS] += 1
                        else:
                            amount = owed
                    if amount > 0:
                        total = _past_due(sl, st, j) + st[j, S_ACC] + st[j, S_NP]
                        flows[:] = 0
                        _pay(st, sl, j, min(amount, total), contract.allocation, flows)
                        st[j, S_PAID_P] += flows[D_PRIN]
                        st[j, S_PAID_I] += flows[D_INT]
                        st[j, S_PAID_PEN] += flows[D_PEN]
                        st[j, S_PAID_COM] += flows[D_COM]
                        st[j, S_PAID_FEE] += flows[D_FEE]
                        st[j, S_PREPAID] += flows[9]
                        if flow_day:
                            a[t, seg, PRINCIPAL_PAID] += flows[D_PRIN]
                            a[t, seg, PREPAID] += flows[9]
                            a[t, seg, INTEREST_PAID] += flows[D_INT]
                            a[t, seg, PENALTY_PAID] += flows[D_PEN]
                            a[t, seg, COMPOUND_PAID] += flows[D_COM]
                            a[t, seg, FEES_PAID] += flows[D_FEE]
                    # ---- 4. end of day
                    n = st[j, S_NSLOT]
                    if contract.late_fee > 0 and n > 0:
                        s = n - 1
                        if sl[j, s, D_DUE] == loan_day and _owed(sl, j, s) > 0:
                            sl[j, s, D_FEE] += contract.late_fee
                            if flow_day:
                                a[t, seg, FEES_CHARGED] += contract.late_fee
                    keep = 0
                    for s in range(n):
                        if _owed(sl, j, s) > 0:
                            if keep != s:
                                sl[j, keep, :] = sl[j, s, :]
                            keep += 1
                    st[j, S_NSLOT] = keep
                    dpd = loan_day - sl[j, 0, D_DUE] if keep > 0 else 0
                    st[j, S_DPD] = dpd
                    if contract.acceleration_dpd >= 0 and st[j, S_ACCEL] == 0 and (
                        dpd >= contract.acceleration_dpd
                    ):
                        st[j, S_ACCEL] = 1
                        if st[j, S_NP] > 0 or st[j, S_ACC] > 0:
                            s = keep
                            sl[j, s, :] = 0
                            sl[j, s, D_DUE] = loan_day
                            sl[j, s, D_PRIN] = st[j, S_NP]
                            sl[j, s, D_INT] = st[j, S_ACC]
                            sl[j, s, D_ACCEL] = 1
                            st[j, S_NSLOT] = keep + 1
                            st[j, S_NP] = 0
                            st[j, S_ACC] = 0
                    outstanding = st[j, S_NP]
                    for s in range(st[j, S_NSLOT]):
                        outstanding += sl[j, s, D_PRIN]
                    if contract.charge_off_dpd >= 0 and dpd >= contract.charge_off_dpd:
                        st[j, S_STATUS] = CHARGED_OFF_STATUS
                        st[j, S_CO_P] = outstanding
                        if flow_day:
                            a[t, seg, CHARGED_OFF] += outstanding
                            if t + beh.recovery_lag_days <= horizon:
                                a[t + beh.recovery_lag_days, seg, RECOVERIES] += _accrue(
                                    outstanding, beh.recovery_rate
                                )
                    elif st[j, S_NSLOT] == 0 and st[j, S_NP] == 0 and st[j, S_ACC] == 0:
                        st[j, S_STATUS] = CLOSED
                        st[j, S_DPD] = 0
                        dpd = 0
                    if st[j, S_STATUS] == ACTIVE:
                        b_dpd = max(b_dpd, dpd)
                    # ---- report changes of bucket and principal
                    if report:
                        if st[j, S_STATUS] == CHARGED_OFF_STATUS:
                            _report(a, t, seg, st, j, CODE_CO, np.int64(0))
                        elif st[j, S_STATUS] == CLOSED:
                            _report(a, t, seg, st, j, CODE_CLOSED, np.int64(0))
                        else:
                            _report(a, t, seg, st, j, _bucket(dpd), outstanding)
                if report:
                    new30 = 1 if b_dpd >= 31 else 0
                    new90 = 1 if b_dpd >= 91 else 0
                    if new30 != dpd30:
                        a[t, seg, BORROWERS_DPD30] += new30 - dpd30
                        dpd30 = new30
                    if new90 != dpd90:
                        a[t, seg, BORROWERS_DPD90] += new90 - dpd90
                        dpd90 = new90
                t += 1
            if end_state.shape[0] > 0:
                for j in range(nd):
                    row = end_state[d0 + j - d_first]
                    row[0] = st[j, S_NP]
                    row[1] = st[j, S_ACC]
                    row[2:7] = 0
                    for s in range(st[j, S_NSLOT]):
                        row[2] += sl[j, s, D_PRIN]
                        row[3] += sl[j, s, D_INT]
                        row[4] += sl[j, s, D_PEN]
                        row[5] += sl[j, s, D_COM]
                        row[6] += sl[j, s, D_FEE]
                    if st[j, S_STATUS] == CHARGED_OFF_STATUS:
                        row[0:7] = 0
                    row[7] = st[j, S_DPD]
                    row[8] = st[j, S_STATUS]
                    row[9] = st[j, S_PAID_P]
                    row[10] = st[j, S_PAID_I]
                    row[11] = st[j, S_PAID_PEN]
                    row[12] = st[j, S_PAID_COM]
                    row[13] = st[j, S_PAID_FEE]
                    row[14] = st[j, S_PREPAID]
                    row[15] = st[j, S_CO_P]
