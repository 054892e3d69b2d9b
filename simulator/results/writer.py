"""Write a run folder atomically: validated Parquet tables, the scenario and a manifest.

Everything is written into a temporary sibling folder ``.<name>.tmp-<pid>``, flushed to disk,
and renamed into place only when complete. ``manifest.json`` is written last, so a folder without
it is never a complete run. The same tables give byte-identical Parquet files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from simulator.errors import ExistingOutputError
from simulator.results.registry import SCHEMA_VERSION, TABLES, conform

MANIFEST = "manifest.json"
SCENARIO = "scenario.yaml"
RESERVED_MANIFEST_KEYS = ("schema_version", "files", "tables")

ROW_GROUP_ROWS = 262_144
"""Rows per Parquet row group: about 100 MB uncompressed for the timeseries table, so readers
can skip and parallelise while each group stays well compressed."""

PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "row_group_size": ROW_GROUP_ROWS,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
}


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Return the hex sha256 of the file at ``path``."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - platforms that cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def write_parquet(table_name: str, table: pa.Table, path: Path) -> None:
    """Validate ``table`` against the registry and write it to ``path`` (zstd, field metadata)."""
    conformed = conform(table_name, table)
    pq.write_table(conformed, path, **PARQUET_OPTIONS)
    _fsync_file(path)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Path):
        return str(obj)
    item = getattr(obj, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"manifest value of type {type(obj).__name__} is not JSON serialisable")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def write_run(
    out_dir: Path,
    tables: dict[str, pa.Table],
    scenario_yaml: str,
    manifest: dict,
    force: bool = False,
) -> Path:
    """Write a complete run folder at ``out_dir`` atomically and return its path.

    Parameters
    ----------
    out_dir
        The run folder to create. Its parent is created if needed.
    tables
        Exactly the registry's tables (``timeseries``, ``paths``, ``quantiles``), each validated
        against the registry before anything is written.
    scenario_yaml
        The resolved scenario, written as ``scenario.yaml``.
    manifest
        The caller's manifest keys (overdue_version, seed, paths, borrowers, scenario_sha256,
        timings, engine, dependency versions, ...). The writer adds ``schema_version``,
        ``files`` (file name -> sha256 of every file in the folder but the manifest) and
        ``tables`` (table name -> row count); the caller may not set these.
    force
        Replace an existing ``out_dir``. The old folder is renamed aside, the new one moved in,
        and only then is the old one deleted, so there is always one of the two.

    Raises
    ------
    ExistingOutputError
        ``out_dir`` exists and ``force`` is false.
    ValueError
        A table is missing, unknown or does not match the registry, or the manifest uses a
        reserved key.
    """
    out_dir = Path(out_dir)
    if (out_dir.exists() or out_dir.is_symlink()) and not force:
        raise ExistingOutputError(
            "output folder already exists; use --force to replace it", path=str(out_dir)
        )
    unknown = sorted(set(tables) - set(TABLES))
    missing = [name for name in TABLES if name not in tables]
    if unknown or missing:
        raise ValueError(
            f"a run folder holds exactly the tables {', '.join(TABLES)}; "
            + (f"unknown: {', '.join(unknown)}" if unknown else f"missing: {', '.join(missing)}")
        )
    clash = [k for k in RESERVED_MANIFEST_KEYS if k in manifest]
    if clash:
        raise ValueError(f"manifest key {clash[0]!r} is set by the writer")

    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = parent / f".{out_dir.name}.tmp-{os.getpid()}"
    _remove(tmp)
    try:
        tmp.mkdir()
        files: dict[str, str] = {}
        rows: dict[str, int] = {}
        for name in TABLES:
            fname = f"{name}.parquet"
            write_parquet(name, tables[name], tmp / fname)
            files[fname] = sha256_file(tmp / fname)
            rows[name] = tables[name].num_rows
        _write_text(tmp / SCENARIO, scenario_yaml)
        files[SCENARIO] = sha256_file(tmp / SCENARIO)

        full = {"schema_version": SCHEMA_VERSION, **manifest, "files": files, "tables": rows}
        text = json.dumps(full, indent=2, ensure_ascii=False, default=_json_default) + "\n"
        _write_text(tmp / MANIFEST, text)
        _fsync_dir(tmp)
        _move_into_place(tmp, out_dir, force)
    except BaseException:
        _remove(tmp)
        raise
    return out_dir


def _move_into_place(tmp: Path, out_dir: Path, force: bool) -> None:
    parent = out_dir.parent
    if not (out_dir.exists() or out_dir.is_symlink()):
        os.rename(tmp, out_dir)
        _fsync_dir(parent)
        return
    if not force:  # appeared while we were writing
        raise ExistingOutputError(
            "output folder already exists; use --force to replace it", path=str(out_dir)
        )
    old = parent / f".{out_dir.name}.old-{os.getpid()}"
    _remove(old)
    os.rename(out_dir, old)
    try:
        os.rename(tmp, out_dir)
    except BaseException:
        os.rename(old, out_dir)
        raise
    _fsync_dir(parent)
    _remove(old)


_UNSAFE = re.compile(r"[\s/\\:*?\"<>|]+")


def default_run_dir(root: Path, scenario_name: str, now: datetime | None = None) -> Path:
    """Return ``root/<scenario-name>-<YYYYMMDD-HHMMSS>`` with the time in UTC.

    ``now`` defaults to the current time; a naive ``now`` is taken as UTC. Whitespace and
    characters that are unsafe in file names are replaced by ``_``.
    """
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    name = _UNSAFE.sub("_", scenario_name).strip("._") or "run"
    return Path(root) / f"{name}-{stamp}"
