"""`overdue run --force` killed (SIGKILL: no clean-up runs) at each step of replacing a run:
the old run (seed 1) or the new one (seed 2) is complete at the path, never neither, once the
next command has run (writing beside it, or only opening it); no hidden entry is left.

The steps (simulator.results.writer): writing (a table written in the temporary folder),
written (the new run complete in its temporary folder), set_aside (the old run renamed aside),
moved (the new run in place, the old one not yet deleted). The process is held at each through
``OVERDUE_TEST_STEP`` and killed there.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.results import Run
from tests.cli_helpers import run_cli
from tests.quick_book import QUICK_ARGS

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
OVERDUE = Path(sys.executable).parent / "overdue"
SMALL = ["--borrowers", "2000", "--paths", "2", "--horizon-days", "60", "--quiet",
         *QUICK_ARGS]

pytestmark = pytest.mark.skipif(not OVERDUE.exists(), reason="the console script is not installed")




def _kill_at(step: str, cwd: Path) -> None:
    """Start ``overdue run --seed 2 --out run --force``, hold it at ``step``, SIGKILL it."""
    env = {**os.environ, "OVERDUE_TEST_STEP": step, "OVERDUE_TEST_STEP_SLEEP": "120"}
    proc = subprocess.Popen(
        [str(OVERDUE), "run", str(BASELINE), *SMALL, "--seed", "2", "--out", "run", "--force"],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = b""
    deadline = time.monotonic() + 120
    while f"overdue-test-step {step}\n".encode() not in seen:
        left = deadline - time.monotonic()
        assert left > 0, seen[-2000:]
        if not select.select([proc.stderr], [], [], left)[0]:
            continue
        chunk = os.read(proc.stderr.fileno(), 65536)
        assert chunk, f"exited before {step}: {seen[-2000:]!r}"
        seen += chunk
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stderr.close()


def _seed_at(path: Path) -> int:
    """The seed of the complete, verified run at ``path`` (Run.open checks every file)."""
    return Run.open(path).manifest["seed"]


@pytest.fixture(scope="module")
def old_run(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("force")
    code, text = run_cli(["run", str(BASELINE), *SMALL, "--seed", "1", "--out", "old"], work)
    assert code == 0, text
    return work / "old"


# step -> (what SIGKILL leaves at the path, the seed at the path after the next command)
STEPS = {"writing": (1, 1), "written": (1, 1), "set_aside": (None, 1), "moved": (2, 2)}


@pytest.mark.parametrize("step", list(STEPS))
def test_killed_force_run_leaves_old_or_new(step, tmp_path, old_run):
    shutil.copytree(old_run, tmp_path / "run")
    _kill_at(step, tmp_path)
    right_after, after_next = STEPS[step]
    hidden = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert hidden, "SIGKILL left nothing behind: the step was not reached"
    if right_after is None:  # the one moment with nothing at the path: old run set aside
        assert not (tmp_path / "run").exists()
        assert any(name.startswith(".run.old-") for name in hidden), hidden
    else:
        assert _seed_at(tmp_path / "run") == right_after
    code, text = run_cli(["run", str(BASELINE), *SMALL, "--out", "next"], tmp_path)
    assert code == 0, text
    assert _seed_at(tmp_path / "run") == after_next
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next", "run"]


def test_opening_the_run_puts_a_set_aside_run_back(tmp_path, old_run):
    """A reader, not only a writer, finds the run where the user left it."""
    shutil.copytree(old_run, tmp_path / "run")
    _kill_at("set_aside", tmp_path)
    assert not (tmp_path / "run").exists()
    code, text = run_cli(["compare", "run", "run"], tmp_path)
    assert code == 0, text
    assert _seed_at(tmp_path / "run") == 1
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["seed"] == 1
