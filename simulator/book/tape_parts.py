"""Where a loan tape's rows lie: its files and their parts, each read on its own.

A tape is one Parquet file, a folder of Parquet files (a dataset: every ``.parquet``/``.pq``
file under it, in the order of their paths, names starting with ``.`` or ``_`` skipped) or one
CSV file. A part is a Parquet row group, or a block of about :data:`CSV_BLOCK_BYTES` of a CSV
cut at a line end and parsed with the header line put in front, so a part is read (and its
column types inferred) the same way whether the tape is being indexed or a task reads it. A
row group is read in batches of :data:`BATCH_ROWS` rows, so a large one is never held whole.
Row numbers are the file's own: 0-based data rows here, shown 1-based in messages.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from simulator.errors import InputError

CSV_BLOCK_BYTES = 8 << 20  # a CSV part: about 80,000 rows of a typical tape
BATCH_ROWS = 65_536  # rows of a Parquet row group converted at a time
PARQUET_SUFFIXES = (".parquet", ".pq")


class Part(NamedTuple):
    """One readable piece of a tape file."""

    file: str
    where: int  # Parquet: the row group; CSV: the block's byte offset
    size: int  # CSV: the block's bytes; Parquet: 0
    row0: int  # the file's data row of the part's first row (0-based)
    line0: int  # CSV: line of the block's first byte (0 is the header); Parquet: 0


def fail(path, message: str, column: str | None = None, row: int | None = None):
    """Refuse the tape: InputError naming the file, and the column and 1-based row if known."""
    where = f"column {column!r}" if column else ""
    if row is not None:
        where += f", row {row + 1}"
    raise InputError(f"{message}" + (f" ({where.lstrip(', ')})" if where else ""),
                     path="book.tape", source=str(path))


def is_csv(path: Path | str) -> bool:
    return str(path).lower().endswith(".csv")


def tape_files(tape: str | Path) -> list[Path]:
    """The tape's files: itself, or a folder's Parquet files in the order of their paths."""
    path = Path(tape)
    if not path.is_dir():
        return [path]
    files = sorted(
        (p for p in path.rglob("*") if p.suffix.lower() in PARQUET_SUFFIXES and p.is_file()
         and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)),
        key=lambda p: p.relative_to(path).as_posix())
    if not files:
        fail(path, "the folder holds no Parquet files (.parquet or .pq)")
    return files


def file_stamp(path: Path | str) -> tuple[int, int]:
    """(size, modification time in ns): a task refuses a file changed since it was indexed."""
    try:
        st = os.stat(path)
    except OSError as exc:
        fail(path, f"cannot read the loan tape: {exc.strerror or exc}")
    return st.st_size, st.st_mtime_ns


def check_unique(path, names: list[str]) -> None:
    seen = set()
    for name in names:
        if name in seen:
            fail(path, f"column {name!r} appears more than once")
        seen.add(name)


def _utf8(path, raw: bytes, offset: int, line0: int, header: list[str] | None) -> None:
    """Name the row and column of the first byte of ``raw`` (at ``offset`` in the file, on
    line ``line0``) that is not UTF-8."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = line0 + raw.count(b"\n", 0, exc.start)  # 0: the header
        field = raw.count(b",", line_start, exc.start)
        column = header[field].strip() if header and line and field < len(header) else None
        where = "the header" if line == 0 else None
        fail(path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {offset + exc.start}"
             + (f", in {where}" if where else "") + "); save the tape as UTF-8",
             column, line - 1 if line else None)


def _parse_csv(path, header: bytes, block: bytes) -> pa.Table:
    try:
        # one block for pyarrow too, so a column's type is inferred from the whole part
        return pacsv.read_csv(io.BytesIO(header + block), read_options=pacsv.ReadOptions(
            block_size=len(header) + len(block) + 1))
    except (OSError, pa.ArrowInvalid) as exc:
        fail(path, f"cannot read the loan tape: {exc}")


def _csv_header(path: Path) -> tuple[bytes, list[str]]:
    try:
        with open(path, "rb") as f:
            header = f.readline()
    except OSError as exc:
        fail(path, f"cannot read the loan tape: {exc.strerror or exc}")
    _utf8(path, header, 0, 0, None)
    if not header.endswith(b"\n"):
        header += b"\n"
    return header, _parse_csv(path, header, b"").column_names


def columns_of(path: Path) -> list[str]:
    """The file's column names (each checked to appear once)."""
    if is_csv(path):
        names = _csv_header(path)[1]
    else:
        try:
            names = pq.read_schema(path).names
        except (OSError, pa.ArrowInvalid) as exc:
            fail(path, f"cannot read the loan tape: {exc}")
    check_unique(path, names)
    return names


def _csv_parts(path: Path) -> Iterator[tuple[Part, pa.Table]]:
    header, names = _csv_header(path)
    row = 0
    line = 1
    offset = len(header) if header.endswith(b"\n") else len(header) - 1
    try:
        f = open(path, "rb")
    except OSError as exc:
        fail(path, f"cannot read the loan tape: {exc.strerror or exc}")
    with f:
        f.seek(offset)
        carry = b""
        while True:
            chunk = f.read(CSV_BLOCK_BYTES)
            block = carry + chunk
            if not block:
                return
            cut = len(block) if not chunk else block.rfind(b"\n") + 1
            if cut == 0:  # no line end yet: read on
                carry = block
                continue
            block, carry = block[:cut], block[cut:]
            _utf8(path, block, offset, line, names)
            table = _parse_csv(path, header, block)
            check_unique(path, table.column_names)
            if table.num_rows:
                yield Part(str(path), offset, len(block), row, line), table
            row += table.num_rows
            line += block.count(b"\n")
            offset += len(block)


def _parquet_file(path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        fail(path, f"cannot read the loan tape: {exc}")


Batches = Iterator[tuple[int, pa.Table]]  # (the file's row of the first row, the rows)


def iter_parts(path: Path) -> Iterator[tuple[Part, Batches]]:
    """Every part of one tape file with its rows in batches, in file order (parts without
    rows skipped)."""
    if is_csv(path):
        for part, table in _csv_parts(path):
            yield part, iter([(part.row0, table)])
        return
    pf = _parquet_file(path)
    row = 0
    for g in range(pf.num_row_groups):
        n = pf.metadata.row_group(g).num_rows
        if n:
            part = Part(str(path), g, 0, row, 0)
            yield part, read_part(part, pf)
        row += n


def read_part(part: Part, parquet: pq.ParquetFile | None = None) -> Batches:
    """The rows of one part in batches, read just as :func:`iter_parts` read them."""
    if is_csv(part.file):
        header = _csv_header(Path(part.file))[0]
        try:
            with open(part.file, "rb") as f:
                f.seek(part.where)
                block = f.read(part.size)
        except OSError as exc:
            fail(part.file, f"cannot read the loan tape: {exc.strerror or exc}")
        yield part.row0, _parse_csv(part.file, header, block)
        return
    pf = parquet or _parquet_file(part.file)
    row = part.row0
    try:
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=[part.where],
                                     use_threads=False):
            yield row, pa.Table.from_batches([batch])
            row += batch.num_rows
    except (OSError, pa.ArrowInvalid) as exc:
        fail(part.file, f"cannot read the loan tape: {exc}")
