"""Per-drawdown steps of the portfolio kernel: accrual, allocation, restructuring, reporting.

State lives in small int64 scratch arrays: ``st[j, S_*]`` for drawdown ``j`` of the borrower
in hand and ``sl[j, s, D_*]`` for its due, unpaid instalments (oldest first). The arithmetic
mirrors ``simulator.contract.ledger`` exactly.
"""

from __future__ import annotations

import math

import numpy as np

from simulator._numba import jit
from simulator.contract.schedule import due_day
from simulator.kernels.layout import (
    ACTIVE,
    CODE_CO,
    D_COM,
    D_FEE,
    D_INT,
    D_PEN,
    D_PRIN,
    INTEREST_RUN,
    N_BUCKET,
    N_RESTRUCTURED,
    P_BUCKET,
    P_RESTRUCTURED,
    PLAN_NONE,
    S_ACC,
    S_ACCEL,
    S_GEN,
    S_INST,
    S_NEXTK,
    S_NP,
    S_NSLOT,
    S_ORIGIN,
    S_PDAYS,
    S_REP_CODE,
    S_REP_PRIN,
    S_REP_RESTR,
    S_STATUS,
    S_TERM,
)

METHOD_EQUAL_INSTALLMENT, METHOD_INTEREST_FIRST, METHOD_EQUAL_PRINCIPAL = 0, 1, 2
FEN = 10_000
_GEN_SHIFT = 1 << 40  # draw keys of a redraw: drawdown id + generation x 2^40


@jit(inline="always")
def accrue(balance, rate):
    """One day's accrual, rounded half up to the micro-yuan (as ``money.accrue``)."""
    if balance <= 0:
        return np.int64(0)
    return np.int64(math.floor(balance * rate + 0.5))


@jit(inline="always")
def bucket(dpd):
    if dpd <= 0:
        return 0
    return min(6, (dpd - 1) // 30 + 1)


@jit(inline="always")
def owed(sl, j, s):
    return sl[j, s, D_PRIN] + sl[j, s, D_INT] + sl[j, s, D_PEN] + sl[j, s, D_COM] + sl[j, s, D_FEE]


@jit(inline="always")
def past_due(sl, st, j):
    total = np.int64(0)
    for s in range(st[j, S_NSLOT]):
        total += owed(sl, j, s)
    return total


@jit(inline="always")
def draw_unit(drawdown_id, st, j, d):
    """Key of the drawdown's draws; each redraw is a new unit."""
    return drawdown_id[d] + st[j, S_GEN] * _GEN_SHIFT


@jit(inline="always")
def daily_rate(rates, redraw_rates, st, j, d):
    return redraw_rates[d] if st[j, S_GEN] > 0 else rates[d]


@jit(inline="always")
def disbursed_epoch(as_of, st, j):
    """Epoch day of the current schedule's start (calendar due dates count from it)."""
    return as_of + st[j, S_ORIGIN]


@jit(inline="always")
def pay(st, sl, j, amount, allocation, flows):
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


@jit(inline="always")
def report(a, t, seg, st, j, code, prin):
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


@jit(inline="always")
def report_restructured(a, t, seg, st, j, prin):
    """As :func:`report`, for the restructured drawdowns' count and principal (``prin`` < 0:
    not a restructured drawdown on book)."""
    old = st[j, S_REP_RESTR]
    if old == prin:
        return
    if old >= 0:
        a[t, seg, N_RESTRUCTURED] -= 1
        a[t, seg, P_RESTRUCTURED] -= old
    if prin >= 0:
        a[t, seg, N_RESTRUCTURED] += 1
        a[t, seg, P_RESTRUCTURED] += prin
    st[j, S_REP_RESTR] = prin


@jit(inline="always")
def instalment_for(principal, rate, term, method):
    """The fixed instalment of a new schedule (as ``schedule.instalment_micro``)."""
    if method == METHOD_EQUAL_INSTALLMENT:
        i = 30.0 * rate
        if i == 0.0:
            x = principal / term
        else:
            g = math.pow(1.0 + i, float(term))
            x = principal * i * g / (g - 1.0)
        return np.int64(x / FEN + 0.5) * FEN
    if method == METHOD_EQUAL_PRINCIPAL:
        return (principal // term) // FEN * FEN
    return np.int64(0)


@jit(inline="always")
def start_schedule(st, j, t, principal, term, instalment):
    """Make drawdown ``j`` a fresh schedule disbursed (or rescheduled) on sim day ``t``."""
    st[j, S_NP] = principal
    st[j, S_ACC] = 0
    st[j, S_NEXTK] = 1
    st[j, S_ACCEL] = 0
    st[j, S_NSLOT] = 0
    st[j, S_ORIGIN] = t
    st[j, S_TERM] = term
    st[j, S_INST] = instalment


@jit(inline="always")
def quiet_until(st, d0, nd, t, horizon, plan_code, period, as_of):
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
        origin = st[j, S_ORIGIN]
        if t < origin:  # not yet disbursed: disbursement day is an event
            e = min(e, origin)
            continue
        if t == origin:  # disbursed today: reported today
            return t
        if st[j, S_STATUS] != ACTIVE:
            continue
        if st[j, S_NSLOT] > 0 or st[j, S_ACCEL] != 0 or st[j, S_NEXTK] > st[j, S_TERM]:
            return t
        due = due_day(st[j, S_NEXTK], period, disbursed_epoch(as_of, st, j))
        e = min(e, origin + due)
        if forced and t >= 1:
            for tt in range(t, min(e, plan_code.shape[1])):
                if plan_code[d, tt] != PLAN_NONE:
                    e = tt
                    break
        if e <= t:
            return t
    return e


@jit(inline="always")
def accrue_quiet(rates, redraw_rates, st, a, seg, d0, nd, t, e):
    """Days ``[t, e)`` of a quiet borrower: each drawdown on book accrues its constant daily
    interest; nothing else changes (see :func:`quiet_until`)."""
    for j in range(nd):
        d = d0 + j
        if t <= st[j, S_ORIGIN] or st[j, S_STATUS] != ACTIVE:
            continue
        daily = accrue(st[j, S_NP], daily_rate(rates, redraw_rates, st, j, d))
        st[j, S_ACC] += daily * (e - t)
        st[j, S_PDAYS] += st[j, S_NP] * (e - t)
        if t >= 1:  # the same amount each day of [t, e): recorded as two changes
            a[t, seg, INTEREST_RUN] += daily
            if e < a.shape[0]:
                a[e, seg, INTEREST_RUN] -= daily
