"""The satellite equation (simulator/book/satellite.py): the factor's mean follows the macro
variables by one documented coefficient, and no shipped scenario reaches its figure with a
factor shift of its own unless its description says it is a credit-cycle stress."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.book import satellite
from simulator.book.macro import build_macro

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
LABEL = "credit-cycle stress"
"""What a description must say for a scenario to carry a factor shock."""


def test_factor_mean_is_minus_loading_times_change() -> None:
    change = np.array([0.0, 1.0, 0.5, -0.2])
    expected = np.array([0.0, -1.0, -0.5, 0.2]) * satellite.UNEMPLOYMENT_LOADING
    np.testing.assert_allclose(satellite.factor_mean(change), expected, rtol=0, atol=1e-15)
    assert satellite.UNEMPLOYMENT_LOADING > 0  # more unemployment, a worse factor


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_no_unlabelled_factor_shift(path: Path) -> None:
    scenario = simulator.load_scenario(path)
    factor = [s for s in scenario.shocks if s.kind == "factor"]
    if factor:
        assert LABEL in " ".join(scenario.description.split()), (
            f"{path.name} shifts the factor: its description must call it an explicit "
            f"{LABEL}, or the shift must go")


def test_build_macro_adds_the_satellite_to_every_path() -> None:
    # The same draws with and without a path of unemployment: Z differs by exactly
    # -loading x change in every month from day 0, on every path, and not in the burn-in.
    change = [0.0, 2.0, 1.0, 0.5]
    common = ["book.borrowers=50", "monte_carlo.paths=3", "horizon_days=120",
              "book.burn_in_months=2"]
    plain = simulator.load_scenario(ROOT / "scenarios/baseline.yaml", common)
    shocked = simulator.load_scenario(
        ROOT / "scenarios/baseline.yaml",
        [*common, f"shocks=[{{unemployment: {{path: {change}}}}}]"])
    names = tuple(s.name for s in plain.book.segments)
    betas = np.array([s.unemployment_beta for s in plain.book.segments])
    z0 = build_macro(plain, names, betas).z
    z1 = build_macro(shocked, names, betas).z
    months_from_day0 = z0.shape[1] - 2
    expected = -satellite.UNEMPLOYMENT_LOADING * np.array(
        change + [change[-1]] * (months_from_day0 - len(change)))
    np.testing.assert_allclose(z1[:, 2:] - z0[:, 2:],
                               np.broadcast_to(expected, (3, months_from_day0)), rtol=0,
                               atol=1e-12)
    np.testing.assert_array_equal(z1[:, :2], z0[:, :2])
