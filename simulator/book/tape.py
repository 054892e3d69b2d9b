"""Loan tapes: a lender's own book read from Parquet or CSV, validated like a scenario.

A tape is one Parquet file, a folder of Parquet files (a dataset, named like a file:
``loans.parquet/``; its files are taken in the order of their paths) or one CSV file. It is
never held whole: the run reads it part by part (a Parquet row group, a block of CSV lines)
to check every row and index its borrowers, then each task reads only the parts that hold
its own borrowers (see ``simulator/book/tape_index.py``). Messages name the file, the column
and the row within that file.

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

A CSV tape is UTF-8 text with one header line; column names appear once (in every file of a
dataset, each holding every required column). A borrower holds at most 10 drawdowns, all in
one segment, anywhere in the tape (several files, or far apart in one); a borrower's
drawdowns are numbered in tape order. The whole book's money, with every charge over the
horizon, must fit the simulator's exact int64 micro-yuan arithmetic (the error says by how much
it does not).

Day-0 balances are not read: each drawdown is replayed from disbursement, paid on time until
its first missed due date ``dpd`` days before day 0, so principal, interest, penalty and DPD
are exactly what the contract gives. A row's ``age_days - dpd`` must therefore be a due day of
its schedule when ``dpd > 0`` (the check names the row).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.book.tape_parts import fail
from simulator.contract.money import to_micro
from simulator.contract.schedule import CALENDAR, METHODS, due_day, epoch_day
from simulator.kernels.book_draws import DRAWDOWN_KEYS
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


def check_columns(path, names: list[str]) -> None:
    """Every required column and no unknown one (so a typo is caught)."""
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        fail(path, "missing column(s) " + ", ".join(missing))
    extra = [c for c in names if c not in REQUIRED and c not in OPTIONAL]
    if extra:
        fail(path, "unknown column(s) " + ", ".join(extra) + "; the columns are "
             + ", ".join(REQUIRED + tuple(OPTIONAL)))


def _column(path, table: pa.Table, name: str, kind: str, rows: np.ndarray) -> np.ndarray:
    """A column as an array, its values checked for type; ``rows`` gives each table row's
    row in the file, for the message."""
    col = table.column(name)
    if col.null_count:
        first = int(np.flatnonzero(pc.is_null(col).to_numpy(zero_copy_only=False))[0])
        fail(path, "missing value", name, int(rows[first]))
    if kind == "text":
        if pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
            for row, raw in enumerate(col.to_pylist()):  # text only if every value is UTF-8
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    fail(path, "not UTF-8 text", name, int(rows[row]))
        try:
            return np.array(col.cast(pa.string()).to_pylist(), dtype=object)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            fail(path, f"expected text, got {col.type}", name)
    if kind == "int" and pa.types.is_integer(col.type):
        if pa.types.is_unsigned_integer(col.type):
            big = col.to_numpy().astype(np.uint64) > np.uint64(B.SEED_MAX)
            if big.any():
                fail(path, "too large a whole number", name, int(rows[np.flatnonzero(big)[0]]))
        return col.to_numpy().astype(np.int64)
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
        fail(path, f"expected numbers, got {col.type}", name)
    values = col.to_numpy().astype(np.float64)
    _check(path, np.isfinite(values), name, "not a finite number", rows)
    if kind == "int":
        _check(path, values == np.round(values), name, "expected whole numbers", rows)
        _check(path, np.abs(values) <= _EXACT_FLOAT, name,
               f"a whole number beyond {_EXACT_FLOAT:,} is not exact in a float column; "
               "write the column as integers", rows)
        return values.astype(np.int64)
    return values


def _check_segment_names(path, segments: np.ndarray, rows: np.ndarray) -> None:
    names, first = np.unique(segments, return_index=True)
    for name, row in sorted(zip(names, first, strict=True), key=lambda p: p[1]):
        try:
            check_name(str(name), "segment name")
        except ValueError as exc:
            fail(path, str(exc), "segment", int(rows[row]))


def _check(path, ok: np.ndarray, column: str, message: str, rows: np.ndarray) -> None:
    if not ok.all():
        fail(path, message, column, int(rows[np.flatnonzero(~ok)[0]]))


def drawdown_keys(borrower_id: np.ndarray, borrower_start: np.ndarray) -> np.ndarray:
    """A drawdown's draw key, as in a synthetic book: its borrower's id x DRAWDOWN_KEYS plus its
    number within the borrower (rows in file order), so the key does not depend on where the
    row sits in the tape. Beyond ids of 2**63 / 10 the int64 product wraps, and two drawdowns
    of such borrowers could share a key (and so their draws)."""
    counts = np.diff(borrower_start)
    number = np.arange(borrower_start[-1], dtype=np.int64) - np.repeat(borrower_start[:-1],
                                                                        counts)
    return np.repeat(borrower_id, counts) * np.int64(DRAWDOWN_KEYS) + number


INTS = ("borrower_id", "term_months", "age_days", "dpd")
NUMS = ("principal", "daily_rate", "monthly_income", "base_pd")
TEXTS = ("segment", "method")


def borrower_ids(path, table: pa.Table, rows: np.ndarray) -> np.ndarray:
    """The part's ``borrower_id`` column, checked (a task reads it first to find its rows)."""
    ids = _column(path, table, "borrower_id", "int", rows)
    _check(path, ids >= 0, "borrower_id", "must be >= 0", rows)
    return ids


def part_columns(path, table: pa.Table, rows: np.ndarray, scenario,
                 checks: bool = True) -> dict[str, np.ndarray]:
    """One part's columns as arrays (the optional ones filled with their defaults), each value
    converted and type-checked; with ``checks`` also every bound and rule a single row must
    meet. ``rows``: each table row's 0-based row in ``path``, for the messages."""
    names = table.column_names
    cols = {c: _column(path, table, c, "int", rows) for c in INTS}
    cols |= {c: _column(path, table, c, "num", rows) for c in NUMS}
    cols |= {c: _column(path, table, c, "text", rows) for c in TEXTS}
    for c, default in OPTIONAL.items():
        cols[c] = (_column(path, table, c, "num", rows) if c in names
                   else np.full(table.num_rows, default))
    if checks:
        _check_rows(path, cols, rows, scenario)
    return cols


def _check_rows(path, cols: dict[str, np.ndarray], rows: np.ndarray, scenario) -> None:
    def check(ok, column, message):
        _check(path, ok, column, message, rows)

    check(cols["borrower_id"] >= 0, "borrower_id", "must be >= 0")
    check((cols["term_months"] >= B.TERM_MONTHS_MIN) & (cols["term_months"] <= B.TERM_MONTHS_MAX),
          "term_months", f"must be {B.TERM_MONTHS_MIN}..{B.TERM_MONTHS_MAX}")
    check((cols["age_days"] >= 0) & (cols["age_days"] <= AGE_DAYS_MAX), "age_days",
          f"must be 0..{AGE_DAYS_MAX}")
    check((cols["dpd"] >= 0) & (cols["dpd"] <= B.DPD_MAX), "dpd", f"must be 0..{B.DPD_MAX}")
    for c in ("principal", "monthly_income"):
        check((cols[c] > 0) & (cols[c] <= B.YUAN_MAX), c,
              f"must be > 0 and <= {B.YUAN_MAX:g} yuan")
    check((cols["daily_rate"] > 0) & (cols["daily_rate"] <= B.DAILY_RATE_MAX), "daily_rate",
          f"must be > 0 and <= {B.DAILY_RATE_MAX:g}")
    check((cols["base_pd"] > 0) & (cols["base_pd"] < 1), "base_pd", "must be in (0, 1)")
    for c in OPTIONAL:
        check((cols[c] >= 0) & (cols[c] <= B.SENSITIVITY_MAX), c,
              f"must be 0..{B.SENSITIVITY_MAX:g}")
    check(np.isin(cols["method"], METHODS), "method", "must be one of " + ", ".join(METHODS))
    _check_segment_names(path, cols["segment"], rows)
    co = scenario.contract.charge_off_dpd
    if co is not None:
        check(cols["dpd"] < co, "dpd", f"must be below charge-off at {co} DPD")
    period = scenario.contract.schedule_period
    period_code = CALENDAR if period == "calendar" else int(period)
    as_of = epoch_day(scenario.as_of)
    age, dpd, term = cols["age_days"], cols["dpd"], cols["term_months"]
    for k in np.flatnonzero(dpd > 0):  # the first missed due date must be a due date
        day = age[k] - dpd[k]
        disbursed = int(as_of - age[k])
        if not any(due_day(j, period_code, disbursed) == day for j in range(1, int(term[k]) + 1)):
            fail(path, f"age_days - dpd = {day} is not a due day of this schedule", "dpd",
                 int(rows[k]))


def micro_principal(principal: np.ndarray) -> np.ndarray:
    """Yuan to micro-yuan, rounded as a person wrote them (to the micro-yuan, half up)."""
    if len(principal) == 0:
        return np.zeros(0, np.int64)
    values, inverse = np.unique(principal, return_inverse=True)  # each amount once
    return np.array([to_micro(round(x, 6)) for x in values], np.int64)[inverse.ravel()]
