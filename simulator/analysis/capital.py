"""Risk-weighted assets and the capital ratio per path and day, from a run's aggregates.

Settings and their sources are :mod:`simulator.scenario.finance`'s.

Standardised approach
    RWA = ``retail`` x principal at 0..90 DPD (M0..M3) + ``defaulted`` x principal at 90+ DPD
    (M4..M6). The whole book is taken to meet one class's criteria (regulatory retail by
    default); charged-off principal is off book and carries no weight.

IRB retail (Basel; no maturity adjustment)
    K = LGD x N[(G(PD) + sqrt(R) G(0.999)) / sqrt(1 - R)] - PD x LGD, RW = 12.5 x scaling x K,
    with R = 0.04 for QRRE and, for other retail,
    R = 0.03 (1 - e^(-35 PD)) / (1 - e^(-35)) + 0.16 [1 - (1 - e^(-35 PD)) / (1 - e^(-35))].
    With ``scaling`` 1.0 this gives the published 45.77% (other retail) and 17.22% (QRRE) at
    PD 1% and LGD 45%. It applies to performing principal (M0..M3); defaulted principal (90+
    DPD) takes K = max(0, LGD - best-estimate loss) = 0, its loss being for provisions
    (:mod:`simulator.analysis.ecl`).

    PD of a segment: its 12-month default rate in the run, pooled over paths: drawdowns reaching
    91 DPD over days 1..365 (``n_roll90``) over drawdowns at 0..90 DPD on day 0; for a shorter
    horizon the rate over the horizon annualised as 1 - (1 - rate)^(365 / horizon). A count, not
    a balance, rate; drawdowns originated during the horizon count in the numerator only, so
    a growing book overstates it a little. Floored at ``pd_floor``.

    LGD of a segment: ``irb.lgd`` when set; else 1 - recoveries received by the horizon's end /
    principal charged off by ``recovery.lag_days`` before it (pooled over paths), or
    1 - ``recovery.rate`` when nothing was charged off that early. Legal recoveries that come
    later than the ordinary ones are partly missed, so it errs high.

Capital ratio
    Capital on day t = ``starting_ratio`` x day-0 standardised RWA + net income of days 1..t
    (:mod:`simulator.analysis.pnl`); the ratio divides by each approach's RWA on day t. The
    minimum over days 1..horizon is reported per path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from simulator.analysis.figures import DPD90, ON_BOOK, principal_columns
from simulator.analysis.grid import Grid
from simulator.analysis.pnl import YEAR_DAYS, PnL, Settings
from simulator.scenario.finance import Irb

PERFORMING = tuple(b for b in ON_BOOK if b not in DPD90.buckets)
CONFIDENCE = 0.999
QRRE_CORRELATION = 0.04


def correlation(pd: float, asset_class: str) -> float:
    """Basel retail asset correlation R for ``asset_class`` (``other_retail`` or ``qrre``)."""
    if asset_class == "qrre":
        return QRRE_CORRELATION
    w = (1 - math.exp(-35 * pd)) / (1 - math.exp(-35))
    return 0.03 * w + 0.16 * (1 - w)


def capital_requirement(pd: float, lgd: float, asset_class: str) -> float:
    """K per unit of exposure (Basel retail, no maturity adjustment); 0 at PD 0 or 1."""
    if pd <= 0 or pd >= 1:
        return 0.0
    r = correlation(pd, asset_class)
    x = (ndtri(pd) + math.sqrt(r) * ndtri(CONFIDENCE)) / math.sqrt(1 - r)
    return max(0.0, lgd * float(ndtr(x)) - pd * lgd)


def irb_risk_weight(pd: float, lgd: float, asset_class: str, scaling: float = 1.0) -> float:
    """Risk weight 12.5 x scaling x K (0.4577 for other retail at PD 1%, LGD 45%)."""
    return 12.5 * scaling * capital_requirement(pd, lgd, asset_class)


@dataclass
class SegmentRisk:
    """The PD, LGD, correlation and IRB risk weight of one segment."""

    segment: str
    pd: float
    lgd: float
    correlation: float
    risk_weight: float


def segment_lgd(g: Grid, scenario: dict[str, Any], lgd: float | None = None) -> np.ndarray:
    """Per segment: ``lgd`` when given; else 1 - recoveries received by the horizon's end /
    principal charged off by ``recovery.lag_days`` before it (pooled over paths), or
    1 - ``recovery.rate`` when nothing was charged off that early."""
    if lgd is not None:
        return np.full(len(g.segments), float(lgd))
    recovery = scenario.get("recovery") or {}
    lag = int(recovery.get("lag_days", 180))
    co = g.sum(("cum_charged_off_principal",))
    rec = g.sum(("cum_recoveries",))[:, -1, :].sum(axis=0)
    early = g.days <= g.horizon - lag
    co_early = co[:, np.flatnonzero(early)[-1], :].sum(axis=0) if early.any() else None
    out = np.full(len(g.segments), 1.0 - float(recovery.get("rate", 0.10)))
    for s in range(len(g.segments)):
        if co_early is not None and co_early[s] > 0:
            out[s] = float(np.clip(1 - rec[s] / co_early[s], 0.0, 1.0))
    return out


def segment_risk(g: Grid, irb: Irb, scenario: dict[str, Any]) -> list[SegmentRisk]:
    """Per segment: PD and LGD measured in the run (see the module notes), and the weight."""
    horizon = g.horizon
    year = (g.days >= 1) & (g.days <= YEAR_DAYS)
    defaults = g.sum(("n_roll90",))[:, year, :].sum(axis=(0, 1))
    performing0 = g.sum(tuple(f"n_{b}" for b in PERFORMING))[:, 0, :].sum(axis=0)
    lgds = segment_lgd(g, scenario, irb.lgd)
    out = []
    for s, name in enumerate(g.segments):
        rate = defaults[s] / performing0[s] if performing0[s] > 0 else 0.0
        span = min(horizon, YEAR_DAYS)
        if span < YEAR_DAYS and rate < 1:
            rate = 1 - (1 - rate) ** (YEAR_DAYS / span)
        pd = min(1.0, max(irb.pd_floor, float(rate)))
        lgd = float(lgds[s])
        out.append(SegmentRisk(name, pd, lgd, correlation(pd, irb.asset_class),
                               irb_risk_weight(pd, lgd, irb.asset_class, irb.scaling)))
    return out


@dataclass
class CapitalPaths:
    """Per path and day: RWA under both approaches, capital, and the two ratios."""

    days: np.ndarray
    rwa_standardised: np.ndarray
    rwa_irb: np.ndarray
    capital: np.ndarray
    segments: list[SegmentRisk]
    minimum_ratio: float

    @property
    def ratio_standardised(self) -> np.ndarray:
        return _safe_ratio(self.capital, self.rwa_standardised)

    @property
    def ratio_irb(self) -> np.ndarray:
        return _safe_ratio(self.capital, self.rwa_irb)

    def minimum(self, approach: str = "standardised") -> np.ndarray:
        """Per path, the lowest ratio over days 1..horizon (day 0 if it is the only day)."""
        r = self.ratio_standardised if approach == "standardised" else self.ratio_irb
        later = self.days >= 1
        return (r[:, later] if later.any() else r).min(axis=1)


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(np.broadcast(num, den).shape, np.nan, dtype=np.float64)  # nothing on book
    np.divide(num, den, out=out, where=den > 0)
    return out


def compute(g: Grid, pnl: PnL, settings: Settings, scenario: dict[str, Any]) -> CapitalPaths:
    """Capital paths of a run: ``scenario`` is the run's resolved scenario as a dict."""
    cap = settings.finance.capital
    perf = g.sum(principal_columns(PERFORMING))  # (P, D, S)
    defaulted = g.sum(DPD90.columns).sum(axis=2)
    std = cap.standardised
    rwa_std = std.retail * perf.sum(axis=2) + std.defaulted * defaulted
    seg = segment_risk(g, cap.irb, scenario)
    weights = np.array([s.risk_weight for s in seg])
    rwa_irb = perf @ weights
    capital = cap.starting_ratio * rwa_std[:, :1] + pnl.cumulative("net_income")
    return CapitalPaths(g.days, rwa_std, rwa_irb, capital, seg, cap.minimum_ratio)
