"""`overdue validate` through the installed console script: output and exit codes."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
OVERDUE = Path(sys.executable).parent / "overdue"


def _spawn(*args: str) -> subprocess.CompletedProcess[str]:
    """The real console script in a fresh process (slow: about a second each)."""
    command = [str(OVERDUE)] if OVERDUE.exists() else [
        sys.executable, "-c", "from simulator.cli import main; main()"]
    return subprocess.run(
        [*command, "validate", *args], capture_output=True, text=True, cwd=ROOT, timeout=60,
    )


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """``main()`` in this process, with the console script's argv, exit code and streams."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with (
        mock.patch.object(sys, "argv", ["overdue", "validate", *args]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        contextlib.chdir(ROOT),
    ):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def test_console_script_ok_and_error() -> None:
    r = _spawn(str(BASELINE))
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.startswith("ok  ")
    r = _spawn(str(BASELINE), "--set", "book.segments[0].share=2")
    assert r.returncode == 2
    assert r.stderr == (
        f"error: {BASELINE}: book.segments[0].share: must be <= 1, got 2 "
        "(from --set book.segments[0].share=2)\n"
    )
    assert "Traceback" not in r.stderr


def test_ok_line() -> None:
    r = _run(str(BASELINE))
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        f"ok  {BASELINE}  (name: baseline, 3 segments, horizon 365 days, 200 paths)\n"
    )


def test_several_files_and_set() -> None:
    r = _run(str(BASELINE), "scenarios/baseline.yaml", "--set", "monte_carlo.paths=7")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("ok  ") == 2 and "7 paths" in r.stdout


def test_show_prints_the_resolved_yaml(tmp_path: Path) -> None:
    from simulator.scenario import load_scenario, parse_scenario

    r = _run(str(BASELINE), "--show")
    assert r.returncode == 0, r.stderr
    assert "non_accrual_dpd: 90" in r.stdout
    assert parse_scenario(r.stdout) == load_scenario(BASELINE)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name: t\nbook:\n  segments:\n    - {name: a, sahre: 1}\n",
         ":4: book.segments[0].sahre: unknown key 'sahre' (did you mean 'share'?)"),
        ("name: [\n", ":2: YAML syntax error"),
        ("", ": the file is empty"),
        (b"\x00\x01\x02", ": is a binary file, not YAML text"),
    ],
)
def test_bad_file_exits_2_without_traceback(
    tmp_path: Path, content: str | bytes, expected: str
) -> None:
    f = tmp_path / "bad.yaml"
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    r = _run(str(BASELINE), str(f), str(BASELINE))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr == f"error: {f}{expected}" + r.stderr.split(expected, 1)[1]
    assert r.stderr.count("\n") == 1
    assert r.stdout.count("ok  ") == 1  # stops at the first bad file


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["missing.yaml"], "error: missing.yaml: no such file"),
        (["scenarios"], "error: scenarios: is a folder, not a scenario file"),
        ([str(BASELINE), "--set", "book.borower=5"], "unknown key 'borower'"),
        ([str(BASELINE), "--set", "book.borrowers"], "has no '='"),
        ([str(BASELINE), "--set", "contract.charge_off_dpd=30"], "charge-off before accel"),
    ],
)
def test_bad_arguments_exit_2(args: list[str], expected: str) -> None:
    r = _run(*args)
    assert r.returncode == 2
    assert expected in r.stderr
    assert "Traceback" not in r.stderr
