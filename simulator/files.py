"""Writing files and folders safely: temporary names that say whose they are, modes from the
umask, atomic replacement of a file, and sweeping what a killed process left behind.

Every temporary entry overdue makes sits beside its target as ``.<target>.<kind>-<host>-<pid>``
(kind ``tmp`` for something being written, ``old`` for a run folder set aside while ``--force``
replaces it). The host tag and pid let a later command tell a live writer's entry from one a
killed process left: it removes (or, for ``old``, restores) only entries of this host whose
process is gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from simulator.interrupt import deferred

NAME_MAX = 255
"""Bytes in one file name on the common file systems (ext4, xfs, btrfs, APFS, NTFS in UTF-16
units); used when the file system does not say."""

TEMP_SUFFIX_BYTES = 20
"""The most a temporary name adds to its target's name: ``.`` + ``.tmp-`` + 6 + ``-`` + a
7-digit pid."""

_HOST = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<host>[0-9a-f]{6})-(?P<pid>\d+)$")

_owned: set[Path] = set()
"""Temporary entries this process is writing now; removed on an interruption."""

written: list[Path] = []
"""Outputs this process has put in place, newest last (an interruption after that point must
not say that nothing was written)."""

kept: list[str] = []
"""What this process deliberately leaves behind when it is stopped (a run's checkpoints), one
phrase each for the interruption message."""


# --------------------------------------------------------------------------------------------
# Modes


def current_umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no other way to read it: set and restore at once
    os.umask(mask)
    return mask


def apply_umask(path: Path, folder: bool = False) -> None:
    """Give ``path`` the mode a plain ``open``/``mkdir`` would have given it under the umask.

    ``tempfile.mkstemp`` makes 0600 files and ``mkdtemp`` 0700 folders whatever the umask, so a
    report or run folder made through them would be unreadable by colleagues under umask 022.
    """
    os.chmod(path, (0o777 if folder else 0o666) & ~current_umask())


# --------------------------------------------------------------------------------------------
# Temporary names and their owners


def temp_path(target: Path, kind: str = "tmp") -> Path:
    """The temporary sibling of ``target`` owned by this process."""
    target = Path(target)
    return target.parent / f".{target.name}.{kind}-{_HOST}-{os.getpid()}"


def parse_temp(name: str) -> tuple[str, str, str, int] | None:
    """``(target name, kind, host tag, pid)`` of a temporary name, or None for any other name."""
    m = _TEMP.match(name)
    if m is None:
        return None
    return m["name"], m["kind"], m["host"], int(m["pid"])


def host_tag() -> str:
    """This host's tag in temporary names (and checkpoint locks)."""
    return _HOST


def process_gone(host: str, pid: int) -> bool:
    """True when the process ``pid`` of the host tagged ``host`` is known to be gone: only a
    process of this host can be asked about; another host's is taken as alive."""
    return host == _HOST and _process_gone(pid)


def _process_gone(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError, OSError):
        return False  # alive under another user, or not a pid we can ask about
    return False


def stale_entries(parent: Path) -> Iterator[tuple[Path, str, str]]:
    """``(entry, target name, kind)`` for each temporary entry in ``parent`` whose process, on
    this host, is gone."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        parsed = parse_temp(name)
        if parsed is None:
            continue
        target, kind, host, pid = parsed
        if host == _HOST and _process_gone(pid):
            yield Path(parent) / name, target, kind


def remove(path: Path) -> None:
    """Remove a file, link or folder tree; nothing if it is not there."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            path.unlink()


def sweep(parent: Path, keep: Callable[[Path], bool] | None = None) -> None:
    """Clean up after killed processes in ``parent``: remove their temporary entries, and put a
    run folder set aside by an unfinished ``--force`` back at its name when nothing replaced it.

    A set-aside folder whose target name is taken is removed only when ``keep(target)`` says the
    target is a complete replacement; otherwise it is left for a person to look at. Errors (a
    read-only folder, another process sweeping at the same time) are ignored.
    """
    for entry, target_name, kind in list(stale_entries(parent)):
        target = Path(parent) / target_name
        try:
            if kind == "tmp":
                remove(entry)
            elif not (target.exists() or target.is_symlink()):
                os.rename(entry, target)  # the new run never arrived: the old one goes back
            elif keep is not None and keep(target):
                remove(entry)
        except OSError:
            pass


# --------------------------------------------------------------------------------------------
# Owning temporary entries


@contextlib.contextmanager
def owned(path: Path) -> Iterator[Path]:
    """Own the temporary entry ``path`` for the duration: removed if the block fails or is
    interrupted, and by :func:`remove_owned` if the process is stopped while inside it."""
    path = Path(path)
    _owned.add(path)
    try:
        yield path
    except BaseException:
        remove(path)
        raise
    finally:
        _owned.discard(path)


def own(path: Path) -> None:
    """Own ``path`` from now on (see :func:`owned`) until :func:`disown`."""
    _owned.add(Path(path))


def disown(path: Path) -> None:
    """No longer own ``path``."""
    _owned.discard(Path(path))


def remove_owned() -> None:
    """Remove every temporary entry this process owns (called when it is interrupted)."""
    for path in list(_owned):
        remove(path)
        _owned.discard(path)


# --------------------------------------------------------------------------------------------
# Atomic files


def atomic_write(target: Path, write: Callable[[Path], None]) -> Path:
    """Write ``target`` through ``write(temporary path)`` and rename it into place, so a reader
    sees the old file or the new one, never half of one; the file gets the umask's mode."""
    target = Path(target)
    sweep(target.parent)
    tmp = temp_path(target)
    with owned(tmp):
        remove(tmp)
        write(tmp)
        test_step("file_writing")  # written, not yet in place: the temporary file exists
        apply_umask(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        with deferred():
            os.replace(tmp, target)
            written.append(target)
    return target


# --------------------------------------------------------------------------------------------
# Test hook


def test_step(step: str) -> None:
    """Where ``OVERDUE_TEST_STEP`` names ``step``: say so on stderr and sleep
    ``OVERDUE_TEST_STEP_SLEEP`` seconds (default 60), so a test can signal or kill the process
    at exactly that point. Does nothing otherwise."""
    if os.environ.get("OVERDUE_TEST_STEP") != step:
        return
    sys.stderr.write(f"overdue-test-step {step}\n")  # one write: a signal cannot split it
    sys.stderr.flush()
    time.sleep(float(os.environ.get("OVERDUE_TEST_STEP_SLEEP", "60")))
