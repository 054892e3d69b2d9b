"""Policy levers: the lender's own choices, each moving a documented part of the model.

* ``underwriting``: who is originated (new borrowers and redraws) and for how much. The lender
  ranks applicants by a score that is correlated ``score_accuracy`` with the borrower's true
  risk; better scoring (machine learning) raises the accuracy. ``approve_share`` is the share
  of applicants accepted, the best-scored first.
* ``pricing``: daily rate of new drawdowns by grade (A best .. E worst, quintiles of the score).
* ``restructuring`` (灵活还款 / 延期): delinquent drawdowns in a DPD window accept a new
  schedule with a daily probability; arrears are capitalised into principal over the remaining
  instalments plus ``extra_months``; penalties are waived or capitalised; restructured
  drawdowns miss with PD x ``pd_multiplier`` and are reported separately.
* ``collection``: channels active by bucket multiply the cure and partial-payment hazards and
  cost a fixed amount per delinquent account worked per day (reported as collection cost).
* ``legal``: a share of charged-off drawdowns is litigated; the court recovers a share of the
  claim capped at the enforceable claim (24 % all-in APR by default) after a lag, at a cost.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from simulator.scenario import bounds as B
from simulator.scenario.located import LocatedError
from simulator.scenario.strict import StrictModel

DelinquentBucket = Literal["M1", "M2", "M3", "M4", "M5", "M6"]
Grade = Literal["A", "B", "C", "D", "E"]
GRADES = ("A", "B", "C", "D", "E")


_Model = StrictModel


class Underwriting(_Model):
    """Who is originated, and how much they may draw."""

    approve_share: float = Field(
        default=1.0, gt=0, le=1,
        description="Share of applicants approved, best-scored first (1: everyone).",
    )
    score_accuracy: float = Field(
        default=0.5, ge=0, le=1,
        description="Correlation of the lender's score with the borrower's true risk "
        "(machine-learning scoring raises it).",
    )
    limit_income_multiple: float | None = Field(
        default=None, gt=0, le=100,
        description="New drawdowns are capped at this multiple of monthly income (null: no cap).",
    )


class Pricing(_Model):
    """Risk-based pricing of new drawdowns."""

    grade_rates: dict[Grade, float] = Field(
        description="Daily rate by grade A (best) .. E (worst); grades are score quintiles; "
        "absent grades keep the segment's rate.",
        json_schema_extra={"range": f"each > 0 and <= {B.DAILY_RATE_MAX:g}"},
    )

    @field_validator("grade_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        for grade, rate in value.items():
            if not 0 < rate <= B.DAILY_RATE_MAX:
                raise LocatedError(
                    f"daily rate must be > 0 and <= {B.DAILY_RATE_MAX:g}, got {rate:g}", (grade,)
                )
        return value


class Restructuring(_Model):
    """Flexible repayment (灵活还款 / 延期) for delinquent borrowers."""

    dpd_from: int = Field(default=31, ge=1, le=B.DPD_MAX, description="First DPD eligible.")
    dpd_to: int = Field(default=90, ge=1, le=B.DPD_MAX, description="Last DPD eligible.")
    acceptance_daily: float = Field(
        default=0.02, ge=0, le=1,
        description="Daily chance an eligible drawdown accepts the new schedule.",
    )
    extra_months: int = Field(
        default=6, ge=0, le=B.RESTRUCTURE_EXTRA_MONTHS_MAX,
        description="Instalments added to those remaining."
    )
    waive_penalties: bool = Field(
        default=True,
        description="Waive penalty, compound and fees (else they are capitalised too).",
    )
    pd_multiplier: float = Field(
        default=1.5, ge=0, le=20,
        description="Restructured drawdowns miss due payments with PD x this.",
    )

    @model_validator(mode="after")
    def _window(self) -> Restructuring:
        if self.dpd_to < self.dpd_from:
            raise ValueError(f"dpd_to ({self.dpd_to}) must be >= dpd_from ({self.dpd_from})")
        return self


class Channel(_Model):
    """One collection channel."""

    buckets: list[DelinquentBucket] = Field(
        min_length=1, description="Buckets the channel works (M1..M6)."
    )
    cure_multiplier: float = Field(
        default=1.0, ge=0, le=10,
        description="Multiplies the cure and partial-payment hazards of accounts it works.",
    )
    cost_per_account_day: float = Field(
        default=0.0, ge=0, le=B.YUAN_MAX,
        description="Cost per delinquent account worked per day (yuan)."
    )
    capacity_per_10k_borrowers: float | None = Field(
        default=None, gt=0, le=10_000,
        description="Accounts the channel can work a day, per 10,000 borrowers of the book "
        "(none: unlimited). Above it the uplift is diluted to 1 + (cure_multiplier - 1) x "
        "capacity / load and only the accounts worked are paid for.",
    )


class Collection(_Model):
    """Collection channels (SMS/app reminders, calls, AI-targeted, outsourced, ...)."""

    channels: dict[str, Channel] = Field(
        description="Channels by name; several channels on one bucket multiply their effects "
        "and add their costs."
    )


class Legal(_Model):
    """Litigation of charged-off drawdowns."""

    share: float = Field(default=0.0, ge=0, le=1, description="Share litigated.")
    recovery_rate: float = Field(
        default=0.25, ge=0, le=1,
        description="Share of the claim (capped at the enforceable claim) the court recovers.",
    )
    lag_days: int = Field(default=365, ge=0, le=B.DPD_MAX, description="Days from charge-off.")
    cost_per_case: float = Field(default=0.0, ge=0, le=B.YUAN_MAX,
                                 description="Cost per litigated drawdown (yuan), paid at "
                                 "charge-off.")


class Policy(_Model):
    """The lender's levers; each is off when absent."""

    underwriting: Underwriting | None = Field(default=None, description="Approval and limits.")
    pricing: Pricing | None = Field(default=None, description="Risk-based pricing by grade.")
    restructuring: Restructuring | None = Field(
        default=None, description="Flexible repayment for delinquent borrowers."
    )
    collection: Collection | None = Field(default=None, description="Collection channels.")
    legal: Legal | None = Field(default=None, description="Legal recovery after charge-off.")
