"""Profit and loss per Monte Carlo path, from the run's ``timeseries`` table.

Lines (yuan, per path, per day; summed over days and segments for a period)
--------------------------------------------------------------------------
* Interest, penalty (罚息 and 复利) and fees **collected**: the cash received that day
  (``interest_paid``, ``penalty_paid`` + ``compound_paid``, ``fees_paid``). Income is counted
  when collected, so accruals that are never paid, and charges waived by restructuring, never
  enter it; ``waived`` and ``capitalised`` are memo lines, not deducted.
* Funding cost: on-book principal (M0..M6) at the end of the day before, times the day's
  funding rate / 365. The rate is ``finance.funding_rate`` plus ``finance.rate_pass_through``
  times the scenario's rate shocks in that simulation month (basis points / 10,000): the funding
  rate moves with a rate shock rather than through a shock kind of its own.
* Collection cost and legal cost: the engine's ``collection_cost`` and ``legal_cost`` columns.
* Credit losses: principal charged off less recoveries received that day.
* Change in provisions: the IFRS 9 expected credit loss on book (:mod:`simulator.analysis.ecl`)
  at a month-end less at the one before, booked on the month-end, when the caller gives it;
  charge-offs use up the provisions made for them, so charge-offs - recoveries + the change in
  provisions is the impairment charge. Without it (0) losses are recognised at charge-off.
* Pre-provision profit = income collected - funding - collection - legal cost; net income =
  pre-provision profit - credit losses - change in provisions. Before operating costs and tax.

Years are days 1..365, 366..730, ...; a last partial year is a year of its own. A path has a
loss-making year when its net income is negative in at least one of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import yaml

from simulator.analysis import risk
from simulator.analysis.figures import ON_BOOK, principal_columns
from simulator.analysis.grid import Grid
from simulator.scenario.finance import Finance
from simulator.scenario.schema import DAYS_PER_MONTH, Shock

YEAR_DAYS = 365
BASIS_POINT = 1e-4

INCOME_LINES = {
    "interest": ("interest_paid",),
    "penalty": ("penalty_paid", "compound_paid"),
    "fees": ("fees_paid",),
}
COST_LINES = {"collection_cost": ("collection_cost",), "legal_cost": ("legal_cost",)}
MEMO_LINES = {"waived": ("waived",), "capitalised": ("capitalised",)}

LINES = ("interest", "penalty", "fees", "income", "funding_cost", "collection_cost",
         "legal_cost", "pre_provision_profit", "charged_off", "recoveries", "credit_losses",
         "provisions_change", "net_income", "waived", "capitalised")
"""Every line, in the order a statement lists them."""

LABELS = {
    "interest": "Interest collected",
    "penalty": "Penalty and compound interest collected",
    "fees": "Fees collected",
    "income": "Income collected",
    "funding_cost": "Funding cost",
    "collection_cost": "Collection cost",
    "legal_cost": "Legal cost",
    "pre_provision_profit": "Pre-provision profit",
    "charged_off": "Principal charged off",
    "recoveries": "Recoveries",
    "credit_losses": "Credit losses (charge-offs - recoveries)",
    "provisions_change": "Change in provisions (IFRS 9 ECL)",
    "net_income": "Net income (before operating cost and tax)",
    "waived": "Memo: waived by restructuring",
    "capitalised": "Memo: capitalised by restructuring",
}


@dataclass(frozen=True)
class Settings:
    """What the analysis reads from a scenario: its finance section and its shocks."""

    finance: Finance
    shocks: tuple[Shock, ...]

    @classmethod
    def from_scenario(cls, scenario: Any) -> Settings:
        """From a :class:`~simulator.scenario.Scenario`, or the dict a run's scenario.yaml
        holds (an older run without a finance section takes the defaults)."""
        if isinstance(scenario, dict):
            return cls(Finance.model_validate(scenario.get("finance") or {}),
                       tuple(Shock.model_validate(s) for s in scenario.get("shocks") or []))
        return cls(scenario.finance, tuple(scenario.shocks))

    @classmethod
    def from_yaml(cls, text: str) -> Settings:
        return cls.from_scenario(yaml.safe_load(text) or {})

    def funding_rate(self, days: np.ndarray) -> np.ndarray:
        """Annual funding rate on each day (month ``day // 30``, as the shocks count)."""
        base = self.finance.funding_rate
        out = np.full(len(days), base, dtype=np.float64)
        rate_shocks = [s for s in self.shocks if s.kind == "rate"]
        if rate_shocks and self.finance.rate_pass_through:
            for i, d in enumerate(days):
                m = int(d) // DAYS_PER_MONTH
                out[i] += self.finance.rate_pass_through * BASIS_POINT * sum(
                    s.value_at_month(m) for s in rate_shocks)
        return np.maximum(out, 0.0)


@dataclass
class PnL:
    """Daily P&L lines per path: ``daily[line]`` is (paths, days), 0 on day 0."""

    days: np.ndarray
    daily: dict[str, np.ndarray]
    funding_rate: np.ndarray

    def total(self, line: str) -> np.ndarray:
        """Per path, over the whole horizon."""
        return self.daily[line].sum(axis=1)

    def year_bounds(self) -> list[tuple[int, int]]:
        """(first day, last day) of each year of the horizon."""
        horizon = int(self.days[-1])
        return [(k * YEAR_DAYS + 1, min((k + 1) * YEAR_DAYS, horizon))
                for k in range(max(1, math.ceil(horizon / YEAR_DAYS)))]

    def by_year(self, line: str) -> np.ndarray:
        """(paths, years) sums of ``line``."""
        cols = []
        for lo, hi in self.year_bounds():
            inside = (self.days >= lo) & (self.days <= hi)
            cols.append(self.daily[line][:, inside].sum(axis=1))
        return np.stack(cols, axis=1)

    def cumulative(self, line: str) -> np.ndarray:
        return np.cumsum(self.daily[line], axis=1)


def compute(timeseries: pa.Table | Grid, settings: Settings,
            provisions: np.ndarray | None = None) -> PnL:
    """The P&L of every path and day of a run; ``provisions`` is the (paths, days) change in
    provisions booked each day (:meth:`simulator.analysis.ecl.Provisions.daily_change`)."""
    g = timeseries if isinstance(timeseries, Grid) else Grid(timeseries)
    days = g.days
    first = days >= 1

    def flow(names: tuple[str, ...]) -> np.ndarray:
        v = g.book(names).copy()
        v[:, ~first] = 0.0
        return v

    def increments(name: str) -> np.ndarray:
        v = g.book(name)
        out = np.zeros_like(v)
        out[:, 1:] = np.diff(v, axis=1)
        return out

    daily = {k: flow(c) for k, c in {**INCOME_LINES, **COST_LINES, **MEMO_LINES}.items()}
    daily["income"] = daily["interest"] + daily["penalty"] + daily["fees"]
    rate = settings.funding_rate(days)
    on_book = g.book(principal_columns(ON_BOOK))
    gaps = np.diff(days, prepend=days[0]).astype(np.float64)  # 1 on a day-by-day grid
    funding = np.zeros_like(on_book)
    funding[:, 1:] = on_book[:, :-1] * (rate[1:] * gaps[1:] / YEAR_DAYS)
    daily["funding_cost"] = funding
    daily["pre_provision_profit"] = (daily["income"] - funding - daily["collection_cost"]
                                     - daily["legal_cost"])
    daily["charged_off"] = increments("cum_charged_off_principal")
    daily["recoveries"] = increments("cum_recoveries")
    daily["credit_losses"] = daily["charged_off"] - daily["recoveries"]
    daily["provisions_change"] = (np.zeros_like(on_book) if provisions is None
                                  else np.asarray(provisions, dtype=np.float64))
    daily["net_income"] = (daily["pre_provision_profit"] - daily["credit_losses"]
                           - daily["provisions_change"])
    return PnL(days, daily, rate)


def loss_year_probability(p: PnL) -> dict[str, float]:
    """Share of paths with net income below 0 in at least one year, with its binomial s.e."""
    years = p.by_year("net_income")
    hit = (years < 0).any(axis=1)
    n = hit.size
    share = float(hit.mean())
    return {"estimate": share, "se": math.sqrt(share * (1 - share) / n) if n > 1 else math.nan,
            "paths": n, "years": years.shape[1]}


def statement(p: PnL, confidence: float = 0.95) -> list[dict]:
    """Each line over the horizon: mean with its Monte Carlo error, and p01, p50, p99 across
    paths (risk's conventions)."""
    rows = []
    for line in LINES:
        x = p.total(line)
        m = risk.mean_with_error(x, confidence)
        rows.append({"line": line, "label": LABELS[line], "mean": m["estimate"], "se": m["se"],
                     **{q: risk.statistic(x, q) for q in ("p50",)},
                     "p01": float(risk.quantile(x, 0.01)), "p99": float(risk.quantile(x, 0.99))})
    return rows
