"""Compiled kernels are cached per version of their sources: numba itself only checks the
calling file's timestamp, so an edited helper inlined from another file would load stale code."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import simulator.kernels.jit as numba_policy


def test_cache_folder_follows_every_compiled_source(tmp_path, monkeypatch):
    package = tmp_path / "simulator"
    shutil.copytree(numba_policy._PACKAGE, package,
                    ignore=shutil.ignore_patterns("__pycache__", "data"))
    monkeypatch.setattr(numba_policy, "_PACKAGE", package)
    original = numba_policy._source_digest()

    helper = package / "kernels" / "drawdown.py"  # inlined into the portfolio kernel
    helper.write_text(helper.read_text() + "\n# edited\n")
    edited = numba_policy._source_digest()
    assert edited != original

    report = package / "reporting" / "report.py"  # no compiled code: editing it keeps the cache
    report.write_text(report.read_text() + "\n# edited\n")
    assert numba_policy._source_digest() == edited


def test_cache_folder_is_named_by_the_digest(tmp_path, monkeypatch):
    monkeypatch.setenv("OVERDUE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("OVERDUE_NO_CACHE", raising=False)
    assert numba_policy._cache_dir() == tmp_path / f"src-{numba_policy._source_digest()}"


def test_child_processes_find_the_same_cache_folder():
    # A Dask worker or a benchmark run inherits this process's environment; it must load the
    # kernels compiled here, not nest a new digest folder inside this one and compile again.
    assert numba_policy.CACHE_DIR is not None
    out = subprocess.run(
        [sys.executable, "-c", "import simulator.kernels.jit as n, numba; "
                               "print(n.CACHE_DIR); print(numba.config.CACHE_DIR)"],
        env=dict(os.environ), capture_output=True, text=True, check=True,
    ).stdout.split()
    assert out == [str(numba_policy.CACHE_DIR)] * 2
