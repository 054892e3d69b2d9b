"""Scenario shocks and the factor to per-path, per-month macro arrays (MODEL.md 6).

Months are counted from the burn-in's start (``simulator.kernels.portfolio.month_of``): the
burn-in's months cover days ``(-30 burn_in_months, 0]``, then month ``burn_in_months + k``
holds days ``30 k`` to ``30 k + 29`` (day 0 aside). The burn-in's months are baseline
conditions: no shock, no policy, the factor's own history.

The systematic factor ``Z`` is an AR(1) in months with N(0, 1) marginal:
``Z[m] = phi Z[m-1] + sqrt(1 - phi^2) e[m]`` for the months from day 0, from ``Z[-1] = z0``
(``macro.factor_start``) or, when stationary, ``Z[0] = e[0]``; its innovations drawn from the
counter-based generator keyed by (seed, path, month), so path ``p`` is the same path whatever
else runs. Before day 0 (the burn-in) each path's factor has a history of its own, drawn
backward from its first month (a stationary AR(1) read backward is the same AR(1)), or
ending at ``z0``: the book at day 0 is what that history made of it. A segment's factor is
``sqrt(w) Z + sqrt(1 - w) eta_s`` with ``eta_s`` an AR(1) of its own. Income, unemployment
and rate shocks are deterministic scenario paths, the same on every Monte Carlo path (the
factor carries the randomness); a factor shock shifts ``Z`` on every path by the same amount.

Employment: a segment's unemployment rate ``U[m] = U0 + beta x change_pp[m] / 100`` is
followed in expectation by its monthly hazards. Job finding falls in proportion as the rate
rises, ``f[m] = f0 min(1, U0 / U[m+1])``, and separations make up the rest of the flow,
``s[m] = (U[m+1] - U[m] (1 - f[m])) / (1 - U[m])``; where the rate falls faster than job
finding alone allows, ``s = 0`` and ``f = 1 - U[m+1] / U[m]``.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np

from simulator.book import collection
from simulator.book.satellite import factor_mean
from simulator.kernels.macro_draws import fill_factor_history, fill_factor_paths
from simulator.kernels.portfolio import Macro
from simulator.scenario.dynamics import MONTHS
from simulator.scenario.schema import DAYS_PER_MONTH, Scenario

U_MIN, U_MAX = 1e-4, 0.9  # a segment's unemployment rate is kept within these


def n_months(horizon_days: int, burn_in_months: int = 0) -> int:
    """Months indexed by the kernel: the burn-in's, then day ``d``'s ``d // 30``."""
    return burn_in_months + horizon_days // DAYS_PER_MONTH + 1


def factor_paths(seed, path_lo, path_hi, months, phi, start=math.nan, unit=0):
    """Z[path - path_lo, month] for paths ``[path_lo, path_hi)`` from ``Z[-1] = start`` (NaN:
    stationary); ``unit`` 0 is the systematic factor, ``1 + s`` segment ``s``'s own."""
    z = np.empty((path_hi - path_lo, months))
    fill_factor_paths(seed, path_lo, path_hi, months, phi, start, unit, z)
    return z


def factor_history(seed, path_lo, path_hi, months, phi, start=math.nan, first=None, unit=0):
    """The factor's months before day 0, ``[path - path_lo, month]``, the last just before
    day 0: ending at ``start``, or (NaN: stationary) drawn backward from ``first[path]``, the
    factor of month 0."""
    z = np.empty((path_hi - path_lo, months))
    pinned = not math.isnan(start)
    after = np.zeros(path_hi - path_lo) if first is None else np.asarray(first, float)
    fill_factor_history(seed, path_lo, path_hi, phi, unit, pinned, 0.0 if not pinned else start,
                        after, z)
    return z


def shock_paths(scenario: Scenario, months: int, names: tuple[str, ...]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(income multiplier [segment, month], unemployment change in pp [month], rate change in
    bp [month], factor shift in sd [month]) from the scenario's shocks, months from day 0;
    several shocks of one kind add up. ``names`` are the book's segments."""
    names = list(names)
    income = np.ones((len(names), months))
    unemployment = np.zeros(months)
    rate = np.zeros(months)
    factor = np.zeros(months)
    for shock in scenario.shocks:
        values = np.array([shock.value_at_month(m) for m in range(months)])
        if shock.income is not None:
            targets = shock.income.segments or names
            for name in targets:
                income[names.index(name)] += values
        elif shock.unemployment is not None:
            unemployment += values
        elif shock.rate is not None:
            rate += values
        else:
            factor += values
    return np.maximum(income, 0.0), unemployment, rate, factor


def employment_hazards(rate: np.ndarray, job_finding: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(separation, job finding) [segment, month]: the chances of the move from month ``m``
    to ``m + 1`` that carry the unemployment rate ``rate[segment, month]`` from one month to
    the next in expectation (the module's rule; the last month's are unused)."""
    u, u_next = rate[:, :-1], rate[:, 1:]
    f0 = job_finding[:, None]
    f = f0 * np.minimum(1.0, u[:, :1] / u_next)  # u[:, :1]: the unstressed rate U0
    s = (u_next - u * (1.0 - f)) / (1.0 - u)
    falling = s < 0.0
    f = np.where(falling, 1.0 - u_next / u, f)
    s = np.clip(np.where(falling, 0.0, s), 0.0, 1.0)
    pad = np.zeros((rate.shape[0], 1))
    return np.hstack([s, pad]), np.hstack([f, pad])


def seasonal_multipliers(scenario: Scenario, months: int, burn_in: int) -> np.ndarray:
    """PD multiplier of each month: the calendar month of its middle day."""
    table = scenario.behaviour.seasonal_pd
    out = np.ones(months)
    if table:
        for m in range(months):
            middle = scenario.as_of + timedelta(days=(m - burn_in) * DAYS_PER_MONTH + 15)
            out[m] = table.get(MONTHS[middle.month - 1], 1.0)
    return out


def segment_dynamics(scenario: Scenario, names: tuple[str, ...]
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unemployment rate, job finding, DSR reference) per segment: a synthetic segment's own
    where it sets them, else the behaviour's (a tape's segments take the behaviour's)."""
    beh = scenario.behaviour
    segments = scenario.book.segments or []
    own = {s.name: s for s in segments}

    def column(attr: str, default: float) -> np.ndarray:
        values = [getattr(own[n], attr, None) if n in own else None for n in names]
        return np.array([default if v is None else v for v in values], float)

    return (column("unemployment_rate", beh.employment.unemployment_rate),
            column("job_finding_monthly", beh.employment.job_finding_monthly),
            column("dsr_reference", beh.dsr_reference))


def build_macro(scenario: Scenario, names: tuple[str, ...], betas: np.ndarray,
                dilution: np.ndarray | None = None) -> Macro:
    """The kernel's macro arrays for every path of the scenario (``names``: its segments,
    ``betas`` their unemployment betas; ``dilution[path, month, channel]`` the collection
    channels' capacity, ``simulator.book.collection``)."""
    mc = scenario.monte_carlo
    beh = scenario.behaviour
    burn = scenario.book.burn_in_months
    horizon_months = n_months(scenario.horizon_days)
    months = burn + horizon_months
    start = math.nan if scenario.macro.factor_start == "stationary" else float(
        scenario.macro.factor_start)
    phi = beh.factor_persistence

    def factor(unit: int, start: float) -> np.ndarray:
        z = np.empty((mc.paths, months))
        z[:, burn:] = factor_paths(mc.seed, 0, mc.paths, horizon_months, phi, start, unit)
        if burn:
            z[:, :burn] = factor_history(mc.seed, 0, mc.paths, burn, phi, start, z[:, burn],
                                         unit)
        return z

    z = factor(0, start)
    income, unemployment, rate, shift = shock_paths(scenario, horizon_months, names)
    # The factor's mean: the satellite equation's, plus any explicit credit-cycle stress; the
    # same draws, shifted, so stress and baseline stay paired.
    z[:, burn:] += (factor_mean(unemployment) + shift)[None, :]
    w = beh.segment_factor_weight
    segment_z = np.repeat(z[:, None, :], len(names), axis=1)
    if w < 1.0:
        for s in range(len(names)):
            segment_z[:, s] = math.sqrt(w) * z + math.sqrt(1.0 - w) * factor(1 + s, math.nan)

    def with_burn_in(values: np.ndarray, baseline: float) -> np.ndarray:
        lead = np.full(values.shape[:-1] + (burn,), baseline)
        return np.concatenate([lead, values], axis=-1)

    u0, f0, _ = segment_dynamics(scenario, names)
    change = with_burn_in(unemployment, 0.0)
    u_rate = np.clip(u0[:, None] + np.asarray(betas, float)[:, None] * change[None, :] / 100.0,
                     U_MIN, U_MAX)
    separation, job_finding = employment_hazards(u_rate, f0)
    cure, partial = collection.chances(scenario, collection.channels(scenario), mc.paths, months,
                                       burn, dilution)
    return Macro(
        z=z,
        segment_z=segment_z,
        income_multiplier=with_burn_in(income, 1.0),
        rate_bp=with_burn_in(rate, 0.0),
        season=seasonal_multipliers(scenario, months, burn),
        unemployment_start=u_rate[:, 0].copy(),
        separation=separation,
        job_finding=job_finding,
        cure_daily=cure,
        partial_daily=partial,
    )


def plain_macro(z: np.ndarray, n_segments: int = 1) -> Macro:
    """Macro arrays around factor paths ``z[path, month]`` with nothing else: no shock, no
    season, nobody unemployed, no cure (validation checks that isolate the one-factor
    rule)."""
    months = z.shape[1]
    none = np.zeros(z.shape + (len(collection.BUCKETS),))
    return Macro(
        z=z, segment_z=np.repeat(z[:, None, :], n_segments, axis=1),
        income_multiplier=np.ones((n_segments, months)), rate_bp=np.zeros(months),
        season=np.ones(months), unemployment_start=np.zeros(n_segments),
        separation=np.zeros((n_segments, months)), job_finding=np.ones((n_segments, months)),
        cure_daily=none, partial_daily=none.copy(),
    )
