"""The `overdue` command line: a thin typer layer over the library.

Each command lives in its own module and registers itself on :data:`app`; this module imports
them and maps the library's typed errors to exit codes (0 success, 2 bad input, 1 internal error).
"""

from __future__ import annotations

import os
import sys

from simulator.cli import bench as _bench  # noqa: E402,F401
from simulator.cli import calibrate as _calibrate  # noqa: E402,F401

# Importing a command module registers its command.
from simulator.cli import check as _check  # noqa: E402,F401
from simulator.cli import loan as _loan  # noqa: E402,F401
from simulator.cli import report as _report  # noqa: E402,F401
from simulator.cli import run as _run  # noqa: E402,F401
from simulator.cli import schema as _schema  # noqa: E402,F401
from simulator.cli import validate as _validate  # noqa: E402,F401
from simulator.cli.app import app
from simulator.errors import InputError


def main() -> None:
    """Entry point of the ``overdue`` console script."""
    try:
        app(standalone_mode=False)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        sys.exit(130)
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
