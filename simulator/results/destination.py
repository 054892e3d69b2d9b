"""Where a run folder may be written, checked before any simulation is spent on it.

A destination is refused (InputError, exit 2) with the path and what is wrong when it names the
current folder or one above it, is a file, sits under a file or inside another run folder, lies
in a folder this process cannot write, has a name longer than the file system allows, or exists
and is not something ``--force`` may replace: ``--force`` replaces a run folder (one holding an
overdue ``manifest.json``) or an empty folder, and nothing else.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from simulator.errors import ExistingOutputError, InputError
from simulator.files import NAME_MAX, TEMP_SUFFIX_BYTES

MANIFEST = "manifest.json"


def is_run_folder(folder: Path) -> bool:
    """True when ``folder`` holds a manifest overdue wrote (a JSON object with its schema version
    and file list); a damaged or foreign ``manifest.json`` does not count."""
    try:
        with open(Path(folder) / MANIFEST, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(manifest, dict) and "schema_version" in manifest and isinstance(
        manifest.get("files"), dict)


def is_empty_folder(folder: Path) -> bool:
    """True when the folder ``folder`` holds nothing (OSError if it cannot be listed)."""
    with os.scandir(folder) as entries:
        return next(entries, None) is None


def name_max(folder: Path) -> int:
    """Bytes allowed in one name inside the existing folder ``folder``."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return NAME_MAX


def _exists(path: Path) -> bool:
    return os.path.lexists(path)


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if _exists(candidate):
            return candidate
    return Path(path.anchor or "/")


def _show(path: Path) -> str:
    """``path`` as the user would write it: relative to the current folder when inside it."""
    rel = os.path.relpath(path)
    return str(path) if rel == ".." or rel.startswith(".." + os.sep) else rel


def _write_problem(folder: Path) -> str | None:
    """Why this process cannot create entries in the existing folder ``folder``, or None."""
    if os.access(folder, os.W_OK | os.X_OK):
        return None
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "is on a read-only file system"
    except (OSError, AttributeError):
        pass
    return "is not writable (permission denied)"


def check_name_lengths(path: Path, shown: str, budget: int = TEMP_SUFFIX_BYTES) -> None:
    """Refuse a new ``path`` with a name the file system cannot hold: each component to be
    created must fit, and the last must leave ``budget`` bytes for its temporary name."""
    absolute = Path(os.path.abspath(path))
    anchor = _nearest_existing(absolute.parent)
    limit = name_max(anchor if anchor.is_dir() else anchor.parent)
    new_parts = absolute.relative_to(anchor).parts if anchor != absolute else ()
    for i, part in enumerate(new_parts):
        size = len(part.encode("utf-8", "surrogateescape"))
        last = i == len(new_parts) - 1
        room = limit - budget if last else limit
        if size > room:
            extra = f" (overdue adds up to {budget} while writing)" if last else ""
            raise InputError(
                f"the name {part[:40]!r}{'...' if len(part) > 40 else ''} is {size} bytes; "
                f"this file system allows {limit}{extra}: choose a shorter name",
                path=shown,
            )


def check_new_output(path: Path, shown: str, what: str = "output",
                     inside_run_ok: bool = False) -> Path:
    """Common checks for a new file or folder at ``path``: not under a file, not inside a run
    folder (unless ``inside_run_ok``), names that fit, a writable folder to create it in.
    Returns the existing folder the new entries go into."""
    absolute = Path(os.path.abspath(path))
    anchor = _nearest_existing(absolute.parent)
    if not anchor.is_dir():
        raise InputError(f"the {what} would sit under {_show(anchor)!r}, which is a file, "
                         "not a folder", path=shown)
    for folder in () if inside_run_ok else (anchor, *anchor.parents):
        if is_run_folder(folder):
            raise InputError(f"the {what} would sit inside the run folder {_show(folder)!r}; "
                             "choose a place outside it", path=shown)
    check_name_lengths(absolute, shown)
    problem = _write_problem(anchor)
    if problem:
        raise InputError(f"cannot write the {what} there: {_show(anchor)!r} {problem}",
                         path=shown)
    return anchor


def check_run_destination(folder: Path, force: bool) -> Path:
    """Check that a run folder can be written at ``folder`` (with ``force``: replaced) before
    the simulation starts; return ``folder``. InputError naming the path otherwise."""
    folder = Path(folder)
    shown = str(folder)
    absolute = Path(os.path.abspath(folder))
    cwd = Path(os.path.abspath(os.curdir))
    if folder.name in ("", ".", "..") or absolute == cwd or absolute in cwd.parents:
        raise InputError("is the current folder or one above it, not a new run folder: "
                         "give a folder name such as results/my-run", path=shown)
    check_new_output(folder, shown, "run folder")
    if not _exists(folder):
        return folder
    if folder.is_symlink():
        raise InputError("is a link; give the folder itself", path=shown)
    if not folder.is_dir():
        raise InputError("is a file, not a folder; give a folder name for the run", path=shown)
    if not force:
        raise ExistingOutputError(
            "output folder already exists; use --force to replace it", path=shown)
    try:
        empty = is_empty_folder(folder)
    except OSError as exc:
        raise InputError(f"cannot read the folder to replace it: {exc.strerror or exc}",
                         path=shown) from None
    if not (empty or is_run_folder(folder)):
        raise InputError("is not a run folder (no overdue manifest.json) and not empty: "
                         "--force replaces only run folders or empty folders; nothing was "
                         "deleted", path=shown)
    return folder


def check_report_output(target: Path) -> Path:
    """Check that a report file can be written at ``target`` before it is built: its folder
    exists and is writable, it is not a folder, and it is not one of the files of a run folder
    (whose checksums it would break). Returns ``target``."""
    target = Path(target)
    shown = str(target)
    if target.name in ("", ".", ".."):
        raise InputError("is a folder; give a file name such as report.pdf", path=shown)
    if os.path.lexists(target):
        if target.is_dir():
            raise InputError("is a folder; give a file name such as report.pdf", path=shown)
        if not target.is_file():
            raise InputError("exists and is not a regular file", path=shown)
    parent = Path(os.path.abspath(target)).parent
    if not os.path.lexists(parent):
        raise InputError("output folder does not exist", path=str(target.parent))
    check_new_output(target, shown, "report", inside_run_ok=True)
    if is_run_folder(parent) and (target.name in (MANIFEST, "scenario.yaml")
                                  or target.name.endswith(".parquet")):
        raise InputError("is a file of a run folder; writing the report there would damage "
                         "the run: give another name", path=shown)
    return target
