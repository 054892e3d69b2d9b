"""Write a run folder atomically: validated Parquet tables, the scenario and a manifest.

Everything is written into a temporary sibling folder ``.<name>.tmp-<host>-<pid>``, flushed to
disk, and renamed into place only when complete. ``manifest.json`` is written last, so a folder
without it is never a complete run. The same tables give byte-identical Parquet files.

``--force`` replaces a run folder in four steps, so the old run is never lost: (1) the new run
is written complete beside it; (2) the old folder is renamed aside to ``.<name>.old-<host>-<pid>``
(the name records the target); (3) the new folder is renamed into place; (4) the old one is
deleted. Steps 2 and 3 run together (a SIGINT or SIGTERM between them waits). If the process is
killed between them, the next command writing in that folder (or opening the run) finds the
set-aside folder of a dead process with nothing at its target and renames it back; after step 3
it deletes the set-aside folder instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from simulator import files
from simulator.errors import ExistingOutputError, InputError
from simulator.interrupt import deferred
from simulator.results.destination import (
    check_run_destination,
    is_empty_folder,
    is_run_folder,
)
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
        Replace an existing run folder (or empty folder) at ``out_dir``: the old folder is
        renamed aside, the new one moved in, and only then is the old one deleted, so there is
        always one of the two (see the module docstring).

    Raises
    ------
    ExistingOutputError
        ``out_dir`` exists and ``force`` is false.
    InputError
        ``out_dir`` cannot hold a run folder (see :mod:`simulator.results.destination`).
    ValueError
        A table is missing, unknown or does not match the registry, or the manifest uses a
        reserved key.
    """
    out_dir = Path(out_dir)
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
    check_run_destination(out_dir, force)

    parent = out_dir.parent
    created = [p for p in (parent, *parent.parents) if not os.path.lexists(p)]
    parent.mkdir(parents=True, exist_ok=True)
    try:
        _write_and_move(out_dir, tables, scenario_yaml, manifest, force)
    except BaseException:
        for folder in created:  # the folders made for it, if still empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return out_dir


def _write_and_move(out_dir: Path, tables: dict[str, pa.Table], scenario_yaml: str,
                    manifest: dict, force: bool) -> None:
    parent = out_dir.parent
    files.sweep(parent, keep=is_run_folder)
    tmp = files.temp_path(out_dir)
    with files.owned(tmp):
        files.remove(tmp)
        tmp.mkdir()
        files.apply_umask(tmp, folder=True)
        digests: dict[str, str] = {}
        rows: dict[str, int] = {}
        for name in TABLES:
            fname = f"{name}.parquet"
            write_parquet(name, tables[name], tmp / fname)
            digests[fname] = sha256_file(tmp / fname)
            rows[name] = tables[name].num_rows
            files.test_step("writing")
        _write_text(tmp / SCENARIO, scenario_yaml)
        digests[SCENARIO] = sha256_file(tmp / SCENARIO)

        full = {"schema_version": SCHEMA_VERSION, **manifest, "files": digests, "tables": rows}
        text = json.dumps(full, indent=2, ensure_ascii=False, default=_json_default) + "\n"
        _write_text(tmp / MANIFEST, text)
        _fsync_dir(tmp)
        files.test_step("written")
        _move_into_place(tmp, out_dir, force)


def _move_into_place(tmp: Path, out_dir: Path, force: bool) -> None:
    parent = out_dir.parent
    if not (out_dir.exists() or out_dir.is_symlink()):
        with deferred():
            os.rename(tmp, out_dir)
            files.written.append(out_dir)
        _fsync_dir(parent)
        return
    if not force:  # appeared while we were writing
        raise ExistingOutputError(
            "output folder already exists; use --force to replace it", path=str(out_dir)
        )
    if not (is_run_folder(out_dir) or (out_dir.is_dir() and is_empty_folder(out_dir))):
        raise InputError("became something other than a run folder while the run was "
                         "written; nothing was replaced", path=str(out_dir))
    old = files.temp_path(out_dir, "old")
    with deferred():  # steps 2 and 3 together; a signal waits until both are done
        files.remove(old)
        try:
            os.rename(out_dir, old)
            files.test_step("set_aside")
            os.rename(tmp, out_dir)
        except BaseException:  # (a KeyboardInterrupt where no handler of ours defers it)
            if os.path.lexists(old) and not os.path.lexists(out_dir):
                os.rename(old, out_dir)
            raise
        files.written.append(out_dir)
        files.own(old)  # the replaced run is now ours to delete, even if interrupted
        _fsync_dir(parent)
        files.test_step("moved")
    files.remove(old)
    files.disown(old)


_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f/\\:*?\"<>|]+")
NAME_BYTES = 120
"""Most bytes of a scenario name kept in a default run-folder name: file names hold 255 bytes,
and a CJK character takes 3 in UTF-8."""


def _cap_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, at a character boundary."""
    return text.encode("utf-8", "surrogateescape")[:limit].decode("utf-8", "ignore")


def default_run_dir(root: Path, scenario_name: str, now: datetime | None = None) -> Path:
    """Return ``root/<scenario-name>-<YYYYMMDD-HHMMSS>`` with the time in UTC.

    ``now`` defaults to the current time; a naive ``now`` is taken as UTC. Whitespace and
    characters that are unsafe in file names are replaced by ``_``, and the name is cut to
    :data:`NAME_BYTES` bytes of UTF-8 (not characters: long Chinese names would not fit).
    """
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    stamp = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    name = _cap_bytes(_UNSAFE.sub("_", scenario_name), NAME_BYTES).strip("._") or "run"
    return Path(root) / f"{name}-{stamp}"
