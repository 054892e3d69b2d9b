"""Scenarios: strict YAML files validated into frozen, typed objects.

>>> from simulator.scenario import load_scenario
>>> scenario = load_scenario("scenarios/baseline.yaml", overrides=["monte_carlo.paths=10"])
>>> scenario.monte_carlo.paths
10
"""

from simulator.scenario.loading import apply_overrides, load_scenario, parse_scenario
from simulator.scenario.schema import (
    BUCKETS,
    Amount,
    Behaviour,
    Book,
    Contract,
    IncomeShock,
    MonteCarlo,
    Policy,
    RateShock,
    Recovery,
    Scenario,
    Segment,
    Shock,
    UnemploymentShock,
)

__all__ = [
    "BUCKETS",
    "Amount",
    "Behaviour",
    "Book",
    "Contract",
    "IncomeShock",
    "MonteCarlo",
    "Policy",
    "RateShock",
    "Recovery",
    "Scenario",
    "Segment",
    "Shock",
    "UnemploymentShock",
    "apply_overrides",
    "load_scenario",
    "parse_scenario",
]
