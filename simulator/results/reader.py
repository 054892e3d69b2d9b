"""Open a run folder written by :func:`simulator.results.writer.write_run`.

Opening checks the manifest and the sha256 of every file it lists, so a partial or edited folder
is refused before anything is analysed. Tables are read lazily, on first use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from simulator.errors import InputError
from simulator.results.registry import SCHEMA_VERSION, TABLES, validate_table
from simulator.results.writer import MANIFEST, SCENARIO, sha256_file

_ALTERED = "run folder is incomplete or altered"


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
            Check the sha256 of every file the manifest lists (on by default).

        Raises
        ------
        InputError
            The folder or its manifest is missing, the manifest is unreadable or of another
            schema version, or a file is missing or its sha256 does not match the manifest.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError("run folder does not exist", path=str(folder))
        mpath = folder / MANIFEST
        if not mpath.is_file():
            raise InputError(f"{_ALTERED}: {MANIFEST} is missing", path=str(folder))
        try:
            manifest = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(
                f"{_ALTERED}: {MANIFEST} is unreadable ({exc})", path=str(folder)
            ) from None
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            raise InputError(f"{_ALTERED}: {MANIFEST} lists no files", path=str(folder))
        version = manifest.get("schema_version")
        if version != SCHEMA_VERSION:
            raise InputError(
                f"run folder has results schema version {version!r}; "
                f"this overdue reads version {SCHEMA_VERSION!r}",
                path=str(folder),
            )
        expected = {f"{name}.parquet" for name in TABLES} | {SCENARIO}
        absent = sorted(expected - set(manifest["files"]))
        if absent:
            raise InputError(f"{_ALTERED}: {MANIFEST} does not list {absent[0]}", path=str(folder))
        if verify:
            for fname, digest in manifest["files"].items():
                fpath = folder / fname
                if Path(fname).name != fname or not fpath.is_file():
                    raise InputError(f"{_ALTERED}: {fname} is missing", path=str(folder))
                if sha256_file(fpath) != digest:
                    raise InputError(
                        f"{_ALTERED}: {fname} does not match its sha256 in {MANIFEST}",
                        path=str(folder),
                    )
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
            self._scenario = (self._folder / SCENARIO).read_text(encoding="utf-8")
        return self._scenario

    def table(self, name: str) -> pa.Table:
        """Read (once) and return the results table ``name``."""
        if name not in TABLES:
            raise KeyError(f"unknown results table {name!r}; known: {', '.join(TABLES)}")
        if name not in self._tables:
            table = pq.read_table(self._folder / f"{name}.parquet")
            try:
                validate_table(name, table)
            except ValueError as exc:
                raise InputError(f"{_ALTERED}: {exc}", path=str(self._folder)) from None
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
