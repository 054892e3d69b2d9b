"""Scenario shocks to per-path, per-month macro arrays.

The systematic factor ``Z`` is an AR(1) in months with N(0, 1) marginal:
``Z[0] = e[0]``, ``Z[m] = phi Z[m-1] + sqrt(1 - phi^2) e[m]``, its innovations drawn from the
counter-based generator keyed by (seed, path, month), so path ``p`` is the same path whatever
else runs. Income, unemployment and rate shocks are deterministic scenario paths, the same on
every Monte Carlo path (the factor carries the randomness); a factor shock shifts ``Z`` on
every path by the same amount.
"""

from __future__ import annotations

import numpy as np

from simulator.kernels.macro_draws import fill_factor_paths
from simulator.kernels.portfolio import Macro
from simulator.scenario.schema import DAYS_PER_MONTH, Scenario


def n_months(horizon_days: int) -> int:
    """Months indexed by the kernel: day ``d`` falls in month ``d // 30``."""
    return horizon_days // DAYS_PER_MONTH + 1


def factor_paths(seed, path_lo, path_hi, months, phi):
    """Z[path - path_lo, month] for paths ``[path_lo, path_hi)``."""
    z = np.empty((path_hi - path_lo, months))
    fill_factor_paths(seed, path_lo, path_hi, months, phi, z)
    return z


def shock_paths(scenario: Scenario, months: int, names: tuple[str, ...]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(income multiplier [segment, month], unemployment change in pp [month], rate change in
    bp [month], factor shift in sd [month]) from the scenario's shocks; several shocks of one
    kind add up. ``names`` are the book's segments."""
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


def build_macro(scenario: Scenario, names: tuple[str, ...]) -> Macro:
    """The kernel's macro arrays for every path of the scenario (``names``: its segments)."""
    mc = scenario.monte_carlo
    months = n_months(scenario.horizon_days)
    z = factor_paths(mc.seed, 0, mc.paths, months, scenario.behaviour.factor_persistence)
    income, unemployment, rate, shift = shock_paths(scenario, months, names)
    z = z + shift[None, :]  # the same draws, shifted: stress and baseline stay paired
    return Macro(z=z, income_multiplier=income, unemployment_pp=unemployment, rate_bp=rate)
