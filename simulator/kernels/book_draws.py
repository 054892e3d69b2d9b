"""Synthetic books' draws: borrowers (segment, income, drawdown count), drawdowns (principal,
arrears bucket, age) and risk scores, each keyed by (book seed, borrower or drawdown id, field)
so a borrower is the same whatever the book size or chunking: a drawdown's id is its
borrower's id and its number within the borrower."""

from __future__ import annotations

import math

from simulator.contract.money import MICRO
from simulator.kernels import rng
from simulator.kernels.calendar import due_day
from simulator.kernels.jit import jit

PRINCIPAL_STEP = 100  # drawdowns are whole hundreds of yuan
# A borrower's drawdown j is keyed borrower key * DRAWDOWN_KEYS + j: it depends on the borrower
# alone, not on how many drawdowns the borrowers before it hold, so any chunk draws it alike.
DRAWDOWN_KEYS = 10

# Fields of book draws (the ``event`` of the key).
_F_SEGMENT, _F_INCOME, _F_COUNT = 1, 2, 3
_F_PRINCIPAL, _F_BUCKET, _F_DPD, _F_AGE = 11, 12, 13, 14


@jit
def amount(kind, a, b, lo, hi, u):
    """A draw of an Amount: kind 0 fixed a, 1 lognormal(median a, sigma b), 2 uniform(a, b)."""
    if kind == 0:
        x = a
    elif kind == 1:
        x = a * math.exp(b * rng.normal_ppf(u))
    else:
        x = a + (b - a) * u
    return min(max(x, lo), hi)


@jit
def draw_borrowers(seed, seg_cum, income_p, count_cum, id_offset, seg, income, count):
    for i0 in range(seg.shape[0]):
        i = i0 + id_offset
        u = rng.uniform(seed, rng.BOOK, 0, i, _F_SEGMENT)
        s = 0
        while s < seg_cum.shape[0] - 1 and u > seg_cum[s]:
            s += 1
        seg[i0] = s
        ip = income_p[s]
        income[i0] = amount(int(ip[0]), ip[1], ip[2], ip[3], ip[4],
                             rng.uniform(seed, rng.BOOK, 0, i, _F_INCOME))
        u = rng.uniform(seed, rng.BOOK, 0, i, _F_COUNT)
        c = 0
        while c < count_cum.shape[1] - 1 and u > count_cum[s, c]:
            c += 1
        count[i0] = c + 1


@jit
def draw_drawdowns(seed, principal_p, bucket_cum, dpd_lo, dpd_hi, terms, period, as_of,
                    id_offset, arrival_days, seg, start, principal, age, dpd0, disbursed):
    for i in range(seg.shape[0]):
        s = seg[i]
        pp = principal_p[s]
        term = terms[s]
        arrival = 1 + int(rng.uniform(seed, rng.BOOK, 0, i + id_offset, _F_AGE) * arrival_days)
        for d in range(start[i], start[i + 1]):
            key = (i + id_offset) * DRAWDOWN_KEYS + (d - start[i])
            x = amount(int(pp[0]), pp[1], pp[2], pp[3], pp[4],
                        rng.uniform(seed, rng.BOOK, 1, key, _F_PRINCIPAL))
            principal[d] = max(1, int(x / PRINCIPAL_STEP + 0.5)) * PRINCIPAL_STEP * MICRO
            u = rng.uniform(seed, rng.BOOK, 1, key, _F_BUCKET)
            bk = 0
            while bk < 6 and u > bucket_cum[s, bk]:
                bk += 1
            u_age = rng.uniform(seed, rng.BOOK, 1, key, _F_AGE)
            if arrival_days > 0:  # an applicant's new drawdown, disbursed on arrival
                a = -arrival
                dpd0[d] = 0
            elif bk == 0:
                # current: any age before maturity (30-day periods: term * period days)
                first_guess = as_of - int(u_age * 30 * term)
                life = due_day(term, period, first_guess)
                a = int(u_age * life)
                dpd0[d] = 0
            else:
                k = 1 + int(u_age * term)
                lo, hi = dpd_lo[s, bk], dpd_hi[s, bk]
                target = lo + int(rng.uniform(seed, rng.BOOK, 1, key, _F_DPD) * (hi - lo + 1))
                guess = as_of - target - due_day(k, period, as_of - target - 30 * k)
                a = target + due_day(k, period, guess)
                dpd0[d] = a - due_day(k, period, as_of - a)
            age[d] = a
            disbursed[d] = as_of - a


@jit
def fill_scores(seed, borrower_ids, accuracy, z, q):
    other = math.sqrt(1.0 - accuracy * accuracy)
    for i in range(borrower_ids.shape[0]):
        z[i] = rng.standard_normal(seed, rng.SCORE, 0, borrower_ids[i], 0)
        noise = rng.standard_normal(seed, rng.SCORE, 0, borrower_ids[i], 1)
        q[i] = rng.normal_cdf(accuracy * z[i] + other * noise)
