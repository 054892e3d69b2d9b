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


def _child(code: str, env: dict | None = None) -> list[str]:
    return subprocess.run([sys.executable, "-c", code], env=dict(env or os.environ),
                          capture_output=True, text=True, check=True).stdout.split()


def test_child_processes_find_the_same_cache_folder():
    # A Dask worker or a benchmark run inherits this process's environment; it must load the
    # kernels compiled here, not nest a new digest folder inside this one and compile again.
    assert numba_policy.CACHE_DIR is not None
    out = _child("import simulator.kernels.jit as n; print(n.CACHE_DIR)")
    assert out == [str(numba_policy.CACHE_DIR)]


def test_importing_the_package_leaves_environment_and_numba_config_alone():
    out = _child("import json, os, numba\n"
                 "env, folder = dict(os.environ), numba.config.CACHE_DIR\n"
                 "import simulator, simulator.cli.app\n"
                 "print(json.dumps(env == dict(os.environ)), "
                 "json.dumps(folder == numba.config.CACHE_DIR))")
    assert out == ["true", "true"]


def test_only_our_functions_use_our_cache_folder(tmp_path, monkeypatch):
    from simulator.kernels.rng import uniform

    assert Path(uniform._cache._cache_path).is_relative_to(numba_policy.CACHE_DIR)
    (tmp_path / "elsewhere.py").write_text("import numba\n\n"
                                           "@numba.njit(cache=True)\n"
                                           "def twice(x):\n    return 2 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import elsewhere  # numba's own locator: the __pycache__ beside the file

    assert Path(elsewhere.twice._cache._cache_path) == tmp_path / "__pycache__"


def test_a_child_process_loads_what_this_one_compiled(tmp_path):
    # The folder comes from the environment the child inherits and the sources it reads; a
    # fresh folder makes the first process compile, and the second must only load.
    env = {**os.environ, "OVERDUE_CACHE_DIR": str(tmp_path)}
    env.pop("OVERDUE_NO_CACHE", None)
    call = ("from simulator.kernels.rng import uniform\n"
            "uniform(1, 2, 3, 4, 5)\n"
            "print(sum(uniform.stats.cache_hits.values()), "
            "sum(uniform.stats.cache_misses.values()))")
    assert _child(call, env) == ["0", "1"]  # compiled and saved
    assert any(tmp_path.glob("src-*/*/rng.uniform-*.nbi"))
    assert _child(call, env) == ["1", "0"]  # loaded, not compiled


def test_locator_registered_once_and_in_memory_without_numba_internals():
    # Imported again (a reload), the locator replaces its earlier copy; with a numba whose
    # private locator classes are gone, kernels still compile, in memory.
    out = _child("import importlib\n"
                 "import simulator.kernels.jit as n\n"
                 "importlib.reload(n)\n"
                 "print(sum(c.__name__ == 'PackageCacheLocator' for c in n._LOCATORS))\n"
                 "import numba.core.caching as c\n"
                 "del c._CacheLocator\n"
                 "importlib.reload(n)\n"
                 "print(n.CACHE_DIR, n._OPTIONS['cache'], n.jit(lambda x: x + 1)(1))")
    assert out == ["1", "None", "False", "2"]
