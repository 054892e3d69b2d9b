"""The plain-numpy peer of the portfolio kernel, runnable on its own.

The implementation lives in :mod:`simulator.bench` (so an installed package can run the suite);
this module re-exports it and times it on a small book::

    python benchmarks/numpy_peer.py [DRAWDOWNS]
"""

from __future__ import annotations

import sys
import time

from simulator.bench import PeerBook, peer_book, simulate_numpy

__all__ = ["PeerBook", "peer_book", "simulate_numpy"]


def main(drawdowns: int = 20_000, horizon: int = 365) -> None:
    import simulator

    scenario = simulator.load_scenario("scenarios/baseline.yaml", ["monte_carlo.paths=1"])
    book = peer_book(scenario, drawdowns)
    t0 = time.perf_counter()
    out = simulate_numpy(book, horizon, seed=scenario.monte_carlo.seed)
    dt = time.perf_counter() - t0
    n = len(book.principal)
    print(f"{n} drawdowns x {horizon} days: {dt:.3f} s, {n * horizon / dt:,.0f} drawdown-days/s, "
          f"charged off {int(out['charged_off'])}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
