"""A scenario's published targets: the figures it is measured against in the library table.

Each target names a figure of a run and the published value it should land on::

    targets:
      - metric: dpd90_ratio         # a day metric (the quantiles table's), read on `day`
        statistic: mean             # across paths: mean, p50, p95, p99, p999 or es99
        day: 365
        value: 0.0105               # a ratio as a fraction
        tolerance: 0.00105          # absolute, in the metric's unit
        source: Ant Group 2020 prospectus, 90+ at end-2019

``metric`` is either one of the day metrics (``dpd30_ratio``, ``dpd90_ratio``,
``npl_no_disposal_ratio``, ``cum_net_loss_rate``, ``outstanding_principal``), which need a
``day``, or one of the per-path metrics of ``overdue calibrate`` (``dpd90_end``,
``nine_quarter_loss_rate``, ``m1_cure_30d``, ...; docs/calibration.md), which take none.
``overdue library`` says a target is met when the simulated statistic lies within
``tolerance`` plus one Monte Carlo standard error of ``value``. It also checks the per-path
metric names, before it runs anything: they are defined in the analysis package, which reads
this schema, so they cannot be read here.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from simulator.analysis.risk import STATS
from simulator.results.registry import QUANTILE_METRICS as DAY_METRICS
from simulator.scenario import bounds as B
from simulator.scenario.located import LocatedError
from simulator.scenario.strict import StrictModel

SOURCE_MAX = 300
"""Longest source text: it is one cell of a table."""

VALUE_MAX = 1e15
"""Bound on a target's value and tolerance: far above any book's principal in yuan."""


class Target(StrictModel):
    """A published figure a scenario should reproduce, and how close counts."""

    metric: str = Field(
        description="A day metric (dpd30_ratio, dpd90_ratio, npl_no_disposal_ratio, "
        "cum_net_loss_rate, outstanding_principal), read on `day`, or a per-path metric of "
        "`overdue calibrate` (dpd90_end, nine_quarter_loss_rate, m1_cure_30d, ...)."
    )
    statistic: str = Field(
        default="mean",
        description="Statistic across paths: mean, p50, p95, p99, p999 or es99.",
    )
    day: int | None = Field(
        default=None, ge=0, le=B.HORIZON_DAYS_MAX,
        description="Day of the horizon a day metric is read on; none for a per-path metric.",
    )
    value: float = Field(ge=-VALUE_MAX, le=VALUE_MAX,
                         description="The published value, in the metric's unit (ratios as "
                         "fractions: 0.0105 for 1.05%).")
    tolerance: float = Field(
        ge=0, le=VALUE_MAX,
        description="How far from `value` still counts as landing, in the metric's unit; the "
        "library adds one Monte Carlo standard error of the simulated figure.",
    )
    source: str = Field(min_length=1, max_length=SOURCE_MAX,
                        description="Where the published value comes from.")

    @field_validator("statistic")
    @classmethod
    def _known_statistic(cls, value: str) -> str:
        if value not in STATS:
            raise ValueError(f"unknown statistic {value!r}; choose one of {', '.join(STATS)}")
        return value

    @model_validator(mode="after")
    def _day_goes_with_day_metrics(self) -> Target:
        if self.is_day_metric and self.day is None:
            raise LocatedError(f"{self.metric} is read on a day: give `day`", ("day",))
        if not self.is_day_metric and self.day is not None:
            raise LocatedError(f"{self.metric} is not a day metric ({', '.join(DAY_METRICS)}):"
                               " remove `day`, or name one of them", ("day",))
        return self

    @property
    def is_day_metric(self) -> bool:
        return self.metric in DAY_METRICS

    @property
    def unit(self) -> str:
        """``yuan`` for the outstanding principal, ``ratio`` for every other metric."""
        return "yuan" if self.metric == "outstanding_principal" else "ratio"

    def figure(self) -> str:
        """``dpd90_ratio@mean, day 365``: what is measured, in the syntax of the commands."""
        where = f", day {self.day}" if self.day is not None else ""
        return f"{self.metric}@{self.statistic}{where}"
