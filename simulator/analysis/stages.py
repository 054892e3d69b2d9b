"""The quarterly IFRS 9 stage-transfer matrix, from the timeseries' transfer columns.

The kernel counts, on each quarter end (days 90, 180, ...), every drawdown on book at the
quarter's start (day 0 for the first) or disbursed in it, from its stage then to its stage at
the quarter end, or to charged off or repaid, with its principal at the quarter's start
(``simulator.kernels.layout`` TRANSFER_*; stages by the 30 and 90 DPD backstops, restructured
drawdowns in Stage 2). Here they become one matrix per path and quarter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.analysis.grid import Grid
from simulator.kernels.layout import QUARTER_DAYS
from simulator.results.registry import STAGE_FROM, STAGE_TO, transfer_columns


@dataclass(frozen=True)
class Transfers:
    """``counts`` and ``principal`` (yuan) are ``[path, quarter, from, to]``: from
    ``STAGE_FROM`` (new in the quarter, Stage 1, 2, 3 at its start), to ``STAGE_TO`` (Stage 1,
    2, 3 at its end, charged off, repaid); ``quarter_days`` the quarter ends in the run."""

    quarter_days: np.ndarray
    counts: np.ndarray
    principal: np.ndarray

    def shares(self, what: str = "principal") -> np.ndarray:
        """Each row over its total (``counts`` or ``principal``); NaN for an empty row."""
        x = self.counts if what == "counts" else self.principal
        total = x.sum(axis=3, keepdims=True)
        return np.divide(x, total, out=np.full(x.shape, np.nan), where=total > 0)

    def median_shares(self, what: str = "principal") -> np.ndarray:
        """``[quarter, from, to]``: the median over the paths whose row is not empty (NaN
        where none is)."""
        return nanmedian_paths(self.shares(what))


def nanmedian_paths(x: np.ndarray) -> np.ndarray:
    """Median over axis 0 of the finite values; NaN where there are none (no warning)."""
    out = np.full(x.shape[1:], np.nan)
    seen = np.isfinite(x).any(axis=0)
    if seen.any():
        out[seen] = np.nanmedian(x[:, seen], axis=0)
    return out


def transfers(g: Grid) -> Transfers:
    """The run's quarterly transfers, summed over segments."""
    days = np.array([d for d in g.days if d >= QUARTER_DAYS and d % QUARTER_DAYS == 0],
                    np.int64)
    idx = [g.day_index(int(d)) for d in days]
    shape = (g.shape[0], len(days), len(STAGE_FROM), len(STAGE_TO))

    def matrix(kind: str) -> np.ndarray:
        cols = [g.book(name)[:, idx] for name in transfer_columns(kind)]
        return np.stack(cols, axis=-1).reshape(shape)

    return Transfers(quarter_days=days, counts=matrix("n"), principal=matrix("principal"))
