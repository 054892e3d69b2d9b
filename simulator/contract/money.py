"""Fixed-point money: every amount is an int64 count of micro-yuan (1e-6 yuan).

Sums of integers are exact, so partial aggregates from any chunking or thread count add up to
the same bits, and ``k`` daily accruals of a constant balance equal ``k`` times one accrual.
Each daily accrual is rounded once, half up, to the micro-yuan; the ledger and the numba
kernel use the same float expression, so they round identically.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

MICRO = 1_000_000  # micro-yuan per yuan
FEN = 10_000  # micro-yuan per fen


def to_micro(yuan: float | int | str | Decimal) -> int:
    """Yuan (as written by a person) to micro-yuan, rounded half up."""
    return int((Decimal(str(yuan)) * MICRO).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_yuan(micro: int) -> float:
    """Micro-yuan to float yuan, for display and Parquet."""
    return micro / MICRO


def accrue(balance: int, rate: float) -> int:
    """One day's accrual on ``balance`` micro-yuan at ``rate`` per day, rounded half up."""
    if balance <= 0:
        return 0
    return int(math.floor(balance * rate + 0.5))


def fmt_yuan(micro: int, places: int = 2) -> str:
    """A micro-yuan amount as yuan with thousands separators, rounded half up to ``places``."""
    q = Decimal(micro) / MICRO
    return f"{q.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,}"
