"""A hand-made timeseries table: every registry column zero unless set, for known answers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from simulator.results.registry import TIMESERIES


def table(paths: int, days: int, segments: list[str], **columns: np.ndarray) -> pa.Table:
    """``columns[name]`` is a (paths, days, segments) array (or broadcasts to one)."""
    shape = (paths, days, len(segments))
    p, d, s = np.meshgrid(np.arange(paths), np.arange(days), np.arange(len(segments)),
                          indexing="ij")
    data = {}
    for col in TIMESERIES:
        if col.name == "path":
            data["path"] = pa.array(p.ravel().astype(np.int32))
        elif col.name == "day":
            data["day"] = pa.array(d.ravel().astype(np.int32))
        elif col.name == "segment":
            data["segment"] = pa.array([segments[i] for i in s.ravel()])
        else:
            v = np.broadcast_to(np.asarray(columns.pop(col.name, 0)), shape).ravel()
            data[col.name] = pa.array(v.astype(np.int64 if pa.types.is_integer(col.type)
                                               else np.float64))
    assert not columns, f"unknown columns {sorted(columns)}"
    return pa.table(data)
