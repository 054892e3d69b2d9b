"""Hostile output paths for `overdue run` and `overdue report`: each is refused with exit 2, a
message naming the path, no traceback, nothing written or deleted, and (for runs) before any
simulation starts.

The command runs in this process (``main()`` with the console script's argv); ``simulate`` is
replaced by a function that fails the test if it is ever reached.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import simulator.api
from simulator.errors import InputError
from simulator.files import TEMP_SUFFIX_BYTES
from simulator.results import Run
from simulator.results.destination import check_run_destination
from simulator.results.writer import default_run_dir
from tests.cli_helpers import run_cli
from tests.quick_book import QUICK_ARGS

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SMALL = ["--borrowers", "2000", "--paths", "2", "--horizon-days", "60", "--quiet",
         *QUICK_ARGS]
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0  # root writes through any mode bits




def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` (hidden ones too) with its bytes (None for folders)."""
    out: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        out[rel] = None if path.is_dir() else path.read_bytes()
    return out


def _fake_run_folder(folder: Path) -> Path:
    """A folder that counts as a run folder (an overdue manifest), without running anything."""
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"schema_version": "1", "files": {}}))
    return folder


@pytest.fixture
def no_simulation(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the simulation started before the output path was checked")

    monkeypatch.setattr(simulator.api, "simulate", refuse)


def _assert_refused(code: int, text: str, shown: str, words: str, before: dict, after: dict):
    assert code == 2, text
    assert "Traceback" not in text and "internal error" not in text, text
    assert text.startswith("error: ") and len(text.strip().splitlines()) == 1, text
    assert shown in text, f"the message does not name {shown!r}: {text}"
    assert words in text, text
    assert after == before, "something was written or deleted"


# (case id, setup(tmp) -> the --out or --out-root arguments, the path the message names,
#  words of the reason, extra options)
def _out_is_file(tmp):
    (tmp / "notes.txt").write_text("mine")
    return ["--out", "notes.txt"], "notes.txt", "is a file, not a folder"


def _out_under_file(tmp):
    (tmp / "notes.txt").write_text("mine")
    return ["--out", "notes.txt/run"], "notes.txt", "which is a file"


def _out_dot(tmp):
    return ["--out", "."], ".", "current folder or one above it"


def _out_dotdot(tmp):
    return ["--out", ".."], "..", "current folder or one above it"


def _out_cwd_absolute(tmp):
    return ["--out", str(tmp), "--force"], str(tmp), "current folder or one above it"


def _out_inside_run(tmp):
    _fake_run_folder(tmp / "old-run")
    return ["--out", "old-run/new"], "old-run", "inside the run folder"


def _out_root_is_file(tmp):
    (tmp / "results").write_text("not a folder")
    return ["--out-root", "results"], "results", "which is a file"


def _out_root_inside_run(tmp):
    _fake_run_folder(tmp / "old-run")
    return ["--out-root", "old-run"], "old-run", "inside the run folder"


def _name_too_long(tmp):
    name = "r" * (256 - TEMP_SUFFIX_BYTES)
    return ["--out", name], name[:40], "bytes; this file system allows"


def _cjk_name_too_long(tmp):
    name = "压力测试" * 20  # 80 characters, 240 bytes of UTF-8
    return ["--out", name], name[:40], "240 bytes"


def _folder_name_too_long(tmp):
    name = "a" * 300
    return ["--out", f"{name}/run"], name[:40], "300 bytes"


def _force_on_a_user_folder(tmp):
    (tmp / "documents").mkdir()
    (tmp / "documents" / "plan.xlsx").write_text("do not delete")
    return ["--out", "documents", "--force"], "documents", "is not a run folder"


def _force_on_a_foreign_manifest(tmp):
    (tmp / "other").mkdir()
    (tmp / "other" / "manifest.json").write_text('{"name": "someone else\'s"}')
    return ["--out", "other", "--force"], "other", "is not a run folder"


def _force_on_a_damaged_manifest(tmp):
    (tmp / "other").mkdir()
    (tmp / "other" / "manifest.json").write_text("{not json")
    return ["--out", "other", "--force"], "other", "is not a run folder"


def _exists_without_force(tmp):
    _fake_run_folder(tmp / "old-run")
    return ["--out", "old-run"], "old-run", "already exists; use --force"


def _out_is_a_link(tmp):
    _fake_run_folder(tmp / "real")
    (tmp / "link").symlink_to(tmp / "real")
    return ["--out", "link", "--force"], "link", "is a link"


RUN_CASES = [
    _out_is_file, _out_under_file, _out_dot, _out_dotdot, _out_cwd_absolute, _out_inside_run,
    _out_root_is_file, _out_root_inside_run, _name_too_long, _cjk_name_too_long,
    _folder_name_too_long, _force_on_a_user_folder, _force_on_a_foreign_manifest,
    _force_on_a_damaged_manifest, _exists_without_force, _out_is_a_link,
]


@pytest.mark.parametrize("case", RUN_CASES, ids=[c.__name__[1:] for c in RUN_CASES])
def test_run_refuses_a_bad_destination_before_simulating(case, tmp_path, no_simulation):
    args, shown, words = case(tmp_path)
    before = _tree(tmp_path)
    code, text = run_cli(["run", str(BASELINE), *SMALL, *args], tmp_path)
    _assert_refused(code, text, shown, words, before, _tree(tmp_path))


@pytest.mark.skipif(ROOT_USER, reason="root writes into read-only folders")
def test_run_refuses_a_read_only_folder(tmp_path, no_simulation):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        before = _tree(tmp_path)
        code, text = run_cli(["run", str(BASELINE), *SMALL, "--out", "locked/run"], tmp_path)
        _assert_refused(code, text, "locked", "not writable", before, _tree(tmp_path))
    finally:
        locked.chmod(0o755)


def test_run_refuses_a_folder_it_cannot_write(tmp_path, no_simulation, monkeypatch):
    """The same refusal where the process runs as root: the write check itself says no."""
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == locked
                        else real_access(p, mode, **kw))
    before = _tree(tmp_path)
    code, text = run_cli(["run", str(BASELINE), *SMALL, "--out", "locked/run"], tmp_path)
    _assert_refused(code, text, "locked", "not writable", before, _tree(tmp_path))


@pytest.mark.skipif(ROOT_USER, reason="root reads any file")
def test_run_refuses_an_unreadable_scenario(tmp_path, no_simulation):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(BASELINE.read_text(encoding="utf-8"), encoding="utf-8")
    scenario.chmod(0)
    try:
        before = _tree(tmp_path)
        code, text = run_cli(["run", "s.yaml", *SMALL, "--out", "r"], tmp_path)
        _assert_refused(code, text, "s.yaml", "permission denied", before, _tree(tmp_path))
    finally:
        scenario.chmod(0o644)


def test_a_long_chinese_scenario_name_gets_a_default_folder_that_fits(tmp_path):
    name = "压力测试" * 40  # 160 characters, 480 bytes of UTF-8
    folder = default_run_dir(tmp_path, name)
    assert len(folder.name.encode()) + TEMP_SUFFIX_BYTES <= 255
    assert folder.name.startswith("压力测试")
    check_run_destination(folder, force=False)  # no refusal
    folder.mkdir()  # the file system takes it


# -- report -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    code, text = run_cli(["run", str(BASELINE), *SMALL, "--out", str(out)], out.parent)
    assert code == 0, text
    return out


def _report_cases(tmp: Path, run: Path):
    (tmp / "notes.txt").write_text("mine")
    (tmp / "a-folder").mkdir()
    return [
        ("output_is_a_folder", ["-o", "a-folder"], "a-folder", "is a folder"),
        ("output_under_a_file", ["-o", "notes.txt/report.pdf"], "notes.txt", "which is a file"),
        ("output_folder_missing", ["-o", "missing/report.pdf"], "missing",
         "output folder does not exist"),
        ("output_is_the_manifest", ["-o", str(run / "manifest.json")], "manifest.json",
         "would damage the run"),
        ("output_is_a_table", ["-o", str(run / "paths.parquet")], "paths.parquet",
         "would damage the run"),
        ("output_name_too_long", ["-o", "r" * 250 + ".pdf"], "r" * 40,
         "bytes; this file system allows"),
        ("run_is_a_file", None, "notes.txt", "is a file, not a run folder"),
        ("run_missing", None, "nowhere", "run folder does not exist"),
    ]


REPORT_IDS = ["output_is_a_folder", "output_under_a_file", "output_folder_missing",
              "output_is_the_manifest", "output_is_a_table", "output_name_too_long",
              "run_is_a_file", "run_missing"]


@pytest.mark.parametrize("case_id", REPORT_IDS)
def test_report_refuses_a_bad_path(case_id, tmp_path, small_run):
    cases = {c[0]: c for c in _report_cases(tmp_path, small_run)}
    _, args, shown, words = cases[case_id]
    if args is None:
        argv = ["report", "notes.txt" if case_id == "run_is_a_file" else "nowhere"]
    else:
        argv = ["report", str(small_run), *args]
    before, run_before = _tree(tmp_path), _tree(small_run)
    code, text = run_cli(argv, tmp_path)
    _assert_refused(code, text, shown, words, before, _tree(tmp_path))
    assert _tree(small_run) == run_before


def test_report_refuses_a_run_folder_it_cannot_read(tmp_path, small_run, monkeypatch):
    """Permission denied on the run folder (as root too: the read check itself says no)."""
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == small_run
                        else real_access(p, mode, **kw))
    before = _tree(tmp_path)
    code, text = run_cli(["report", str(small_run), "-o", "r.pdf"], tmp_path)
    assert code == 2 and "Traceback" not in text, text
    assert str(small_run) in text and ("not readable" in text or "cannot read" in text), text
    assert _tree(tmp_path) == before
    with pytest.raises(InputError, match="cannot read the run folder"):
        Run.open(small_run)
