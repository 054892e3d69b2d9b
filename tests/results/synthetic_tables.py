"""Run tables for tests: random but valid ones for the writer and reader, and sparse ones written
by hand for known-answer tests of the derived figures."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from simulator.analysis.summary import derive_tables
from simulator.engine.tables import vintages_table
from simulator.kernels import layout as L
from simulator.results.registry import TIMESERIES


def random_run_tables(seed: int, n_paths: int, n_days: int, segments: list[str],
                      money_cents_max: int, dictionary: bool) -> dict[str, pa.Table]:
    """A random timeseries with every registry column, and the tables derived from it."""
    rng = np.random.default_rng(seed)
    n = n_paths * n_days * len(segments)
    cols = {}
    for c in TIMESERIES:
        if c.name == "path":
            cols[c.name] = pa.array(np.repeat(np.arange(n_paths), n_days * len(segments)), c.type)
        elif c.name == "day":
            day = np.tile(np.repeat(np.arange(n_days), len(segments)), n_paths)
            cols[c.name] = pa.array(day, c.type)
        elif c.name == "segment":
            seg = pa.array(segments * (n // len(segments)), c.type)
            cols[c.name] = seg.dictionary_encode() if dictionary else seg
        elif pa.types.is_integer(c.type):
            cols[c.name] = pa.array(rng.integers(0, 1000, n), c.type)
        else:
            cols[c.name] = pa.array(rng.integers(0, money_cents_max, n) / 100, c.type)
    # the vintage block of a random aggregate of the same size
    horizon = n_days - 1
    agg = rng.integers(0, money_cents_max, (n_paths, n_days, len(segments),
                                            L.N_METRICS + L.vintage_columns(horizon,
                                                                            len(segments))))
    return derive_tables(pa.table(cols)) | {"vintages": vintages_table(agg * 10_000)}


def timeseries_from_rows(rows: list[dict], dictionary_segment: bool = False) -> pa.Table:
    """A timeseries table from sparse rows: every column not given is 0."""
    cols = {}
    for c in TIMESERIES:
        if c.name == "segment":
            arr = pa.array([r["segment"] for r in rows], pa.string())
            cols[c.name] = arr.dictionary_encode() if dictionary_segment else arr
        else:
            cols[c.name] = pa.array([r.get(c.name, 0) for r in rows], c.type)
    return pa.table(cols)
