"""The lender's finances: funding, and the capital rules its book is measured against.

None of these settings changes the simulation: the run's Parquet tables are the same with any
values here. They are read by the analysis of a run (:mod:`simulator.analysis.pnl`,
:mod:`simulator.analysis.capital`, :mod:`simulator.analysis.ecl`) from the resolved
``scenario.yaml`` a run folder keeps.

Defaults and their sources
--------------------------
* Standardised approach: 《商业银行资本管理办法》(2023, 国家金融监督管理总局令 2023 年第 4 号,
  in force 1 January 2024), individual (个人) exposures: 75% for regulatory retail (监管零售,
  exposures meeting the rules' product, granularity and size criteria), 100% for other
  individual loans. Principal at 90+ DPD (default) takes ``defaulted`` (150% by default): the
  Basel III standardised treatment of a defaulted exposure whose specific provisions are below
  20% of the outstanding amount (100% at or above); a setting, not switched by the run's own
  provisions. Check it against the rules' own table before relying on it in a filing.
* IRB retail: the Basel retail risk-weight function (no maturity adjustment) with the
  correlation of other retail (3%..16%, decaying with PD at 35) or of qualifying revolving
  retail (QRRE, 4%); ``scaling`` 1.0 (Basel III final, which dropped Basel II's 1.06). With
  1.0 the function gives the published 45.77% (other retail) and 17.22% (QRRE) at PD 1% and
  LGD 45%; 1.06 gives 48.52% and 18.26%.
* IFRS 9 expected credit loss: forborne (restructured) principal stays in Stage 2 and in 关注 or
  worse for ``probation_months`` (12 by default: 《商业银行金融资产风险分类办法》(2023) sets an
  observation period of at least one year for restructured assets; the EBA's probation for
  forborne exposures is two years). A significant increase in credit risk is assessed
  collectively by segment: a segment's lifetime PD ``sicr_pd_ratio`` times its opening one
  (3.0 by default, a relative threshold of the kind banks disclose; null switches it off).
* A consumer finance company must hold a total capital ratio of at least 10.5% (8% plus the
  2.5% conservation buffer); ``minimum_ratio`` is that line in the report.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.scenario.strict import StrictModel

RISK_WEIGHT_MAX = 12.5  # 1250%, the largest risk weight the rules know


_Model = StrictModel


class Standardised(_Model):
    """Risk weights of the standardised approach (weights of principal on book)."""

    retail: float = Field(
        default=0.75, ge=0, le=RISK_WEIGHT_MAX,
        description="Risk weight of performing principal (0..90 DPD): 0.75 regulatory retail "
        "(监管零售, 2023 rules); 1.00 for other individual loans.",
    )
    defaulted: float = Field(
        default=1.5, ge=0, le=RISK_WEIGHT_MAX,
        description="Risk weight of principal at 90+ DPD (M4..M6): 1.5 while specific "
        "provisions are below 20% of it, 1.0 at or above.",
    )


class Irb(_Model):
    """The Basel IRB retail risk-weight function with the run's own PD and LGD."""

    asset_class: Literal["other_retail", "qrre"] = Field(
        default="other_retail",
        description="other_retail: correlation 3%..16% falling with PD; qrre (qualifying "
        "revolving retail): 4%.",
    )
    pd_floor: float = Field(
        default=0.0005, ge=0, le=1,
        description="Least PD used (Basel III retail floor 0.05%; 0.1% for QRRE revolvers).",
    )
    lgd: float | None = Field(
        default=None, ge=0, le=1,
        description="LGD used for every segment; null: each segment's from the run (1 - "
        "recoveries / principal charged off at least recovery.lag_days before the end).",
    )
    scaling: float = Field(
        default=1.0, ge=1, le=1.06,
        description="Multiplier of K x 12.5: 1.0 Basel III final; 1.06 Basel II.",
    )


class Capital(_Model):
    """Capital at the start and the line it must stay above."""

    starting_ratio: float = Field(
        default=0.125, gt=0, le=1,
        description="Capital on day 0 as a share of day-0 standardised risk-weighted assets.",
    )
    minimum_ratio: float = Field(
        default=0.105, ge=0, le=1,
        description="Minimum total capital ratio drawn in the report (8% + 2.5% buffer).",
    )
    standardised: Standardised = Field(
        default_factory=Standardised, description="Standardised-approach risk weights."
    )
    irb: Irb = Field(default_factory=Irb, description="IRB retail formula settings.")


class Ecl(_Model):
    """IFRS 9 staging and expected credit loss, read by the provisions analysis."""

    hazard_window_months: int = Field(
        default=3, ge=1, le=24,
        description="Months of a path's own roll flows its default hazards are estimated from; "
        "before that much history, the first months pooled over paths.",
    )
    probation_months: int = Field(
        default=12, ge=0, le=60,
        description="Months a restructured drawdown stays in Stage 2 and in 关注 or worse "
        "after its restructuring (observation period).",
    )
    sicr_pd_ratio: float | None = Field(
        default=3.0, gt=1, le=1000,
        description="Stage 1 principal of a segment moves to Stage 2 when its lifetime PD "
        "exceeds this multiple of the opening one (collective SICR); null: off.",
    )
    lgd: float | None = Field(
        default=None, ge=0, le=1,
        description="LGD for every segment; null: each segment's measured in the run "
        "(capital's LGD, its recoveries discounted at the effective rate).",
    )
    discount_rate: float | None = Field(
        default=None, ge=0, le=10,
        description="Annual effective interest rate ECL is discounted at; null: each "
        "segment's contract rate (daily_rate x 30 a month, compounded monthly).",
    )
    lifetime_months: int | None = Field(
        default=None, ge=1, le=120,
        description="Lifetime of an exposure in months (Stage 2's lifetime ECL; Stage 1's 12 "
        "months are capped at it); null: each segment's term_months (12 for a loan tape).",
    )


class Finance(_Model):
    """Funding, capital and provisions: read by the P&L, capital and ECL analysis, not the
    kernel."""

    funding_rate: float = Field(
        default=0.03, ge=0, le=1,
        description="Annual cost of funding on-book principal (simple, 365-day year).",
    )
    rate_pass_through: float = Field(
        default=1.0, ge=0, le=10,
        description="Share of a rate shock's change (shocks: rate, in basis points) added to "
        "the funding rate each month.",
    )
    capital: Capital = Field(default_factory=Capital, description="Capital and risk weights.")
    ecl: Ecl = Field(default_factory=Ecl, description="IFRS 9 staging and expected credit loss.")
