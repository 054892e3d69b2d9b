"""A task's borrowers read from a loan tape: just the parts that may hold them, just their rows.

The index (:mod:`simulator.book.tape_index`) gives the chunk's borrower ids ``[lo, hi)`` and
the parts whose id range meets it; each part is read, its ``borrower_id`` column checked, and
only the chunk's rows converted and kept, in tape order (files in order, rows in order), so a
borrower's drawdowns are numbered as in a whole read. Memory: one batch of a part's rows and
the chunk's rows.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from simulator.book.tape import (
    SegmentParams,
    borrower_ids,
    drawdown_keys,
    micro_principal,
    part_columns,
)
from simulator.book.tape_index import TapeIndex, index_tape
from simulator.book.tape_parts import fail, file_stamp, read_part
from simulator.contract.schedule import METHOD_CODE, epoch_day
from simulator.kernels.portfolio import Book
from simulator.scenario import bounds as B


def read_chunk_rows(index: TapeIndex, scenario, lo: int, hi: int | None):
    """The rows of borrower ids ``[lo, hi)``: their columns, each row's file and row there."""
    pieces, where = [], []
    checked: set[str] = set()
    for i in index.parts_for(lo, hi):
        part = index.parts[i]
        if part.file not in checked:  # the rows must be those the index checked
            if file_stamp(part.file) != index.stamps[part.file]:
                fail(part.file, "the loan tape changed after the run read it; run again")
            checked.add(part.file)
        for row0, table in read_part(part):
            rows = np.arange(row0, row0 + table.num_rows, dtype=np.int64)
            ids = borrower_ids(part.file, table, rows)
            keep = ids >= lo if hi is None else (ids >= lo) & (ids < hi)
            if not keep.any():
                continue
            pieces.append(part_columns(part.file, table.filter(pa.array(keep)), rows[keep],
                                       scenario, checks=False))
            where.append((np.full(int(keep.sum()), i, np.int32), rows[keep]))
    cols = {c: np.concatenate([p[c] for p in pieces]) for c in pieces[0]} if pieces else {}
    part_of = np.concatenate([w[0] for w in where]) if where else np.zeros(0, np.int32)
    row_of = np.concatenate([w[1] for w in where]) if where else np.zeros(0, np.int64)
    return cols, part_of, row_of


def tape_chunk(index: TapeIndex, scenario, b_lo: int, b_hi: int) -> Book:
    """The book of borrowers ``[b_lo, b_hi)`` (in order of id), read from the tape."""
    lo, hi = index.id_range(b_lo, b_hi)
    cols, part_of, row_of = read_chunk_rows(index, scenario, lo, hi)
    ids = cols["borrower_id"]
    rows = np.argsort(ids, kind="stable")  # by borrower, tape order within one
    uniq, first = np.unique(ids[rows], return_index=True)
    if len(uniq) != b_hi - b_lo:
        fail(index.tape, f"the loan tape changed after the run read it: borrowers {b_lo:,} "
             f"to {b_hi - 1:,} are {len(uniq):,}; run again")
    counts = np.diff(np.append(first, len(rows)))
    code = {name: k for k, name in enumerate(index.segments.names)}
    segment = np.array([code.get(str(s), -1) for s in cols["segment"]], np.int32)

    def refuse(k: int, message: str, column: str):
        part = index.parts[part_of[rows[k]]]
        fail(part.file, message, column, int(row_of[rows[k]]))

    # the index checked these with a digest; here exactly, as the rows are at hand
    if (segment < 0).any():
        refuse(int(np.flatnonzero(segment[rows] < 0)[0]), "a segment the run did not index",
               "segment")
    too_many = np.repeat(counts, counts) > B.MAX_DRAWDOWNS
    if too_many.any():
        refuse(int(first[np.repeat(counts, counts)[first] > B.MAX_DRAWDOWNS][0])
               + B.MAX_DRAWDOWNS, f"a borrower holds more than {B.MAX_DRAWDOWNS} drawdowns",
               "borrower_id")
    first_rows = rows[first]
    for c, values in (("monthly_income", cols["monthly_income"]), ("base_pd", cols["base_pd"]),
                      ("segment", segment)):
        same = values[rows] == np.repeat(values[first_rows], counts)
        if not same.all():
            refuse(int(np.flatnonzero(~same)[0]), "must be the same on every row of a borrower",
                   c)

    from simulator.book.synthetic import instalments

    age = cols["age_days"][rows]
    term = cols["term_months"][rows].astype(np.int32)
    methods = np.array([METHOD_CODE[m] for m in cols["method"][rows]], np.int8)
    principal = micro_principal(cols["principal"][rows])
    rates = cols["daily_rate"][rows]
    borrower_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    book = Book(
        borrower_start=borrower_start,
        borrower_id=uniq.astype(np.int64),
        segment=segment[first_rows],
        income=cols["monthly_income"][first_rows],
        drawdown_id=drawdown_keys(uniq.astype(np.int64), borrower_start),
        principal=principal,
        daily_rate=rates,
        term=term,
        method=methods,
        instalment=instalments(principal, rates, term, methods),
        age=age.astype(np.int32),
        dpd0=cols["dpd"][rows].astype(np.int32),
        disbursed=(epoch_day(scenario.as_of) - age).astype(np.int64),
        pd_multiplier=cols["base_pd"][first_rows],
    )
    if scenario.book.revolving.redraw_probability > 0:  # a redraw repeats the tape's terms
        book = book._replace(redraw_principal=book.principal, redraw_rate=book.daily_rate,
                             redraw_instalment=book.instalment)
    return book


def tape_book(scenario) -> tuple[Book, SegmentParams]:
    """The whole tape as one book (borrowers in order of id) and its segments' behaviour
    inputs: for the checks and the twin, which read a book whole; runs read chunks."""
    index = index_tape(scenario)
    return tape_chunk(index, scenario, 0, index.n_borrowers), index.segments
