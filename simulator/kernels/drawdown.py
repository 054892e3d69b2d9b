"""Per-drawdown steps of the portfolio kernel: accrual, allocation, restructuring, reporting.

State lives in small int64 scratch arrays: ``st[j, S_*]`` for drawdown ``j`` of the borrower
in hand and ``sl[j, s, D_*]`` for its due, unpaid instalments (oldest first). The arithmetic
mirrors ``simulator.contract.ledger`` exactly.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.kernels.calendar import due_day
from simulator.kernels.jit import jit
from simulator.kernels.layout import (
    BUCKET_DAYS,
    CLOSED,
    CODE_CHARGED_OFF,
    COMPOUND_RUN,
    D_ACCELERATED,
    D_COMPOUND,
    D_DUE_DAY,
    D_FEES,
    D_INTEREST,
    D_PENALTY,
    D_PRINCIPAL,
    DAYS_PER_MONTH,
    F_PREPAID,
    INTEREST_RUN,
    LAST_BUCKET,
    N_BY_CODE,
    N_RESTRUCTURED,
    N_SLOT_FIELDS,
    NONACCRUAL_RUN,
    P_RESTRUCTURED,
    PENALTY_RUN,
    PRINCIPAL_BY_BUCKET,
    S_ACCELERATED,
    S_ACCRUED_INTEREST,
    S_DPD,
    S_GENERATION,
    S_INSTALMENT,
    S_LEVEL_PAYMENT,
    S_N_SLOTS,
    S_NEXT_INSTALMENT,
    S_NORMAL_PRINCIPAL,
    S_ORIGIN,
    S_PAID_INTEREST,
    S_PAID_PRINCIPAL,
    S_PRINCIPAL_DAYS,
    S_REPORTED_CODE,
    S_REPORTED_PRINCIPAL,
    S_REPORTED_RESTRUCTURED,
    S_STATUS,
    S_TERM,
    S_TODAY_TERMS,
)

METHOD_EQUAL_INSTALLMENT, METHOD_INTEREST_FIRST, METHOD_EQUAL_PRINCIPAL = 0, 1, 2
FEN = 10_000
_GEN_SHIFT = 1 << 40  # draw keys of a redraw: drawdown id + generation x 2^40
_LAST_BUCKET_FROM = (LAST_BUCKET - 1) * BUCKET_DAYS + 1  # the first DPD in the last bucket


@jit(forceinline=True, _nrt=False)
def accrue(balance, rate):
    """One day's accrual, rounded half up to the micro-yuan (as ``money.accrue``)."""
    if balance <= 0:
        return np.int64(0)
    return np.int64(math.floor(balance * rate + 0.5))


@jit(forceinline=True, _nrt=False)
def bucket(dpd):
    """The bucket of a DPD: 0 (M0, current) .. LAST_BUCKET."""
    if dpd <= 0:
        return 0
    return min(LAST_BUCKET, (dpd - 1) // BUCKET_DAYS + 1)


@jit(forceinline=True, _nrt=False)
def owed(sl, j, s):
    return (sl[j, s, D_PRINCIPAL] + sl[j, s, D_INTEREST] + sl[j, s, D_PENALTY]
            + sl[j, s, D_COMPOUND] + sl[j, s, D_FEES])


@jit(forceinline=True, _nrt=False)
def past_due(sl, st, j):
    total = np.int64(0)
    for s in range(st[j, S_N_SLOTS]):
        total += owed(sl, j, s)
    return total


@jit(forceinline=True, _nrt=False)
def principal_outstanding(st, sl, j):
    """Principal not yet due plus the principal of the due, unpaid instalments."""
    total = st[j, S_NORMAL_PRINCIPAL]
    for s in range(st[j, S_N_SLOTS]):
        total += sl[j, s, D_PRINCIPAL]
    return total


@jit(forceinline=True, _nrt=False)
def add_slot(st, sl, j, due, principal, interest):
    """A new due instalment after the others, due on loan day ``due``; returns its slot."""
    s = st[j, S_N_SLOTS]
    for f in range(N_SLOT_FIELDS):
        sl[j, s, f] = 0
    sl[j, s, D_DUE_DAY] = due
    sl[j, s, D_PRINCIPAL] = principal
    sl[j, s, D_INTEREST] = interest
    st[j, S_N_SLOTS] = s + 1
    return s


@jit(forceinline=True, _nrt=False)
def drop_paid(st, sl, j):
    """Remove the instalments paid in full, keeping the others oldest first; returns how many
    are left."""
    keep = 0
    for s in range(st[j, S_N_SLOTS]):
        if owed(sl, j, s) > 0:
            if keep != s:
                for f in range(N_SLOT_FIELDS):
                    sl[j, keep, f] = sl[j, s, f]
            keep += 1
    st[j, S_N_SLOTS] = keep
    return keep


@jit(forceinline=True, _nrt=False)
def settle_only_slot(st, sl, j):
    """Pay the drawdown's only due instalment whole, the day it fell due (the common case,
    without the general allocation); returns its principal and interest."""
    principal = sl[j, 0, D_PRINCIPAL]
    interest = sl[j, 0, D_INTEREST]
    st[j, S_N_SLOTS] = 0
    st[j, S_PAID_PRINCIPAL] += principal
    st[j, S_PAID_INTEREST] += interest
    return principal, interest


@jit(forceinline=True, _nrt=False)
def draw_unit(drawdown_id, st, j, d):
    """Key of the drawdown's draws; each redraw is a new unit."""
    return drawdown_id[d] + st[j, S_GENERATION] * _GEN_SHIFT


@jit(forceinline=True, _nrt=False)
def daily_rate(rates, redraw_rates, st, j, d):
    """The book's rate, or today's for a drawdown drawn under today's policy."""
    return redraw_rates[d] if st[j, S_TODAY_TERMS] != 0 else rates[d]


@jit(forceinline=True, _nrt=False)
def disbursed_epoch(as_of, st, j):
    """Epoch day of the current schedule's start (calendar due dates count from it)."""
    return as_of + st[j, S_ORIGIN]


@jit(forceinline=True, _nrt=False)
def pay(st, sl, j, amount, allocation, flows):
    """Allocate ``amount`` as the ledger does; paid amounts go to ``flows`` (by slot field for
    fee/compound/penalty/interest/principal, and ``flows[F_PREPAID]`` for the part of the
    principal paid before it fell due)."""
    left = amount
    n = st[j, S_N_SLOTS]
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
    take = min(left, st[j, S_ACCRUED_INTEREST])
    st[j, S_ACCRUED_INTEREST] -= take
    flows[D_INTEREST] += take
    left -= take
    take = min(left, st[j, S_NORMAL_PRINCIPAL])
    st[j, S_NORMAL_PRINCIPAL] -= take
    flows[D_PRINCIPAL] += take
    flows[F_PREPAID] += take
    left -= take
    return amount - left


@jit(forceinline=True, _nrt=False)
def report(a, t, seg, st, j, code, prin):
    """Record a drawdown's bucket code and principal at day ``t`` as changes from the last
    reported ones (the engine sums changes over days into levels)."""
    old = st[j, S_REPORTED_CODE]
    if code == old:  # the same bucket: only its principal moves (often, a due date's)
        if prin != st[j, S_REPORTED_PRINCIPAL]:
            if code < CODE_CHARGED_OFF:
                a[t, seg, PRINCIPAL_BY_BUCKET + code] += prin - st[j, S_REPORTED_PRINCIPAL]
            st[j, S_REPORTED_PRINCIPAL] = prin
        return
    if old >= 0:
        a[t, seg, N_BY_CODE + old] -= 1
        if old < CODE_CHARGED_OFF:
            a[t, seg, PRINCIPAL_BY_BUCKET + old] -= st[j, S_REPORTED_PRINCIPAL]
    a[t, seg, N_BY_CODE + code] += 1
    if code < CODE_CHARGED_OFF:
        a[t, seg, PRINCIPAL_BY_BUCKET + code] += prin
    st[j, S_REPORTED_CODE] = code
    st[j, S_REPORTED_PRINCIPAL] = prin


@jit(forceinline=True, _nrt=False)
def report_restructured(a, t, seg, st, j, prin):
    """As :func:`report`, for the restructured drawdowns' count and principal (``prin`` < 0:
    not a restructured drawdown on book)."""
    old = st[j, S_REPORTED_RESTRUCTURED]
    if old == prin:
        return
    if old >= 0:
        a[t, seg, N_RESTRUCTURED] -= 1
        a[t, seg, P_RESTRUCTURED] -= old
    if prin >= 0:
        a[t, seg, N_RESTRUCTURED] += 1
        a[t, seg, P_RESTRUCTURED] += prin
    st[j, S_REPORTED_RESTRUCTURED] = prin


@jit(forceinline=True, _nrt=False)
def instalment_for(principal, rate, term, method):
    """The fixed instalment of a new schedule (as ``schedule.instalment_micro``)."""
    if method == METHOD_EQUAL_INSTALLMENT:
        i = DAYS_PER_MONTH * rate  # a 30-day month's rate, as the schedule's
        if i == 0.0:
            x = principal / term
        else:
            g = math.pow(1.0 + i, float(term))
            x = principal * i * g / (g - 1.0)
        return np.int64(x / FEN + 0.5) * FEN
    if method == METHOD_EQUAL_PRINCIPAL:
        return (principal // term) // FEN * FEN
    return np.int64(0)


@jit(forceinline=True, _nrt=False)
def principal_due(st, j, k, method):
    """The principal part of instalment ``k`` falling due now: all that is left at maturity."""
    npr = st[j, S_NORMAL_PRINCIPAL]
    if k == st[j, S_TERM]:
        return npr
    if method == METHOD_EQUAL_INSTALLMENT:
        return min(max(st[j, S_INSTALMENT] - st[j, S_ACCRUED_INTEREST], 0), npr)
    if method == METHOD_EQUAL_PRINCIPAL:
        return min(st[j, S_INSTALMENT], npr)
    return np.int64(0)


@jit(forceinline=True, _nrt=False)
def replay_on_time(st, j, rate, method, until, period, as_of):
    """Bring drawdown ``j``, fresh from ``start_schedule`` at an origin before sim day ``until``
    (<= 0), to the start of that day as the day steps would if it paid every instalment on its
    due day: normal interest accrues, each instalment falls due and is settled whole, and the
    drawdown closes if the last one is paid. No flows are recorded before day 1, so nothing
    reaches the aggregate; one pass per due date instead of a step per event."""
    origin = st[j, S_ORIGIN]
    last = origin  # the last day accounted for
    while st[j, S_NEXT_INSTALMENT] <= st[j, S_TERM]:
        k = st[j, S_NEXT_INSTALMENT]
        due = origin + due_day(k, period, disbursed_epoch(as_of, st, j))
        if due >= until:
            break
        st[j, S_ACCRUED_INTEREST] += accrue(st[j, S_NORMAL_PRINCIPAL], rate) * (due - last)
        st[j, S_PRINCIPAL_DAYS] += st[j, S_NORMAL_PRINCIPAL] * (due - last)
        part = principal_due(st, j, k, method)
        st[j, S_PAID_PRINCIPAL] += part
        st[j, S_PAID_INTEREST] += st[j, S_ACCRUED_INTEREST]
        st[j, S_NORMAL_PRINCIPAL] -= part
        st[j, S_ACCRUED_INTEREST] = 0
        st[j, S_NEXT_INSTALMENT] = k + 1
        last = due
        if st[j, S_NORMAL_PRINCIPAL] == 0:
            st[j, S_STATUS] = CLOSED
            return
    st[j, S_ACCRUED_INTEREST] += accrue(st[j, S_NORMAL_PRINCIPAL], rate) * (until - 1 - last)
    st[j, S_PRINCIPAL_DAYS] += st[j, S_NORMAL_PRINCIPAL] * (until - 1 - last)


@jit(forceinline=True, _nrt=False)
def level_payment(principal, rate, term):
    """A schedule's level monthly payment, the debt service the borrower's DSR counts: its
    principal over the term plus the average month's interest of an amortising loan (exact in
    float arithmetic, so the behaviour twin rounds the same way)."""
    interest = principal * rate * DAYS_PER_MONTH * (term + 1) / (2.0 * term)
    return principal // term + np.int64(interest)


@jit(forceinline=True, _nrt=False)
def start_schedule(st, j, t, principal, term, instalment, rate):
    """Make drawdown ``j`` a fresh schedule disbursed (or rescheduled) on sim day ``t``."""
    st[j, S_NORMAL_PRINCIPAL] = principal
    st[j, S_ACCRUED_INTEREST] = 0
    st[j, S_NEXT_INSTALMENT] = 1
    st[j, S_ACCELERATED] = 0
    st[j, S_N_SLOTS] = 0
    st[j, S_ORIGIN] = t
    st[j, S_TERM] = term
    st[j, S_INSTALMENT] = instalment
    st[j, S_LEVEL_PAYMENT] = level_payment(principal, rate, term)


@jit(forceinline=True, _nrt=False)
def next_event(st, sl, j, t, e, period, as_of, grace_days, non_accrual_dpd, acceleration_dpd,
               charge_off_dpd):
    """The first day in ``[t, e)`` on which drawdown ``j`` (on book, disbursed before ``t``)
    needs a full step whatever it draws, or ``e``.

    A current drawdown: its next due date. A delinquent one: a due date, a slot within its
    grace days or the day after them, and the days its DPD reaches a bucket boundary (the 30+
    and 90+ thresholds are also the roll days), the non-accrual, acceleration or charge-off
    threshold. Between them its balances, bucket and reporting are constant.
    """
    origin = st[j, S_ORIGIN]
    if st[j, S_ACCELERATED] == 0 and st[j, S_NEXT_INSTALMENT] <= st[j, S_TERM]:
        k = st[j, S_NEXT_INSTALMENT]
        e = min(e, origin + due_day(k, period, disbursed_epoch(as_of, st, j)))
    n = st[j, S_N_SLOTS]
    if n == 0:
        return e
    if grace_days > 0:
        for s in range(n):
            if sl[j, s, D_ACCELERATED] == 0 and t - origin - sl[j, s, D_DUE_DAY] <= grace_days + 1:
                return t
    oldest = origin + sl[j, 0, D_DUE_DAY]  # DPD on day tt is tt - oldest
    dpd = t - oldest
    if dpd <= _LAST_BUCKET_FROM:  # buckets change at DPD 1, 31, ..., 151
        e = min(e, oldest + (max(dpd - 1, 0) + BUCKET_DAYS - 1) // BUCKET_DAYS * BUCKET_DAYS + 1)
    if dpd <= non_accrual_dpd + 1:
        e = min(e, oldest + non_accrual_dpd + 1)
    if acceleration_dpd >= 0 and st[j, S_ACCELERATED] == 0:
        e = min(e, max(t, oldest + acceleration_dpd))
    if charge_off_dpd >= 0:
        e = min(e, max(t, oldest + charge_off_dpd))
    return e


@jit(forceinline=True, _nrt=False)
def accrue_run(rates, redraw_rates, st, sl, a, seg, j, d, t, e, penalty_multiplier,
               compound_interest, non_accrual_dpd):
    """Quiet days ``[t, e)`` of drawdown ``j`` (book row ``d``): it accrues the same amounts
    every day, its normal interest and, in arrears, the penalty and compound interest of each
    overdue instalment; nothing else changes. Each daily flow is recorded as two changes of
    its run metric."""
    k = e - t
    rate = daily_rate(rates, redraw_rates, st, j, d)
    interest = accrue(st[j, S_NORMAL_PRINCIPAL], rate)
    st[j, S_ACCRUED_INTEREST] += interest * k
    principal = st[j, S_NORMAL_PRINCIPAL]
    pen_day = np.int64(0)
    com_day = np.int64(0)
    nonaccrual = False
    n = st[j, S_N_SLOTS]
    if n > 0:
        prate = rate * penalty_multiplier
        for s in range(n):
            principal += sl[j, s, D_PRINCIPAL]
            pen = accrue(sl[j, s, D_PRINCIPAL], prate)
            com = accrue(sl[j, s, D_INTEREST], prate) if compound_interest else np.int64(0)
            sl[j, s, D_PENALTY] += pen * k
            sl[j, s, D_COMPOUND] += com * k
            pen_day += pen
            com_day += com
        nonaccrual = st[j, S_DPD] >= non_accrual_dpd
        st[j, S_DPD] += k
    st[j, S_PRINCIPAL_DAYS] += principal * k
    if t >= 1:
        _run(a, t, e, seg, INTEREST_RUN, interest)
        if n > 0:
            _run(a, t, e, seg, PENALTY_RUN, pen_day)
            _run(a, t, e, seg, COMPOUND_RUN, com_day)
            if nonaccrual:
                _run(a, t, e, seg, NONACCRUAL_RUN, interest + pen_day + com_day)


@jit(forceinline=True, _nrt=False)
def _run(a, t, e, seg, metric, daily):
    """``daily`` on each day of ``[t, e)``, as two changes of a run metric."""
    if daily != 0:
        a[t, seg, metric] += daily
        if e < a.shape[0]:
            a[e, seg, metric] -= daily
