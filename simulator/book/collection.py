"""Collection: the daily cure and partial-payment chances by path, month and bucket, with the
lender's channels and their capacity (MODEL.md 6).

A channel multiplies the chances of the buckets it works by ``cure_multiplier``; several on
one bucket multiply. From day 1 on (the burn-in runs without today's levers). A channel with a
capacity works at most that many accounts a day: when its load (the delinquent drawdowns in
its buckets) is above it, the uplift is diluted to ``1 + (multiplier - 1) x capacity /
load``, and it is paid for the accounts it works, ``min(load, capacity)``. The load of a
month is measured on the same draws with every channel at full strength (a first pass): the
mean over the month's days of the accounts at the start of the day. One step of the fixed
point, since a diluted channel leaves a larger load than it was measured at: documented, not
iterated.

Capacity is stated per 10,000 borrowers of the book (applicants included) so that it keeps its
meaning at any simulated size.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simulator.kernels import layout as L
from simulator.scenario.schema import BUCKETS, DAYS_PER_MONTH, Scenario

PER_BORROWERS = 10_000  # capacity is stated per this many borrowers


class Channels(NamedTuple):
    """The scenario's collection channels as arrays (none: zero rows)."""

    works: np.ndarray  # bool [channels, N_BUCKETS]
    multiplier: np.ndarray  # float64 [channels]
    cost: np.ndarray  # yuan per account-day [channels]
    capacity: np.ndarray  # accounts a day per PER_BORROWERS borrowers [channels]; inf: none

    @property
    def limited(self) -> bool:
        return bool(np.isfinite(self.capacity).any())


def channels(scenario: Scenario) -> Channels:
    collection = scenario.policy.collection
    specs = list(collection.channels.values()) if collection is not None else []
    works = np.zeros((len(specs), L.N_BUCKETS), bool)
    for c, spec in enumerate(specs):
        works[c, [BUCKETS.index(b) for b in spec.buckets]] = True
    return Channels(
        works=works,
        multiplier=np.array([s.cure_multiplier for s in specs], float),
        cost=np.array([s.cost_per_account_day for s in specs], float),
        capacity=np.array([np.inf if s.capacity_per_10k_borrowers is None
                           else s.capacity_per_10k_borrowers for s in specs], float),
    )


def chances(scenario: Scenario, ch: Channels, paths: int, months: int, burn_in: int,
            dilution: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(cure, partial) daily chances ``[path, month, bucket]`` before the factor's lift:
    the behaviour's, times each channel's uplift from the first month after the burn-in,
    diluted by ``dilution[path, month, channel]`` (1: full strength)."""
    beh = scenario.behaviour
    cure = np.array([0.0] + [beh.cure_daily.get(k, 0.0) for k in BUCKETS[1:]])
    partial = np.array([0.0] + [beh.partial_daily.get(k, 0.0) for k in BUCKETS[1:]])
    uplift = np.ones((paths, months, L.N_BUCKETS))
    for c in range(len(ch.multiplier)):
        gain = np.ones((paths, months - burn_in)) * (ch.multiplier[c] - 1.0)
        if dilution is not None:
            gain = gain * dilution[:, burn_in:, c]
        uplift[:, burn_in:, ch.works[c]] *= (1.0 + gain)[:, :, None]
    return np.minimum(cure * uplift, 1.0), np.minimum(partial * uplift, 1.0)


def _accounts(levels: np.ndarray, ch: Channels) -> np.ndarray:
    """End-of-day accounts in each channel's buckets, book-wide: [path, day, channel]."""
    counts = levels[:, :, :, L.N_BY_CODE : L.N_BY_CODE + L.N_BUCKETS].sum(axis=2)
    return counts.astype(float) @ ch.works.T.astype(float)


def capacity_accounts(levels: np.ndarray, ch: Channels) -> np.ndarray:
    """Each channel's capacity in accounts a day for this book: [channel]."""
    borrowers = float(levels[0, 0, :, L.BORROWERS].sum())
    return ch.capacity * borrowers / PER_BORROWERS


def dilution(levels: np.ndarray, ch: Channels, months: int, burn_in: int) -> np.ndarray:
    """``[path, month, channel]``: capacity / load where the month's load (mean accounts at
    the start of its days 1..horizon) is above capacity, else 1, from a first pass's
    aggregate levels."""
    start_of_day = _accounts(levels, ch)[:, :-1]  # day t's start: the end of day t - 1
    horizon = start_of_day.shape[1]
    cap = capacity_accounts(levels, ch)
    out = np.ones((levels.shape[0], months, len(ch.multiplier)))
    for k in range(months - burn_in):
        days = slice(max(1, k * DAYS_PER_MONTH) - 1,
                     min((k + 1) * DAYS_PER_MONTH - 1, horizon))
        if days.start >= days.stop:
            continue
        load = start_of_day[:, days].mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, burn_in + k] = np.where(load > cap, cap / load, 1.0)
    return out


def daily_cost(levels: np.ndarray, ch: Channels) -> np.ndarray:
    """Yuan a day ``[path, day, segment]``: each channel's cost per account worked, its
    accounts that day shared over segments as its load is, at most its capacity (none on day
    0: flows start on day 1)."""
    counts = levels[:, :, :, L.N_BY_CODE : L.N_BY_CODE + L.N_BUCKETS].astype(float)
    per_channel = counts @ ch.works.T.astype(float)  # [path, day, segment, channel]
    load = per_channel.sum(axis=2, keepdims=True)
    cap = capacity_accounts(levels, ch)
    with np.errstate(divide="ignore", invalid="ignore"):
        worked = np.where(load > cap, cap / load, 1.0)
    cost = (per_channel * worked) @ ch.cost
    cost[:, 0] = 0.0
    return cost


def with_capacity(scenario: Scenario, source, first_pass_levels: np.ndarray):
    """The run's inputs (``KernelInputs`` or ``RunPlan``) with each channel's uplift diluted
    by its capacity, from a first pass's aggregate levels."""
    inputs = getattr(source, "inputs", source)
    ch = inputs.channels
    months = inputs.macro.z.shape[1]
    burn_in = scenario.book.burn_in_months
    cure, partial = chances(scenario, ch, inputs.macro.z.shape[0], months, burn_in,
                            dilution(first_pass_levels, ch, months, burn_in))
    macro = inputs.macro._replace(cure_daily=cure, partial_daily=partial)
    inputs = inputs._replace(macro=macro)
    return source._replace(inputs=inputs) if hasattr(source, "inputs") else inputs
