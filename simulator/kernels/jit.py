"""The one place that owns numba policy.

Every kernel is compiled with ``njit`` (nopython), ``nogil`` (so engine threads run kernels in
parallel), ``fastmath=False`` (money must round the same way as the plain-Python ledger) and
``error_model="numpy"``; the portfolio kernel also without LLVM's loop vectorizer
(``jit(loop_vectorize=False)``). Compiled kernels are cached in a per-user folder when it is
writable (``$OVERDUE_CACHE_DIR``, else ``$NUMBA_CACHE_DIR``, else ``~/.cache/overdue/numba``);
otherwise caching is switched off and kernels compile in memory, never failing a run because
of a read-only home. Each version of the compiled sources gets its own subfolder (``src-<digest>``).

Importing this module sets no environment variable and no numba configuration for the rest of
the process. The folder reaches numba through a cache locator, put in front of numba's own, that
answers only for files of this package: any other function cached with numba is located as if
this package had never been imported.
Child processes (Dask workers, the benchmark's runs) inherit the same environment, read the same
sources, and so find the same folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numba
from numba.core import caching

_PACKAGE = Path(__file__).resolve().parents[1]


def _source_digest() -> str:
    """A digest of the compiled code's sources: the kernels and contract packages and every
    module with a ``@jit``. numba checks only the calling file's own sources, so a kernel that
    inlines an edited helper from another file would load stale code; a cache folder per
    digest makes that impossible."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        text = path.read_bytes()
        if path.parent.name in ("kernels", "contract") or b"@jit" in text:
            digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + text + b"\0")
    return digest.hexdigest()[:16]


def _cache_dir() -> Path | None:
    if os.environ.get("OVERDUE_NO_CACHE"):
        return None
    root = os.environ.get("OVERDUE_CACHE_DIR") or os.environ.get("NUMBA_CACHE_DIR")
    path = Path(root) if root else Path.home() / ".cache" / "overdue" / "numba"
    path = path / f"src-{_source_digest()}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError:
        return None
    return path


CACHE_DIR = _cache_dir()

try:  # numba's locator interface is not public API: should it change, compile in memory
    _LOCATOR_BASES = (caching._SourceFileBackedLocatorMixin, caching._CacheLocator)
    _LOCATORS = (getattr(caching, "CacheImpl", None) or caching._CacheImpl)._locator_classes
except AttributeError:  # (_CacheImpl is the older numba's name)
    _LOCATOR_BASES, _LOCATORS, CACHE_DIR = (object,), None, None


class PackageCacheLocator(*_LOCATOR_BASES):
    """numba's cache locator for functions defined in this package's files: their cache goes
    to :data:`CACHE_DIR`. It declines any other file, so numba's own locators handle it."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(CACHE_DIR / self.get_suitable_cache_subpath(py_file))

    def get_cache_path(self) -> str:
        return self._cache_path

    @classmethod
    def from_function(cls, py_func, py_file):
        if CACHE_DIR is None or not Path(py_file).resolve().is_relative_to(_PACKAGE):
            return None
        return super().from_function(py_func, py_file)


def _register(locator: type, locators: list) -> None:
    """Put ``locator`` first among numba's locators, replacing an earlier copy of it (a module
    imported again) rather than stacking a second one."""
    locators[:] = [c for c in locators
                   if (c.__module__, c.__qualname__) != (locator.__module__, locator.__qualname__)]
    locators.insert(0, locator)


if _LOCATORS is not None:
    _register(PackageCacheLocator, _LOCATORS)

_OPTIONS = dict(nogil=True, fastmath=False, error_model="numpy",
                cache=CACHE_DIR is not None)


def jit(func=None, *, loop_vectorize=True, **extra):
    """``numba.njit`` with the project's options; usable bare or with extra options.

    ``loop_vectorize=False`` compiles the function (and what it inlines) without LLVM's loop
    vectorizer: the portfolio kernel's loops run over a borrower's one to three drawdowns and
    their few due instalments, where the vectorized loops' checks and set-up cost more than
    they save (3-7% of the kernel, benchmarks/NOTES.md 3g). The same bits either way: without
    fast-math the vectorizer does not reorder floating-point arithmetic."""
    options = {**_OPTIONS, **extra}

    def wrap(f):
        dispatcher = numba.njit(**options)(f)
        if not loop_vectorize:
            _compile_without_loop_vectorizer(dispatcher)
        return dispatcher

    return wrap if func is None else wrap(func)


def _compile_without_loop_vectorizer(dispatcher) -> None:
    """Make ``dispatcher`` compile with numba's loop-vectorize setting off. numba reads the
    setting when it optimises, so it is switched for the compilation alone, under numba's
    compiler lock (no other function compiles meanwhile), and restored after it."""
    try:  # numba internals: should they change, compile with numba's defaults
        from numba.core import config
        from numba.core.compiler_lock import global_compiler_lock
    except ImportError:
        return
    compile_ = dispatcher.compile

    def compile_scalar(sig):
        with global_compiler_lock:
            saved = config.LOOP_VECTORIZE
            config.LOOP_VECTORIZE = 0
            try:
                return compile_(sig)
            finally:
                config.LOOP_VECTORIZE = saved

    dispatcher.compile = compile_scalar


def set_threads(n: int | None) -> int:
    """Set numba's thread count (None: all cores); returns the count in force."""
    if n:
        numba.set_num_threads(min(int(n), numba.config.NUMBA_NUM_THREADS))
    return numba.get_num_threads()
