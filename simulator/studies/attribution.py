"""Driver attribution: how much of a metric's change each shock and each policy lever makes.

The drivers of a scenario are its shocks (each item of ``shocks``) and its policy levers that
differ from the baseline's (``policy.underwriting``, ``pricing``, ``restructuring``,
``collection``, ``legal``). Switching a driver off removes that shock, or sets that lever to the
baseline's value (absent when there is no baseline file). Everything else, the book, the seed,
the behaviour and the sizes, is the scenario's in every run, so every run draws the same random
numbers for the same borrowers (common random numbers), and the change from all drivers off to
all on is split among them:

* up to :data:`SHAPLEY_MAX` drivers, by Shapley values: driver i gets the average, over every
  order of switching drivers on, of the change when i is switched on (2^n runs);
* beyond that, sequentially in the scenario's order (shocks as listed, then the levers in the
  order above): driver i gets f(first i on) - f(first i - 1 on) (n + 1 runs). Unlike Shapley
  values, these depend on the order.

The metric is ``METRIC@STAT`` (:mod:`simulator.analysis.metrics`). Each run's statistic is a
float; from there the arithmetic is exact (:mod:`simulator.analysis.exact`), so the parts add up
to the total change, f(all on) - f(all off), with no rounding. Shown values are rounded to a
fixed number of decimals by the largest-remainder rule, so the shown parts add up to the shown
total too.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from simulator.analysis import metrics as M
from simulator.analysis.exact import apportion, exact
from simulator.errors import InputError
from simulator.scenario import Scenario
from simulator.scenario.loading import load_scenario, parse_scenario, read_scenario_text

SHAPLEY_MAX = 6
LEVERS = ("underwriting", "pricing", "restructuring", "collection", "legal")
DEFAULT_METRIC = "net_loss_rate@mean"


@dataclass(frozen=True)
class Driver:
    """A shock or a lever, and the override that switches it off."""

    name: str
    kind: str  # "shock" or "lever"
    index: int  # the shock's position, or the lever's in LEVERS
    off_value: Any = None  # a lever's baseline value (raw, as YAML)


@dataclass
class Attribution:
    """The result: the metric at both ends, each driver's part, and how it was computed."""

    metric: str
    stat: str
    drivers: list[Driver]
    method: str  # "shapley" or "sequential"
    base: float  # all drivers off
    full: float  # all on
    parts: list[Fraction]
    values: dict[frozenset[int], float] = field(default_factory=dict)
    runs: int = 0
    paths: int = 0
    borrowers: int = 0
    seed: int = 0

    @property
    def total(self) -> Fraction:
        return exact(self.full) - exact(self.base)

    def shown(self, decimals: int = 8) -> tuple[list[Fraction], Fraction]:
        """The parts and the total rounded for display (the parts add up to the total)."""
        parts = apportion(self.parts, decimals)
        return parts, sum(parts, Fraction(0))

    def as_dict(self) -> dict[str, Any]:
        """A plain record (exact parts as 'p/q' strings too) for JSON and the report."""
        return {
            "metric": f"{self.metric}@{self.stat}", "method": self.method,
            "order": [d.name for d in self.drivers], "base": self.base, "full": self.full,
            "total_exact": str(self.total),
            "parts": [{"driver": d.name, "value": float(p), "exact": str(p)}
                      for d, p in zip(self.drivers, self.parts, strict=True)],
            "runs": self.runs, "paths": self.paths, "borrowers": self.borrowers,
            "seed": self.seed,
        }


def _flow(value: Any) -> str:
    """A value as one line of YAML, for a --set override."""
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True,
                          width=10**9).strip().removesuffix("...").strip()


def _shock_name(i: int, shock: dict) -> str:
    kind, spec = next(iter(shock.items()))
    change = next((f"{k} {v:g}" for k, v in spec.items()
                   if k.startswith("change") and v is not None), "path")
    return f"shocks[{i}] {kind} ({change})"


def drivers_of(scenario: Scenario, baseline: Scenario | None) -> list[Driver]:
    """The scenario's drivers against ``baseline`` (or against no shocks and no levers)."""
    data = scenario.model_dump(mode="python")
    out = [Driver(_shock_name(i, s), "shock", i) for i, s in enumerate(data["shocks"])]
    base_policy = baseline.model_dump(mode="python")["policy"] if baseline else {}
    for j, lever in enumerate(LEVERS):
        mine, theirs = data["policy"].get(lever), base_policy.get(lever)
        if mine != theirs:
            out.append(Driver(f"policy.{lever}", "lever", j, theirs))
    return out


def overrides_for(on: frozenset[int], drivers: Sequence[Driver], scenario: Scenario) -> list[str]:
    """The --set overrides that switch every driver not in ``on`` off."""
    shocks = scenario.model_dump(mode="python")["shocks"]
    keep = [s for i, s in enumerate(shocks)
            if not any(d.kind == "shock" and d.index == i and k not in on
                       for k, d in enumerate(drivers))]
    sets = [] if len(keep) == len(shocks) else [f"shocks={_flow(keep)}"]
    for k, d in enumerate(drivers):
        if d.kind == "lever" and k not in on:
            sets.append(f"policy.{LEVERS[d.index]}={_flow(d.off_value)}")
    return sets


def shapley(n: int, f: Callable[[frozenset[int]], Fraction]) -> list[Fraction]:
    """Exact Shapley values of the game ``f`` on players 0..n-1 (f of every subset)."""
    fact = [math.factorial(i) for i in range(n + 1)]
    out = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        phi = Fraction(0)
        for size in range(n):
            w = Fraction(fact[size] * fact[n - size - 1], fact[n])
            for s in itertools.combinations(others, size):
                s = frozenset(s)
                phi += w * (f(s | {i}) - f(s))
        out.append(phi)
    return out


def sequential(n: int, f: Callable[[frozenset[int]], Fraction]) -> list[Fraction]:
    """Parts switching drivers on one at a time in order 0..n-1."""
    return [f(frozenset(range(i + 1))) - f(frozenset(range(i))) for i in range(n)]


def attribute(path: str | Path, metric: str = DEFAULT_METRIC, baseline: str | Path | None = None,
              sets: Sequence[str] = (), threads: int | None = None,
              evaluate: Callable[[Scenario], float] | None = None,
              progress: Callable[[str, float], None] | None = None) -> Attribution:
    """Split the change of ``metric`` (METRIC@STAT) from all drivers off to all on.

    ``sets`` are overrides applied to the scenario in every run (sizes, e.g. book.borrowers);
    ``evaluate`` replaces simulation (tests give an additive toy metric).
    """
    name, stat = M.parse_metric_stat(metric)
    text = read_scenario_text(path)
    base_dir = Path(path).resolve().parent

    def scenario(extra: Sequence[str] = ()) -> Scenario:
        return parse_scenario(text, source=str(path), overrides=[*sets, *extra],
                              base_dir=base_dir)

    full = scenario()
    base_sc = load_scenario(baseline) if baseline is not None else None
    if base_sc is not None and base_sc.shocks:
        raise InputError(f"{baseline}: the baseline has shocks; attribution measures a "
                         "scenario's shocks against none, so give a baseline without shocks",
                         path="--baseline")
    drivers = drivers_of(full, base_sc)
    if not drivers:
        raise InputError(f"{path}: no shocks and no levers that differ from the baseline: "
                         "nothing to attribute")

    def run(sc: Scenario) -> float:
        from simulator.api import simulate

        tables, _ = simulate(sc, threads=threads)
        return M.stat(M.compute(tables, [name])[name], stat)

    evaluate = evaluate or run
    values: dict[frozenset[int], float] = {}

    def f(on: frozenset[int]) -> Fraction:
        if on not in values:
            sc = scenario(overrides_for(on, drivers, full))
            values[on] = float(evaluate(sc))
            if progress:
                progress(", ".join(drivers[i].name for i in sorted(on)) or "(none)", values[on])
        return exact(values[on])

    n = len(drivers)
    method = "shapley" if n <= SHAPLEY_MAX else "sequential"
    parts = shapley(n, f) if method == "shapley" else sequential(n, f)
    every = frozenset(range(n))
    f(every), f(frozenset())
    result = Attribution(name, stat, drivers, method, values[frozenset()], values[every], parts,
                         values, len(values), full.monte_carlo.paths, full.book.borrowers,
                         full.monte_carlo.seed)
    if sum(parts, Fraction(0)) != result.total:  # exact arithmetic: cannot fail unless a bug
        raise AssertionError("attribution parts do not add up to the total change")
    return result


def format_result(r: Attribution, decimals: int = 8) -> str:
    """The table printed by ``overdue attribute``."""
    shown, total = r.shown(decimals)
    width = max(len(d.name) for d in r.drivers) + 2
    lines = [f"{r.metric}@{r.stat}: {r.base:.{decimals}f} with every driver off, "
             f"{r.full:.{decimals}f} with every driver on ({r.runs} runs of {r.paths} paths, "
             f"seed {r.seed})",
             "method: " + ("Shapley values" if r.method == "shapley" else
                           "sequential, in this order: " + ", ".join(d.name for d in r.drivers)),
             f"{'driver'.ljust(width)}{'part':>16}  share"]
    for d, p in zip(r.drivers, shown, strict=True):
        share = float(p / total) if total else math.nan
        lines.append(f"{d.name.ljust(width)}{float(p):>16.{decimals}f}  {share:6.1%}")
    lines.append(f"{'total'.ljust(width)}{float(total):>16.{decimals}f}")
    lines.append(f"Parts are exact fractions of the float metric values; shown rounded to "
                 f"{decimals} decimals so that they add up to the rounded total.")
    return "\n".join(lines)
