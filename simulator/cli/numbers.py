"""Whole-number options checked before use: each refusal names the option the user typed."""

from __future__ import annotations

import math

from simulator.errors import InputError
from simulator.scenario import bounds as B

# option -> (lowest, highest, what 0 means or None); one place, so help texts and checks agree
RUN_COUNTS: dict[str, tuple[int, int, str | None]] = {
    "--paths": (1, B.PATHS_MAX, None),
    "--borrowers": (1, B.BORROWERS_MAX, None),
    "--seed": (0, B.SEED_MAX, None),
    "--horizon-days": (1, B.HORIZON_DAYS_MAX, None),
    "--threads": (0, B.THREADS_MAX, "all cores"),
    "--chunk-size": (0, B.CHUNK_SIZE_MAX, "the default, 50,000 borrowers"),
    "--path-block": (0, B.PATH_BLOCK_MAX, "the default, 8 paths"),
}


def check_count(option: str, value: int | None, low: int, high: int,
                zero_means: str | None = None) -> None:
    """InputError naming ``option`` unless ``value`` is None or a whole number in [low, high]."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        shown = str(value) if len(str(value)) <= 30 else str(value)[:27] + "..."
        zero = f" (0: {zero_means})" if zero_means else ""
        raise InputError(f"must be a whole number from {low:,} to {high:,}{zero}, "
                         f"got {shown}", path=option)


def check_finite(option: str, value: float | None, *, positive: bool = False) -> None:
    """InputError naming ``option`` unless ``value`` is None or finite (and > 0 if asked)."""
    if value is None:
        return
    if not math.isfinite(value) or abs(value) > 1e300 or (positive and value <= 0):
        kind = "a finite number above 0" if positive else "a finite number"
        raise InputError(f"must be {kind}, got {value:g}", path=option)


def check_run_counts(**values: int | None) -> None:
    """Check ``overdue run``'s counts, given as keyword arguments named like the options
    (``horizon_days`` for ``--horizon-days``)."""
    for name, value in values.items():
        option = "--" + name.replace("_", "-")
        low, high, zero = RUN_COUNTS[option]
        check_count(option, value, low, high, zero)
