"""A drawdown's full step on one of its event days, in the order of the day: accrue, fall due,
decide, pay, end of day (late fee, arrears, acceleration, charge-off or close), report, redraw.

The steps are inlined into the portfolio kernel's loop (``simulator.kernels.portfolio``). They
take its groups of inputs (``book``, ``contract``, ``beh``, ``macro``, ``plan``, ``scratch``;
free to pass, as the loop runs without reference counting), ``st``/``sl`` the borrower's
scratch state and due instalments (``layout``), ``a`` the path's aggregate
``a[day, segment, metric]``, ``j`` the drawdown's row in the scratch, ``t`` the sim day and
``loan_day`` the day counted from the disbursement (or rescheduling) of its current schedule.
The money mirrors ``simulator.contract.ledger``; the behaviour is MODEL.md 6.

Steps that happen once in a drawdown's life (reported closed before day 0, restructured,
charged off, redrawn) are compiled apart and called (``jit(_nrt=False)``): numba copies an
inlined helper's code once per level of inlining, and inlining every step took the kernel's
cold compile from about 15 to 23 s. A called step takes numbers and the scratch arrays, never
the groups of inputs: handing it the book's arrays copies every one of them at each call
(passing ``book`` to the redraw cost a tenth of the kernel's time).
"""

from __future__ import annotations

import math

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
    H_CURE,
    H_PARTIAL,
    K_CURE,
    K_MISS,
    K_PREPAY,
    K_RESTRUCTURE,
    PLAN_ALL,
    PLAN_AMOUNT,
    PLAN_DUE,
    PLAN_PAST_DUE,
    S_ACCELERATED,
    S_ACCRUED_INTEREST,
    S_CHARGED_OFF_PRINCIPAL,
    S_DPD,
    S_GENERATION,
    S_N_SLOTS,
    S_NEXT_INSTALMENT,
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
    S_RESTRUCTURED,
    S_STATUS,
    S_TERM,
    S_TODAY_TERMS,
    S_VINTAGE,
    S_VINTAGE_FLAGS,
)


# ---- vintages (``layout``: the block carried in the aggregate's last columns) ------------------
@jit(forceinline=True, _nrt=False)
def month_index(t):
    """The vintage block's month of day ``t``: 0 for day 0 and before, then m for days
    30(m-1)+1 .. 30m."""
    return 0 if t <= 0 else (t - 1) // L.DAYS_PER_MONTH + 1


@jit(forceinline=True, _nrt=False)
def vintage_add(a, v, t, k, value):
    """Add ``value`` to vintage ``v``'s metric ``k`` (``V_*``) in the month of day ``t``;
    nothing when the aggregate carries no vintage block."""
    extra = a.shape[2] - L.N_METRICS
    if extra <= 0:
        return
    months = (a.shape[0] - 1 + L.DAYS_PER_MONTH - 1) // L.DAYS_PER_MONTH + 1
    i = (v * months + month_index(t)) * L.N_VINTAGE_METRICS + k
    n_seg = a.shape[1]
    a[i // (n_seg * extra), (i // extra) % n_seg, L.N_METRICS + i % extra] += value


@jit(forceinline=True, _nrt=False)
def vintage_thresholds(a, t, st, sl, j, dpd, period, as_of, flow_day):
    """The first day a drawdown is at 30+ (and 90+) DPD in its life: its principal then, and
    as a first-payment default when its oldest unpaid instalment is the first of its original
    schedule (not restructured). Flags are kept before day 1 too, so that a drawdown already
    past a threshold then is not counted again."""
    if dpd < L.PAST_30_DPD:  # under both thresholds: nothing to record
        return
    flags = st[j, S_VINTAGE_FLAGS]
    if flags & L.VF_DPD30 == 0:
        flags |= L.VF_DPD30
        if flow_day:
            out = dd.principal_outstanding(st, sl, j)
            vintage_add(a, st[j, S_VINTAGE], t, L.V_DPD30, out)
            if st[j, S_RESTRUCTURED] == 0 and sl[j, 0, D_DUE_DAY] == due_day(
                    1, period, dd.disbursed_epoch(as_of, st, j)):
                vintage_add(a, st[j, S_VINTAGE], t, L.V_FPD, out)
    if dpd >= L.PAST_90_DPD and flags & L.VF_DPD90 == 0:
        flags |= L.VF_DPD90
        if flow_day:
            vintage_add(a, st[j, S_VINTAGE], t, L.V_DPD90, dd.principal_outstanding(st, sl, j))
    st[j, S_VINTAGE_FLAGS] = flags


@jit(forceinline=True, _nrt=False)
def opening_vintage(a, st, sl, j):
    """The day-0 book, vintage 0, at month 0: a drawdown on book on day 0 adds its principal
    then to the base, and to the 30+ (90+) principal if it had reached 31 (91) DPD before."""
    if st[j, S_STATUS] == ACTIVE and st[j, S_ORIGIN] <= 0:
        out = dd.principal_outstanding(st, sl, j)
        vintage_add(a, 0, 0, L.V_DISBURSED, out)
        if st[j, S_VINTAGE_FLAGS] & L.VF_DPD30 != 0:
            vintage_add(a, 0, 0, L.V_DPD30, out)
        if st[j, S_VINTAGE_FLAGS] & L.VF_DPD90 != 0:
            vintage_add(a, 0, 0, L.V_DPD90, out)


# ---- before the step ------------------------------------------------------------------------
@jit(forceinline=True, _nrt=False)
def report_new(a, t, seg, st, j, flow_day):
    """A drawdown disbursed today: on the book, current (and new business from day 1)."""
    if st[j, S_REPORTED_CODE] < 0:
        dd.report(a, t, seg, st, j, 0, st[j, S_NORMAL_PRINCIPAL])
        if flow_day:
            a[t, seg, L.DISBURSED] += st[j, S_NORMAL_PRINCIPAL]
            a[t, seg, L.N_NEW] += 1
            vintage_add(a, st[j, S_VINTAGE], t, L.V_DISBURSED, st[j, S_NORMAL_PRINCIPAL])


@jit(_nrt=False)
def report_settled(a, t, seg, st, j):
    """A drawdown closed or charged off before day 0, reported once."""
    if st[j, S_REPORTED_CODE] < 0:
        code = (L.CODE_CHARGED_OFF if st[j, S_STATUS] == CHARGED_OFF_STATUS
                else L.CODE_CLOSED)
        dd.report(a, t, seg, st, j, code, np.int64(0))


# ---- 1. accrue --------------------------------------------------------------------------------
@jit(forceinline=True, _nrt=False)
def accrue(a, t, seg, st, sl, j, loan_day, rate, contract, flow_day):
    """The day's normal interest, and the penalty (and compound) interest of each overdue
    instalment: held back within its grace days, then charged (with what was held back when
    the grace is retroactive)."""
    grace_days = contract.grace_days
    prate = rate * contract.penalty_multiplier
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
        com = dd.accrue(sl[j, s, D_INTEREST], prate) if contract.compound_interest else 0
        late = loan_day - sl[j, s, D_DUE_DAY]
        if sl[j, s, D_ACCELERATED] == 0 and late <= grace_days:
            sl[j, s, D_HELD_PENALTY] += pen
            sl[j, s, D_HELD_COMPOUND] += com
            continue
        if sl[j, s, D_ACCELERATED] == 0 and grace_days > 0 and late == grace_days + 1:
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


# ---- 2. fall due ------------------------------------------------------------------------------
@jit(forceinline=True, _nrt=False)
def fall_due(st, sl, j, loan_day, method, period, as_of):
    """The next instalment falls due today: its principal part and the interest accrued
    become a due slot. Returns whether a slot was added (nothing is due on a zero one)."""
    k = st[j, S_NEXT_INSTALMENT]
    if st[j, S_ACCELERATED] != 0 or k > st[j, S_TERM] or (
        due_day(k, period, dd.disbursed_epoch(as_of, st, j)) != loan_day
    ):
        return False
    st[j, S_NEXT_INSTALMENT] = k + 1
    npr = st[j, S_NORMAL_PRINCIPAL]
    part = dd.principal_due(st, j, k, method)
    added = False
    if part + st[j, S_ACCRUED_INTEREST] > 0:
        dd.add_slot(st, sl, j, loan_day, part, st[j, S_ACCRUED_INTEREST])
        added = True
    st[j, S_NORMAL_PRINCIPAL] = npr - part
    st[j, S_ACCRUED_INTEREST] = 0
    return added


# ---- 3. decide --------------------------------------------------------------------------------
@jit(forceinline=True, _nrt=False)
def planned_amount(plan, d, t, st, sl, j, due_now):
    """What a forced payment plan pays today (tests and ``overdue check ledger``)."""
    code = plan.code[d, t]
    if code == PLAN_AMOUNT:
        return plan.amount[d, t]
    if code == PLAN_DUE:
        if due_now:
            return dd.owed(sl, j, st[j, S_N_SLOTS] - 1)
        return np.int64(0)
    if code == PLAN_PAST_DUE or code == PLAN_ALL:
        amount = dd.past_due(sl, st, j)
        if code == PLAN_ALL:
            amount += st[j, S_ACCRUED_INTEREST] + st[j, S_NORMAL_PRINCIPAL]
        return amount
    return np.int64(0)


@jit(forceinline=True, _nrt=False)
def arrears_draws(a, t, seg, st, sl, keys, j, loan_day, m, hazard, rate, method, beh, oldest,
                  flow_day):
    """A delinquent drawdown's day: restructured (from day 1: a lever) if its draw fires within
    the restructuring window, else cured (pays all past due) or pays part of it. The cure is
    the borrower's: one draw a day on the borrower's key with the chances of the borrower's
    bucket (its oldest unpaid instalment, ``oldest``), so all its drawdowns in arrears cure
    together.
    Returns (amount paid, whether it was restructured)."""
    dpd = loan_day - sl[j, 0, D_DUE_DAY]
    if (flow_day and beh.restructure_dpd_from > 0 and st[j, S_RESTRUCTURED] == 0
            and beh.restructure_dpd_from <= dpd <= beh.restructure_dpd_to
            and rng.uniform_at(keys[j, K_RESTRUCTURE], t) < beh.restructure_daily):
        capitalised, waived = restructure(st, sl, j, t, rate, method,
                                          beh.restructure_extra_months, beh.restructure_waive)
        if flow_day:
            a[t, seg, L.CAPITALISED] += capitalised
            a[t, seg, L.WAIVED] += waived
            a[t, seg, L.N_RESTRUCTURINGS] += 1
        return np.int64(0), True
    bk = dd.bucket(t - oldest)
    hc = hazard[m, bk, H_CURE]
    hp = hazard[m, bk, H_PARTIAL]
    u = rng.uniform_at(keys[j, K_CURE], t)
    amount = np.int64(0)
    if u < hc + hp:
        amount = dd.past_due(sl, st, j)
        if u < hc:
            if flow_day:
                a[t, seg, L.N_CURED] += 1
        else:  # a partial payment, whole fen
            amount = np.int64(math.floor(amount * beh.partial_share)) // dd.FEN * dd.FEN
    return amount, False


LOG_PD_CAP = math.log(0.999)  # the PD is capped at 0.999


@jit(forceinline=True, _nrt=False)
def log_miss_probability(b, seg, m, t, book, beh, macro, scratch):
    """The logarithm of the borrower's PD for month ``m`` before the factor (MODEL.md 6): its
    segment's base PD x months on book of its youngest drawdown x the month's season x
    exp(sensitivity x (DSR - reference)) x the unemployed multiplier, its score's and
    restructuring's multipliers, capped at 0.999. DSR is (level payments of its drawdowns +
    other debt service under the month's rates) over the month's income (a replacement share
    of it while unemployed).

    Summed as logarithms of its terms (``scratch.log_pd``, tabulated once per chunk), since the
    miss rule reads Phi^-1 from a table in log(PD): no ``exp`` or ``log`` in the month."""
    bs = scratch.borrower
    unemployed = scratch.unemployed[m] != 0
    level = bs[L.B_LEVEL_PAYMENTS]
    income_multiplier = macro.income_multiplier[seg, m]
    rate_bp = macro.rate_bp[m]
    cache = scratch.pd_cache  # the DSR term's inputs and the term, often the last month's
    if not (level == cache[2] and income_multiplier == cache[3] and unemployed == cache[4]
            and rate_bp == cache[5]):
        income0 = book.income[b]
        income = income0 * income_multiplier
        if unemployed:
            income *= beh.unemployed_income_ratio
        other = beh.other_debt_service_ratio[seg] * income0 * (
            1.0 + beh.other_debt_rate_sensitivity * rate_bp / 100.0)
        dsr = (level / 1e6 + other) / max(income, 1e-9)
        cache[2] = level
        cache[3] = income_multiplier
        cache[4] = unemployed
        cache[5] = rate_bp
        cache[6] = beh.dsr_sensitivity * (dsr - beh.dsr_reference[seg])
    mob = (t - bs[L.B_YOUNGEST_ORIGIN]) // L.DAYS_PER_MONTH
    terms = scratch.log_pd
    curve = terms.months_on_book
    log_pd = (terms.base_pd[seg] + curve[min(max(mob, 1), curve.shape[0]) - 1]
              + terms.season[m] + cache[6])
    if unemployed:
        log_pd += terms.unemployed
    if terms.score.shape[0] > 0:
        log_pd += terms.score[b - terms.first_borrower]
    if bs[L.B_RESTRUCTURED] != 0:
        log_pd += terms.restructured
    return min(LOG_PD_CAP, log_pd)


@jit(forceinline=True, _nrt=False)
def borrower_misses(b, seg, j, m, t, path, book, beh, macro, scratch, sqrt_rho, sqrt_1mrho):
    """The borrower's decision for month ``m``, made at its first due date in the month and
    kept for the others: it misses if ``sqrt(rho) Z_s + sqrt(1 - rho) e < Phi^-1(PD)``, one
    draw ``e`` per borrower and month (its key is in every drawdown's ``K_MISS``)."""
    bs = scratch.borrower
    if bs[L.B_DECIDED_MONTH] == m:
        return bs[L.B_MISSES_MONTH] != 0
    log_pd = log_miss_probability(b, seg, m, t, book, beh, macro, scratch)
    cache = scratch.pd_cache  # (log PD, its quantile, ...): the last month's, often the same
    if log_pd != cache[0]:
        cache[0] = log_pd
        cache[1] = rng.miss_quantile(log_pd, scratch.probit)
    threshold = (cache[1] - sqrt_rho * macro.segment_z[path, seg, m]) / sqrt_1mrho
    misses = rng.below_normal_cdf(rng.uniform_at(scratch.keys[j, K_MISS], m), threshold,
                                  scratch.phi_bounds)
    bs[L.B_DECIDED_MONTH] = m
    bs[L.B_MISSES_MONTH] = 1 if misses else 0
    return misses


@jit(forceinline=True, _nrt=False)
def due_draws(a, t, seg, b, j, path, m, loan_day, book, beh, macro, scratch, sqrt_rho,
              sqrt_1mrho, flow_day):
    """A current drawdown's due date: missed if its borrower is in arrears on another
    drawdown or decides to miss this month (:func:`borrower_misses`), else it prepays
    everything or pays what fell due. Returns the amount left to allocate (the on-time
    payment is settled here)."""
    st = scratch.state
    sl = scratch.slots
    if scratch.borrower[L.B_OLDEST_DUE] != L.NO_ARREARS or borrower_misses(
        b, seg, j, m, t, path, book, beh, macro, scratch, sqrt_rho, sqrt_1mrho
    ):
        if flow_day:
            a[t, seg, L.N_MISSED] += 1
        return np.int64(0)
    owed = dd.owed(sl, j, st[j, S_N_SLOTS] - 1)
    if rng.uniform_at(scratch.keys[j, K_PREPAY], loan_day) < beh.prepayment_monthly:
        if flow_day:
            a[t, seg, L.N_PREPAYMENTS] += 1
        return owed + st[j, S_ACCRUED_INTEREST] + st[j, S_NORMAL_PRINCIPAL]
    prin, intr = dd.settle_only_slot(st, sl, j)  # pays what fell due
    if flow_day:
        a[t, seg, L.PRINCIPAL_PAID] += prin
        a[t, seg, L.INTEREST_PAID] += intr
    return np.int64(0)


@jit(_nrt=False)
def restructure(st, sl, j, t, rate, method, extra_months, waive):
    """Capitalise the arrears into a new schedule over the remaining instalments plus the
    extra months, from sim day ``t``; returns (capitalised, waived) in micro-yuan."""
    principal = st[j, S_NORMAL_PRINCIPAL]
    capitalised = st[j, S_ACCRUED_INTEREST]
    charges = np.int64(0)
    for s in range(st[j, S_N_SLOTS]):
        principal += sl[j, s, D_PRINCIPAL]
        capitalised += sl[j, s, D_INTEREST]
        charges += sl[j, s, D_PENALTY] + sl[j, s, D_COMPOUND] + sl[j, s, D_FEES]
    waived = np.int64(0)
    if waive:
        waived = charges
    else:
        capitalised += charges
    remaining = max(1, st[j, S_TERM] - st[j, S_NEXT_INSTALMENT] + 1)
    term = remaining + extra_months
    total = principal + capitalised
    dd.start_schedule(st, j, t, total, term, dd.instalment_for(total, rate, term, method), rate)
    st[j, S_RESTRUCTURED] = 1
    return capitalised, waived


# ---- 4. pay -----------------------------------------------------------------------------------
@jit(forceinline=True, _nrt=False)
def pay(a, t, seg, st, sl, j, amount, allocation, flows, flow_day):
    """Allocate a payment (at most all that is owed) in the contract's order."""
    total = dd.past_due(sl, st, j) + st[j, S_ACCRUED_INTEREST] + st[j, S_NORMAL_PRINCIPAL]
    for f in range(L.N_FLOWS):
        flows[f] = 0
    late_principal(a, t, seg, st, sl, j, 1)
    dd.pay(st, sl, j, min(amount, total), allocation, flows)
    late_principal(a, t, seg, st, sl, j, -1)
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


@jit(forceinline=True, _nrt=False)
def late_principal(a, t, seg, st, sl, j, sign):
    """``sign`` x the principal of each instalment 1..COLLECTION_WINDOW_DAYS days past its due
    day (a due day from day 1) into that due day's PRINCIPAL_COLLECTED_30: called with +1
    before a payment and -1 after it, the cell gains what the payment took from it."""
    origin = st[j, S_ORIGIN]
    for s in range(st[j, S_N_SLOTS]):
        due = origin + sl[j, s, D_DUE_DAY]
        if (sl[j, s, D_ACCELERATED] == 0 and due >= 1
                and 1 <= t - due <= L.COLLECTION_WINDOW_DAYS):
            a[due, seg, L.PRINCIPAL_COLLECTED_30] += sign * sl[j, s, D_PRINCIPAL]


@jit(forceinline=True, _nrt=False)
def due_principal(st, sl, j, due_now):
    """The principal of the instalment that fell due today (the last slot), or 0."""
    if due_now:
        return sl[j, st[j, S_N_SLOTS] - 1, D_PRINCIPAL]
    return np.int64(0)


@jit(forceinline=True, _nrt=False)
def record_due(a, t, seg, st, sl, j, loan_day, principal):
    """After the day's payment: the principal that fell due today, and what of it is unpaid
    (all of it when the drawdown was restructured today: ``loan_day`` 0, its slots gone)."""
    a[t, seg, L.PRINCIPAL_DUE] += principal
    unpaid = principal
    if loan_day > 0:
        unpaid = np.int64(0)
        n = st[j, S_N_SLOTS]
        if n > 0 and sl[j, n - 1, D_DUE_DAY] == loan_day and sl[j, n - 1, D_ACCELERATED] == 0:
            unpaid = sl[j, n - 1, D_PRINCIPAL]
    if unpaid != 0:
        a[t, seg, L.PRINCIPAL_DUE_UNPAID] += unpaid


# ---- 5. end of day ----------------------------------------------------------------------------
@jit(forceinline=True, _nrt=False)
def late_fee(a, t, seg, st, sl, j, loan_day, fee, flow_day):
    """The late fee on an instalment that fell due today and was not paid in full."""
    n = st[j, S_N_SLOTS]
    if fee > 0 and n > 0:
        s = n - 1
        if sl[j, s, D_DUE_DAY] == loan_day and dd.owed(sl, j, s) > 0:
            sl[j, s, D_FEES] += fee
            if flow_day:
                a[t, seg, L.FEES_CHARGED] += fee


@jit(forceinline=True, _nrt=False)
def days_past_due(a, t, seg, st, sl, j, loan_day, flow_day):
    """Drop the instalments paid in full; the DPD is the oldest unpaid one's age (and a
    drawdown reaching 30+ or 90+ today rolls)."""
    keep = dd.drop_paid(st, sl, j)
    dpd = loan_day - sl[j, 0, D_DUE_DAY] if keep > 0 else 0
    st[j, S_DPD] = dpd
    if flow_day and dpd == L.PAST_30_DPD:
        a[t, seg, L.N_ROLL30] += 1
    elif flow_day and dpd == L.PAST_90_DPD:
        a[t, seg, L.N_ROLL90] += 1
    return dpd


@jit(forceinline=True, _nrt=False)
def accelerate(st, sl, j, loan_day, dpd, acceleration_dpd):
    """From the acceleration DPD on, the principal not yet due (and its interest) falls due
    at once, as one slot."""
    if acceleration_dpd >= 0 and st[j, S_ACCELERATED] == 0 and dpd >= acceleration_dpd:
        st[j, S_ACCELERATED] = 1
        if st[j, S_NORMAL_PRINCIPAL] > 0 or st[j, S_ACCRUED_INTEREST] > 0:
            s = dd.add_slot(st, sl, j, loan_day, st[j, S_NORMAL_PRINCIPAL],
                            st[j, S_ACCRUED_INTEREST])
            sl[j, s, D_ACCELERATED] = 1
            st[j, S_NORMAL_PRINCIPAL] = 0
            st[j, S_ACCRUED_INTEREST] = 0


@jit(forceinline=True, _nrt=False)
def charge_off_or_close(a, t, seg, st, sl, j, d, dpd, outstanding, path, horizon,
                        flow_day, recovery_rate, book, contract, beh):
    """Charged off from the charge-off DPD on (with its recoveries to come), closed once
    nothing is owed. Returns whether it closed today."""
    if contract.charge_off_dpd >= 0 and dpd >= contract.charge_off_dpd:
        st[j, S_STATUS] = CHARGED_OFF_STATUS
        st[j, S_CHARGED_OFF_PRINCIPAL] = outstanding
        unit = dd.draw_unit(book.drawdown_id, st, j, d)
        charge_off(a, t, seg, st, sl, j, outstanding, unit, path, horizon, flow_day,
                   beh.seed, beh.legal_share, beh.legal_rate, beh.legal_lag_days,
                   beh.legal_cost, beh.apr_cap, recovery_rate, beh.recovery_lag_days)
        return False
    if (st[j, S_N_SLOTS] == 0 and st[j, S_NORMAL_PRINCIPAL] == 0
            and st[j, S_ACCRUED_INTEREST] == 0):
        st[j, S_STATUS] = CLOSED
        st[j, S_DPD] = 0
        return True
    return False


@jit(_nrt=False)
def charge_off(a, t, seg, st, sl, j, principal, unit, path, horizon, flow_day, seed,
               legal_share, legal_rate, legal_lag_days, legal_cost, apr_cap, recovery_rate,
               recovery_lag_days):
    """Charge-off flows: the principal written off, and what comes back later: a litigated
    drawdown recovers a share of its claim capped at the enforceable claim (all-in APR cap on
    principal-days, less charges already paid) after the legal lag; others the month's
    recovery rate of principal after the recovery lag. A charge-off in the burn-in records
    only what comes back from day 1 on, and is not litigated (levers act from day 1)."""
    if flow_day:
        a[t, seg, L.CHARGED_OFF] += principal
        vintage_add(a, st[j, S_VINTAGE], t, L.V_CHARGED_OFF, principal)
    if flow_day and legal_share > 0.0 and rng.uniform(seed, rng.LEGAL, path, unit, 0) < legal_share:
        charges = st[j, S_ACCRUED_INTEREST]
        for s in range(st[j, S_N_SLOTS]):
            charges += (sl[j, s, D_INTEREST] + sl[j, s, D_PENALTY] + sl[j, s, D_COMPOUND]
                        + sl[j, s, D_FEES])
        paid_charges = (st[j, S_PAID_INTEREST] + st[j, S_PAID_PENALTY] + st[j, S_PAID_COMPOUND]
                        + st[j, S_PAID_FEES])
        allowance = dd.accrue(st[j, S_PRINCIPAL_DAYS], apr_cap / L.DAYS_PER_YEAR)
        claim = principal + min(charges, max(0, allowance - paid_charges))
        if flow_day:
            a[t, seg, L.N_LITIGATED] += 1
            a[t, seg, L.LEGAL_COST] += legal_cost
        if 1 <= t + legal_lag_days <= horizon:
            got = dd.accrue(claim, legal_rate)
            a[t + legal_lag_days, seg, L.RECOVERIES] += got
            a[t + legal_lag_days, seg, L.LEGAL_RECOVERIES] += got
            vintage_add(a, st[j, S_VINTAGE], t + legal_lag_days, L.V_RECOVERIES, got)
    elif 1 <= t + recovery_lag_days <= horizon:
        got = dd.accrue(principal, recovery_rate)
        a[t + recovery_lag_days, seg, L.RECOVERIES] += got
        vintage_add(a, st[j, S_VINTAGE], t + recovery_lag_days, L.V_RECOVERIES, got)


# ---- 6. report, redraw ------------------------------------------------------------------------
@jit(forceinline=True, _nrt=False)
def report(a, t, seg, st, j, outstanding):
    """The drawdown's bucket (or charged off, closed) and principal, and whether it is a
    restructured drawdown on book, as changes from what was last reported."""
    if st[j, S_STATUS] == CHARGED_OFF_STATUS:
        dd.report(a, t, seg, st, j, L.CODE_CHARGED_OFF, np.int64(0))
    elif st[j, S_STATUS] == CLOSED:
        dd.report(a, t, seg, st, j, L.CODE_CLOSED, np.int64(0))
    else:
        dd.report(a, t, seg, st, j, dd.bucket(st[j, S_DPD]), outstanding)
    restructured_on_book = st[j, S_RESTRUCTURED] != 0 and st[j, S_STATUS] == ACTIVE
    dd.report_restructured(a, t, seg, st, j, outstanding if restructured_on_book else -1)


@jit(_nrt=False)  # once per closure: called, not inlined, and handed only numbers
def redraw(a, t, seg, st, j, principal, term, instalment, rate, today_terms):
    """A new drawdown on the closed one's row, disbursed today on the terms given (today's
    policy's: ``today_terms``), on the book from tomorrow, reported from day 0."""
    st[j, S_GENERATION] += 1
    st[j, S_STATUS] = ACTIVE
    st[j, S_RESTRUCTURED] = 0
    st[j, S_VINTAGE] = month_index(t)
    st[j, S_VINTAGE_FLAGS] = 0
    # Its own claim: principal-days and charges paid count from its disbursement, so charges
    # paid on the closed drawdown do not shrink what a court would enforce on this one.
    st[j, S_PRINCIPAL_DAYS] = 0
    for f in (S_PAID_PRINCIPAL, S_PAID_INTEREST, S_PAID_PENALTY, S_PAID_COMPOUND, S_PAID_FEES,
              S_PREPAID_PRINCIPAL, S_CHARGED_OFF_PRINCIPAL):
        st[j, f] = 0
    dd.start_schedule(st, j, t, principal, term, instalment, rate)
    st[j, S_TODAY_TERMS] = 1 if today_terms else 0
    if t < 0:  # the closed one was never reported: it counts among day 0's closed
        a[0, seg, L.N_BY_CODE + L.CODE_CLOSED] += 1
    st[j, S_REPORTED_CODE] = -1  # a new drawdown: n_closed keeps the old one
    if t >= 0:
        dd.report(a, t, seg, st, j, 0, st[j, S_NORMAL_PRINCIPAL])
    if t >= 1:
        a[t, seg, L.DISBURSED] += st[j, S_NORMAL_PRINCIPAL]
        a[t, seg, L.N_NEW] += 1
        vintage_add(a, st[j, S_VINTAGE], t, L.V_DISBURSED, st[j, S_NORMAL_PRINCIPAL])
    quarter_entry(a, t, seg, st, j)


# ---- IFRS 9 stage transfers (``layout``: TRANSFER_*) ------------------------------------------
# A drawdown's stage and principal change only on its full steps (its stage at DPD 31 and 91,
# bucket boundaries, which are event days): a quarter end between two of its steps reads the
# state of the earlier one, recorded when the later one comes (``passed_quarter_ends``); a
# quarter end it steps on reads the step.
@jit(forceinline=True, _nrt=False)
def stage(st, j):
    """Its IFRS 9 stage now: 3 from 91 DPD, 2 from 31 DPD or once restructured, else 1."""
    if st[j, S_DPD] >= L.PAST_90_DPD:
        return L.STAGE_3
    if st[j, S_DPD] >= L.PAST_30_DPD or st[j, S_RESTRUCTURED] != 0:
        return L.STAGE_2
    return L.STAGE_1


@jit(forceinline=True, _nrt=False)
def _transfer(a, q, seg, st, j, to):
    k = st[j, L.S_QUARTER_STAGE] * L.N_STAGE_TO + to
    a[q, seg, L.TRANSFER_N + k] += 1
    a[q, seg, L.TRANSFER_PRINCIPAL + k] += st[j, L.S_QUARTER_PRINCIPAL]


@jit(forceinline=True, _nrt=False)
def quarter_end(a, t, seg, st, j, outstanding):
    """On book at the end of day ``t``: on a quarter end from day 1, its transfer from the
    quarter's start; on day 0 and every quarter end, its stage and principal from now on."""
    if t >= 0 and t % L.QUARTER_DAYS == 0:
        now = stage(st, j)
        if t >= 1:
            _transfer(a, t, seg, st, j, now - L.STAGE_1 + L.TO_STAGE_1)
        st[j, L.S_QUARTER_STAGE] = now
        st[j, L.S_QUARTER_PRINCIPAL] = outstanding


@jit(forceinline=True, _nrt=False)
def passed_quarter_ends(a, seg, st, sl, j, t):
    """The quarter ends from day 1 after its last step and before day ``t`` (the horizon's
    after it, for ``t = horizon + 1``), each with the stage and principal of that step."""
    if t <= L.QUARTER_DAYS:
        return
    q = ((st[j, L.S_UNACCRUED_FROM] - 1) // L.QUARTER_DAYS + 1) * L.QUARTER_DAYS
    q = max(q, L.QUARTER_DAYS)
    while q < t:
        quarter_end(a, q, seg, st, j, dd.principal_outstanding(st, sl, j))
        q += L.QUARTER_DAYS


@jit(forceinline=True, _nrt=False)
def quarter_entry(a, t, seg, st, j):
    """Disbursed today (the book's, or a redraw): new in the quarter, with its principal."""
    st[j, L.S_QUARTER_STAGE] = L.STAGE_NEW
    st[j, L.S_QUARTER_PRINCIPAL] = st[j, S_NORMAL_PRINCIPAL]
    quarter_end(a, t, seg, st, j, st[j, S_NORMAL_PRINCIPAL])


@jit(forceinline=True, _nrt=False)
def quarter_exit(a, t, seg, st, j, horizon):
    """Charged off or closed today (from day 1): counted at the quarter end that ends today's
    quarter (none past the horizon)."""
    q = (t + L.QUARTER_DAYS - 1) // L.QUARTER_DAYS * L.QUARTER_DAYS
    if t >= 1 and q <= horizon:
        to = L.TO_CHARGED_OFF if st[j, S_STATUS] == CHARGED_OFF_STATUS else L.TO_REPAID
        _transfer(a, q, seg, st, j, to)
