"""IFRS 9 staging, expected credit loss (ECL) and provisions per path and month-end, from a
run's aggregates. Settings: the scenario's ``finance.ecl`` (:mod:`simulator.scenario.finance`).

Staging (per path, date and segment)
    Stage 1 is principal at 0..30 DPD, Stage 2 at 31..90 DPD, Stage 3 at 91+ DPD until charge-off
    (the 30 and 90 DPD backstops; the buckets follow ``contract.charge_off_dpd`` through
    :func:`simulator.analysis.figures.stage_rows`). Two transfers from Stage 1 to Stage 2 follow:

    * Forbearance. Restructured principal in its probation (``probation_months`` after the
      restructuring) goes to Stage 2. The aggregates hold the principal of every restructured
      drawdown still on book (``principal_restructured``) but neither its DPD bucket nor when each
      was restructured, so two approximations are made: the share in probation is the count of
      restructurings within the probation window (those on book on day 0, of unknown date,
      counted in) over restructured drawdowns on book, capped at 1, applied to the principal; and
      all of it is taken to sit in Stage 1 (a restructured drawdown is current again), so the
      transfer is min(that principal, Stage 1 principal): an upper bound.
    * Significant increase in credit risk (SICR), assessed collectively by segment (IFRS 9
      B5.5.1-B5.5.6), because no drawdown's PD at origination is kept: when a segment's lifetime
      PD from Stage 1 exceeds ``sicr_pd_ratio`` times its opening value (the proxy for the PD at
      origination), all its Stage 1 principal goes to Stage 2.

PD term structure (the path's own)
    A monthly chain over Stage 1, Stage 2 and default (91 DPD, absorbing) with the path's hazards
    over the last ``hazard_window_months`` months: Stage 1 -> 2, ``a`` = drawdowns reaching 31 DPD
    (``n_roll30``) / Stage 1 drawdowns at each month's start; Stage 2 -> default, ``b`` = drawdowns
    reaching 91 DPD (``n_roll90``; charge-offs when charge-off comes first) / Stage 2 drawdowns at
    each month's start; Stage 2 -> Stage 1 (cure or repayment), ``c`` = what else left Stage 2
    (start + inflow - defaults - end, at least 0) over the same denominator. Counts, not balances;
    pooled over the window's months. Before a date has that much history (day 0 among them) the
    hazards are the first window's pooled over paths: the opening estimate, the same on every
    path, as the day-0 book is. After it, the opening estimate also counts as one more month of
    the opening book's drawdowns (a credibility weight), so a path with no roll in its window, a
    small book's chance, keeps part of the opening hazard instead of a PD of 0; where the path's
    hazards equal the opening ones nothing changes. A month is 30 days.

ECL
    ECL = EAD x LGD x sum over months k of P(default in month k) x DF(k): k up to 12 for Stage 1
    (12-month ECL), up to the lifetime for Stage 2 (lifetime ECL); PD 1 for Stage 3. EAD is the
    principal on book at the date, held flat (no amortisation credited: errs high). The lifetime
    is ``lifetime_months`` or the segment's ``term_months``. DF(k) = (1 + r)^(-30k/365) at the
    effective annual rate r: ``discount_rate``, or the segment's contract rate as (1 + 30 x
    daily_rate)^(365/30) - 1 (interest paid monthly); undiscounted when neither is known (a tape).
    LGD: ``lgd``, or capital's measured LGD (:func:`simulator.analysis.capital.segment_lgd`) with
    its recoveries discounted over the days from 91 DPD to charge-off plus the recovery lag.
    Each stage's ECL per path, date and segment is rounded half up to the micro-yuan once.

Provisions are the ECL on book; coverage (拨备覆盖率) is provisions / NPL (principal at 91+ DPD);
their change between dates is the P&L's provision charge (:mod:`simulator.analysis.pnl`).

The quarterly stage-transfer matrix, which needs each drawdown's stage at the last quarter
end, is counted by the kernel and read by :mod:`simulator.analysis.stages`. Not available from
the aggregates: restructured principal by bucket, and each drawdown's PD at origination.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.analysis.capital import segment_lgd
from simulator.analysis.exact import micro_yuan
from simulator.analysis.figures import DPD90, principal_columns, stage_rows
from simulator.analysis.grid import Grid
from simulator.analysis.rolls import MONTH_DAYS, month_ends
from simulator.scenario.finance import Ecl

STAGE_KEYS = ("stage1", "stage2", "stage3")
TWELVE_MONTHS = 12
YEAR_DAYS = 365
DEFAULT_DPD = 91  # IFRS 9's rebuttable 90-days-past-due presumption of default
TAPE_LIFETIME = 12


def stage_buckets(charge_off: int | None) -> dict[str, tuple[str, ...]]:
    """The buckets of each stage by DPD under a charge-off threshold (empty when none)."""
    out = {k: () for k in STAGE_KEYS}
    for row in stage_rows(charge_off):
        out[row.bands[0].key] = row.buckets
    return out


@dataclass(frozen=True)
class SegmentTerms:
    """What the ECL of one segment is computed with."""

    lgd: float
    monthly_discount: float  # DF(1 month); 1.0 undiscounted
    lifetime: int  # months
    discounted: bool


def segment_terms(g: Grid, scenario: dict[str, Any], ecl: Ecl,
                  charge_off: int | None) -> list[SegmentTerms]:
    """Per segment of ``g``: LGD, the monthly discount factor and the lifetime."""
    specs = {str(s.get("name")): s for s in (scenario.get("book") or {}).get("segments") or []}
    lgds = segment_lgd(g, scenario, ecl.lgd)
    lag = int((scenario.get("recovery") or {}).get("lag_days", 180))
    delay = max(0, (charge_off or DEFAULT_DPD) - DEFAULT_DPD) + lag  # from default to recovery
    out = []
    for s, name in enumerate(g.segments):
        spec = specs.get(name, {})
        if ecl.discount_rate is not None:
            month = (1 + ecl.discount_rate) ** (-MONTH_DAYS / YEAR_DAYS)
        elif spec.get("daily_rate") is not None:
            month = 1 / (1 + MONTH_DAYS * float(spec["daily_rate"]))
        else:
            month = 1.0
        lgd = float(lgds[s])
        if ecl.lgd is None:  # measured recoveries, received `delay` days after default
            lgd = 1 - (1 - lgd) * month ** (delay / MONTH_DAYS)
        life = ecl.lifetime_months or int(spec.get("term_months", TAPE_LIFETIME))
        out.append(SegmentTerms(lgd, month, life,
                                month != 1.0 or ecl.discount_rate is not None))
    return out


def default_profile(a: np.ndarray, b: np.ndarray, c: np.ndarray, months: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """P(default in month k), k = 1..months, of a drawdown starting in Stage 1 and in Stage 2,
    under monthly hazards ``a`` (1 -> 2), ``b`` (2 -> default) and ``c`` (2 -> 1); arrays of
    shape ``a.shape + (months,)``."""
    out = []
    for s1, s2 in ((np.ones_like(a), np.zeros_like(a)), (np.zeros_like(a), np.ones_like(a))):
        d = np.empty(a.shape + (months,))
        for k in range(months):
            d[..., k] = s2 * b
            s1, s2 = s1 * (1 - a) + s2 * c, s2 * (1 - b - c) + s1 * a
        out.append(d)
    return out[0], out[1]


@dataclass
class Provisions:
    """Per path, date and segment: stage EAD and ECL in micro-yuan, and what they came from.

    ``dates`` are the days (month-ends and the last day); arrays are (paths, dates, segments)
    unless said otherwise.
    """

    days: np.ndarray  # the run's days
    dates: np.ndarray  # indices into days
    segments: list[str]
    ead: dict[str, np.ndarray]  # int64 micro-yuan, after forbearance and SICR
    ecl: dict[str, np.ndarray]  # int64 micro-yuan
    forborne: np.ndarray  # micro-yuan moved to Stage 2 by forbearance
    sicr: np.ndarray  # bool: the segment's Stage 1 moved to Stage 2 collectively
    sicr_moved: np.ndarray  # micro-yuan moved to Stage 2 by it
    hazards: dict[str, np.ndarray]  # a, b, c
    pd12: np.ndarray  # 12-month PD from Stage 1
    pd_life: np.ndarray  # lifetime PD from Stage 2
    npl: np.ndarray  # (paths, dates) micro-yuan at 91+ DPD
    terms: list[SegmentTerms]
    opening_until: int  # dates before this day use the opening (pooled) hazards

    @property
    def date_days(self) -> np.ndarray:
        return self.days[self.dates]

    def total(self) -> np.ndarray:
        """(paths, dates) provisions in yuan."""
        return sum(self.ecl.values()).sum(axis=2) / 1e6

    def stage_total(self, stage: str, what: str = "ecl") -> np.ndarray:
        """(paths, dates) yuan of one stage's ECL or EAD."""
        return getattr(self, what)[stage].sum(axis=2) / 1e6

    def coverage(self) -> np.ndarray:
        """(paths, dates) provisions / NPL; NaN where there is no NPL."""
        out = np.full(self.npl.shape, np.nan)
        np.divide(self.total(), self.npl / 1e6, out=out, where=self.npl > 0)
        return out

    def daily_change(self) -> np.ndarray:
        """(paths, days) change in provisions booked on each date (0 on other days and day 0),
        in yuan: the P&L's provision charge."""
        tot = sum(self.ecl.values()).sum(axis=2)  # exact micro-yuan
        out = np.zeros((tot.shape[0], len(self.days)))
        out[:, self.dates[1:]] = np.diff(tot, axis=1) / 1e6
        return out


def _flow(g: Grid, name: str) -> np.ndarray:
    v = g.sum((name,))
    v[:, 0, :] = 0.0  # day 0 is the state at the start, not a day of events
    return v


def _dates(days: np.ndarray) -> np.ndarray:
    idx = month_ends(days)
    return idx if idx[-1] == len(days) - 1 else np.append(idx, len(days) - 1)


def restructured_in_probation(g: Grid, months: int) -> np.ndarray:
    """(paths, days, segments) yuan of restructured principal in its probation: the principal
    on book times the share of restructured drawdowns restructured within ``months`` months
    (those on book on day 0 counted in), capped at 1."""
    window = months * MONTH_DAYS
    cum = np.cumsum(_flow(g, "n_restructurings"), axis=1)
    on = g.sum(("n_restructured",))
    start = np.maximum(np.arange(len(g.days)) - window, 0)
    recent = cum - cum[:, start, :]
    recent += np.where(np.arange(len(g.days)) - window < 0, 1.0, 0.0)[None, :, None] * on[:, :1, :]
    share = np.divide(recent, on, out=np.zeros_like(on), where=on > 0)
    return g.sum(("principal_restructured",)) * np.minimum(share, 1.0)


def compute(g: Grid, scenario: dict[str, Any], ecl: Ecl, charge_off: int | None) -> Provisions:
    """Provisions of every path at every month-end (and the last day) of a run."""
    if not g.contiguous():
        raise ValueError("provisions need every day of the horizon in the timeseries")
    buckets = stage_buckets(charge_off)
    n1 = g.sum(tuple(f"n_{b}" for b in buckets["stage1"])) if buckets["stage1"] else None
    n2 = g.sum(tuple(f"n_{b}" for b in buckets["stage2"])) if buckets["stage2"] else None
    shape = g.shape
    zeros = np.zeros(shape)
    n1 = zeros if n1 is None else n1
    n2 = zeros if n2 is None else n2
    roll30 = np.cumsum(_flow(g, "n_roll30"), axis=1)
    if buckets["stage3"]:
        defaults = np.cumsum(_flow(g, "n_roll90"), axis=1)
    else:  # charge-off comes before 91 DPD: it is the default
        defaults = g.sum(("n_CO",)) - g.sum(("n_CO",))[:, :1, :]
    terms = segment_terms(g, scenario, ecl, charge_off)
    longest = max(t.lifetime for t in terms)
    k = np.arange(1, longest + 1)
    life = np.array([t.lifetime for t in terms])[:, None]
    df = np.array([t.monthly_discount for t in terms])[:, None] ** k  # (S, months)
    in_life = k <= life
    in_year = in_life & (k <= TWELVE_MONTHS)
    lgd = np.array([t.lgd for t in terms])

    def hazards(t: int, w: int, prior: tuple | None = None) -> tuple[np.ndarray, ...]:
        """(a, b, c, Stage 1 and Stage 2 drawdown-months) over the ``w`` months to day ``t``:
        the path's own with a ``prior``, pooled over paths without one."""
        starts = [t - MONTH_DAYS * j for j in range(1, w + 1)]
        den1, den2 = n1[:, starts, :].sum(axis=1), n2[:, starts, :].sum(axis=1)
        up = roll30[:, t, :] - roll30[:, t - MONTH_DAYS * w, :]
        down = defaults[:, t, :] - defaults[:, t - MONTH_DAYS * w, :]
        cured = np.maximum(n2[:, t - MONTH_DAYS * w, :] - n2[:, t, :] + up - down, 0)
        if prior is None:
            den1, den2, up, down, cured = (x.sum(axis=0, keepdims=True)
                                           for x in (den1, den2, up, down, cured))
        else:  # credibility: the opening hazards count as one month of the opening book
            a0, b0, c0, w1, w2 = prior
            up, den1 = up + w1 * a0, den1 + w1
            down, cured, den2 = down + w2 * b0, cured + w2 * c0, den2 + w2
        a = np.divide(up, den1, out=np.zeros_like(up), where=den1 > 0)
        b = np.divide(down, den2, out=np.zeros_like(up), where=den2 > 0)
        c = np.divide(cured, den2, out=np.zeros_like(up), where=den2 > 0)
        a, b = np.clip(a, 0, 1), np.clip(b, 0, 1)
        return a, b, np.minimum(c, 1 - b), den1, den2

    window = ecl.hazard_window_months
    first = min(window, g.horizon // MONTH_DAYS)
    opening_until = MONTH_DAYS * window
    if first:
        a0, b0, c0, d1, d2 = hazards(MONTH_DAYS * first, first)
        prior = (a0, b0, c0, d1 / (first * shape[0]), d2 / (first * shape[0]))
    else:  # shorter than a month: no flows to estimate from
        prior = (np.zeros((1, shape[2])),) * 5
    opening = prior[:3]
    open_d1, _ = default_profile(*opening, longest)
    open_life1 = (open_d1 * in_life).sum(axis=-1)[0]

    dates = _dates(g.days)
    P, M, S = shape[0], len(dates), shape[2]
    principal = {st: micro_yuan(g.sum(principal_columns(b))) if b else
                 np.zeros(shape, dtype=np.int64) for st, b in buckets.items()}
    probation = micro_yuan(restructured_in_probation(g, ecl.probation_months))
    out = {st: np.zeros((P, M, S), dtype=np.int64) for st in STAGE_KEYS}
    ead = {st: np.zeros((P, M, S), dtype=np.int64) for st in STAGE_KEYS}
    forborne = np.zeros((P, M, S), dtype=np.int64)
    sicr = np.zeros((P, M, S), dtype=bool)
    sicr_moved = np.zeros((P, M, S), dtype=np.int64)
    haz = {n: np.zeros((P, M, S)) for n in "abc"}
    pd12 = np.zeros((P, M, S))
    pd_life = np.zeros((P, M, S))
    for m, i in enumerate(dates):
        t = int(g.days[i])
        own = t >= opening_until
        a, b, c = hazards(t, window, prior)[:3] if own else opening
        a, b, c = (np.broadcast_to(x, (P, S)) for x in (a, b, c))
        d1, d2 = default_profile(a, b, c, longest)
        f1 = (d1 * df * in_year).sum(axis=-1)
        f2 = (d2 * df * in_life).sum(axis=-1)
        s1, s2, s3 = (principal[st][:, i, :] for st in STAGE_KEYS)
        moved = np.minimum(probation[:, i, :], s1)
        s1, s2 = s1 - moved, s2 + moved
        if ecl.sicr_pd_ratio is not None and own:
            life1 = (d1 * in_life).sum(axis=-1)
            hit = (open_life1 > 0) & (life1 > ecl.sicr_pd_ratio * open_life1)
            sicr[:, m, :] = hit
            sicr_moved[:, m, :] = np.where(hit, s1, 0)
            s1, s2 = np.where(hit, 0, s1), np.where(hit, s2 + s1, s2)
        for st, e, f in (("stage1", s1, f1), ("stage2", s2, f2), ("stage3", s3, 1.0)):
            ead[st][:, m, :] = e
            out[st][:, m, :] = np.floor(e * lgd * f + 0.5).astype(np.int64)
        forborne[:, m, :] = moved
        for n, x in zip("abc", (a, b, c), strict=True):
            haz[n][:, m, :] = x
        pd12[:, m, :] = (d1 * in_year).sum(axis=-1)
        pd_life[:, m, :] = (d2 * in_life).sum(axis=-1)
    npl = micro_yuan(g.sum(DPD90.columns))[:, dates, :].sum(axis=2)
    return Provisions(g.days, dates, list(g.segments), ead, out, forborne, sicr, sicr_moved,
                      haz, pd12, pd_life, npl, terms, opening_until)
