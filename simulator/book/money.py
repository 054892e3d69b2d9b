"""Does a book's money fit int64 micro-yuan? Checked for a tape as its parts are read, and for each
chunk of a synthetic book as its task draws it, before its paths are simulated: the kernel sums
money exactly in int64, and a sum past 2**63 would wrap to a negative balance without a word."""

from __future__ import annotations

import numpy as np

from simulator.contract.money import MICRO, to_micro
from simulator.errors import InputError
from simulator.kernels.portfolio import Book
from simulator.scenario.bounds import (
    MONEY_LIMIT_MICRO,
    charge_factor,
    money_limit_factor,
    principal_days_factor,
    redraw_cycles,
)
from simulator.scenario.schema import Scenario


def money_parts(scenario: Scenario, book: Book) -> tuple[np.ndarray, np.ndarray]:
    """Each drawdown's most money in one path's aggregate
    (:func:`~simulator.scenario.bounds.money_limit_factor`) and its own principal-days
    (:func:`~simulator.scenario.bounds.principal_days_factor`), micro-yuan as floats: a
    book's bound sums the first and takes the largest of the second, so parts of a book
    (a tape read part by part) add up to the whole."""
    redraws = scenario.book.revolving.redraw_probability > 0 and len(book.redraw_principal) > 0
    principal = book.principal.astype(np.float64)
    rate = book.daily_rate
    if redraws:  # a redraw is drawn on today's terms, which may differ from the book's
        principal = np.maximum(principal, book.redraw_principal.astype(np.float64))
        rate = np.maximum(rate, book.redraw_rate)
    period = scenario.contract.schedule_period
    cycles = redraw_cycles(scenario.horizon_days, None if period == "calendar" else period) \
        if redraws else 1
    restructuring = scenario.policy.restructuring
    extra = restructuring.extra_months if restructuring is not None else 0
    days = scenario.horizon_days + np.maximum(book.age, 0).astype(np.float64)  # disbursed..end
    factor = money_limit_factor(
        daily_rate=rate, penalty_multiplier=scenario.contract.penalty_multiplier, days=days,
        term_months=book.term.astype(np.float64), extra_months=extra, redraw_cycles=cycles,
        capitalises=restructuring is not None,
    )
    legal = scenario.policy.legal
    per_case = to_micro(legal.cost_per_case) if legal is not None else 0
    fees = (to_micro(scenario.contract.late_fee) * (book.term.astype(np.float64) + extra)
            + per_case) * cycles
    each = principal * factor + fees
    g = charge_factor(daily_rate=rate, penalty_multiplier=scenario.contract.penalty_multiplier,
                      days=days, term_months=book.term.astype(np.float64), extra_months=extra)
    principal_days = principal * principal_days_factor(
        g=g, capitalises=restructuring is not None, days=days)
    return each, principal_days


def book_money_bound(scenario: Scenario, book: Book) -> tuple[float, np.ndarray]:
    """The most any int64 money sum can reach (micro-yuan, a float): an aggregate of one path
    or one drawdown's principal-days (:func:`money_parts`); and each drawdown's part."""
    each, principal_days = money_parts(scenario, book)
    # the larger of the book's summed money and one drawdown's principal-days
    need = max(float(each.sum()), float(principal_days.max(initial=0.0)))
    return need, np.maximum(each, principal_days)


def check_money_fits(scenario: Scenario, book: Book, segment_names: tuple[str, ...],
                     part: str = "the book") -> None:
    """Refuse (InputError, exit 2) a book whose money could overflow int64 micro-yuan.

    A task checks its own chunk of a synthetic book (``part`` names it): a task's aggregates
    are sums over its chunk. The sums over the whole book are checked exactly as the chunks'
    aggregates are added up (:func:`simulator.engine.tasks.add_exact`) and as running totals
    are taken over days (:mod:`simulator.engine.tables`)."""
    total, each = book_money_bound(scenario, book)
    if total <= MONEY_LIMIT_MICRO:
        return
    if scenario.book.tape is not None:
        refuse_tape_money(scenario, len(book.principal), book.principal.sum(dtype=np.float64),
                          total)
    seg = np.repeat(book.segment, np.diff(book.borrower_start))
    worst = int(np.argmax(np.bincount(seg, weights=each, minlength=len(segment_names))))
    _refuse(scenario, part, len(book.principal), book.principal.sum(dtype=np.float64), total,
            f"book.segments[{worst}].principal",
            f"lower --chunk-size, book.borrowers or the principal of segment "
            f"{segment_names[worst]!r}, or shorten horizon_days")


def refuse_tape_money(scenario: Scenario, drawdowns: int, principal: float,
                      total: float) -> None:
    """Refuse a tape whose summed bound (``total``, micro-yuan) passed the limit; ``principal``
    is its drawdowns' principal in micro-yuan."""
    _refuse(scenario, "the book", drawdowns, principal, total, "book.tape",
            "split the tape, or shorten horizon_days")


def _refuse(scenario: Scenario, part: str, drawdowns: int, principal: float, total: float,
            path: str, advice: str) -> None:
    raise InputError(
        f"the book's money does not fit the simulator's exact arithmetic: {part} holds "
        f"{drawdowns:,} drawdowns of {principal / MICRO:,.0f} yuan with every "
        f"charge, fee and redraw over {scenario.horizon_days} days could reach "
        f"{total / MICRO:,.0f} yuan in one exact sum (a path's total, or one drawdown's "
        f"principal x days), above the {MONEY_LIMIT_MICRO / MICRO:,.0f} that int64 micro-yuan "
        f"hold with headroom; {advice}",
        path=path,
    )
