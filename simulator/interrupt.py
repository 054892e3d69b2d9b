"""SIGINT and SIGTERM as an exception the command line turns into exit 130 or 143.

The console entry point installs :func:`install` before anything heavy is imported. The handler
raises :class:`Interrupted` (a BaseException, so no ``except Exception`` swallows it) in the main
thread; ``finally`` and ``except BaseException`` blocks then remove temporary files on the way
out. Steps that must happen together (setting a run folder aside and moving its replacement in)
run inside :func:`deferred`: a signal arriving there takes effect when the block ends. A second
signal while the first is being handled is ignored, so the clean-up is not cut short.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Interrupted(BaseException):
    """The process received SIGINT or SIGTERM."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.signum, 128 + self.signum)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


_state = {"pending": None, "raised": False, "depth": 0, "immediate": None}


def _handler(signum, frame) -> None:
    if _state["pending"] is not None:
        return  # already stopping: let the clean-up finish
    if _state["immediate"] is not None:
        _state["immediate"](signum)
    _state["pending"] = signum
    if _state["depth"] == 0:
        _state["raised"] = True
        raise Interrupted(signum)


def install(immediate: Callable[[int], None] | None = None) -> dict:
    """Route SIGINT and SIGTERM to :class:`Interrupted`, or to ``immediate(signum)`` when given
    (for start-up, before there is anything to clean up or anyone to catch the exception);
    return the previous handlers (for :func:`restore`). Does nothing outside the main thread,
    where Python cannot set handlers."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    _state.update(pending=None, raised=False, depth=0, immediate=immediate)
    previous = {}
    for sig in EXIT_CODES:
        previous[sig] = signal.signal(sig, _handler)
    return previous


def restore(previous: dict) -> None:
    """Put back the handlers :func:`install` replaced."""
    for sig, handler in previous.items():
        signal.signal(sig, handler)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM (as delivered to :func:`_handler`) until the block ends."""
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        if _state["depth"] == 0 and _state["pending"] is not None and not _state["raised"]:
            _state["raised"] = True
            raise Interrupted(_state["pending"])


def signal_name(signum: int) -> str:
    """``SIGINT`` for 2, and so on."""
    return signal.Signals(signum).name
