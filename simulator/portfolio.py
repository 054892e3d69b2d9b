"""Synthetic loan books: the scenario's segments drawn into a struct of arrays.

Every draw is keyed by (book seed, borrower or drawdown id, field), so borrower ``i`` is the
same borrower whatever the book size or chunking, and a policy scenario and its baseline hold
the same book (common random numbers). The book is *seasoned*: drawdowns sit at different
ages, and those in arrears at day 0 got there by paying on time until their first missed due
date, so their balances, penalties and DPD are exactly what the contract gives (the kernel
replays that history before day 0).
"""

from __future__ import annotations

import math

import numpy as np

from simulator._numba import jit
from simulator.contract.money import MICRO
from simulator.contract.schedule import CALENDAR, METHOD_CODE, due_day, epoch_day, instalment_micro
from simulator.errors import InputError
from simulator.kernels import rng
from simulator.kernels.portfolio import Book
from simulator.scenario.schema import BUCKETS, Scenario

MAX_DRAWDOWNS = 10
PRINCIPAL_STEP = 100  # drawdowns are whole hundreds of yuan

# Fields of book draws (the ``event`` of the key).
_F_SEGMENT, _F_INCOME, _F_COUNT = 1, 2, 3
_F_PRINCIPAL, _F_BUCKET, _F_DPD, _F_AGE = 11, 12, 13, 14


@jit
def _amount(kind, a, b, lo, hi, u):
    """A draw of an Amount: kind 0 fixed a, 1 lognormal(median a, sigma b), 2 uniform(a, b)."""
    if kind == 0:
        x = a
    elif kind == 1:
        x = a * math.exp(b * rng.normal_ppf(u))
    else:
        x = a + (b - a) * u
    return min(max(x, lo), hi)


@jit
def _draw_book(seed, n_borrowers, seg_cum, income_p, count_cum, principal_p, bucket_cum,
               dpd_lo, dpd_hi, terms, period, as_of):
    """Draw borrowers and drawdowns. Per-segment parameter rows: income_p/principal_p are
    (kind, a, b, lo, hi); count_cum and bucket_cum are cumulative probabilities."""
    seg = np.empty(n_borrowers, np.int32)
    income = np.empty(n_borrowers)
    count = np.empty(n_borrowers, np.int64)
    for i in range(n_borrowers):
        u = rng.uniform(seed, rng.BOOK, 0, i, _F_SEGMENT)
        s = 0
        while s < seg_cum.shape[0] - 1 and u > seg_cum[s]:
            s += 1
        seg[i] = s
        ip = income_p[s]
        income[i] = _amount(int(ip[0]), ip[1], ip[2], ip[3], ip[4],
                            rng.uniform(seed, rng.BOOK, 0, i, _F_INCOME))
        u = rng.uniform(seed, rng.BOOK, 0, i, _F_COUNT)
        c = 0
        while c < count_cum.shape[1] - 1 and u > count_cum[s, c]:
            c += 1
        count[i] = c + 1
    start = np.zeros(n_borrowers + 1, np.int64)
    start[1:] = np.cumsum(count)
    n = start[-1]
    principal = np.empty(n, np.int64)
    age = np.empty(n, np.int32)
    dpd0 = np.empty(n, np.int32)
    disbursed = np.empty(n, np.int64)
    for i in range(n_borrowers):
        s = seg[i]
        pp = principal_p[s]
        term = terms[s]
        for d in range(start[i], start[i + 1]):
            x = _amount(int(pp[0]), pp[1], pp[2], pp[3], pp[4],
                        rng.uniform(seed, rng.BOOK, 1, d, _F_PRINCIPAL))
            principal[d] = max(1, int(x / PRINCIPAL_STEP + 0.5)) * PRINCIPAL_STEP * 1_000_000
            u = rng.uniform(seed, rng.BOOK, 1, d, _F_BUCKET)
            bk = 0
            while bk < 6 and u > bucket_cum[s, bk]:
                bk += 1
            u_age = rng.uniform(seed, rng.BOOK, 1, d, _F_AGE)
            if bk == 0:
                # current: any age before maturity (30-day periods: term * period days)
                first_guess = as_of - int(u_age * 30 * term)
                life = due_day(term, period, first_guess)
                a = int(u_age * life)
                dpd0[d] = 0
            else:
                k = 1 + int(u_age * term)
                lo, hi = dpd_lo[s, bk], dpd_hi[s, bk]
                target = lo + int(rng.uniform(seed, rng.BOOK, 1, d, _F_DPD) * (hi - lo + 1))
                guess = as_of - target - due_day(k, period, as_of - target - 30 * k)
                a = target + due_day(k, period, guess)
                dpd0[d] = a - due_day(k, period, as_of - a)
            age[d] = a
            disbursed[d] = as_of - a
    return seg, income, start, principal, age, dpd0, disbursed


def _amount_row(amount) -> list[float]:
    if amount.fixed is not None:
        return [0, amount.fixed, 0.0, amount.min, amount.max]
    if amount.lognormal is not None:
        return [1, amount.lognormal.median, amount.lognormal.sigma, amount.min, amount.max]
    return [2, amount.uniform.low, amount.uniform.high, amount.min, amount.max]


def dpd_range(bucket: int, charge_off_dpd: int | None) -> tuple[int, int]:
    """Initial DPD range of a bucket, kept below charge-off."""
    lo, hi = 30 * (bucket - 1) + 1, 30 * bucket
    if charge_off_dpd is not None:
        hi = min(hi, charge_off_dpd - 1)
    return lo, hi


def synthetic_book(scenario: Scenario, borrowers: int | None = None) -> Book:
    """Draw the scenario's book (``borrowers`` overrides ``book.borrowers``)."""
    book = scenario.book
    segments = book.segments
    if not segments:
        raise InputError("a synthetic book needs book.segments", path="book.segments")
    n = int(borrowers or book.borrowers)
    co = scenario.contract.charge_off_dpd
    seg_cum = np.cumsum([s.share for s in segments])
    seg_cum[-1] = 1.0
    width = max(len(s.drawdowns) for s in segments)
    if width > MAX_DRAWDOWNS:
        raise InputError(f"at most {MAX_DRAWDOWNS} drawdowns per borrower",
                         path="book.segments.drawdowns")
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
    period_code = CALENDAR if period == "calendar" else int(period)
    seg, income, start, principal, age, dpd0, disbursed = _draw_book(
        scenario.monte_carlo.seed, n, seg_cum,
        np.array([_amount_row(s.monthly_income) for s in segments], float),
        count_cum,
        np.array([_amount_row(s.principal) for s in segments], float),
        bucket_cum, dpd_lo, dpd_hi,
        np.array([s.term_months for s in segments], np.int64),
        period_code, epoch_day(scenario.as_of),
    )
    dd_seg = np.repeat(seg, np.diff(start))
    rates = np.array([s.daily_rate for s in segments])[dd_seg]
    terms = np.array([s.term_months for s in segments], np.int32)[dd_seg]
    methods = np.array([METHOD_CODE[s.method] for s in segments], np.int8)[dd_seg]
    return Book(
        borrower_start=start,
        borrower_id=np.arange(n, dtype=np.int64),
        segment=seg,
        income=income,
        drawdown_id=np.arange(start[-1], dtype=np.int64),
        principal=principal,
        daily_rate=rates,
        term=terms,
        method=methods,
        instalment=instalments(principal, rates, terms, methods),
        age=age,
        dpd0=dpd0,
        disbursed=disbursed,
    )


def instalments(principal, rates, terms, methods) -> np.ndarray:
    """Each drawdown's fixed instalment, computed by ``schedule.instalment_micro`` once per
    distinct (principal, rate, term, method), so book and ledger round identically."""
    keys = np.rec.fromarrays([principal, rates, terms, methods])
    uniq, inverse = np.unique(keys, return_inverse=True)
    names = {code: name for name, code in METHOD_CODE.items()}
    values = np.array(
        [instalment_micro(int(p), float(r), int(n), names[int(m)]) for p, r, n, m in uniq],
        np.int64,
    )
    return values[inverse.ravel()]


def book_principal(book: Book) -> int:
    """Total principal disbursed, micro-yuan."""
    return int(book.principal.sum())


def describe(book: Book) -> str:
    n_b = len(book.borrower_id)
    n_d = len(book.principal)
    return (f"{n_b:,} borrowers, {n_d:,} drawdowns, "
            f"{book.principal.sum() / MICRO:,.0f} yuan disbursed")
