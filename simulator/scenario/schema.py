"""The scenario schema: strict, frozen pydantic models, every default defined once, here.

Field names are a contract: the portfolio builder, the macro paths and the kernels read them.
Each field carries a description that :mod:`simulator.scenario.reference` prints into
``docs/scenario.md``. Unknown keys are errors (``extra="forbid"``); types are strict (a quoted
``"0.5"`` is not a number, ``true`` is not an integer); NaN and infinity are refused.

Cross-field checks raise :class:`LocatedError`, a ``ValueError`` that remembers which key below
the validated model is at fault, so the loader can name ``book.segments[1].name`` and its line
rather than just ``book``.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, ClassVar, Literal

import annotated_types as at
from pydantic import (
    Field,
    field_validator,
    model_serializer,
    model_validator,
)

from simulator.contract.buckets import BUCKETS
from simulator.scenario import bounds as B
from simulator.scenario.dynamics import (
    DEFAULT_MONTHS_ON_BOOK_PD,
    Employment,
    MacroStart,
    Month,
    check_multipliers,
)
from simulator.scenario.finance import Finance
from simulator.scenario.located import LocatedError
from simulator.scenario.policy import Policy
from simulator.scenario.strict import StrictModel
from simulator.scenario.targets import Target
from simulator.scenario.yaml_io import dump_yaml

DELINQUENT_BUCKETS = BUCKETS[1:]

Bucket = Literal[BUCKETS]  # type: ignore[valid-type]  # the names, from their one definition
DelinquentBucket = Literal[DELINQUENT_BUCKETS]  # type: ignore[valid-type]

SUM_TOLERANCE = 1e-9
"""How far shares and probabilities that must add up to 1 may miss it (float rounding)."""

DAYS_PER_MONTH = 30
"""Simulation month of day ``d`` is ``d // DAYS_PER_MONTH`` (shock timing, factor steps)."""

_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
_NAME_MAX = 100

_DEFAULT_CURE_DAILY = {"M1": 0.06, "M2": 0.02, "M3": 0.01, "M4": 0.005, "M5": 0.003, "M6": 0.002}
_DEFAULT_PARTIAL_DAILY = {
    "M1": 0.02, "M2": 0.01, "M3": 0.005, "M4": 0.003, "M5": 0.002, "M6": 0.001,
}


_Model = StrictModel


def check_name(value: str, what: str) -> str:
    """``value`` if it is a usable scenario or segment name (also a folder name), else a
    ValueError saying why."""
    if not value:
        raise ValueError(f"{what} must not be empty")
    if len(value) > _NAME_MAX:
        raise ValueError(f"{what} is longer than {_NAME_MAX} characters")
    if set(value) == {"."}:
        raise ValueError(f"{what} {value!r} is not usable as a folder name")
    if not _NAME_RE.match(value):
        bad = next(c for c in value if not _NAME_RE.match(c))
        raise ValueError(
            f"{what} {value!r} contains {bad!r}: use letters, digits, '_', '.', '-' or CJK "
            "characters (no spaces or '/')"
        )
    return value


def _violates(bound: Any, value: float) -> str | None:
    """The complaint if ``value`` breaks an annotated-types bound, else None."""
    if isinstance(bound, at.Gt) and not value > bound.gt:
        return f"must be > {bound.gt:g}"
    if isinstance(bound, at.Ge) and not value >= bound.ge:
        return f"must be >= {bound.ge:g}"
    if isinstance(bound, at.Lt) and not value < bound.lt:
        return f"must be < {bound.lt:g}"
    if isinstance(bound, at.Le) and not value <= bound.le:
        return f"must be <= {bound.le:g}"
    return None


def _check_sums_to_one(values: Any, what: str) -> None:
    total = math.fsum(values)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValueError(f"{what} must sum to 1, got {total:.12g}")


# --------------------------------------------------------------------------------------------
# Amounts


class LogNormal(_Model):
    """A lognormal distribution given by its median and the sigma of its logarithm."""

    median: float = Field(gt=0, le=B.YUAN_MAX,
                          description="Median (yuan); exp(mu) of the underlying normal.")
    sigma: float = Field(ge=0, le=5, description="Standard deviation of the logarithm.")


class Uniform(_Model):
    """A uniform distribution on [low, high]."""

    low: float = Field(ge=0, le=B.YUAN_MAX, description="Lower end (yuan).")
    high: float = Field(ge=0, le=B.YUAN_MAX, description="Upper end (yuan), at least low.")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise LocatedError(f"high ({self.high:g}) must be >= low ({self.low:g})", ("high",))
        return self


class Amount(_Model):
    """A yuan amount drawn per borrower or drawdown: exactly one of ``fixed``, ``lognormal``,
    ``uniform``, then clipped to [min, max]."""

    fixed: float | None = Field(default=None, gt=0, le=B.YUAN_MAX,
                                description="Every draw equals this amount.")
    lognormal: LogNormal | None = Field(default=None, description="Lognormal draws.")
    uniform: Uniform | None = Field(default=None, description="Uniform draws.")
    min: float = Field(default=1.0, gt=0, le=B.YUAN_MAX,
                       description="Draws below this are raised to it.")
    max: float = Field(default=float(B.YUAN_MAX), gt=0, le=B.YUAN_MAX,
                       description="Draws above this are lowered to it.")

    @property
    def kind(self) -> Literal["fixed", "lognormal", "uniform"]:
        """Which distribution was given."""
        if self.fixed is not None:
            return "fixed"
        return "lognormal" if self.lognormal is not None else "uniform"

    @model_validator(mode="after")
    def _one_kind(self) -> Amount:
        given = [k for k in ("fixed", "lognormal", "uniform") if getattr(self, k) is not None]
        if len(given) != 1:
            got = " and ".join(given) if given else "none"
            raise ValueError(f"give exactly one of fixed, lognormal, uniform (got {got})")
        if self.max < self.min:
            raise LocatedError(f"max ({self.max:g}) must be >= min ({self.min:g})", ("max",))
        if self.fixed is not None and not self.min <= self.fixed <= self.max:
            raise LocatedError(
                f"fixed amount {self.fixed:g} lies outside [min, max] = "
                f"[{self.min:g}, {self.max:g}]; change min or max too",
                ("fixed",),
            )
        return self

    @model_serializer(mode="wrap")
    def _drop_unused(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None}


class Principal(Amount):
    """Principal of one drawdown (yuan), an amount: exactly one of ``fixed``, ``lognormal``,
    ``uniform``, clipped to [min, max]. Jiebei lines run 1,000 - 300,000 (MODEL.md s.1)."""

    min: float = Field(default=1000.0, gt=0, le=B.YUAN_MAX,
                       description="Smallest drawdown (yuan).")
    max: float = Field(default=300000.0, gt=0, le=B.YUAN_MAX,
                       description="Largest drawdown (yuan).")


class Income(Amount):
    """Monthly income of a borrower (yuan) before any scenario shock, an amount: exactly one
    of ``fixed``, ``lognormal``, ``uniform``, clipped to [min, max]."""

    min: float = Field(default=500.0, gt=0, le=B.YUAN_MAX,
                       description="Lowest monthly income (yuan).")
    max: float = Field(default=1_000_000.0, gt=0, le=B.YUAN_MAX,
                       description="Highest monthly income (yuan).")


def _default_principal() -> Principal:
    return Principal(lognormal=LogNormal(median=8000.0, sigma=0.6))


def _default_income() -> Income:
    return Income(lognormal=LogNormal(median=9000.0, sigma=0.5))


# --------------------------------------------------------------------------------------------
# Book


class Segment(_Model):
    """A group of borrowers sharing pricing, loan terms and behaviour."""

    name: str = Field(description="Segment name, e.g. salaried or 工薪; unique within the book.")
    share: float = Field(
        gt=0, le=1, description="Share of borrowers in this segment; the shares sum to 1."
    )
    daily_rate: float = Field(
        default=0.0004,
        gt=0,
        le=B.DAILY_RATE_MAX,
        description="Daily interest rate r; annualised r x 360. Typical 0.00015 - 0.0006.",
    )
    term_months: int = Field(default=12, ge=B.TERM_MONTHS_MIN, le=B.TERM_MONTHS_MAX,
                             description="Number of instalments.")
    method: Literal["equal_installment", "interest_first", "equal_principal"] = Field(
        default="equal_installment",
        description="Repayment method: 每月等额, 先息后本 (principal at maturity) or 等额本金.",
    )
    principal: Principal = Field(
        default_factory=_default_principal, description="Principal of each drawdown (yuan)."
    )
    monthly_income: Income = Field(
        default_factory=_default_income, description="Borrower's monthly income (yuan)."
    )
    drawdowns: list[float] = Field(
        default_factory=lambda: [1.0],
        min_length=1,
        max_length=B.MAX_DRAWDOWNS,
        description=(
            "Probability that a borrower holds 1, 2, 3, ... drawdowns at once; sums to 1."
        ),
        json_schema_extra={"range": "1 to 10 items, each 0 to 1"},
    )
    initial_buckets: dict[Bucket, float] = Field(
        default_factory=lambda: {b: 1.0 if b == "M0" else 0.0 for b in BUCKETS},
        description=(
            "Shares of drawdowns in each bucket at day 0; absent buckets are 0; sums to 1."
        ),
        json_schema_extra={"range": "each 0 to 1"},
    )
    base_pd: float = Field(
        default=0.012,
        gt=0,
        lt=1,
        description="Chance of missing a due payment, unstressed.",
    )
    other_debt_service_ratio: float = Field(
        default=0.2, ge=0, le=B.SENSITIVITY_MAX,
        description="Other debt payments / monthly income, unstressed."
    )
    unemployment_beta: float = Field(
        default=1.0,
        ge=0,
        le=B.SENSITIVITY_MAX,
        description="How strongly the national unemployment change hits this segment: its "
        "unemployment rate moves by beta x the scenario's change.",
    )
    unemployment_rate: float | None = Field(
        default=None, gt=0, lt=0.5,
        description="The segment's unemployment rate without a shock (default: "
        "behaviour.employment.unemployment_rate).",
    )
    job_finding_monthly: float | None = Field(
        default=None, gt=0, le=1,
        description="The segment's monthly job-finding chance, unstressed (default: "
        "behaviour.employment.job_finding_monthly).",
    )
    dsr_reference: float | None = Field(
        default=None, gt=0, le=B.SENSITIVITY_MAX,
        description="The debt-service ratio at which the segment's PD is base_pd (default: "
        "behaviour.dsr_reference).",
    )
    score_pd_loading: float = Field(
        default=0.5,
        ge=0,
        le=3,
        description="Spread of PD across borrowers: a borrower of true risk z ~ N(0,1) has PD "
        "base_pd x exp(loading z - loading^2 / 2) (the mean stays base_pd); scoring acts on z.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value, "segment name")

    @field_validator("drawdowns")
    @classmethod
    def _drawdowns(cls, value: list[float]) -> list[float]:
        for i, p in enumerate(value):
            if not 0 <= p <= 1:
                raise LocatedError(f"must be between 0 and 1, got {p:g}", (i,))
        _check_sums_to_one(value, "drawdown probabilities")
        return value

    @field_validator("initial_buckets")
    @classmethod
    def _buckets(cls, value: dict[str, float]) -> dict[str, float]:
        for key, p in value.items():
            if not 0 <= p <= 1:
                raise LocatedError(f"must be between 0 and 1, got {p:g}", (key,))
        _check_sums_to_one(value.values(), "initial bucket shares")
        return {b: float(value.get(b, 0.0)) for b in BUCKETS}


class Revolving(_Model):
    """New lending: redraws by repaying borrowers and new borrowers arriving."""

    redraw_probability: float = Field(
        default=0.0, ge=0, le=1,
        description="Chance a borrower who repays a drawdown in full draws a new one the next "
        "day, if today's underwriting approves them.",
    )
    new_borrowers_monthly: float = Field(
        default=0.0, ge=0, le=1,
        description="Applicants arriving per month as a share of book.borrowers; those "
        "approved are originated on a day drawn within the month.",
    )


class Book(_Model):
    """The loan book: a synthetic one described by segments, or a loan tape."""

    borrowers: int = Field(
        default=100_000,
        ge=1,
        le=B.BORROWERS_MAX,
        description="Number of borrowers in a synthetic book (ignored when tape is given).",
    )
    tape: str | None = Field(
        default=None,
        description=(
            "Loan tape: a Parquet file, a folder of Parquet files (a dataset) or a CSV file, "
            "relative to the scenario file; give tape or segments, not both. Stored resolved "
            "to an absolute path."
        ),
    )
    segments: list[Segment] | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Borrower segments (1 to 64): unique names, shares summing to 1.",
    )
    revolving: Revolving = Field(
        default_factory=Revolving, description="New lending during the horizon (off by default)."
    )
    burn_in_months: int = Field(
        default=0, ge=0, le=B.BURN_IN_MONTHS_MAX,
        description="Months simulated before day 0 under baseline conditions (no shock, "
        "today's policy from day 1 only), each path through its factor's own history: day-0 "
        "balances, arrears and vintages are then the model's own. The segments' "
        "initial_buckets then describe the book at the burn-in's start. A synthetic book only.",
    )

    @field_validator("tape")
    @classmethod
    def _tape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("tape must be a file or folder path")
        name = value.rstrip("/\\").rsplit("/", 1)[-1]
        if "." in name and not name.lower().endswith((".parquet", ".pq", ".csv")):
            raise ValueError(f"tape must be a .parquet or .csv file or a folder of Parquet "
                             f"files, got {value!r}")
        return value

    @field_validator("segments")
    @classmethod
    def _segments(cls, value: list[Segment] | None) -> list[Segment] | None:
        if value is None:
            return None
        seen: dict[str, int] = {}
        for i, seg in enumerate(value):
            if seg.name in seen:
                raise LocatedError(
                    f"duplicate segment name {seg.name!r} (also segments[{seen[seg.name]}])",
                    (i, "name"),
                )
            seen[seg.name] = i
        _check_sums_to_one((s.share for s in value), "segment shares")
        return value

    @model_validator(mode="after")
    def _tape_or_segments(self) -> Book:
        if (self.tape is None) == (self.segments is None):
            which = "both" if self.tape is not None else "neither"
            raise ValueError(f"give exactly one of tape and segments (got {which})")
        if self.tape is not None and self.burn_in_months > 0:
            raise LocatedError("a loan tape is today's book: it takes no burn-in",
                               ("burn_in_months",))
        return self


# --------------------------------------------------------------------------------------------
# Contract, behaviour, recovery, Monte Carlo


def _dpd_or_off(value: Any) -> Any:
    """YAML 1.1 reads ``off``/``no`` as false: both mean "switched off" (None) here."""
    if value is False or (isinstance(value, str) and value.strip().lower() == "off"):
        return None
    if value is True:
        raise ValueError("expected a number of days or off, got true")
    return value


class Contract(_Model):
    """Contract mechanics: overdue charges, acceleration, charge-off, payment allocation."""

    penalty_multiplier: float = Field(
        default=1.5,
        ge=B.PENALTY_MULTIPLIER_MIN,
        le=B.PENALTY_MULTIPLIER_MAX,
        description="Penalty (罚息) rate = daily_rate x this, on overdue principal.",
    )
    compound_interest: bool = Field(
        default=True, description="Charge compound interest (复利) on overdue interest."
    )
    late_fee: float = Field(
        default=0.0, ge=0, le=B.YUAN_MAX,
        description="Fee (yuan) per instalment when it becomes overdue."
    )
    penalty_grace_days: int = Field(
        default=0, ge=0, le=B.GRACE_DAYS_MAX,
        description="Days after a due date with no penalty accrual."
    )
    grace_retroactive: bool = Field(
        default=True,
        description="When the grace is exceeded, charge penalty back to the due date.",
    )
    acceleration_dpd: int | None = Field(
        default=90,
        ge=1,
        le=B.DPD_MAX,
        description="DPD at which all remaining principal falls due; off (null) for never.",
    )
    charge_off_dpd: int | None = Field(
        default=180,
        ge=1,
        le=B.DPD_MAX,
        description="DPD at which principal is written off; off (null) for never. "
        "Must exceed acceleration_dpd.",
    )
    allocation: Literal["default", "statute", "principal_first"] = Field(
        default="default",
        description="Order a payment clears items within an instalment (MODEL.md s.3).",
    )
    schedule_period: int | Literal["calendar"] = Field(
        default=30,
        description="Days between due dates (7 to 31), or calendar for calendar months.",
        json_schema_extra={"range": "7 to 31, or calendar"},
    )
    enforceable_apr_cap: float = Field(
        default=0.24,
        ge=0,
        le=B.APR_CAP_MAX,
        description="All-in yearly rate a court enforces; caps the enforceable claim.",
    )
    non_accrual_dpd: int = Field(
        default=90,
        ge=1,
        le=B.DPD_MAX,
        description="DPD from which charges are claim but no longer income.",
    )

    @field_validator("acceleration_dpd", "charge_off_dpd", mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        return _dpd_or_off(value)

    @field_validator("schedule_period", mode="before")
    @classmethod
    def _period(cls, value: Any) -> Any:
        if value == "calendar" and isinstance(value, str):
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            shown = f"{value!r}" if isinstance(value, str) else describe_value(value)
            raise ValueError(f"expected a number of days (7 to 31) or calendar, got {shown}")
        if not B.PERIOD_DAYS_MIN <= value <= B.PERIOD_DAYS_MAX:
            raise ValueError(
                f"must be between {B.PERIOD_DAYS_MIN} and {B.PERIOD_DAYS_MAX} days (or calendar), "
                f"got {describe_value(value)}"
            )
        return value

    @field_validator("charge_off_dpd")
    @classmethod
    def _after_acceleration(cls, value: int | None, info: Any) -> int | None:
        acc = info.data.get("acceleration_dpd")
        if value is not None and acc is not None and value <= acc:
            raise ValueError(
                f"charge-off before acceleration: charge_off_dpd ({value}) must be greater "
                f"than acceleration_dpd ({acc})"
            )
        return value


def describe_value(value: Any) -> str:
    """A value as an error message shows it: short, YAML-flavoured."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."



def _fill(defaults: dict[str, float]) -> Any:
    def fill(cls: type, value: dict[str, float]) -> dict[str, float]:
        for key, p in value.items():
            if not 0 <= p <= 1:
                raise LocatedError(f"must be between 0 and 1, got {p:g}", (key,))
        return {b: float(value.get(b, defaults[b])) for b in DELINQUENT_BUCKETS}

    return classmethod(fill)


class Behaviour(_Model):
    """Borrower behaviour: missing payments, cures, partial payments, prepayment."""

    rho: float = Field(
        default=0.08, ge=0, lt=1, description="Asset correlation of the one-factor model."
    )
    factor_persistence: float = Field(
        default=0.7,
        ge=0,
        lt=1,
        description="AR(1) coefficient of the systematic factor Z, month to month.",
    )
    dsr_sensitivity: float = Field(
        default=3.0,
        ge=0,
        le=B.SENSITIVITY_MAX,
        description="PD multiplier exp(dsr_sensitivity x (DSR - dsr_reference)) in every "
        "month: DSR = (level payments of the borrower's drawdowns + other debt service) / "
        "the month's income.",
    )
    dsr_reference: float = Field(
        default=0.35, gt=0, le=B.SENSITIVITY_MAX,
        description="The debt-service ratio at which a borrower's PD is its segment's base_pd.",
    )
    unemployed_pd_multiplier: float = Field(
        default=1.0, gt=0, le=B.PD_MULTIPLIER_MAX,
        description="PD multiplier while unemployed, on top of the income lost (the DSR).",
    )
    employment: Employment = Field(
        default_factory=Employment,
        description="Employment spells: the pool's unemployment rate and job-finding chance.",
    )
    months_on_book_pd: list[float] = Field(
        default_factory=lambda: list(DEFAULT_MONTHS_ON_BOOK_PD), min_length=1, max_length=120,
        description="PD multiplier by months on book of the borrower's youngest drawdown "
        "(1st, 2nd, ... due date; the last value holds after): the first-payment-default "
        "hump, then seasoning. [1.0] switches it off.",
    )
    seasonal_pd: dict[Month, float] = Field(
        default_factory=dict,
        description="PD multiplier by calendar month of the due date (jan..dec; absent months "
        "1.0), e.g. {jan: 1.25, feb: 1.35} for the weeks around Chinese New Year.",
    )
    segment_factor_weight: float = Field(
        default=1.0, ge=0, le=1,
        description="w: each segment's factor is sqrt(w) Z + sqrt(1 - w) eta_s with its own "
        "AR(1) eta_s; 1 is the one-factor model.",
    )
    unemployed_income_ratio: float = Field(
        default=0.4, ge=0, le=1, description="Share of income kept while unemployed."
    )
    other_debt_rate_sensitivity: float = Field(
        default=0.08,
        ge=0,
        le=B.SENSITIVITY_MAX,
        description="Relative rise of other debt service per +100 bp of rates.",
    )
    cure_daily: dict[DelinquentBucket, float] = Field(
        default_factory=lambda: dict(_DEFAULT_CURE_DAILY),
        description="Daily probability of paying everything past due, by bucket; "
        "absent buckets take their default.",
        json_schema_extra={"range": "each 0 to 1"},
    )
    partial_daily: dict[DelinquentBucket, float] = Field(
        default_factory=lambda: dict(_DEFAULT_PARTIAL_DAILY),
        description="Daily probability of a partial payment, by bucket; "
        "absent buckets take their default.",
        json_schema_extra={"range": "each 0 to 1"},
    )
    partial_share: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description="Share of the past-due amount paid in a partial payment.",
    )
    cure_factor_loading: float = Field(
        default=0.3,
        ge=-B.SENSITIVITY_MAX,
        le=B.SENSITIVITY_MAX,
        description="Cure and partial hazards are multiplied by exp(loading x Z).",
    )
    prepayment_monthly: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="Chance a current borrower repays in full at a due date.",
    )

    _cure = field_validator("cure_daily")(_fill(_DEFAULT_CURE_DAILY))
    _mob = field_validator("months_on_book_pd")(
        lambda v: check_multipliers(v, "a months-on-book multiplier"))
    _season = field_validator("seasonal_pd")(
        lambda v: check_multipliers(v, "a seasonal multiplier"))
    _partial = field_validator("partial_daily")(_fill(_DEFAULT_PARTIAL_DAILY))


class Recovery(_Model):
    """What comes back on charged-off principal."""

    rate: float = Field(
        default=0.10, ge=0, le=1,
        description="Share of charged-off principal recovered, at Z = 0.",
    )
    factor_loading: float = Field(
        default=0.2, ge=-B.SENSITIVITY_MAX, le=B.SENSITIVITY_MAX,
        description="The recovery rate is multiplied by exp(loading x Z) of the charge-off "
        "month (at most 1): buyers of bad debt pay less in a downturn.",
    )
    lag_days: int = Field(
        default=180, ge=0, le=B.DPD_MAX, description="Days from charge-off to the recovery."
    )


class MonteCarlo(_Model):
    """How many paths and which seed."""

    paths: int = Field(default=200, ge=1, le=B.PATHS_MAX,
                       description="Number of Monte Carlo paths.")
    seed: int = Field(
        default=20261129,
        ge=0,
        le=B.SEED_MAX,
        description="Seed of the counter-based generator; same seed, same draws.",
    )


# --------------------------------------------------------------------------------------------
# Shocks


class _Timed(_Model):
    """A change switched on at ``start_month``, ramped, held, then reverted; or a monthly path."""

    _change_key: ClassVar[str] = "change"

    start_month: int = Field(default=0, ge=0, le=B.MONTHS_MAX,
                             description="Simulation month the change starts.")
    ramp_months: int = Field(
        default=0, ge=0, le=B.MONTHS_MAX,
        description="Months of linear ramp up to the full change.",
    )
    hold_months: int | None = Field(
        default=None, ge=0, le=B.MONTHS_MAX,
        description="Months held at the full change; null for ever.",
    )
    revert_months: int = Field(
        default=0, ge=0, le=B.MONTHS_MAX,
        description="Months of linear return to 0 after the hold (0: at once).",
    )
    path: list[float] | None = Field(
        default=None,
        min_length=1,
        max_length=B.MONTHS_MAX,
        description="Monthly values of the change from month 0, the last one held; "
        "replaces the change and its timing.",
    )

    def _change(self) -> float | None:
        return getattr(self, self._change_key)

    @model_validator(mode="after")
    def _change_or_path(self) -> _Timed:
        key = self._change_key
        if self.path is None:
            if self._change() is None:
                raise ValueError(f"give {key} (with optional timing) or path")
            return self
        if self._change() is not None:
            raise LocatedError(f"give either {key} or path, not both", (key,))
        for timing, default in (
            ("start_month", 0), ("ramp_months", 0), ("hold_months", None), ("revert_months", 0),
        ):
            if getattr(self, timing) != default:
                raise LocatedError(f"{timing} has no meaning with path: leave it out", (timing,))
        info = type(self).model_fields[key].metadata
        for i, v in enumerate(self.path):
            for bound in info:
                problem = _violates(bound, v)
                if problem:
                    raise LocatedError(f"{problem}, got {v:g}", ("path", i))
        return self

    def value_at_month(self, m: int) -> float:
        """The change at simulation month ``m`` (month = day // 30).

        Zero before ``start_month``; rises linearly to the full change at
        ``start_month + ramp_months``; held ``hold_months`` (for ever if null); then falls
        linearly to zero over ``revert_months`` (at once if 0). With ``path``, the value for
        month ``m``, the last value held after the end.
        """
        if m < 0:
            return 0.0
        if self.path is not None:
            return float(self.path[min(m, len(self.path) - 1)])
        change = float(self._change() or 0.0)
        start, ramp = self.start_month, self.ramp_months
        if m < start:
            return 0.0
        if m < start + ramp:
            return change * (m - start) / ramp
        if self.hold_months is None:
            return change
        end_hold = start + ramp + self.hold_months
        if m < end_hold:
            return change
        if m < end_hold + self.revert_months:
            return change * (1.0 - (m - end_hold) / self.revert_months)
        return 0.0


class IncomeShock(_Timed):
    """Relative change of monthly income, for some segments or all."""

    _change_key: ClassVar[str] = "change"

    segments: list[str] | None = Field(
        default=None,
        description="Segments hit (names from book.segments); null for all.",
    )
    change: float | None = Field(
        default=None, gt=-1, le=10, description="Relative income change, e.g. -0.08 for -8%."
    )


class UnemploymentShock(_Timed):
    """Change of the national unemployment rate in percentage points."""

    _change_key: ClassVar[str] = "change_pp"

    change_pp: float | None = Field(
        default=None, ge=-20, le=50, description="Unemployment change (percentage points)."
    )


class RateShock(_Timed):
    """Change of market interest rates in basis points (moves other debt service)."""

    _change_key: ClassVar[str] = "change_bp"

    change_bp: float | None = Field(
        default=None, ge=-1000, le=2000, description="Rate change (basis points)."
    )


class FactorShock(_Timed):
    """A shift of the systematic factor Z on every path (a downturn is negative)."""

    _change_key: ClassVar[str] = "change_sd"

    change_sd: float | None = Field(
        default=None, ge=-B.FACTOR_SD_MAX, le=B.FACTOR_SD_MAX,
        description="Shift of Z in standard deviations, e.g. -1.0: every path's factor is one "
        "standard deviation worse (more missed payments, fewer cures).",
    )


SHOCK_KINDS = ("income", "unemployment", "rate", "factor")


class Shock(_Model):
    """One macro shock: exactly one of income, unemployment, rate, factor."""

    income: IncomeShock | None = Field(default=None, description="An income shock.")
    unemployment: UnemploymentShock | None = Field(
        default=None, description="An unemployment shock."
    )
    rate: RateShock | None = Field(default=None, description="An interest rate shock.")
    factor: FactorShock | None = Field(
        default=None, description="A shift of the systematic factor (credit cycle)."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Shock:
        given = [k for k in SHOCK_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            got = " and ".join(given) if given else "none"
            raise ValueError(f"give exactly one of {', '.join(SHOCK_KINDS)} (got {got})")
        return self

    @property
    def kind(self) -> Literal["income", "unemployment", "rate", "factor"]:
        """Which shock this is."""
        return next(k for k in SHOCK_KINDS if getattr(self, k) is not None)

    @property
    def spec(self) -> IncomeShock | UnemploymentShock | RateShock | FactorShock:
        """The shock's own settings."""
        return getattr(self, self.kind)

    def value_at_month(self, m: int) -> float:
        """The change at simulation month ``m``: relative income change, unemployment
        percentage points, rate basis points or factor standard deviations, by :attr:`kind`."""
        return self.spec.value_at_month(m)

    @model_serializer(mode="wrap")
    def _drop_unused(self, handler: Any) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if v is not None}


# --------------------------------------------------------------------------------------------
# The scenario


class Scenario(_Model):
    """A complete stress scenario: the book, the contract, behaviour, shocks, Monte Carlo."""

    name: str = Field(
        description="Scenario name; used in run folder names: letters, digits, _ . - and CJK."
    )
    description: str = Field(default="", description="Free text for people.")
    horizon_days: int = Field(
        default=365, ge=1, le=B.HORIZON_DAYS_MAX, description="Days simulated from as_of."
    )
    as_of: date = Field(
        default=date(2026, 1, 1),
        ge=B.AS_OF_MIN,
        le=B.AS_OF_MAX,
        description="Day 0 of the simulation; calendar-month schedules count from it.",
    )
    monte_carlo: MonteCarlo = Field(default_factory=MonteCarlo, description="Paths and seed.")
    macro: MacroStart = Field(
        default_factory=MacroStart, description="Where the systematic factor starts."
    )
    book: Book = Field(description="The loan book.")
    contract: Contract = Field(default_factory=Contract, description="Contract mechanics.")
    behaviour: Behaviour = Field(default_factory=Behaviour, description="Borrower behaviour.")
    recovery: Recovery = Field(default_factory=Recovery, description="Recovery after charge-off.")
    shocks: list[Shock] = Field(
        default_factory=list, description="Macro shocks; none is the unstressed baseline."
    )
    policy: Policy = Field(default_factory=Policy, description="The lender's levers.")
    finance: Finance = Field(
        default_factory=Finance,
        description="Funding and capital, read by the P&L and capital analysis (not the kernel).",
    )
    targets: list[Target] = Field(
        default_factory=list,
        description="Published figures the scenario is measured against (`overdue library`).",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value, "name")

    @model_validator(mode="after")
    def _shock_segments(self) -> Scenario:
        if self.book.segments is None:
            return self  # a tape's segments are checked when the tape is read
        known = [s.name for s in self.book.segments]
        for i, shock in enumerate(self.shocks):
            if shock.income is None or shock.income.segments is None:
                continue
            for j, name in enumerate(shock.income.segments):
                if name not in known:
                    raise LocatedError(
                        f"unknown segment {name!r}; book.segments has "
                        + ", ".join(repr(k) for k in known),
                        ("shocks", i, "income", "segments", j),
                    )
        return self

    def to_yaml(self) -> str:
        """The resolved scenario as YAML, every default written out; reloads to an equal one."""
        return dump_yaml(self.model_dump(mode="python"))

    def sha256(self) -> str:
        """SHA-256 (hex) of :meth:`to_yaml`: identifies the resolved scenario in a manifest."""
        import hashlib

        return hashlib.sha256(self.to_yaml().encode("utf-8")).hexdigest()
