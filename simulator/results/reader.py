"""Open a run folder written by :func:`simulator.results.writer.write_run`.

Opening checks the manifest and the sha256 of every file it lists, so a partial or edited folder
is refused before anything is analysed. Tables are read lazily, on first use.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from simulator import files
from simulator.errors import InputError
from simulator.results.registry import SCHEMA_VERSION, TABLES, validate_table
from simulator.results.writer import MANIFEST, SCENARIO, sha256_file

_DAMAGED = "damaged run folder"


def _damaged(path: Path, what: str) -> InputError:
    return InputError(f"{_DAMAGED}: {what}", path=str(path))


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


class Run:
    """A complete, verified run folder.

    Use :meth:`Run.open`; the constructor does no checking.
    """

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self._folder = Path(folder)
        self._manifest = manifest
        self._tables: dict[str, pa.Table] = {}
        self._scenario: str | None = None

    @classmethod
    def open(cls, folder: Path | str, verify: bool = True) -> Run:
        """Open the run folder ``folder``.

        Parameters
        ----------
        folder
            A folder written by ``write_run``.
        verify
            Check the sha256 of every file the manifest lists, and that each table's Parquet
            footer reads with the manifest's row count (on by default).

        Raises
        ------
        InputError
            The folder or its manifest is missing or unreadable, the manifest is not a JSON
            object listing the files, or is of another schema version, or a file is missing,
            empty, unreadable or its sha256 does not match the manifest. The message names the
            file and the damage.
        """
        folder = Path(folder)
        if not (folder.exists() or folder.is_symlink()):
            # A --force killed between setting the old run aside and moving the new one in:
            # put the old one back (see simulator.results.writer).
            files.sweep(folder.parent)
        if not folder.exists():
            raise InputError("run folder does not exist", path=str(folder))
        if not folder.is_dir():
            raise InputError("is a file, not a run folder", path=str(folder))
        if not os.access(folder, os.R_OK | os.X_OK):
            raise InputError("cannot read the run folder (permission denied)", path=str(folder))
        mpath = folder / MANIFEST
        manifest = _read_manifest(mpath)
        version = manifest.get("schema_version")
        if version != SCHEMA_VERSION:
            raise InputError(
                f"run folder has results schema version {version!r}; "
                f"this overdue reads version {SCHEMA_VERSION!r}",
                path=str(folder),
            )
        expected = [f"{name}.parquet" for name in TABLES] + [SCENARIO]
        absent = [name for name in expected if name not in manifest["files"]]
        if absent:
            raise _damaged(mpath, f"does not list {absent[0]}")
        for fname, digest in manifest["files"].items():
            fpath = folder / fname
            if Path(fname).name != fname or fname in (".", "..", MANIFEST):
                raise _damaged(mpath, f"lists {fname!r}, which is not a file of the folder")
            if not fpath.is_file():
                what = "a folder, not a file" if fpath.is_dir() else "missing"
                raise _damaged(fpath, what)
            try:
                size = fpath.stat().st_size
                if size == 0:
                    raise _damaged(fpath, "empty (0 bytes)")
                if verify and sha256_file(fpath) != digest:
                    raise _damaged(fpath, f"does not match its sha256 in {MANIFEST} ({size:,} "
                                   "bytes): truncated or changed after the run")
            except OSError as exc:
                raise _damaged(fpath, f"cannot be read ({_why(exc)})") from None
        for name in TABLES if verify else ():  # footers: cheap, catch damage then re-hashing
            _check_footer(folder / f"{name}.parquet", (manifest.get("tables") or {}).get(name))
        return cls(folder, manifest)

    @property
    def folder(self) -> Path:
        """The run folder."""
        return self._folder

    @property
    def manifest(self) -> dict[str, Any]:
        """The parsed ``manifest.json``."""
        return self._manifest

    @property
    def scenario_yaml(self) -> str:
        """The resolved scenario as written at run time."""
        if self._scenario is None:
            path = self._folder / SCENARIO
            try:
                self._scenario = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise _damaged(path, f"cannot be read ({_why(exc)})") from None
            except UnicodeDecodeError:
                raise _damaged(path, "not UTF-8 text") from None
        return self._scenario

    def table(self, name: str) -> pa.Table:
        """Read (once) and return the results table ``name``."""
        if name not in TABLES:
            raise KeyError(f"unknown results table {name!r}; known: {', '.join(TABLES)}")
        if name not in self._tables:
            path = self._folder / f"{name}.parquet"
            try:
                table = pq.read_table(path)
            except (OSError, pa.ArrowException) as exc:  # ArrowInvalid, ArrowIOError, ...
                raise _damaged(path, f"not a readable Parquet file ({exc})") from None
            try:
                validate_table(name, table)
            except ValueError as exc:
                raise _damaged(path, str(exc)) from None
            _check_rows(path, table.num_rows, (self._manifest.get("tables") or {}).get(name))
            self._tables[name] = table
        return self._tables[name]

    @property
    def timeseries(self) -> pa.Table:
        """The ``timeseries`` table."""
        return self.table("timeseries")

    @property
    def paths(self) -> pa.Table:
        """The ``paths`` table."""
        return self.table("paths")

    @property
    def quantiles(self) -> pa.Table:
        """The ``quantiles`` table."""
        return self.table("quantiles")

    @property
    def vintages(self) -> pa.Table:
        """The ``vintages`` table."""
        return self.table("vintages")

    def to_pandas(self, name: str):
        """Return table ``name`` as a pandas DataFrame (pandas must be installed)."""
        table = self.table(name)
        try:
            import pandas  # noqa: F401
        except ImportError as exc:
            raise ImportError("Run.to_pandas needs pandas: pip install pandas") from exc
        return table.to_pandas()

    def summary(self, confidence: float = 0.95) -> dict:
        """Risk measures with Monte Carlo error, from :func:`simulator.analysis.summary`."""
        from simulator.analysis.summary import summary

        return summary(self.paths, confidence=confidence)

    def __repr__(self) -> str:
        return f"Run({str(self._folder)!r})"


def _read_manifest(mpath: Path) -> dict[str, Any]:
    """The manifest as a dict with a ``files`` mapping of names to sha256 strings."""
    if not mpath.is_file():
        what = "missing" if not mpath.exists() else "not a file"
        raise _damaged(mpath, f"{what}: an interrupted run, or not a run folder")
    try:
        text = mpath.read_text(encoding="utf-8")
    except OSError as exc:
        raise _damaged(mpath, f"cannot be read ({_why(exc)})") from None
    except UnicodeDecodeError:
        raise _damaged(mpath, "not UTF-8 text") from None
    if not text.strip():
        raise _damaged(mpath, "empty")
    try:
        manifest = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise _damaged(mpath, f"not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise _damaged(mpath, f"not a JSON object (it holds a {type(manifest).__name__})")
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in listed.items()):
        raise _damaged(mpath, '"files" is not a mapping of file names to sha256 strings')
    tables = manifest.get("tables")
    if tables is not None and not (isinstance(tables, dict) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in tables.values())):
        raise _damaged(mpath, '"tables" is not a mapping of table names to row counts')
    return manifest


def _check_rows(path: Path, rows: int, listed: Any) -> None:
    if isinstance(listed, int) and listed != rows:
        raise _damaged(path, f"{rows:,} rows where {MANIFEST} says {listed:,}")
    if rows == 0:
        raise _damaged(path, "no rows")


def _check_footer(path: Path, listed: Any) -> None:
    """The Parquet footer of ``path`` is readable and its row count is the manifest's."""
    try:
        rows = pq.read_metadata(path).num_rows
    except (OSError, pa.ArrowException) as exc:
        raise _damaged(path, f"not a readable Parquet file ({exc})") from None
    _check_rows(path, rows, listed)
