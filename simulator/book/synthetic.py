"""Synthetic loan books: the scenario's segments drawn into a struct of arrays.

Every draw is keyed by (book seed, borrower or drawdown id, field), so borrower ``i`` is the
same borrower whatever the book size or chunking (a task draws just its chunk of the book), and
a policy scenario and its baseline hold the same book (common random numbers). The book is
*seasoned*: drawdowns sit at different ages, and those in arrears at day 0 got there by paying
on time until their first missed due date, so their balances, penalties and DPD are exactly
what the contract gives (the kernel replays that history before day 0).
"""

from __future__ import annotations

import numpy as np

from simulator.contract.buckets import nominal_range
from simulator.contract.money import MICRO
from simulator.contract.schedule import CALENDAR, METHOD_CODE, epoch_day, instalment_micro
from simulator.errors import InputError
from simulator.kernels import book_draws
from simulator.kernels.portfolio import Book
from simulator.scenario.policy import GRADES
from simulator.scenario.schema import BUCKETS, DAYS_PER_MONTH, Scenario

MAX_DRAWDOWNS = 10


def _draw_book(seed, n_borrowers, seg_cum, income_p, count_cum, principal_p, bucket_cum,
               dpd_lo, dpd_hi, terms, period, as_of, id_offset, arrival_days):
    """Draw borrowers and drawdowns. Per-segment parameter rows: income_p/principal_p are
    (kind, a, b, lo, hi); count_cum and bucket_cum are cumulative probabilities.

    Borrower ``i`` is keyed ``id_offset + i``, its drawdown ``j`` ``(id_offset + i) *
    DRAWDOWN_KEYS + j``. With ``arrival_days > 0`` the borrowers are applicants arriving on a
    day drawn in ``[1, arrival_days]`` with new drawdowns (negative age), not a seasoned book.

    Arrays are allocated here and filled by compiled loops (compiled code that allocates
    compiles numba's error formatting too: seconds of every cold start)."""
    seg = np.empty(n_borrowers, np.int32)
    income = np.empty(n_borrowers)
    count = np.empty(n_borrowers, np.int64)
    book_draws.draw_borrowers(seed, seg_cum, income_p, count_cum, id_offset, seg, income, count)
    start = np.zeros(n_borrowers + 1, np.int64)
    start[1:] = np.cumsum(count)
    n = int(start[-1])
    principal = np.empty(n, np.int64)
    age = np.empty(n, np.int32)
    dpd0 = np.empty(n, np.int32)
    disbursed = np.empty(n, np.int64)
    book_draws.draw_drawdowns(seed, principal_p, bucket_cum, dpd_lo, dpd_hi, terms, period, as_of,
                              id_offset, arrival_days, seg, start, principal, age, dpd0,
                              disbursed)
    return seg, income, start, principal, age, dpd0, disbursed


def _amount_row(amount) -> list[float]:
    if amount.fixed is not None:
        return [0, amount.fixed, 0.0, amount.min, amount.max]
    if amount.lognormal is not None:
        return [1, amount.lognormal.median, amount.lognormal.sigma, amount.min, amount.max]
    return [2, amount.uniform.low, amount.uniform.high, amount.min, amount.max]


def dpd_range(bucket: int, charge_off_dpd: int | None) -> tuple[int, int]:
    """Initial DPD range of a bucket: its 30 days (M6: 151-180), kept below charge-off."""
    nominal = nominal_range(bucket)
    lo, hi = nominal.lo, nominal.hi
    if charge_off_dpd is not None:
        hi = min(hi, charge_off_dpd - 1)
    return lo, hi


APPLICANT_KEYS = 1 << 36  # applicants' borrower keys start here (their drawdowns': ten times it)


def _scores(seed, borrower_ids, accuracy):
    """Each borrower's true risk z ~ N(0,1) (higher is riskier) and the quantile of the
    lender's score, correlated ``accuracy`` with z."""
    z = np.empty(len(borrower_ids))
    q = np.empty(len(borrower_ids))
    book_draws.fill_scores(seed, borrower_ids, accuracy, z, q)
    return z, q


def segment_rows(scenario: Scenario) -> dict:
    """The per-segment parameter arrays ``_draw_book`` takes."""
    segments = scenario.book.segments
    co = scenario.contract.charge_off_dpd
    seg_cum = np.cumsum([s.share for s in segments])
    seg_cum[-1] = 1.0
    width = max(len(s.drawdowns) for s in segments)
    count_cum = np.ones((len(segments), width))
    bucket_cum = np.ones((len(segments), 7))
    dpd_lo = np.ones((len(segments), 7), np.int64)
    dpd_hi = np.ones((len(segments), 7), np.int64)
    for i, s in enumerate(segments):
        count_cum[i, : len(s.drawdowns)] = np.cumsum(s.drawdowns)
        count_cum[i, len(s.drawdowns) - 1 :] = 1.0
        shares = [s.initial_buckets.get(b, 0.0) for b in BUCKETS]
        bucket_cum[i] = np.cumsum(shares)
        bucket_cum[i, -1] = 1.0
        for bk in range(1, 7):
            lo, hi = dpd_range(bk, co)
            if shares[bk] > 0 and hi < lo:
                raise InputError(
                    f"initial bucket {BUCKETS[bk]} lies beyond charge-off at {co} DPD",
                    path=f"book.segments[{i}].initial_buckets.{BUCKETS[bk]}",
                )
            dpd_lo[i, bk], dpd_hi[i, bk] = lo, max(lo, hi)
    period = scenario.contract.schedule_period
    return dict(
        seg_cum=seg_cum,
        income_p=np.array([_amount_row(s.monthly_income) for s in segments], float),
        count_cum=count_cum,
        principal_p=np.array([_amount_row(s.principal) for s in segments], float),
        bucket_cum=bucket_cum, dpd_lo=dpd_lo, dpd_hi=dpd_hi,
        terms=np.array([s.term_months for s in segments], np.int64),
        period=CALENDAR if period == "calendar" else int(period),
        as_of=epoch_day(scenario.as_of),
    )


def burn_in_days(scenario: Scenario) -> int:
    return scenario.book.burn_in_months * DAYS_PER_MONTH


def _draw(scenario: Scenario, rows: dict, n: int, id_offset: int, arrival_days: int) -> dict:
    """Borrowers drawn as of the first day of behaviour (the burn-in's, or day 0), their ages
    then counted to day 0."""
    burn = burn_in_days(scenario)
    seg, income, start, principal, age, dpd0, disbursed = _draw_book(
        scenario.monte_carlo.seed, n, rows["seg_cum"], rows["income_p"], rows["count_cum"],
        rows["principal_p"], rows["bucket_cum"], rows["dpd_lo"], rows["dpd_hi"], rows["terms"],
        rows["period"], rows["as_of"] - burn, id_offset, arrival_days,
    )
    age += burn
    borrower_id = np.arange(n, dtype=np.int64) + id_offset
    counts = np.diff(start)
    number = np.arange(start[-1], dtype=np.int64) - np.repeat(start[:-1], counts)
    return dict(
        seg=seg, income=income, start=start, principal=principal, age=age, dpd0=dpd0,
        disbursed=disbursed, borrower_id=borrower_id,
        drawdown_id=np.repeat(borrower_id, counts) * book_draws.DRAWDOWN_KEYS + number,
    )


def _keep_borrowers(part: dict, keep: np.ndarray) -> dict:
    """The borrowers where ``keep`` is true, with their drawdowns."""
    counts = np.diff(part["start"])
    dd_keep = np.repeat(keep, counts)
    out = {k: part[k][keep] for k in ("seg", "income", "borrower_id")}
    out |= {k: part[k][dd_keep] for k in ("principal", "age", "dpd0", "disbursed",
                                          "drawdown_id")}
    out["start"] = np.concatenate([[0], np.cumsum(counts[keep])]).astype(np.int64)
    return out


def _concat(a: dict, b: dict) -> dict:
    out = {k: np.concatenate([a[k], b[k]]) for k in a if k != "start"}
    out["start"] = np.concatenate([a["start"], a["start"][-1] + b["start"][1:]])
    return out


def applicants(scenario: Scenario, borrowers: int) -> int:
    """Applicants arriving over the burn-in and the horizon under
    ``book.revolving.new_borrowers_monthly``."""
    monthly = scenario.book.revolving.new_borrowers_monthly
    days = burn_in_days(scenario) + scenario.horizon_days
    return int(round(monthly * borrowers * days / DAYS_PER_MONTH))


def applicants_before(b: int, n_borrowers: int, n_applicants: int) -> int:
    """Applicants that arrive with the borrowers before index ``b``: the chunk of borrowers
    ``[b_lo, b_hi)`` draws applicants ``[applicants_before(b_lo), applicants_before(b_hi))``,
    so the chunks of a book together draw each applicant once, whatever their size."""
    return b * n_applicants // n_borrowers if n_borrowers else 0


def check_segments(scenario: Scenario) -> None:
    """A synthetic book needs segments, each with at most MAX_DRAWDOWNS drawdowns."""
    segments = scenario.book.segments
    if not segments:
        raise InputError("a synthetic book needs book.segments", path="book.segments")
    if max(len(s.drawdowns) for s in segments) > MAX_DRAWDOWNS:
        raise InputError(f"at most {MAX_DRAWDOWNS} drawdowns per borrower",
                         path="book.segments.drawdowns")


def synthetic_book(scenario: Scenario, borrowers: int | None = None) -> Book:
    """Draw the scenario's whole book (``borrowers`` overrides ``book.borrowers``): the
    seasoned borrowers at day 0, then the applicants of the horizon that underwriting
    approves. The same as its chunks (:func:`synthetic_chunk`) put together."""
    n = int(borrowers or scenario.book.borrowers)
    return synthetic_chunk(scenario, 0, n, n)


def synthetic_chunk(scenario: Scenario, b_lo: int, b_hi: int, n_borrowers: int,
                    rows: dict | None = None) -> Book:
    """Borrowers ``[b_lo, b_hi)`` of a book of ``n_borrowers`` seasoned borrowers, followed by
    the approved applicants arriving with them (:func:`applicants_before`). Every draw is
    keyed by the borrower's or drawdown's id, so a chunk is what the whole book holds for
    those borrowers; ``rows`` (:func:`segment_rows`) may be given to skip rebuilding them.

    Underwriting, pricing and limits apply to new drawdowns from day 1 (applicants and
    redraws); the seasoned book, and what the burn-in originates, keep the book's terms.
    """
    check_segments(scenario)
    book = scenario.book
    segments = book.segments
    seed = scenario.monte_carlo.seed
    uw = scenario.policy.underwriting
    accuracy = uw.score_accuracy if uw else 0.5
    approve_share = uw.approve_share if uw else 1.0
    rows = rows if rows is not None else segment_rows(scenario)
    part = _draw(scenario, rows, b_hi - b_lo, b_lo, 0)
    n_seasoned_dd = len(part["principal"])
    n_app = applicants(scenario, n_borrowers)
    a_lo = applicants_before(b_lo, n_borrowers, n_app)
    a_hi = applicants_before(b_hi, n_borrowers, n_app)
    if a_hi > a_lo:
        fresh = _draw(scenario, rows, a_hi - a_lo, APPLICANT_KEYS + a_lo,
                      burn_in_days(scenario) + scenario.horizon_days)
        _, quantile = _scores(seed, fresh["borrower_id"], accuracy)
        # today's underwriting from day 1; the burn-in's applicants all came in
        before_day_1 = fresh["age"][fresh["start"][:-1]] >= 0
        part = _concat(part, _keep_borrowers(fresh, (quantile <= approve_share) | before_day_1))
        del fresh
    z, quantile = _scores(seed, part["borrower_id"], accuracy)
    seg = part["seg"]
    loading = np.array([s.score_pd_loading for s in segments])[seg]
    dd_seg = np.repeat(seg, np.diff(part["start"]))
    dd_borrower = np.repeat(np.arange(len(seg)), np.diff(part["start"]))
    seg_rates = np.array([s.daily_rate for s in segments])[dd_seg]
    terms = np.array([s.term_months for s in segments], np.int32)[dd_seg]
    methods = np.array([METHOD_CODE[s.method] for s in segments], np.int8)[dd_seg]
    # terms of new drawdowns under today's policy
    new_principal = _limited(part["principal"], part["income"][dd_borrower], uw)
    new_rates = _priced(seg_rates, quantile[dd_borrower], scenario)
    del dd_borrower
    is_new = (np.arange(len(new_principal)) >= n_seasoned_dd) & (part["age"] < 0)
    principal = np.where(is_new, new_principal, part["principal"])
    rates = np.where(is_new, new_rates, seg_rates)
    del is_new
    instalment = instalments(principal, rates, terms, methods)
    redraws = book.revolving.redraw_probability > 0
    if not redraws:
        redraw_instalment = np.zeros(0, np.int64)
    elif new_principal is part["principal"] and new_rates is seg_rates:
        redraw_instalment = instalment  # no limit and no pricing: today's terms are the book's
    else:
        redraw_instalment = instalments(new_principal, new_rates, terms, methods)
    return Book(
        borrower_start=part["start"],
        borrower_id=part["borrower_id"],
        segment=seg,
        income=part["income"],
        drawdown_id=part["drawdown_id"],
        principal=principal,
        daily_rate=rates,
        term=terms,
        method=methods,
        instalment=instalment,
        age=part["age"],
        dpd0=part["dpd0"],
        disbursed=part["disbursed"],
        pd_multiplier=np.exp(loading * z - loading**2 / 2),
        approved=(quantile <= approve_share).astype(np.int8),
        redraw_principal=new_principal if redraws else np.zeros(0, np.int64),
        redraw_rate=new_rates if redraws else np.zeros(0),
        redraw_instalment=redraw_instalment,
    )


def _limited(principal: np.ndarray, income: np.ndarray, uw) -> np.ndarray:
    """Principal capped at the underwriting limit (a multiple of monthly income), in whole
    hundreds of yuan, never below one hundred."""
    if uw is None or uw.limit_income_multiple is None:
        return principal
    step = book_draws.PRINCIPAL_STEP
    cap = np.floor(income * uw.limit_income_multiple / step) * step
    cap = np.maximum(cap, book_draws.PRINCIPAL_STEP).astype(np.int64) * MICRO
    return np.minimum(principal, cap)


def _priced(rates: np.ndarray, quantile: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Daily rate of new drawdowns: the grade's rate where pricing sets one."""
    pricing = scenario.policy.pricing
    if pricing is None:
        return rates
    grade = np.minimum((quantile * len(GRADES)).astype(np.int64), len(GRADES) - 1)
    table = np.array([pricing.grade_rates.get(g, np.nan) for g in GRADES])[grade]
    return np.where(np.isnan(table), rates, table)


def instalments(principal, rates, terms, methods) -> np.ndarray:
    """Each drawdown's fixed instalment, computed by ``schedule.instalment_micro`` once per
    distinct (principal, rate, term, method), so book and ledger round identically."""
    n = len(principal)
    if n == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort((methods, terms, rates, principal))
    cols = (principal[order], rates[order], terms[order], methods[order])
    new_group = np.ones(n, bool)
    new_group[1:] = np.any([c[1:] != c[:-1] for c in cols], axis=0)
    firsts = order[new_group]
    names = {code: name for name, code in METHOD_CODE.items()}
    values = np.array(
        [instalment_micro(int(principal[i]), float(rates[i]), int(terms[i]),
                          names[int(methods[i])]) for i in firsts],
        np.int64,
    )
    out = np.empty(n, np.int64)
    out[order] = values[np.cumsum(new_group) - 1]
    return out

