"""The `overdue` command line: a thin typer layer over the library.

Each command lives in its own module and registers itself on :data:`app`; this module imports
them and maps the library's typed errors to exit codes (0 success, 2 bad input, 1 internal error,
130 interrupted by SIGINT, 143 by SIGTERM).
"""

from __future__ import annotations

import os
import sys

from simulator import files, interrupt


def _command() -> str:
    """``overdue run``: the command being run, for the interruption message."""
    return " ".join(["overdue", *(a for a in sys.argv[1:2] if not a.startswith("-"))])


def _stop_at_start(signum: int) -> None:
    """A signal while the command modules below are still being imported: nothing to clean."""
    sys.stderr.write(f"{_command()}: interrupted by {interrupt.signal_name(signum)} while "
                     "starting; nothing was written\n")
    sys.stderr.flush()
    os._exit(interrupt.EXIT_CODES[signum])


if os.path.basename(sys.argv[0]) == "overdue":  # the console script: stop cleanly even while
    interrupt.install(_stop_at_start)  # the modules below are still being imported
    files.test_step("starting")

from simulator.cli import attribute as _attribute  # noqa: E402,F401
from simulator.cli import backtest as _backtest  # noqa: E402,F401
from simulator.cli import bench as _bench  # noqa: E402,F401
from simulator.cli import calibrate as _calibrate  # noqa: E402,F401

# Importing a command module registers its command.
from simulator.cli import check as _check  # noqa: E402,F401
from simulator.cli import library as _library  # noqa: E402,F401
from simulator.cli import loan as _loan  # noqa: E402,F401
from simulator.cli import regulator as _regulator  # noqa: E402,F401
from simulator.cli import report as _report  # noqa: E402,F401
from simulator.cli import run as _run  # noqa: E402,F401
from simulator.cli import schema as _schema  # noqa: E402,F401
from simulator.cli import validate as _validate  # noqa: E402,F401
from simulator.cli.app import app  # noqa: E402
from simulator.errors import InputError  # noqa: E402

TYPER_INTERRUPT = 130
"""What typer returns, in non-standalone mode, for a KeyboardInterrupt it caught itself."""


def main() -> None:
    """Entry point of the ``overdue`` console script."""
    previous = interrupt.install()
    try:
        _main()
    except interrupt.Interrupted as exc:
        _stop(exc.name, exc.exit_code)
    finally:
        interrupt.restore(previous)


def _main() -> None:
    try:
        code = app(standalone_mode=False)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:  # raised where no handler of ours was installed
        _stop("SIGINT", 130)
    except SystemExit:
        raise
    except Exception as exc:  # usage errors show themselves; anything else is internal
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click's and typer's own
            exc.show()
            sys.exit(2)  # a usage error is bad input
        if type(exc).__name__ == "Abort":
            print("aborted", file=sys.stderr)
            sys.exit(1)
        if os.environ.get("OVERDUE_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (set OVERDUE_DEBUG=1 for a traceback)",
              file=sys.stderr)
        sys.exit(1)
    # Without standalone mode typer returns, rather than exits with, the code of a typer.Exit
    # and turns a KeyboardInterrupt it caught into 130: pass both on, never as success.
    if code == TYPER_INTERRUPT:
        _stop("SIGINT", 130)
    if isinstance(code, int) and code != 0:
        sys.exit(code)


def _stop(signal_name: str, exit_code: int) -> None:
    """Remove this process's temporary files, say so in one line and exit at once.

    ``os._exit``: worker threads may still be finishing a kernel call, and waiting for them
    (as a normal exit does) would keep an interrupted command running.
    """
    files.remove_owned()
    if files.written:
        what = f"after writing {files.written[-1]} (complete)"
    else:
        what = "nothing was written"
    what = "; ".join([what, *files.kept])  # e.g. where a run's checkpoints were kept
    try:
        sys.stderr.write(f"{_command()}: interrupted by {signal_name}; {what}\n")
        sys.stderr.flush()
        sys.stdout.flush()
    except Exception:  # a closed pipe must not turn an interruption into a traceback
        pass
    os._exit(exit_code)
