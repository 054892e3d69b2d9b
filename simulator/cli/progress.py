"""The run's progress bar text: the time left, estimated from this run's own pace.

A resumed run starts with part of its work already done (the checkpointed tasks); counting
that work as done in the first second would promise an end far too soon. The estimate is the
work done since this process started simulating, divided by the time it took.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def format_eta(done: int, start: int, total: int, elapsed_s: float) -> str:
    """``ETA h:mm:ss`` for ``total - done`` units left at the pace of ``done - start`` units
    in ``elapsed_s`` seconds; ``ETA -:--:--`` until this run has done some work."""
    if done >= total:
        return "ETA 0:00:00"
    if done <= start or elapsed_s <= 0:
        return "ETA -:--:--"
    left = round((total - done) * elapsed_s / (done - start))
    hours, rest = divmod(left, 3600)
    return f"ETA {hours}:{rest // 60:02d}:{rest % 60:02d}"


class Eta:
    """Feed it (done, total) as progress arrives; the first call is where this run starts."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.start: tuple[int, float] | None = None

    def __call__(self, done: int, total: int) -> str:
        now = self.clock()
        if self.start is None:
            self.start = (done, now)
        return format_eta(done, self.start[0], total, now - self.start[1])
