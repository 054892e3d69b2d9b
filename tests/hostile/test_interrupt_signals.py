"""SIGINT and SIGTERM sent to a real `overdue run` or `overdue report` process at several
moments: start-up, simulating, writing the run folder, writing the report. Each must exit 130
(SIGINT) or 143 (SIGTERM), print exactly one line saying what was interrupted, no traceback,
and leave no temporary file or folder (and no output) behind. After a SIGKILL, which nothing can
catch, the next command writing in the same folder removes what the killed one left.

The moments are reached through ``OVERDUE_TEST_STEP`` (simulator.files.test_step): the process
says on stderr that it reached the step, and sleeps there ``OVERDUE_TEST_STEP_SLEEP`` seconds
(0: it only says so, and the signal lands in the work that follows).
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tests.quick_book import QUICK_ARGS

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
OVERDUE = Path(sys.executable).parent / "overdue"
SMALL = ["--borrowers", "2000", "--paths", "2", "--horizon-days", "60", "--quiet",
         *QUICK_ARGS]
# Long enough (about a second on two cores) that a signal sent as simulating starts lands in it.
MEDIUM = ["--borrowers", "20000", "--paths", "8", "--horizon-days", "360", "--quiet",
          "--threads", "2", "--chunk-size", "1000"]
MARK = b"overdue-test-step "

pytestmark = pytest.mark.skipif(not OVERDUE.exists(), reason="the console script is not installed")




class Proc:
    """A real ``overdue`` process stopped, or announced, at one test step."""

    def __init__(self, args: list[str], cwd: Path, step: str, sleep: float) -> None:
        env = {**os.environ, "OVERDUE_TEST_STEP": step, "OVERDUE_TEST_STEP_SLEEP": str(sleep)}
        self.step = step
        self.p = subprocess.Popen([str(OVERDUE), *args], cwd=cwd, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.err = b""

    def wait_for_step(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        fd = self.p.stderr.fileno()
        while MARK + self.step.encode() + b"\n" not in self.err:
            left = deadline - time.monotonic()
            assert left > 0, f"step {self.step} never reached: {self.err[-2000:]!r}"
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                assert chunk, f"exited before step {self.step}: {self.err[-2000:]!r}"
                self.err += chunk

    def finish(self, sig: int | None = None) -> tuple[int, list[str]]:
        """Send ``sig``, wait; (exit code, stderr lines other than the step announcements)."""
        if sig is not None:
            self.p.send_signal(sig)
        out, err = self.p.communicate(timeout=120)
        self.err += err
        lines = [ln for ln in self.err.decode("utf-8", "replace").splitlines()
                 if ln and not ln.startswith(MARK.decode())]
        return self.p.returncode, lines


def _wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _assert_interrupted(code: int, lines: list[str], sig: int, command: str) -> None:
    """The exit code, and one last line about the interruption; nothing else about it and no
    traceback (matplotlib's own font notices may come before it)."""
    name = signal.Signals(sig).name
    assert code == {signal.SIGINT: 130, signal.SIGTERM: 143}[sig], (code, lines)
    assert lines, "nothing was printed"
    assert re.fullmatch(rf"{command}: interrupted by {name}( while starting)?; nothing was "
                        "written", lines[-1]), lines
    others = [ln for ln in lines[:-1] if not ln.startswith("findfont: ")]
    assert not others, lines


@pytest.fixture(scope="module")
def old_run(tmp_path_factory) -> Path:
    """A finished small run (and the kernels compiled and cached for the processes below)."""
    work = tmp_path_factory.mktemp("interrupt")
    code, text = run_cli(["run", str(BASELINE), *SMALL, "--seed", "1", "--out", "old"], work)
    assert code == 0, text
    return work / "old"


SIGNALS = [signal.SIGINT, signal.SIGTERM]
SIG_IDS = ["SIGINT", "SIGTERM"]


@pytest.mark.parametrize("sig", SIGNALS, ids=SIG_IDS)
@pytest.mark.parametrize("moment", ["starting", "simulating", "writing"])
def test_run_interrupted(moment, sig, tmp_path, old_run):
    before = _listing(tmp_path)
    size, sleep = {"starting": (SMALL, 0), "simulating": (MEDIUM, 0), "writing": (SMALL, 60)}[
        moment]
    proc = Proc(["run", str(BASELINE), *size, "--out", "sub/new"], tmp_path, moment, sleep)
    proc.wait_for_step()
    code, lines = proc.finish(sig)
    kept = tmp_path / "sub" / "new.partial"
    if moment == "simulating" and kept.exists():  # tasks done before the signal are kept
        saved = len(list(kept.glob("task-*.agg")))
        assert sorted(p.name for p in kept.iterdir() if not p.name.startswith("task-")) == [
            "checkpoint.json"]  # and nothing else: no lock, no temporary file
        suffix = (f"; {saved} of 20 tasks are checkpointed in sub/new.partial: the same "
                  "command with --resume continues the run")
        assert saved > 0 and lines and lines[-1].endswith(suffix), lines
        lines[-1] = lines[-1][: -len(suffix)]
        shutil.rmtree(tmp_path / "sub")
    _assert_interrupted(code, lines, sig, "overdue run")
    assert _listing(tmp_path) == before  # no run folder, no temporary folder, no sub/


@pytest.mark.parametrize("sig", SIGNALS, ids=SIG_IDS)
def test_force_run_interrupted_while_writing_keeps_the_old_run(sig, tmp_path, old_run):
    import shutil

    target = tmp_path / "run"
    shutil.copytree(old_run, target)
    before = {p: p.read_bytes() for p in target.iterdir()}
    proc = Proc(["run", str(BASELINE), *SMALL, "--seed", "2", "--out", "run", "--force"],
                tmp_path, "writing", 60)
    proc.wait_for_step()
    code, lines = proc.finish(sig)
    _assert_interrupted(code, lines, sig, "overdue run")
    assert {p: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_signal_while_the_old_run_is_set_aside_waits_for_the_new_one(tmp_path, old_run):
    """Setting the old run aside and moving the new one in happen together: the signal takes
    effect after, the new run is complete at the path, and the message says it was written."""
    import shutil

    shutil.copytree(old_run, tmp_path / "run")
    proc = Proc(["run", str(BASELINE), *SMALL, "--seed", "2", "--out", "run", "--force"],
                tmp_path, "set_aside", 2)
    proc.wait_for_step()
    code, lines = proc.finish(signal.SIGINT)
    assert code == 130, lines
    assert len(lines) == 1 and "interrupted by SIGINT; after writing run (complete)" in lines[0]
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # the old one is gone


@pytest.mark.parametrize("sig", SIGNALS, ids=SIG_IDS)
@pytest.mark.parametrize("moment", ["starting", "file_writing"])
def test_report_interrupted(moment, sig, tmp_path, old_run):
    """At start-up, and while the PDF is drawn into its temporary file."""
    before = _listing(tmp_path)
    run_before = _listing(old_run)
    # Held at the step (before the PDF is drawn, or once its temporary file is written), so
    # the signal always lands before the report could finish.
    proc = Proc(["report", str(old_run), "-o", "report.pdf"], tmp_path, moment, 60)
    proc.wait_for_step()
    if moment == "file_writing":  # the temporary file exists: its removal is tested
        _wait_for(lambda: any(p.name.startswith(".report.pdf.tmp-")
                              for p in tmp_path.iterdir()))
    code, lines = proc.finish(sig)
    _assert_interrupted(code, lines, sig, "overdue report")
    assert _listing(tmp_path) == before  # no report, no temporary file
    assert _listing(old_run) == run_before


def test_after_a_kill_the_next_run_removes_the_temporary_folder(tmp_path, old_run):
    proc = Proc(["run", str(BASELINE), *SMALL, "--out", "killed"], tmp_path, "writing", 60)
    proc.wait_for_step()
    proc.finish(signal.SIGKILL)
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".killed.tmp-"), left  # what SIGKILL leaves
    code, text = run_cli(["run", str(BASELINE), *SMALL, "--out", "next"], tmp_path)
    assert code == 0, text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next"]


def test_after_a_kill_the_next_report_removes_the_temporary_file(tmp_path, old_run):
    proc = Proc(["report", str(old_run), "-o", "a.pdf"], tmp_path, "file_writing", 60)
    proc.wait_for_step()
    _wait_for(lambda: any(p.name.startswith(".a.pdf.tmp-") for p in tmp_path.iterdir()))
    proc.finish(signal.SIGKILL)
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".a.pdf.tmp-"), left
    code, text = run_cli(["report", str(old_run), "--format", "html", "-o", "b.html"], tmp_path)
    assert code == 0, text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.html"]
