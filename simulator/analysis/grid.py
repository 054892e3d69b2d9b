"""The ``timeseries`` table laid out once on a dense path x day x segment grid.

Every figure of a run (the derived tables, the metrics studies aim at, the plots and the report)
reads the timeseries through :class:`Grid`: rows in any order, segments plain or
dictionary-encoded, each (path, day, segment) exactly once.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (sorted unique values, code of each value) for integer ``values``.

    Uses a presence table (linear time) when the range is compact, ``np.unique`` otherwise.
    """
    if values.size == 0:
        return values[:0].copy(), np.zeros(0, dtype=np.int64)
    lo = int(values.min())
    hi = int(values.max())
    span = hi - lo + 1
    if span <= 4 * values.size + 1024:
        offset = values.astype(np.int64) - lo
        present = np.bincount(offset, minlength=span) > 0
        uniques = np.flatnonzero(present) + lo
        mapping = np.cumsum(present) - 1
        return uniques.astype(values.dtype), mapping[offset]
    uniques, codes = np.unique(values, return_inverse=True)
    return uniques, codes.astype(np.int64)


def _segment_codes(column: pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """Return (segment names sorted, code of each row) for a string or dictionary column."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(pa.string())
    encoded = pc.dictionary_encode(column.combine_chunks())
    names = encoded.dictionary.to_pylist()
    raw = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    order = sorted(range(len(names)), key=lambda i: names[i])
    remap = np.empty(len(names), dtype=np.int64)
    remap[order] = np.arange(len(names))
    return [names[i] for i in order], remap[raw]


class Grid:
    """The timeseries on a dense (path, day, segment) grid.

    ``paths`` and ``days`` are the sorted values present, ``segments`` the sorted names and
    ``shape`` is ``(paths, days, segments)``. Raises ``ValueError`` when a column is missing,
    the table is empty, day 0 is missing, or a (path, day, segment) row is missing or repeated.
    """

    def __init__(self, timeseries: pa.Table) -> None:
        missing = [c for c in ("path", "day", "segment") if c not in timeseries.schema.names]
        if missing:
            raise ValueError(f"timeseries: missing column {missing[0]!r}")
        if timeseries.num_rows == 0:
            raise ValueError("timeseries: the table is empty")
        self.table = timeseries
        self.paths, path_code = _dense_codes(self._raw("path"))
        self.days, day_code = _dense_codes(self._raw("day"))
        self.segments, seg_code = _segment_codes(timeseries.column("segment"))
        p, d, s = len(self.paths), len(self.days), len(self.segments)
        if self.days[0] != 0:
            raise ValueError("timeseries: day 0 (the state at the start) is missing")
        self._key = (path_code * d + day_code) * s + seg_code
        counts = np.bincount(self._key, minlength=p * d * s)
        if counts.max() > 1:
            raise ValueError("timeseries: a (path, day, segment) row appears more than once")
        if counts.min() < 1 or timeseries.num_rows != p * d * s:
            raise ValueError(
                "timeseries: every path must have a row for every day and every segment "
                f"({p} paths x {d} days x {s} segments = {p * d * s} rows expected, "
                f"{timeseries.num_rows} found)"
            )
        self.shape = (p, d, s)
        self._book: dict[tuple[str, ...], np.ndarray] = {}

    def _raw(self, name: str) -> np.ndarray:
        if name not in self.table.schema.names:
            raise ValueError(f"timeseries: missing column {name!r}")
        return self.table.column(name).to_numpy()

    @property
    def horizon(self) -> int:
        """The last day."""
        return int(self.days[-1])

    def contiguous(self) -> bool:
        """True when every day 0..horizon is present (so a day is its own index)."""
        return len(self.days) == self.horizon + 1

    def sum(self, names: tuple[str, ...]) -> np.ndarray:
        """(P, D, S) float64 sum of the named columns, added in the order given."""
        rows = self._raw(names[0]).astype(np.float64, copy=True)
        for name in names[1:]:
            rows += self._raw(name)
        out = np.empty(self.table.num_rows, dtype=np.float64)
        out[self._key] = rows
        return out.reshape(self.shape)

    def book(self, names: tuple[str, ...] | str) -> np.ndarray:
        """(P, D) sum over segments of :meth:`sum` of ``names`` (one name or several), cached."""
        key = (names,) if isinstance(names, str) else tuple(names)
        if key not in self._book:
            self._book[key] = self.sum(key).sum(axis=2)
        return self._book[key]

    def day_index(self, day: int) -> int:
        """Index into ``days`` of ``day``; ``ValueError`` when the day is not in the run."""
        i = int(np.searchsorted(self.days, day))
        if i >= len(self.days) or self.days[i] != day:
            raise ValueError(f"timeseries: day {day} is not in the run")
        return i
