"""Loan tapes: a lender's own book read from Parquet or CSV, validated like a scenario.

One row per drawdown. Columns (names exact; extra columns are an error, so a typo is caught):

| column | type | meaning |
| --- | --- | --- |
| ``borrower_id`` | integer >= 0 | the borrower; a borrower's rows may be anywhere in the file |
| ``segment`` | text | segment name: letters, digits, ``_ . -`` or CJK, 1 to 100 characters |
| ``principal`` | number in (0, 1e9] | the drawdown's original principal, yuan |
| ``daily_rate`` | number in (0, 0.001] | contract daily rate |
| ``term_months`` | integer 1..36 | number of instalments |
| ``method`` | text | ``equal_installment``, ``interest_first`` or ``equal_principal`` |
| ``age_days`` | integer 0..4766 | days from disbursement to day 0 (``as_of``) |
| ``dpd`` | integer 0..3650 | days past due at day 0 |
| ``monthly_income`` | number in (0, 1e9] | the borrower's monthly income, yuan |
| ``base_pd`` | number in (0, 1) | the borrower's chance of missing a due payment, unstressed |
| ``other_debt_service_ratio`` | number 0..100, optional (0.2) | per segment, constant within it |
| ``unemployment_beta`` | number 0..100, optional (1.0) | per segment, constant within it |

A CSV tape is UTF-8 text with one header line; column names appear once. A borrower holds at
most 10 drawdowns, all in one segment. The whole book's money, with every charge over the
horizon, must fit the simulator's exact int64 micro-yuan arithmetic (the error says by how much
it does not).

Day-0 balances are not read: each drawdown is replayed from disbursement, paid on time until
its first missed due date ``dpd`` days before day 0, so principal, interest, penalty and DPD
are exactly what the contract gives. A row's ``age_days - dpd`` must therefore be a due day of
its schedule when ``dpd > 0`` (the check names the row).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from simulator.contract.money import to_micro
from simulator.contract.schedule import CALENDAR, METHOD_CODE, METHODS, due_day, epoch_day
from simulator.errors import InputError
from simulator.kernels.book_draws import DRAWDOWN_KEYS
from simulator.kernels.portfolio import Book
from simulator.scenario import bounds as B
from simulator.scenario.schema import check_name

AGE_DAYS_MAX = B.TERM_MONTHS_MAX * B.PERIOD_DAYS_MAX + B.DPD_MAX
_EXACT_FLOAT = 2**53  # whole numbers beyond this are not exact in a float column

REQUIRED = ("borrower_id", "segment", "principal", "daily_rate", "term_months", "method",
            "age_days", "dpd", "monthly_income", "base_pd")
OPTIONAL = {"other_debt_service_ratio": 0.2, "unemployment_beta": 1.0}


class SegmentParams(NamedTuple):
    """Segment-level behaviour inputs, whatever the book's source."""

    names: tuple[str, ...]
    base_pd: np.ndarray
    other_debt_service_ratio: np.ndarray
    unemployment_beta: np.ndarray


def _fail(path: Path, message: str, column: str | None = None, row: int | None = None):
    where = f"column {column!r}" if column else ""
    if row is not None:
        where += f", row {row + 1}"
    raise InputError(f"{message}" + (f" ({where.lstrip(', ')})" if where else ""),
                     path="book.tape", source=str(path))


def _check_utf8(path: Path) -> None:
    """A CSV tape must be UTF-8 text: name the row and column of the first byte that is not."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        _fail(path, f"cannot read the loan tape: {exc.strerror or exc}")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start)  # 0: the header
        header = raw[: raw.find(b"\n")].decode("utf-8", "replace").split(",")
        field = raw.count(b",", line_start, exc.start)
        column = header[field].strip() if line and field < len(header) else None
        where = "the header" if line == 0 else None
        _fail(path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}"
              + (f", in {where}" if where else "") + "); save the tape as UTF-8",
              column, line - 1 if line else None)


def _check_unique(path: Path, names: list[str]) -> None:
    seen = set()
    for name in names:
        if name in seen:
            _fail(path, f"column {name!r} appears more than once")
        seen.add(name)


def read_table(path: Path) -> pa.Table:
    """The tape as an Arrow table; unreadable files are an InputError."""
    csv = path.suffix.lower() == ".csv"
    try:
        if csv:
            _check_utf8(path)
            table = pacsv.read_csv(path)
        else:
            _check_unique(path, pq.read_schema(path).names)  # read_table refuses duplicates
            table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        _fail(path, f"cannot read the loan tape: {exc}")
    _check_unique(path, table.column_names)
    return table


def _column(path: Path, table: pa.Table, name: str, kind: str) -> np.ndarray:
    col = table.column(name)
    if col.null_count:
        first = int(np.flatnonzero(pc.is_null(col).to_numpy(zero_copy_only=False))[0])
        _fail(path, "missing value", name, first)
    if kind == "text":
        if pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
            for row, raw in enumerate(col.to_pylist()):  # text only if every value is UTF-8
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    _fail(path, "not UTF-8 text", name, row)
        try:
            return np.array(col.cast(pa.string()).to_pylist(), dtype=object)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            _fail(path, f"expected text, got {col.type}", name)
    if kind == "int" and pa.types.is_integer(col.type):
        if pa.types.is_unsigned_integer(col.type):
            big = col.to_numpy().astype(np.uint64) > np.uint64(B.SEED_MAX)
            if big.any():
                _fail(path, "too large a whole number", name, int(np.flatnonzero(big)[0]))
        return col.to_numpy().astype(np.int64)
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
        _fail(path, f"expected numbers, got {col.type}", name)
    values = col.to_numpy().astype(np.float64)
    if not np.isfinite(values).all():
        _fail(path, "not a finite number", name, int(np.flatnonzero(~np.isfinite(values))[0]))
    if kind == "int":
        if (values != np.round(values)).any():
            _fail(path, "expected whole numbers", name,
                  int(np.flatnonzero(values != np.round(values))[0]))
        if (np.abs(values) > _EXACT_FLOAT).any():
            _fail(path, f"a whole number beyond {_EXACT_FLOAT:,} is not exact in a float column; "
                  "write the column as integers", name,
                  int(np.flatnonzero(np.abs(values) > _EXACT_FLOAT)[0]))
        return values.astype(np.int64)
    return values


def _check_segment_names(path: Path, segments: np.ndarray) -> None:
    names, first = np.unique(segments, return_index=True)
    for name, row in sorted(zip(names, first, strict=True), key=lambda p: p[1]):
        try:
            check_name(str(name), "segment name")
        except ValueError as exc:
            _fail(path, str(exc), "segment", int(row))


def _check(path: Path, ok: np.ndarray, column: str, message: str) -> None:
    if not ok.all():
        _fail(path, message, column, int(np.flatnonzero(~ok)[0]))


def drawdown_keys(borrower_id: np.ndarray, borrower_start: np.ndarray) -> np.ndarray:
    """A drawdown's draw key, as in a synthetic book: its borrower's id x DRAWDOWN_KEYS plus its
    number within the borrower (rows in file order), so the key does not depend on where the
    row sits in the tape. Beyond ids of 2**63 / 10 the int64 product wraps, and two drawdowns
    of such borrowers could share a key (and so their draws)."""
    counts = np.diff(borrower_start)
    number = np.arange(borrower_start[-1], dtype=np.int64) - np.repeat(borrower_start[:-1],
                                                                        counts)
    return np.repeat(borrower_id, counts) * np.int64(DRAWDOWN_KEYS) + number


def tape_book(scenario) -> tuple[Book, SegmentParams]:
    """Read and validate ``book.tape``; the book (borrowers in order of first appearance) and
    its segments' behaviour inputs."""
    path = Path(scenario.book.tape)
    table = read_table(path)
    names = table.column_names
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        _fail(path, "missing column(s) " + ", ".join(missing))
    extra = [c for c in names if c not in REQUIRED and c not in OPTIONAL]
    if extra:
        _fail(path, "unknown column(s) " + ", ".join(extra) + "; the columns are "
              + ", ".join(REQUIRED + tuple(OPTIONAL)))
    if table.num_rows == 0:
        _fail(path, "the loan tape has no rows")
    ints = {c: _column(path, table, c, "int") for c in
            ("borrower_id", "term_months", "age_days", "dpd")}
    nums = {c: _column(path, table, c, "num") for c in
            ("principal", "daily_rate", "monthly_income", "base_pd")}
    texts = {c: _column(path, table, c, "text") for c in ("segment", "method")}
    for c, default in OPTIONAL.items():
        nums[c] = (_column(path, table, c, "num") if c in names
                   else np.full(table.num_rows, default))
    _check(path, ints["borrower_id"] >= 0, "borrower_id", "must be >= 0")
    _check(path, (ints["term_months"] >= B.TERM_MONTHS_MIN)
           & (ints["term_months"] <= B.TERM_MONTHS_MAX), "term_months",
           f"must be {B.TERM_MONTHS_MIN}..{B.TERM_MONTHS_MAX}")
    _check(path, (ints["age_days"] >= 0) & (ints["age_days"] <= AGE_DAYS_MAX), "age_days",
           f"must be 0..{AGE_DAYS_MAX}")
    _check(path, (ints["dpd"] >= 0) & (ints["dpd"] <= B.DPD_MAX), "dpd",
           f"must be 0..{B.DPD_MAX}")
    for c in ("principal", "monthly_income"):
        _check(path, (nums[c] > 0) & (nums[c] <= B.YUAN_MAX), c,
               f"must be > 0 and <= {B.YUAN_MAX:g} yuan")
    _check(path, (nums["daily_rate"] > 0) & (nums["daily_rate"] <= B.DAILY_RATE_MAX),
           "daily_rate", f"must be > 0 and <= {B.DAILY_RATE_MAX:g}")
    _check(path, (nums["base_pd"] > 0) & (nums["base_pd"] < 1), "base_pd", "must be in (0, 1)")
    for c in OPTIONAL:
        _check(path, (nums[c] >= 0) & (nums[c] <= B.SENSITIVITY_MAX), c,
               f"must be 0..{B.SENSITIVITY_MAX:g}")
    _check(path, np.isin(texts["method"], METHODS), "method",
           "must be one of " + ", ".join(METHODS))
    _check_segment_names(path, texts["segment"])
    co = scenario.contract.charge_off_dpd
    if co is not None:
        _check(path, ints["dpd"] < co, "dpd", f"must be below charge-off at {co} DPD")

    # segments, in order of first appearance; segment-level inputs must be constant within one
    seg_names, seg_of_row = np.unique(texts["segment"], return_inverse=True)
    first_row = np.array([np.flatnonzero(seg_of_row == s)[0] for s in range(len(seg_names))])
    order = np.argsort(first_row)
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    seg_of_row = rank[seg_of_row]
    segment_names = tuple(str(seg_names[i]) for i in order)
    per_segment = {}
    for c in OPTIONAL:
        values = np.zeros(len(segment_names))
        for s in range(len(segment_names)):
            v = nums[c][seg_of_row == s]
            _check(path, v == v[0], c, f"must be the same for every row of segment "
                   f"{segment_names[s]!r}")
            values[s] = v[0]
        per_segment[c] = values
    for shock in scenario.shocks:
        if shock.income is not None and shock.income.segments:
            for name in shock.income.segments:
                if name not in segment_names:
                    raise InputError(f"unknown segment {name!r}; the tape has "
                                     + ", ".join(map(repr, segment_names)),
                                     path="shocks.income.segments")

    # group rows by borrower, borrowers in order of first appearance
    bid = ints["borrower_id"]
    uniq, first, inverse = np.unique(bid, return_index=True, return_inverse=True)
    b_rank = np.empty(len(uniq), np.int64)
    b_rank[np.argsort(first)] = np.arange(len(uniq))
    b_of_row = b_rank[inverse.ravel()]
    rows = np.argsort(b_of_row, kind="stable")
    counts = np.bincount(b_of_row, minlength=len(uniq))
    if counts.max() > B.MAX_DRAWDOWNS:
        _fail(path, f"a borrower holds more than {B.MAX_DRAWDOWNS} drawdowns", "borrower_id",
              int(rows[np.repeat(counts, counts)[np.arange(len(rows))] > B.MAX_DRAWDOWNS][0]))
    first_rows = rows[np.concatenate([[0], np.cumsum(counts)[:-1]])]
    for c in ("monthly_income", "base_pd"):
        _check(path, nums[c][rows] == np.repeat(nums[c][first_rows], counts), c,
               "must be the same on every row of a borrower")
    _check(path, seg_of_row[rows] == np.repeat(seg_of_row[first_rows], counts), "segment",
           "must be the same on every row of a borrower")

    period = scenario.contract.schedule_period
    period_code = CALENDAR if period == "calendar" else int(period)
    as_of = epoch_day(scenario.as_of)
    age = ints["age_days"][rows]
    dpd = ints["dpd"][rows]
    term = ints["term_months"][rows]
    disbursed = as_of - age
    for k, r in enumerate(rows):  # the first missed due date must be a due date of the schedule
        if dpd[k] > 0:
            day = age[k] - dpd[k]
            if not any(due_day(j, period_code, int(disbursed[k])) == day
                       for j in range(1, int(term[k]) + 1)):
                _fail(path, f"age_days - dpd = {day} is not a due day of this schedule", "dpd",
                      int(r))
    methods = np.array([METHOD_CODE[m] for m in texts["method"][rows]], np.int8)
    principal = np.array([to_micro(round(x, 6)) for x in nums["principal"][rows]], np.int64)
    rates = nums["daily_rate"][rows]
    from simulator.book.synthetic import instalments

    borrower_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    borrower_id = uniq[np.argsort(first)].astype(np.int64)
    book = Book(
        borrower_start=borrower_start,
        borrower_id=borrower_id,
        segment=seg_of_row[first_rows].astype(np.int32),
        income=nums["monthly_income"][first_rows],
        drawdown_id=drawdown_keys(borrower_id, borrower_start),
        principal=principal,
        daily_rate=rates,
        term=term.astype(np.int32),
        method=methods,
        instalment=instalments(principal, rates, term.astype(np.int32), methods),
        age=age.astype(np.int32),
        dpd0=dpd.astype(np.int32),
        disbursed=disbursed.astype(np.int64),
        pd_multiplier=nums["base_pd"][first_rows],
    )
    if scenario.book.revolving.new_borrowers_monthly > 0:
        raise InputError("new applicants are drawn from book.segments; a loan tape has none, "
                         "so set new_borrowers_monthly to 0", path="book.revolving")
    if scenario.book.revolving.redraw_probability > 0:  # a redraw repeats the tape's terms
        book = book._replace(redraw_principal=book.principal, redraw_rate=book.daily_rate,
                             redraw_instalment=book.instalment)
    params = SegmentParams(
        names=segment_names,
        base_pd=np.ones(len(segment_names)),  # the borrower's own base_pd is its multiplier
        other_debt_service_ratio=per_segment["other_debt_service_ratio"],
        unemployment_beta=per_segment["unemployment_beta"],
    )
    return book, params

