"""The plain-numpy peer of the portfolio kernel, runnable on its own.

A vectorised numpy day-stepping version of the kernel's model, the suite's peer; run alone it
times itself on a small book::

    python -m simulator.bench.numpy_peer [DRAWDOWNS]
"""

from __future__ import annotations

import sys
import time
from typing import NamedTuple

import numpy as np


class PeerBook(NamedTuple):
    """Per-drawdown arrays for the numpy peer, drawn from the same synthetic book the kernel
    runs on (``inputs``). Money in int64 micro-yuan."""

    principal: np.ndarray  # int64: principal not yet due at day 0
    rate: np.ndarray  # float64: daily contract rate
    instalment: np.ndarray  # int64
    age: np.ndarray  # int64: days since disbursement at day 0
    dpd0: np.ndarray  # int64
    pd_month: np.ndarray  # float64: chance of missing a due date (the miss threshold)
    cure_daily: np.ndarray  # float64 [7] by bucket
    penalty_multiplier: float
    compound: bool
    charge_off_dpd: int
    inputs: object  # simulator.engine.inputs.KernelInputs of the same book


def _drawdowns_per_borrower(scenario) -> float:
    return float(sum(s.share * sum((i + 1) * p for i, p in enumerate(s.drawdowns))
                     for s in scenario.book.segments))


def peer_book(scenario, drawdowns: int) -> PeerBook:
    """A book of about ``drawdowns`` drawdowns from ``scenario``, for the peer and the kernel."""
    from simulator.book.inputs import kernel_inputs
    from simulator.book.synthetic import synthetic_book

    borrowers = max(1, round(drawdowns / _drawdowns_per_borrower(scenario)))
    book = synthetic_book(scenario, borrowers)
    inputs = kernel_inputs(scenario, book)
    counts = np.diff(book.borrower_start)
    seg = np.repeat(book.segment, counts)
    term = book.term.astype(np.int64)
    paid = np.minimum(book.age.astype(np.int64) // 30, term)
    left = book.principal * (term - paid) // np.maximum(term, 1)
    c = inputs.contract
    return PeerBook(
        principal=left.astype(np.int64), rate=book.daily_rate.astype(np.float64),
        instalment=book.instalment.astype(np.int64), age=book.age.astype(np.int64),
        dpd0=book.dpd0.astype(np.int64), pd_month=inputs.behaviour.base_pd[seg],
        cure_daily=inputs.macro.cure_daily[0, -1].astype(np.float64),  # a month after day 0
        penalty_multiplier=float(c.penalty_multiplier), compound=bool(c.compound_interest),
        charge_off_dpd=int(c.charge_off_dpd) if c.charge_off_dpd > 0 else 1 << 30,
        inputs=inputs,
    )


def simulate_numpy(book: PeerBook, horizon: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Step every drawdown day by day with whole-array numpy operations: daily interest in int64
    micro-yuan, a due date every 30 days with a miss draw against a threshold, penalty and
    compound interest on overdue balances, daily cure draws, charge-off; bucket counts by day."""
    rng = np.random.default_rng(seed)
    n = len(book.principal)
    prin = book.principal.copy()  # not yet due
    acc = np.zeros(n, np.int64)  # accrued interest, not yet due
    pd_prin = np.zeros(n, np.int64)  # past due principal
    pd_int = np.zeros(n, np.int64)  # past due interest
    pen = np.zeros(n, np.int64)
    com = np.zeros(n, np.int64)
    dpd = book.dpd0.copy()
    over = dpd > 0  # start overdue drawdowns with one instalment past due
    move = np.minimum(prin, book.instalment)
    pd_prin[over] = move[over]
    prin[over] -= move[over]
    live = prin + pd_prin > 0
    rate, pm = book.rate, book.penalty_multiplier
    buckets = np.zeros((horizon, 7), np.int64)
    paid = np.zeros(horizon, np.int64)
    charged = np.int64(0)
    for t in range(horizon):
        acc += np.where(live, np.floor(prin * rate + 0.5).astype(np.int64), 0)
        od = live & (dpd > 0)
        pen += np.where(od, np.floor(pd_prin * (rate * pm) + 0.5).astype(np.int64), 0)
        if book.compound:
            com += np.where(od, np.floor(pd_int * (rate * pm) + 0.5).astype(np.int64), 0)
        due = live & ((book.age + t + 1) % 30 == 0)
        part = np.where(due, np.minimum(prin, np.maximum(book.instalment - acc, 0)), 0)
        prin -= part
        pd_prin += part
        pd_int += np.where(due, acc, 0)
        acc = np.where(due, 0, acc)
        u = rng.random(n)
        miss = due & (u < book.pd_month)
        bucket = np.where(dpd > 0, np.minimum(6, (dpd - 1) // 30 + 1), 0)
        cure = od & ~due & (u < book.cure_daily[bucket])
        settle = (due & ~miss) | cure
        owed = pd_prin + pd_int + pen + com
        paid[t] = owed[settle].sum()
        for a in (pd_prin, pd_int, pen, com):
            a[settle] = 0
        dpd = np.where(settle, 0, np.where(od | miss, dpd + 1, dpd))
        co = live & (dpd > book.charge_off_dpd)
        charged += (prin + pd_prin)[co].sum()
        live &= ~co & (prin + pd_prin + pd_int + acc > 0)
        bucket = np.where(dpd > 0, np.minimum(6, (dpd - 1) // 30 + 1), 0)
        buckets[t] = np.bincount(bucket[live], minlength=7)
    return {"buckets": buckets, "paid": paid, "charged_off": charged}


# --------------------------------------------------------------------------- helpers


def main(drawdowns: int = 20_000, horizon: int = 365) -> None:
    import simulator

    scenario = simulator.load_scenario("scenarios/baseline.yaml",
                                       ["monte_carlo.paths=1", "book.burn_in_months=0"])
    book = peer_book(scenario, drawdowns)
    t0 = time.perf_counter()
    out = simulate_numpy(book, horizon, seed=scenario.monte_carlo.seed)
    dt = time.perf_counter() - t0
    n = len(book.principal)
    print(f"{n} drawdowns x {horizon} days: {dt:.3f} s, {n * horizon / dt:,.0f} drawdown-days/s, "
          f"charged off {int(out['charged_off'])}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
