"""Everything overdue writes takes its mode from the umask, as a plain ``open``/``mkdir`` would:
run folders and their files readable by colleagues under 022, private under 077 (not the 0700
and 0600 that tempfile would give)."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from pathlib import Path
from unittest import mock

import pytest

from simulator import files
from simulator.cli import main
from tests.quick_book import QUICK_ARGS

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SMALL = ["--borrowers", "2000", "--paths", "2", "--horizon-days", "60", "--quiet",
         *QUICK_ARGS]


@contextlib.contextmanager
def _umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077], ids=["022", "027", "077"])
def test_a_run_folder_follows_the_umask(mask, tmp_path):
    out = io.StringIO()
    with (
        _umask(mask),
        mock.patch.object(sys, "argv", ["overdue", "run", str(BASELINE), *SMALL, "--out",
                                        str(tmp_path / "new" / "run")]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
    ):
        main()
    run = tmp_path / "new" / "run"
    assert _mode(tmp_path / "new") == 0o777 & ~mask  # a parent it had to create
    assert _mode(run) == 0o777 & ~mask
    names = sorted(p.name for p in run.iterdir())
    assert names == ["manifest.json", "paths.parquet", "quantiles.parquet", "scenario.yaml",
                     "timeseries.parquet", "vintages.parquet"]
    for name in names:
        assert _mode(run / name) == 0o666 & ~mask, name


@pytest.mark.parametrize("mask", [0o022, 0o027], ids=["022", "027"])
def test_an_atomically_written_file_follows_the_umask(mask, tmp_path):
    """The path reports (PDF and HTML) are written through."""
    target = tmp_path / "report.html"
    with _umask(mask):
        files.atomic_write(target, lambda tmp: tmp.write_text("<html></html>"))
        assert _mode(target) == 0o666 & ~mask
        # and replacing a file keeps the rule, whatever mode the old file had
        target.chmod(0o600)
        files.atomic_write(target, lambda tmp: tmp.write_text("<html>2</html>"))
        assert _mode(target) == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_the_umask_is_read_without_changing_it():
    with _umask(0o027):
        assert files.current_umask() == 0o027
        assert files.current_umask() == 0o027
