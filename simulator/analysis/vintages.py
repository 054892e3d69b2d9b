"""Vintage curves from a run's ``vintages`` table: each origination month's rates by months on
book, per path (the rates themselves are defined in :mod:`simulator.analysis.figures`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from simulator.analysis.figures import VINTAGE_RATES


@dataclass(frozen=True)
class VintageCurves:
    """``rates[name]`` is (paths, vintages, months on book), NaN where a vintage has not yet
    reached that age or disbursed nothing; ``disbursed`` is (paths, vintages), yuan. Vintage
    0 is the book on day 0 (its "months on book" are months of the horizon)."""

    vintages: np.ndarray  # (vintages,): 0, 1, 2, ...
    disbursed: np.ndarray
    rates: dict[str, np.ndarray]

    @classmethod
    def from_table(cls, table: pa.Table) -> VintageCurves:
        col = {n: table.column(n).to_numpy() for n in table.column_names}
        path, v, mob = col["path"], col["vintage"], col["months_on_book"]
        n_p, n_v = int(path.max()) + 1, int(v.max()) + 1
        disbursed = np.zeros((n_p, n_v))
        disbursed[path, v] = col["disbursed_principal"]
        rates = {}
        for name in VINTAGE_RATES:
            x = np.full((n_p, n_v, n_v), np.nan)
            x[path, v, mob] = col[name]
            rates[name] = x
        return cls(np.arange(n_v), disbursed, rates)

    def months_observed(self, vintage: int) -> int:
        """The months on book the run shows of ``vintage`` (0 included)."""
        return int(np.isfinite(self.rates["dpd30_rate"][:, vintage, :]).any(axis=0).sum())
