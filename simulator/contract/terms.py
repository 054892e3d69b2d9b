"""The terms of one drawdown, as the ledger and the kernel read them."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from simulator.contract.schedule import METHODS

ALLOCATIONS = ("default", "statute", "principal_first")


@dataclass(frozen=True)
class Terms:
    """One drawdown's contract. Money in micro-yuan; rates per day.

    ``period`` is the schedule period in days, or ``"calendar"`` for calendar months counted
    from ``disbursed_on``. ``acceleration_dpd`` and ``charge_off_dpd`` are ``None`` when off.
    """

    principal: int
    daily_rate: float
    term: int = 12
    method: str = "equal_installment"
    period: int | str = 30
    disbursed_on: _dt.date = _dt.date(2026, 1, 1)
    penalty_multiplier: float = 1.5
    compound_interest: bool = True
    late_fee: int = 0
    grace_days: int = 0
    grace_retroactive: bool = True
    acceleration_dpd: int | None = 90
    charge_off_dpd: int | None = 180
    allocation: str = "default"
    apr_cap: float = 0.24
    non_accrual_dpd: int = 90

    def __post_init__(self) -> None:
        if self.principal <= 0:
            raise ValueError("principal must be positive")
        if not 0.0 <= self.daily_rate < 1.0:
            raise ValueError("daily_rate must be in [0, 1)")
        if self.term < 1:
            raise ValueError("term must be at least 1")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")
        if self.allocation not in ALLOCATIONS:
            raise ValueError(f"allocation must be one of {ALLOCATIONS}")
        if not (self.period == "calendar" or (isinstance(self.period, int) and self.period > 0)):
            raise ValueError("period must be a positive number of days or 'calendar'")

    @property
    def penalty_rate(self) -> float:
        """Daily rate of penalty and compound interest: ``r x m``."""
        return self.daily_rate * self.penalty_multiplier
