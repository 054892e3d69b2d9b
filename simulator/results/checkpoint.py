"""Checkpoints of an unfinished run, so that ``overdue run --resume`` continues it.

While a run is simulated, each finished task's aggregate (int64, one path block x one borrower
chunk) is written to ``<run folder>.partial/``, beside the run folder it will become:

- ``checkpoint.json``: the key, everything that determines the bits (the resolved scenario's
  sha256, seed, paths, borrowers, horizon, the tape's size and time, the task plan, the code's
  version and the sha256 of its source, numpy and numba versions). A resume whose key differs
  is refused (exit 2) naming what differs: aggregates of two different runs are never mixed.
- ``task-p<lo>-<hi>-b<lo>-<hi>.agg``: one task's aggregate, zlib-compressed, after a header
  line with its shape and the sha256 of its bytes. Written to a temporary name and renamed,
  so a file under this name is complete; one whose checksum fails is computed again.
- ``lock``: the host and pid of the process using the folder (a second one is refused).

Why a folder of its own, and not the run's temporary folder: a SIGINT or SIGTERM removes the
temporary files of the process it stops, and the next command removes those a killed process
left, by design. The ``.partial`` folder is neither: interruptions keep it (when it holds at
least one task), the sweep does not match its name, and it lives on the same disk as the run,
so it survives a SIGKILL or a lost machine. It is removed once the run folder is in place.
Adding the saved aggregates and the rest is integer addition, so the resumed run's Parquet
files are byte-identical to an uninterrupted run's.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from simulator import files
from simulator.errors import InputError

SUFFIX = ".partial"
KEY_FILE = "checkpoint.json"
LOCK_FILE = "lock"
FORMAT = "overdue-checkpoint-1"
_TASK_FILE = re.compile(r"^task-p(\d+)-(\d+)-b(\d+)-(\d+)\.agg$")
_STAMPED = re.compile(r"-\d{8}-\d{6}$")

Notice = Callable[[str], None]


def partial_folder(out: Path) -> Path:
    """The checkpoint folder of the run folder ``out``: ``<out>.partial`` beside it."""
    out = Path(out)
    return out.with_name(out.name + SUFFIX)


def latest_partial(out_root: Path, run_prefix: str) -> Path | None:
    """The run folder (not its ``.partial``) of the newest checkpoint folder under ``out_root``
    named ``<run_prefix>-YYYYMMDD-HHMMSS.partial``, or None: where ``--resume`` without
    ``--out`` continues."""
    try:
        names = os.listdir(out_root)
    except OSError:
        return None
    found = sorted(n[: -len(SUFFIX)] for n in names
                   if n.endswith(SUFFIX) and n.startswith(run_prefix + "-")
                   and _STAMPED.search(n[: -len(SUFFIX)])
                   and n[len(run_prefix): -len(SUFFIX)].count("-") == 2
                   and (Path(out_root) / n / KEY_FILE).is_file())
    return Path(out_root) / found[-1] if found else None


def remove_if_complete(out: Path, notice: Notice | None = None) -> None:
    """Remove ``out``'s checkpoint folder when ``out`` is the complete run those checkpoints
    were for (a process stopped between moving the run folder in and removing them)."""
    if Path(out).name in ("", ".", ".."):  # no run folder there: the destination check says so
        return
    partial = partial_folder(out)
    try:
        manifest = json.loads((Path(out) / "manifest.json").read_text(encoding="utf-8"))
        key = json.loads((partial / KEY_FILE).read_text(encoding="utf-8"))["key"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return
    same = ["scenario_sha256", "seed", "paths", "chunk_size", "path_block"]
    if ("resumed_tasks" in manifest and isinstance(key, dict)
            and all(manifest.get(k) == key.get(k) for k in same)):
        files.remove(partial)
        if notice is not None:
            notice(f"removed {_show(partial)}: the run it was for is complete in {_show(out)}")


def source_sha256() -> str:
    """sha256 over the package's Python sources (paths and bytes): a resume after any change to
    the code that could change the bits is refused, even without a new version number. Read
    afresh each time (a few hundred kilobytes), so it describes the code as it is now."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def _tape_stamp(tape: str | None) -> str | None:
    if tape is None:
        return None
    if Path(tape).is_dir():  # a dataset: every file's name, size and time
        h = hashlib.sha256()
        for path in sorted(p for p in Path(tape).rglob("*") if p.is_file()):
            h.update(f"{path.relative_to(tape).as_posix()}\0{_tape_stamp(str(path))}\0".encode())
        return f"folder, files {h.hexdigest()}"
    try:
        st = os.stat(tape)
    except OSError:
        return None
    return f"{st.st_size} bytes, modified {st.st_mtime_ns} ns"


def run_key(scenario, chunk_size: int, path_block: int) -> dict:
    """What determines a run's bits, for ``checkpoint.json``; ``chunk_size`` and ``path_block``
    as resolved (never 0 or None)."""
    import numba

    from simulator._version import __version__

    return {
        "scenario_sha256": scenario.sha256(),
        "seed": scenario.monte_carlo.seed,
        "paths": scenario.monte_carlo.paths,
        "borrowers": scenario.book.borrowers,
        "horizon_days": scenario.horizon_days,
        "tape": _tape_stamp(scenario.book.tape),
        "chunk_size": int(chunk_size),
        "path_block": int(path_block),
        "overdue_version": __version__,
        "source_sha256": source_sha256(),
        "numpy": np.__version__,
        "numba": numba.__version__,
    }


def task_file(task) -> str:
    return f"task-p{task.path_lo}-{task.path_hi}-b{task.b_lo}-{task.b_hi}.agg"


def encode(part: np.ndarray, counts: dict[str, int]) -> bytes:
    """A task's aggregate and counts as the bytes of its file: a JSON header line (shape,
    counts, sha256 of the aggregate's bytes), then the aggregate, zlib-compressed."""
    raw = np.ascontiguousarray(part, dtype=np.int64).tobytes()
    header = {"format": FORMAT, "shape": list(part.shape), "dtype": "int64",
              "counts": {k: int(v) for k, v in counts.items()},
              "sha256": hashlib.sha256(raw).hexdigest()}
    return json.dumps(header).encode() + b"\n" + zlib.compress(raw, 1)


def decode(data: bytes, shape: tuple[int, ...]) -> tuple[np.ndarray, dict[str, int]]:
    """The aggregate and counts in ``data`` (see :func:`encode`); ValueError saying what is
    wrong when it is damaged or not of ``shape``."""
    head, sep, body = data.partition(b"\n")
    try:
        header = json.loads(head) if sep else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError("not an overdue checkpoint (its header is missing or damaged)")
    if tuple(header.get("shape") or ()) != tuple(shape) or header.get("dtype") != "int64":
        raise ValueError(f"holds shape {header.get('shape')}, not {list(shape)}")
    counts = header.get("counts")
    if not isinstance(counts, dict) or not all(type(v) is int for v in counts.values()):
        raise ValueError("its counts are missing or damaged")
    try:
        raw = zlib.decompress(body)
    except zlib.error:
        raise ValueError("its data are damaged (cannot be decompressed)") from None
    if hashlib.sha256(raw).hexdigest() != header.get("sha256"):
        raise ValueError("its checksum does not match its data")
    return np.frombuffer(raw, dtype=np.int64).reshape(shape).copy(), counts


def _differences(stored: dict, key: dict) -> list[str]:
    return [f"{k}: checkpoint {stored.get(k)!r}, this run {key.get(k)!r}"
            for k in sorted(set(stored) | set(key)) if stored.get(k) != key.get(k)]


def _show(path: Path) -> str:
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel


def _write_json(path: Path, value: dict) -> None:
    tmp = files.temp_path(path)
    with files.owned(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(value, indent=2) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


class Checkpoint:
    """The checkpoint folder of one run being simulated (see the module docstring).

    The folder is made when the first task is saved, so a run stopped before any task
    finished leaves nothing; a run of a single task is not checkpointed (it has no partial
    progress to keep)."""

    def __init__(self, out: Path, key: dict, notice: Notice | None = None) -> None:
        self.out = Path(out)
        self.folder = partial_folder(self.out)
        self.key = key
        self.notice = notice or (lambda message: None)
        self.created: list[Path] = []  # folders made for it, removed again if left empty
        self.total_tasks = 0
        self.resumed = 0
        self._plan: dict = {}
        self._shape_tail: tuple[int, ...] = ()
        self._exists = False
        self._making = threading.Lock()
        self._failed = False
        self._closed = False  # stopped or complete: tasks still finishing are not saved

    # -- opening --------------------------------------------------------------------------

    def open(self, resume: bool, force: bool) -> Checkpoint:
        """Check the folder: continue it (``resume``) or discard it (``force``) when it exists.

        InputError (exit 2) when it exists without ``--resume`` or ``--force``, when its key
        differs from this run's, or when another live process uses it."""
        shown = _show(self.folder)
        exists = os.path.lexists(self.folder)
        if exists and not self.folder.is_dir():
            raise InputError("is in the way of the run's checkpoint folder and is not one; "
                             "move it away", path=shown)
        if exists and not (self.folder / KEY_FILE).exists() and self.saved() == 0:
            self._check_lock()
            files.remove(self.folder)  # made by a process killed before its first task was in
            exists = False
        if exists and not resume:
            if not force:
                raise InputError(f"holds checkpoints of an unfinished run into "
                                 f"{_show(self.out)!r}: add --resume to continue it, or "
                                 "--force to discard them and start afresh", path=shown)
            self._check_lock()
            files.remove(self.folder)
            exists = False
        if exists:
            stored = self._stored_key()
            differs = _differences(stored.get("key", {}), self.key)
            if differs:
                raise InputError("its checkpoints are of a different run; --resume continues "
                                 "only the same scenario, options and code (" +
                                 "; ".join(differs) + "); remove the folder or drop --resume "
                                 "and add --force to start afresh", path=shown)
            self._check_lock()
            self._take_lock()
            files.sweep(self.folder)  # temporary files of a killed writer
            self._exists = True
        elif resume:
            self.notice(f"no checkpoint at {shown}: starting from scratch")
        return self

    def _stored_key(self) -> dict:
        try:
            stored = json.loads((self.folder / KEY_FILE).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"its {KEY_FILE} cannot be read ({exc}); remove the folder to "
                             "start afresh", path=_show(self.folder)) from None
        if not isinstance(stored, dict) or stored.get("format") != FORMAT:
            raise InputError(f"its {KEY_FILE} is not an overdue checkpoint key; remove the "
                             "folder to start afresh", path=_show(self.folder))
        return stored

    def _check_lock(self) -> None:
        """Refuse a folder a live process of this host is using. Another host's process cannot
        be asked about (it may be a lost machine): say so and go on. Two writers would write the
        same bits under the same names, so sharing the folder cannot mix runs."""
        try:
            host, pid = (self.folder / LOCK_FILE).read_text(encoding="ascii").split()
            pid_n = int(pid)
        except (OSError, ValueError, UnicodeDecodeError):
            return
        if host != files.host_tag():
            self.notice(f"{_show(self.folder)} was last used by process {pid} on another "
                        "host (a lost machine?); taking it over")
        elif not files.process_gone(host, pid_n):
            raise InputError(f"is in use by the running process {pid}; wait for it or stop it",
                             path=_show(self.folder))

    def _take_lock(self) -> None:
        lock = self.folder / LOCK_FILE
        _write_text_atomic(lock, f"{files.host_tag()} {os.getpid()}\n")
        files.own(lock)  # removed if this process is interrupted

    def _make(self) -> None:
        """Make the folder, its key and lock (on the first task saved)."""
        self.created = [p for p in (self.folder.parent, *self.folder.parent.parents)
                        if not os.path.lexists(p)]
        self.folder.mkdir(parents=True)
        self._exists = True  # from here on, abandon() cleans it up
        files.apply_umask(self.folder, folder=True)
        _write_json(self.folder / KEY_FILE, {"format": FORMAT, "run_folder": self.out.name,
                                             "key": self.key, **self._plan})
        self._take_lock()
        self._exists = True

    # -- tasks ----------------------------------------------------------------------------

    def finished(self, tasks: list, shape_tail: tuple[int, ...]) -> dict:
        """The tasks of ``tasks`` already saved (task -> file), after checking that the folder
        was made for this task plan and each file is whole; a damaged file is said, removed,
        and its task computed again. ``shape_tail``: an aggregate's shape after its paths."""
        self.total_tasks = len(tasks)
        self._shape_tail = tuple(shape_tail)
        plan = hashlib.sha256(json.dumps(
            [[t.path_lo, t.path_hi, t.b_lo, t.b_hi] for t in tasks]).encode()).hexdigest()
        self._plan = {"plan_sha256": plan, "tasks": len(tasks), "shape_tail": list(shape_tail)}
        if not self._exists:
            if len(tasks) <= 1:
                self._closed = True  # nothing partial to keep
            return {}
        stored = self._stored_key()
        if (stored.get("plan_sha256"), stored.get("shape_tail")) != (plan, list(shape_tail)):
            raise InputError("its checkpoints are of a different task plan or book (tasks: "
                             f"checkpoint {stored.get('tasks')}, this run {len(tasks)}); "
                             "remove the folder or drop --resume and add --force to start "
                             "afresh", path=_show(self.folder))
        by_name = {task_file(t): t for t in tasks}
        found = {}
        for name in sorted(os.listdir(self.folder)):
            if not _TASK_FILE.match(name):
                continue
            if name not in by_name:
                raise InputError(f"holds {name}, which is not a task of this run's plan; "
                                 "remove the folder to start afresh", path=_show(self.folder))
            task, path = by_name[name], self.folder / name
            try:
                self.load(task, path)
            except (OSError, ValueError) as exc:
                self.notice(f"checkpoint {_show(path)} is damaged ({exc}); its task is "
                            "computed again")
                files.remove(path)
                continue
            found[task] = path
        self.resumed = len(found)
        return found

    def load(self, task, path: Path) -> tuple[np.ndarray, dict[str, int]]:
        """The saved aggregate and counts of ``task`` (OSError or ValueError when they cannot
        be read)."""
        return decode(path.read_bytes(), (task.path_hi - task.path_lo, *self._shape_tail))

    def save(self, task, result) -> None:
        """Write ``task``'s result (its aggregate and counts; called as each task finishes, from
        any thread). A write that fails (a full disk) is said once and checkpointing stops; the
        run goes on."""
        if self._failed or self._closed:
            return
        target = self.folder / task_file(task)
        tmp = files.temp_path(target)  # one per task: threads never share it
        try:
            with self._making:
                if not self._exists:
                    self._make()
            with files.owned(tmp):
                with open(tmp, "wb") as f:
                    counts = {k: v for k, v in result._asdict().items() if k != "aggregate"}
                    f.write(encode(result.aggregate, counts))
                    f.flush()
                    os.fsync(f.fileno())
                files.test_step("checkpoint_writing")
                os.replace(tmp, target)
        except OSError as exc:
            if self._closed:  # the run was stopped meanwhile: nothing more to say
                return
            self._failed = True
            self.notice(f"cannot write checkpoints in {_show(self.folder)} ({exc}); the run "
                        "goes on without them")

    def saved(self) -> int:
        try:
            return sum(1 for n in os.listdir(self.folder) if _TASK_FILE.match(n))
        except OSError:
            return 0

    # -- closing --------------------------------------------------------------------------

    def complete(self) -> None:
        """The run folder is in place: the checkpoints are no longer needed."""
        self._closed = True
        files.disown(self.folder / LOCK_FILE)
        if self._exists:
            files.remove(self.folder)

    def abandon(self, stopped: bool = True) -> None:
        """The run failed or was ``stopped`` (a signal): keep the folder when it holds a task
        (and, when stopped, say so in the interruption message), remove it (and the folders
        made for it) otherwise."""
        self._closed = True
        with self._making:  # not while a thread is making it
            pass
        if not self._exists:
            return
        n = self.saved()
        files.remove(self.folder / LOCK_FILE)
        files.disown(self.folder / LOCK_FILE)
        if n == 0:
            files.remove(self.folder)
            for folder in self.created:
                with contextlib.suppress(OSError):
                    folder.rmdir()
            return
        if not stopped:
            return
        total = f" of {self.total_tasks}" if self.total_tasks else ""
        files.kept.append(f"{n}{total} tasks are checkpointed in {_show(self.folder)}: the "
                          "same command with --resume continues the run")


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = files.temp_path(path)
    with files.owned(tmp):
        tmp.write_text(text, encoding="ascii")
        os.replace(tmp, path)
