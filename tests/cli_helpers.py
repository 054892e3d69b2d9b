"""Running the console entry point in-process, with its error mapping."""

import contextlib
import io
import sys
from pathlib import Path
from unittest import mock

from simulator.cli import main


def exit_code(argv, monkeypatch) -> int:
    """Exit code of ``overdue ARGV...`` (0 when it returns normally)."""
    monkeypatch.setattr(sys, "argv", ["overdue", *argv])
    try:
        main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def run_cli(argv: list[str], cwd: Path | None = None) -> tuple[int, str]:
    """(exit code, stdout + stderr) of ``overdue ARGV`` run in this process (in ``cwd``)."""
    out = io.StringIO()
    code = 0
    with (
        mock.patch.object(sys, "argv", ["overdue", *argv]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
        contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext(),
    ):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue()
