"""Running the console entry point in-process, with its error mapping."""

import sys

from simulator.cli import main


def exit_code(argv, monkeypatch) -> int:
    """Exit code of ``overdue ARGV...`` (0 when it returns normally)."""
    monkeypatch.setattr(sys, "argv", ["overdue", *argv])
    try:
        main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0
