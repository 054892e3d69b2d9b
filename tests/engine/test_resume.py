"""Checkpoints and --resume in one process: a run stopped after some tasks and resumed writes
the same Parquet bytes as one never stopped; checkpoints of another run are refused; a damaged
checkpoint is computed again; the checkpoint folder is gone after success; the ETA text."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator import files
from simulator.api import run
from simulator.cli.progress import Eta, format_eta
from simulator.errors import InputError
from simulator.results.checkpoint import decode, encode, partial_folder
from tests.quick_book import QUICK

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["book.borrowers=3000", "monte_carlo.paths=4", "horizon_days=60", *QUICK]
OPTIONS = dict(threads=1, chunk_size=1000, path_block=2)  # 6 tasks


class Stop(BaseException):
    """Stands for an interruption after some tasks."""


def _scenario(*extra: str):
    return simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml", [*SMALL, *extra])


def _parquet_hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.parquet"))}


def _stop_after(n_tasks: int):
    """A progress callback that stops the run once ``n_tasks`` tasks have finished (on one
    thread, it runs in the thread that runs the tasks, after the task's checkpoint)."""
    calls = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) > n_tasks:  # the first call is where the run starts
            raise Stop

    return progress


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("resume") / "whole"
    run(_scenario(), out=out, **OPTIONS)
    assert not partial_folder(out).exists()  # removed once the run folder is written
    return _parquet_hashes(out)


def _stopped_run(out: Path, n_tasks: int) -> None:
    with pytest.raises(Stop):
        run(_scenario(), out=out, progress=_stop_after(n_tasks), **OPTIONS)
    assert not out.exists()


def test_a_stopped_run_resumed_gives_the_same_bytes(tmp_path, reference):
    out = tmp_path / "run"
    _stopped_run(out, 2)
    saved = sorted(p.name for p in partial_folder(out).glob("task-*.agg"))
    assert len(saved) == 2, saved
    notices: list[str] = []
    done = run(_scenario(), out=out, resume=True, notice=notices.append, **OPTIONS)
    assert notices == []
    assert done.manifest["resumed_tasks"] == 2 and done.manifest["tasks"] == 6
    assert _parquet_hashes(out) == reference
    assert not partial_folder(out).exists()


def test_resume_with_other_threads_and_twice_stopped(tmp_path, reference):
    """Stopped twice (the second time after resuming), finished on two threads."""
    out = tmp_path / "run"
    _stopped_run(out, 1)
    with pytest.raises(Stop):
        run(_scenario(), out=out, resume=True, progress=_stop_after(2), **OPTIONS)
    assert len(list(partial_folder(out).glob("task-*.agg"))) == 3
    done = run(_scenario(), out=out, resume=True, **{**OPTIONS, "threads": 2})
    assert done.manifest["resumed_tasks"] == 3
    assert _parquet_hashes(out) == reference


@pytest.mark.parametrize(("extra", "options", "differs"), [
    (["monte_carlo.seed=7"], {}, "seed"),
    (["contract.charge_off_dpd=120"], {}, "scenario_sha256"),
    ([], {"chunk_size": 500}, "chunk_size"),
    ([], {"path_block": 1}, "path_block"),
])
def test_checkpoints_of_another_run_are_refused(tmp_path, extra, options, differs):
    out = tmp_path / "run"
    _stopped_run(out, 1)
    before = sorted(p.name for p in partial_folder(out).iterdir())
    with pytest.raises(InputError) as info:
        run(_scenario(*extra), out=out, resume=True, **{**OPTIONS, **options})
    assert f"{differs}: checkpoint" in str(info.value)
    assert sorted(p.name for p in partial_folder(out).iterdir()) == before  # left as it was
    assert not out.exists()


def test_other_code_is_refused(tmp_path, monkeypatch):
    out = tmp_path / "run"
    _stopped_run(out, 1)
    monkeypatch.setattr("simulator.results.checkpoint.source_sha256", lambda: "0" * 64)
    with pytest.raises(InputError, match="source_sha256: checkpoint"):
        run(_scenario(), out=out, resume=True, **OPTIONS)


def test_a_damaged_checkpoint_is_computed_again(tmp_path, reference):
    out = tmp_path / "run"
    _stopped_run(out, 2)
    damaged = sorted(partial_folder(out).glob("task-*.agg"))[0]
    data = bytearray(damaged.read_bytes())
    data[-5] ^= 0xFF
    damaged.write_bytes(bytes(data))
    notices: list[str] = []
    done = run(_scenario(), out=out, resume=True, notice=notices.append, **OPTIONS)
    assert len(notices) == 1 and damaged.name in notices[0] and "damaged" in notices[0], notices
    assert done.manifest["resumed_tasks"] == 1
    assert _parquet_hashes(out) == reference


def test_resume_without_checkpoints_starts_from_scratch(tmp_path, reference):
    notices: list[str] = []
    run(_scenario(), out=tmp_path / "run", resume=True, notice=notices.append, **OPTIONS)
    assert notices == ["no checkpoint at " + str(partial_folder(tmp_path / "run"))
                       + ": starting from scratch"]
    assert _parquet_hashes(tmp_path / "run") == reference


def test_checkpoints_without_resume_are_refused_and_force_discards_them(tmp_path, reference):
    out = tmp_path / "run"
    _stopped_run(out, 1)
    with pytest.raises(InputError, match="add --resume to continue it, or --force"):
        run(_scenario(), out=out, **OPTIONS)
    done = run(_scenario(), out=out, force=True, **OPTIONS)
    assert done.manifest["resumed_tasks"] == 0
    assert _parquet_hashes(out) == reference
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_resume_without_out_continues_the_newest_of_the_scenario(tmp_path, reference):
    root = tmp_path / "results"
    with pytest.raises(Stop):
        run(_scenario(), out_root=root, progress=_stop_after(3), **OPTIONS)
    [partial] = root.iterdir()
    assert partial.name.startswith("baseline-") and partial.name.endswith(".partial")
    done = run(_scenario(), out_root=root, resume=True, **OPTIONS)
    assert done.folder.name == partial.name[: -len(".partial")]
    assert done.manifest["resumed_tasks"] == 3
    assert _parquet_hashes(done.folder) == reference
    assert [p.name for p in root.iterdir()] == [done.folder.name]


def test_checkpoints_left_beside_their_complete_run_are_removed(tmp_path, reference):
    """Stopped between moving the run folder in and removing the checkpoints: the next command
    for that folder removes them; checkpoints of another run beside it are left alone."""
    out = tmp_path / "run"
    partial = partial_folder(out)
    with pytest.raises(Stop):  # checkpoints of another seed
        run(_scenario("monte_carlo.seed=5"), out=out, progress=_stop_after(1), **OPTIONS)
    partial.rename(tmp_path / "other")
    _stopped_run(out, 2)  # checkpoints of this run
    partial.rename(tmp_path / "same")
    run(_scenario(), out=out, **OPTIONS)
    notices: list[str] = []
    (tmp_path / "other").rename(partial)
    with pytest.raises(InputError, match="already exists"):
        run(_scenario(), out=out, notice=notices.append, **OPTIONS)
    assert partial.exists() and notices == []
    files.remove(partial)
    (tmp_path / "same").rename(partial)
    with pytest.raises(InputError, match="already exists"):
        run(_scenario(), out=out, notice=notices.append, **OPTIONS)
    assert not partial.exists() and len(notices) == 1 and "is complete" in notices[0]
    assert _parquet_hashes(out) == reference


def test_a_stopped_run_with_no_finished_task_leaves_nothing(tmp_path):
    with pytest.raises(Stop):
        run(_scenario(), out=tmp_path / "sub" / "run", progress=_stop_after(0), **OPTIONS)
    assert list(tmp_path.iterdir()) == []  # no checkpoint folder, and no sub/ made for it
    assert files.kept == []


def test_checkpoint_files_refuse_damage():
    part = np.arange(2 * 3 * 4, dtype=np.int64).reshape(2, 3, 4) - 5
    counts = {"borrowers": 3, "applicants_approved": 1, "drawdowns": 4, "drawdown_days": 9}
    data = encode(part, counts)
    back, back_counts = decode(data, (2, 3, 4))
    assert np.array_equal(back, part) and back_counts == counts
    with pytest.raises(ValueError, match="shape"):
        decode(data, (2, 3, 5))
    with pytest.raises(ValueError, match="decompressed|checksum"):
        decode(data[:-3], (2, 3, 4))
    head, body = data.split(b"\n", 1)
    forged = json.loads(head)
    forged["sha256"] = "0" * 64
    with pytest.raises(ValueError, match="checksum"):
        decode(json.dumps(forged).encode() + b"\n" + body, (2, 3, 4))
    with pytest.raises(ValueError, match="not an overdue checkpoint"):
        decode(b"garbage", (2, 3, 4))


def test_eta_format():
    assert format_eta(0, 0, 100, 5.0) == "ETA -:--:--"  # nothing done yet by this run
    assert format_eta(50, 0, 100, 30.0) == "ETA 0:00:30"
    assert format_eta(10, 0, 100, 40.0) == "ETA 0:06:00"
    assert format_eta(1, 0, 1000, 13.0) == "ETA 3:36:27"  # 999 x 13 s
    assert format_eta(100, 0, 100, 9.0) == "ETA 0:00:00"


def test_eta_counts_only_this_runs_pace():
    """Resumed at 90 of 100: 5 more units in 10 s leave 5 units, 10 s; counting the resumed
    90 as this run's work would say about half a second."""
    now = [0.0]
    eta = Eta(clock=lambda: now[0])
    assert eta(90, 100) == "ETA -:--:--"
    now[0] = 10.0
    assert eta(95, 100) == "ETA 0:00:10"


@pytest.mark.slow
def test_stopped_locally_resumed_on_dask_gives_the_same_bytes(tmp_path, reference):
    """The Dask engine saves and skips tasks through the same hook (its results arrive on the
    client), so a run may be continued on another engine."""
    pytest.importorskip("distributed")
    out = tmp_path / "run"
    _stopped_run(out, 2)
    done = run(_scenario(), out=out, resume=True, engine="dask",
               **{**OPTIONS, "threads": None})
    assert done.manifest["resumed_tasks"] == 2
    assert _parquet_hashes(out) == reference
