"""The one place that owns numba policy.

Every kernel is compiled with ``njit`` (nopython), ``nogil`` (so engine threads run kernels in
parallel), ``fastmath=False`` (money must round the same way as the plain-Python ledger) and
``error_model="numpy"``. Compiled kernels are cached in a per-user folder when it is writable
(``$OVERDUE_CACHE_DIR`` or ``~/.cache/overdue/numba``); otherwise caching is switched off and
kernels compile in memory, never failing a run because of a read-only home. Each version of
the compiled sources gets its own subfolder (``src-<digest>``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]


def _source_digest() -> str:
    """A digest of the compiled code's sources: the kernels and contract packages and every
    module with a ``@jit``. numba checks only the calling file's own timestamp, so a kernel
    that inlines an edited helper from another file would load stale code; a cache folder per
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
if CACHE_DIR is not None:
    # Child processes (Dask workers, the benchmark's runs) inherit the root, not the digest
    # folder: they add their own digest, and the same sources find the same folder.
    os.environ["OVERDUE_CACHE_DIR"] = str(CACHE_DIR.parent)
    os.environ["NUMBA_CACHE_DIR"] = str(CACHE_DIR)

import numba  # noqa: E402  (the cache folder must be set before numba reads its config)

if CACHE_DIR is not None:
    numba.config.CACHE_DIR = str(CACHE_DIR)

_OPTIONS = dict(nogil=True, fastmath=False, error_model="numpy",
                cache=CACHE_DIR is not None)


def jit(func=None, **extra):
    """``numba.njit`` with the project's options; usable bare or with extra options."""
    options = {**_OPTIONS, **extra}
    if func is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(func)


def set_threads(n: int | None) -> int:
    """Set numba's thread count (None: all cores); returns the count in force."""
    if n:
        numba.set_num_threads(min(int(n), numba.config.NUMBA_NUM_THREADS))
    return numba.get_num_threads()
