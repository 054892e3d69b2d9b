"""Scenario settings of behaviour over time (MODEL.md 6): employment spells, loan age,
seasons, and where the systematic factor starts.

Defaults and their sources:

- Job finding 0.20 a month, so a spell lasts 1 / 0.20 = 5 months on average: the US mean
  duration of unemployment was 21.6 weeks in 2019 (BLS, Current Population Survey, table A-12);
  China publishes no duration series. The pool's unemployment rate 5.2% is China's urban
  surveyed rate of December 2019 and December 2020 (NBS); separations follow from the two.
- Months on book: a first-payment-default hump that seasons away, illustrative (no published
  Chinese curve): 1.5 on the first due date down to 0.8 from the tenth, averaging 1.0 over a
  12-month loan so that ``base_pd`` keeps its meaning as the average monthly miss chance.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from simulator.scenario import bounds as B
from simulator.scenario.located import LocatedError
from simulator.scenario.strict import StrictModel

DEFAULT_MONTHS_ON_BOOK_PD = (1.5, 1.3, 1.15, 1.05, 1.0, 0.95, 0.9, 0.9, 0.85, 0.8, 0.8, 0.8)
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
Month = Literal[MONTHS]  # type: ignore[valid-type]


class Employment(StrictModel):
    """A borrower is employed or unemployed, month by month: employed borrowers lose their
    job with the separation chance, unemployed ones find one with the job-finding chance. The
    separation chance follows from the pool's rate, which tracks the scenario's unemployment
    path (MODEL.md 6)."""

    unemployment_rate: float = Field(
        default=0.052, gt=0, lt=0.5,
        description="Unemployment rate of the borrower pool without a shock (China's urban "
        "surveyed rate, December 2019: 5.2%).",
    )
    job_finding_monthly: float = Field(
        default=0.20, gt=0, le=1,
        description="Chance an unemployed borrower finds a job in a month, unstressed; a spell "
        "lasts 1 / job_finding_monthly months on average (5 months: the US mean duration, "
        "21.6 weeks in 2019, BLS). In a downturn it falls in proportion to the rise of the rate.",
    )


class MacroStart(StrictModel):
    """Where the systematic factor Z starts."""

    factor_start: (
        Annotated[float, Field(ge=-B.FACTOR_SD_MAX, le=B.FACTOR_SD_MAX)] | Literal["stationary"]
    ) = Field(
        default="stationary",
        description="stationary: the factor is drawn from its unconditional law N(0, 1) "
        "(economic capital); a number z0 (within +-5 sd): today's factor, so month 0's is "
        "persistence x z0 + sqrt(1 - persistence^2) x e (a central forecast from today). A "
        "burn-in (book.burn_in_months) runs through the path's own history of the factor, "
        "ending at z0 when given.",
    )


def check_multipliers(values, what: str):
    """Each multiplier positive and at most PD_MULTIPLIER_MAX, located by its key."""
    items = values.items() if isinstance(values, dict) else enumerate(values)
    for key, v in items:
        if not 0 < v <= B.PD_MULTIPLIER_MAX:
            raise LocatedError(f"{what} must be above 0 and at most {B.PD_MULTIPLIER_MAX:g}, "
                               f"got {v:g}", (key,))
    return values
