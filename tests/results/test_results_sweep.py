"""What a killed writer leaves behind, and how the next writer treats it: temporary entries of
dead processes on this host are removed, a run set aside by an unfinished --force goes back to
its name when nothing replaced it; entries of live processes, of other hosts, and anything not
named like ours are left alone. Also: what --force may replace, and default names in bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import files
from simulator.errors import InputError
from simulator.results import Run, default_run_dir, write_run
from simulator.results.destination import check_run_destination
from tests.results.test_results_writer import MANIFEST, SCENARIO, small_tables


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def _name(target: str, kind: str, pid: int, host: str | None = None) -> str:
    return f".{target}.{kind}-{host or files._HOST}-{pid}"


def _run(folder: Path, seed: int) -> Path:
    return write_run(folder, small_tables(seed=seed), SCENARIO, {**MANIFEST, "seed": seed})


def test_sweep(tmp_path, dead_pid):
    stale_tmp = tmp_path / _name("a", "tmp", dead_pid)
    stale_tmp.mkdir()
    (stale_tmp / "timeseries.parquet").write_bytes(b"half")
    stale_file = tmp_path / _name("report.pdf", "tmp", dead_pid)
    stale_file.write_bytes(b"%PDF half")
    src = tmp_path.parent / f"{tmp_path.name}-src"  # runs made elsewhere: writing sweeps too
    set_aside = _run(src / "x", 1).rename(tmp_path / _name("b", "old", dead_pid))
    replaced = _run(src / "y", 2).rename(tmp_path / _name("c", "old", dead_pid))
    _run(src / "c", 3).rename(tmp_path / "c")  # the complete replacement of c
    foreign = _run(src / "z", 4).rename(tmp_path / _name("d", "old", dead_pid))
    (tmp_path / "d").mkdir()  # something that is not a run took d's name: keep the old run
    live = tmp_path / _name("e", "tmp", os.getpid())
    live.mkdir()
    other_host = tmp_path / _name("f", "tmp", dead_pid, host="zzzzzz")
    other_host.mkdir()
    user = tmp_path / ".g.tmp-notes"
    user.mkdir()

    files.sweep(tmp_path, keep=lambda p: (p / "manifest.json").is_file())

    assert not stale_tmp.exists() and not stale_file.exists()
    assert not set_aside.exists() and Run.open(tmp_path / "b").manifest["seed"] == 1
    assert not replaced.exists() and Run.open(tmp_path / "c").manifest["seed"] == 3
    assert foreign.exists()
    assert live.exists() and other_host.exists() and user.exists()


def test_force_replaces_an_empty_folder(tmp_path):
    (tmp_path / "r").mkdir()
    _run_forced = write_run(tmp_path / "r", small_tables(seed=5), SCENARIO,
                            {**MANIFEST, "seed": 5}, force=True)
    assert Run.open(_run_forced).manifest["seed"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_force_refuses_a_folder_that_is_not_a_run(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "plan.xlsx").write_text("keep me")
    for check in (lambda: check_run_destination(tmp_path / "r", force=True),
                  lambda: write_run(tmp_path / "r", small_tables(), SCENARIO, MANIFEST,
                                    force=True)):
        with pytest.raises(InputError, match="not a run folder .* nothing was deleted"):
            check()
    assert (tmp_path / "r" / "plan.xlsx").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_force_replaces_a_run_folder(tmp_path):
    _run(tmp_path / "r", 1)
    (tmp_path / "r" / "report.pdf").write_bytes(b"%PDF")  # a run folder may hold its report
    write_run(tmp_path / "r", small_tables(seed=2), SCENARIO, {**MANIFEST, "seed": 2},
              force=True)
    assert json.loads((tmp_path / "r" / "manifest.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_default_names_are_capped_in_bytes_at_a_character_boundary(tmp_path):
    name = default_run_dir(tmp_path, "压力测试" * 40).name  # 480 bytes of scenario name
    stem = name[: -len("-YYYYMMDD-HHMMSS")]
    assert len(stem.encode()) <= 120 and stem == "压力测试" * 10  # 40 whole characters
    assert default_run_dir(tmp_path, "baseline").name.startswith("baseline-")
    assert default_run_dir(tmp_path, "a\x00b/c").name.startswith("a_b_c-")


def test_options_are_quoted_as_typed():
    from simulator.cli.run import _as_typed

    exc = InputError("must be >= 1, got 0 (from --set monte_carlo.paths=0)",
                     path="monte_carlo.paths", source="s.yaml")
    shown = str(_as_typed(exc, {"monte_carlo.paths=0": "--paths 0"}))
    assert shown == "s.yaml: monte_carlo.paths: must be >= 1, got 0 (from --paths 0)"
    other = InputError("bad (from --set horizon_days=5)")
    assert _as_typed(other, {"monte_carlo.paths=0": "--paths 0"}) is other  # typed --set kept


def test_a_failed_write_removes_the_folders_it_made(tmp_path, monkeypatch):
    from simulator.results import writer as writer_mod

    def failing(name, table, path):
        raise OSError("disk full")

    monkeypatch.setattr(writer_mod, "write_parquet", failing)
    with pytest.raises(OSError, match="disk full"):
        write_run(tmp_path / "a" / "b" / "run", small_tables(), SCENARIO, MANIFEST)
    assert list(tmp_path.iterdir()) == []
