"""A real `overdue run` stopped midway (SIGKILL: no clean-up at all; SIGINT: the clean-up path)
and then run again with --resume writes Parquet files byte-identical to an uninterrupted run.

The process is slowed at each checkpoint through ``OVERDUE_TEST_STEP=checkpoint_writing``
(simulator.files.test_step: it sleeps between writing a task's file and renaming it into
place), so the test can stop it once a few tasks are saved and well before the last.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.results.registry import TABLES
from tests.cli_helpers import run_cli
from tests.quick_book import QUICK_ARGS

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
OVERDUE = Path(sys.executable).parent / "overdue"
ARGS = ["run", str(BASELINE), "--borrowers", "20000", "--paths", "8", "--path-block", "1",
        "--chunk-size", "5000", "--horizon-days", "120", "--threads", "1", "--quiet",
        *QUICK_ARGS]
TASKS = 32  # 8 path blocks x 4 chunks
STOP_AFTER = 3  # task files saved before the signal

pytestmark = pytest.mark.skipif(not OVERDUE.exists(), reason="the console script is not installed")




def _hashes(folder: Path) -> dict[str, str]:
    found = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(folder.glob("*.parquet"))}
    assert set(found) == {f"{t}.parquet" for t in TABLES}, found
    return found


def _saved(partial: Path) -> list[str]:
    with contextlib.suppress(FileNotFoundError):
        return sorted(n for n in os.listdir(partial) if n.startswith("task-"))
    return []


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, str]:
    """The uninterrupted run (this also compiles or loads the kernels once for the module)."""
    work = tmp_path_factory.mktemp("whole")
    code, text = run_cli([*ARGS, "--out", "run"], work)
    assert code == 0, text
    assert sorted(p.name for p in work.iterdir()) == ["run"]  # no checkpoint folder left
    return _hashes(work / "run")


def _writing(partial: Path) -> bool:
    """A task's file is being written (its temporary file is there)."""
    with contextlib.suppress(FileNotFoundError):
        return any(n.startswith(".task-") and ".tmp-" in n for n in os.listdir(partial))
    return False


def _stopped(work: Path, sig: int) -> tuple[int, str, list[str]]:
    """Start the run, send ``sig`` once STOP_AFTER tasks are saved and the next one is being
    written; (exit code, stderr, the task files left)."""
    env = {**os.environ, "OVERDUE_TEST_STEP": "checkpoint_writing",
           "OVERDUE_TEST_STEP_SLEEP": "0.5"}
    proc = subprocess.Popen([str(OVERDUE), *ARGS, "--out", "run"], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    partial = work / "run.partial"
    deadline = time.monotonic() + 120
    while len(_saved(partial)) < STOP_AFTER or not _writing(partial):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoints appeared"
        time.sleep(0.01)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    saved = _saved(partial)
    assert STOP_AFTER <= len(saved) < TASKS, saved
    assert not (work / "run").exists()
    return proc.returncode, err.decode("utf-8", "replace"), saved


def test_killed_with_sigkill_then_resumed_gives_the_same_bytes(tmp_path, reference):
    code, _, saved = _stopped(tmp_path, signal.SIGKILL)
    assert code == -signal.SIGKILL
    partial = tmp_path / "run.partial"
    # what a SIGKILL leaves: the next task's file, written but not yet renamed
    assert _writing(partial)

    # other options are refused, naming the difference, and the checkpoints are kept
    code, text = run_cli([*ARGS, "--out", "run", "--seed", "9", "--resume"], tmp_path)
    assert code == 2, text
    assert "seed: checkpoint 20261129, this run 9" in text, text
    assert _saved(partial) == saved
    # without --resume the checkpoints are not silently discarded either
    code, text = run_cli([*ARGS, "--out", "run"], tmp_path)
    assert code == 2 and "add --resume to continue it" in text, text

    code, text = run_cli([*ARGS, "--out", "run", "--resume"], tmp_path)
    assert code == 0, text
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["resumed_tasks"] == len(saved)
    assert _hashes(tmp_path / "run") == reference
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # checkpoints removed


def test_interrupted_with_sigint_then_resumed_gives_the_same_bytes(tmp_path, reference):
    code, err, saved = _stopped(tmp_path, signal.SIGINT)
    assert code == 130, err
    lines = [ln for ln in err.splitlines() if not ln.startswith("overdue-test-step ")]
    assert lines == [f"overdue run: interrupted by SIGINT; nothing was written; {len(saved)} of "
                     f"{TASKS} tasks are checkpointed in run.partial: the same command with "
                     "--resume continues the run"], lines
    # the clean-up removed the temporary file and the lock, and kept the checkpoints
    assert sorted(os.listdir(tmp_path / "run.partial")) == ["checkpoint.json", *saved]

    code, text = run_cli([*ARGS, "--out", "run", "--resume"], tmp_path)
    assert code == 0, text
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["resumed_tasks"] == len(saved)
    assert _hashes(tmp_path / "run") == reference
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
