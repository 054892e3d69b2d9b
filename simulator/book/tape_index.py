"""A loan tape's index: one pass over its parts on the client, before any task runs.

The pass reads the tape part by part (a Parquet row group, a block of CSV lines; see
:mod:`simulator.book.tape_parts`), so memory holds one batch of rows at a time, and:

- checks every row of the part (naming the file, the file's row and the column), so a bad tape
  is refused with exit 2 before anything is simulated;
- keeps what checks on the whole tape need, summed part by part: the segments in order of first
  appearance with their per-segment values, the book's int64 money bound (each drawdown's part
  summed, the largest principal-days), and for each borrower its id, its number of rows
  (saturating at 255) and a 64-bit digest of its segment, income and PD: 17 bytes a borrower
  (about twice that while rows are merged in), so a borrower whose rows lie in several parts
  or files is checked as one (at most 10 drawdowns, one segment, income and PD);
- records each part's smallest and largest borrower id.

Borrowers are then ordered by id and cut into chunks of the run's chunk size; the index keeps
only the first id of each chunk and each part's id range, so what the plan carries (and Dask
sends to every worker) grows with the number of parts and chunks, not with the rows. A task
(:mod:`simulator.book.tape_chunk`) reads just the parts whose id range meets its chunk's and
keeps its borrowers' rows. A tape written in borrower order (sorted or grouped, as exports
usually are) thus has each task read about its own share of the file; in a tape whose
borrowers are spread everywhere every part meets every chunk, and each task reads the whole
tape to keep its rows (sort such a tape by ``borrower_id`` once for large runs).

The per-borrower digest finds a borrower whose rows disagree up front; the task then checks
its borrowers' rows exactly, so a digest collision (about 2**-64 a pair) is still refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from simulator.book.money import money_parts, refuse_tape_money
from simulator.book.tape import (
    OPTIONAL,
    SegmentParams,
    check_columns,
    micro_principal,
    part_columns,
)
from simulator.book.tape_parts import (
    Part,
    columns_of,
    fail,
    file_stamp,
    iter_parts,
    read_part,
    tape_files,
)
from simulator.errors import InputError
from simulator.kernels.portfolio import Book
from simulator.scenario import bounds as B
from simulator.scenario.bounds import MONEY_LIMIT_MICRO

_SATURATE = 255  # rows a borrower is counted up to (more than MAX_DRAWDOWNS is refused anyway)


class TapeIndex(NamedTuple):
    """Where a tape's borrowers lie, and its segments: no per-row or per-borrower arrays."""

    tape: str
    stamps: dict[str, tuple[int, int]]  # file: (size, modification ns) when indexed
    parts: tuple[Part, ...]
    part_min: np.ndarray  # int64 [parts]: smallest borrower id in the part
    part_max: np.ndarray  # int64 [parts]: largest
    chunk: int  # borrowers per chunk, in order of borrower id
    starts: np.ndarray  # int64 [chunks]: the smallest borrower id of each chunk
    n_borrowers: int
    n_drawdowns: int
    segments: SegmentParams

    def id_range(self, b_lo: int, b_hi: int) -> tuple[int, int | None]:
        """Borrower ids ``[lo, hi)`` of the borrowers ``[b_lo, b_hi)`` (in id order); hi None:
        to the last. Both ends must fall on chunk boundaries."""
        k0, k1 = b_lo // self.chunk, -(-b_hi // self.chunk)
        if b_lo != k0 * self.chunk or b_hi != min(k1 * self.chunk, self.n_borrowers):
            raise ValueError(f"borrowers [{b_lo}, {b_hi}) are not whole chunks of "
                             f"{self.chunk} (the tape was indexed for that chunk size)")
        return int(self.starts[k0]), (int(self.starts[k1]) if k1 < len(self.starts) else None)

    def parts_for(self, lo: int, hi: int | None) -> list[int]:
        """The parts that may hold borrower ids in ``[lo, hi)``."""
        meets = self.part_max >= lo
        if hi is not None:
            meets &= self.part_min < hi
        return [int(i) for i in np.flatnonzero(meets)]


def _digest(code: np.ndarray, income: np.ndarray, base_pd: np.ndarray) -> np.ndarray:
    """A 64-bit mix (splitmix64's finaliser) of what must be equal on every row of a borrower."""
    with np.errstate(over="ignore"):
        h = (income.astype(np.float64).view(np.uint64)
             ^ (base_pd.astype(np.float64).view(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
             ^ (code.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)))
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def _reduce(ids: np.ndarray, digests: np.ndarray, rows: np.ndarray):
    """Per distinct id, in order: its digest, its rows added (saturating), and the ids seen with
    two digests."""
    order = np.argsort(ids, kind="stable")
    ids, digests = ids[order], digests[order]
    new = np.ones(len(ids), bool)
    new[1:] = ids[1:] != ids[:-1]
    differs = np.zeros(len(ids), bool)
    differs[1:] = ~new[1:] & (digests[1:] != digests[:-1])
    at = np.flatnonzero(new)
    summed = np.add.reduceat(rows[order].astype(np.int64), at) if len(at) else rows
    return ids[at], digests[at], np.minimum(summed, _SATURATE).astype(np.uint8), ids[differs]


class _Borrowers:
    """Each borrower's (id, digest, rows) over the rows seen: a sorted table that the rows of
    a few parts at a time are merged into (updated in place, new ids inserted), so it costs
    about twice its 17 bytes a borrower at its peak."""

    def __init__(self) -> None:
        self.ids = np.zeros(0, np.int64)
        self.digests = np.zeros(0, np.uint64)
        self.rows = np.zeros(0, np.uint8)
        self.bad: list[np.ndarray] = []  # ids whose rows disagree
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        self.pending_len = 0

    def add(self, ids: np.ndarray, digests: np.ndarray) -> None:
        self.pending.append((ids, digests))
        self.pending_len += len(ids)
        if self.pending_len > max(len(self.ids) // 4, 1 << 20):
            self._merge()

    def _merge(self) -> None:
        if not self.pending:
            return
        ids, digests, rows, bad = _reduce(np.concatenate([p[0] for p in self.pending]),
                                          np.concatenate([p[1] for p in self.pending]),
                                          np.ones(self.pending_len, np.uint8))
        self.pending, self.pending_len = [], 0
        self.bad.append(bad)
        pos = np.searchsorted(self.ids, ids)
        found = pos < len(self.ids)
        found[found] = self.ids[pos[found]] == ids[found]
        at = pos[found]
        self.bad.append(ids[found][self.digests[at] != digests[found]])
        self.rows[at] = np.minimum(self.rows[at].astype(np.int64) + rows[found], _SATURATE)
        fresh = ~found
        self.ids = np.insert(self.ids, pos[fresh], ids[fresh])
        self.digests = np.insert(self.digests, pos[fresh], digests[fresh])
        self.rows = np.insert(self.rows, pos[fresh], rows[fresh])

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids in order, and those of borrowers whose rows disagree or are too many)."""
        self._merge()
        ids, rows = self.ids, self.rows
        self.ids, self.digests, self.rows = ids[:0], self.digests[:0], rows[:0]
        return ids, np.union1d(np.concatenate(self.bad), ids[rows > B.MAX_DRAWDOWNS])


class _Segments:
    """Segments in order of first appearance, with their per-segment values (first row's)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.code: dict[str, int] = {}
        self.values: dict[str, list[float]] = {c: [] for c in OPTIONAL}

    def codes(self, path, cols: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
        """Each row's segment code; refuses a per-segment value that differs from the
        segment's first row's."""
        names, first, inverse = np.unique(cols["segment"], return_index=True,
                                          return_inverse=True)
        for i in np.argsort(first, kind="stable"):
            name = str(names[i])
            if name not in self.code:
                self.code[name] = len(self.names)
                self.names.append(name)
                for c in OPTIONAL:
                    self.values[c].append(float(cols[c][first[i]]))
        codes = np.array([self.code[str(n)] for n in names], np.int32)[inverse.ravel()]
        for c in OPTIONAL:
            bad = np.flatnonzero(cols[c] != np.array(self.values[c])[codes])
            if len(bad):
                fail(path, f"must be the same for every row of segment "
                     f"{self.names[codes[bad[0]]]!r}", c, int(rows[bad[0]]))
        return codes

    def params(self) -> SegmentParams:
        return SegmentParams(
            names=tuple(self.names),
            base_pd=np.ones(len(self.names)),  # the borrower's own base_pd is its multiplier
            other_debt_service_ratio=np.array(self.values["other_debt_service_ratio"]),
            unemployment_beta=np.array(self.values["unemployment_beta"]),
        )


def money_book(scenario, cols: dict[str, np.ndarray], principal: np.ndarray) -> Book:
    """The drawdown fields the int64 money bound reads, of a tape's rows."""
    redraws = scenario.book.revolving.redraw_probability > 0  # a redraw repeats the row's terms
    none = np.zeros(0, np.int64)
    return Book(none, none, none, none, none, principal, cols["daily_rate"],
                cols["term_months"], none, none, cols["age_days"], none, none,
                redraw_principal=principal if redraws else none,
                redraw_rate=cols["daily_rate"] if redraws else np.zeros(0))


def index_tape(scenario, chunk: int | None = None) -> TapeIndex:
    """Read and check ``book.tape`` part by part and index its borrowers into chunks of
    ``chunk`` borrowers in order of id (None: one chunk)."""
    tape = Path(scenario.book.tape)
    segments, borrowers = _Segments(), _Borrowers()
    parts: list[Part] = []
    part_min, part_max = [], []
    stamps = {}
    money, principal_days, principal_sum = 0.0, 0.0, 0.0
    n_drawdowns = 0
    for path in tape_files(tape):
        check_columns(path, columns_of(path))
        stamps[str(path)] = file_stamp(path)
        for part, batches in iter_parts(path):
            lo, hi = np.iinfo(np.int64).max, -1
            for row0, table in batches:
                rows = np.arange(row0, row0 + table.num_rows, dtype=np.int64)
                cols = part_columns(path, table, rows, scenario)
                codes = segments.codes(path, cols, rows)
                ids = cols["borrower_id"]
                borrowers.add(ids, _digest(codes, cols["monthly_income"], cols["base_pd"]))
                principal = micro_principal(cols["principal"])
                each, days = money_parts(scenario, money_book(scenario, cols, principal))
                money += float(each.sum())
                principal_days = max(principal_days, float(days.max(initial=0.0)))
                principal_sum += float(principal.sum(dtype=np.float64))
                n_drawdowns += table.num_rows
                lo, hi = min(lo, int(ids.min())), max(hi, int(ids.max()))
            parts.append(part)
            part_min.append(lo)
            part_max.append(hi)
    if not parts:
        fail(tape, "the loan tape has no rows")
    ids, bad = borrowers.finish()
    if len(bad):
        _locate_bad_borrower(scenario, parts, bad)
    total = max(money, principal_days)
    if total > MONEY_LIMIT_MICRO:
        refuse_tape_money(scenario, n_drawdowns, principal_sum, total)
    for shock in scenario.shocks:
        if shock.income is not None and shock.income.segments:
            for name in shock.income.segments:
                if name not in segments.code:
                    raise InputError(f"unknown segment {name!r}; the tape has "
                                     + ", ".join(map(repr, segments.names)),
                                     path="shocks.income.segments")
    if scenario.book.revolving.new_borrowers_monthly > 0:
        raise InputError("new applicants are drawn from book.segments; a loan tape has none, "
                         "so set new_borrowers_monthly to 0", path="book.revolving")
    size = len(ids) if chunk is None else max(1, int(chunk))
    return TapeIndex(
        tape=str(tape), stamps=stamps, parts=tuple(parts),
        part_min=np.array(part_min, np.int64), part_max=np.array(part_max, np.int64),
        chunk=size, starts=ids[::size].copy(), n_borrowers=len(ids),
        n_drawdowns=n_drawdowns, segments=segments.params(),
    )


def _locate_bad_borrower(scenario, parts: list[Part], bad: np.ndarray) -> None:
    """Name the first row, in tape order, that makes a borrower too many drawdowns or differs
    from the borrower's first row (a second pass, over the bad borrowers only)."""
    first: dict[int, tuple] = {}
    seen: dict[int, int] = {}
    for part, row0, table in ((p, r, t) for p in parts for r, t in read_part(p)):
        rows = np.arange(row0, row0 + table.num_rows, dtype=np.int64)
        cols = part_columns(part.file, table, rows, scenario, checks=False)
        for k in np.flatnonzero(np.isin(cols["borrower_id"], bad)):
            b = int(cols["borrower_id"][k])
            values = {c: cols[c][k] for c in ("monthly_income", "base_pd", "segment")}
            seen[b] = seen.get(b, 0) + 1
            if seen[b] > B.MAX_DRAWDOWNS:
                fail(part.file, f"a borrower holds more than {B.MAX_DRAWDOWNS} drawdowns",
                     "borrower_id", int(rows[k]))
            if b not in first:
                first[b] = values
                continue
            for c, v in values.items():
                if v != first[b][c]:
                    fail(part.file, "must be the same on every row of a borrower", c,
                         int(rows[k]))
    raise AssertionError("a borrower's rows disagreed, but no row was found")
