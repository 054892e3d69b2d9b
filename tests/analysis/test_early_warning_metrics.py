"""The per-path early-warning metrics (day1_delinquency, collection_30) on a hand-made grid.

Two paths, two segments, days 0..95: whole months are days 1-30, 31-60 and 61-90 (days 91-95
are not a whole month); a month's 30 days have passed when its last due day is at least 30
days before day 95, so collection counts months 1 and 2 only.

Path 0 (principal due / unpaid at the end of the due day / of that collected within 30 days):
* day 10, segment a: 100 / 10 / 8       (month 1)
* day 30, segment b: 300 / 30 / 20      (month 1, its last day)
* day 31, segment a: 200 / 40 / 30      (month 2, its first day)
* day 90, segment b: 100 / 50 / 50      (month 3: counts for day 1, its collection not yet known)
* day 93, segment a: 1000 / 1000 / 0    (outside the whole months: left out)
  day1_delinquency = (10 + 30 + 40 + 50) / (100 + 300 + 200 + 100) = 130 / 700
  collection_30    = (8 + 20 + 30) / (10 + 30 + 40) = 58 / 80
Path 1: 500 due on day 45, all paid: day1_delinquency 0, collection_30 undefined (NaN).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.analysis import metrics as M
from simulator.errors import InputError
from simulator.scenario.targets import Target
from simulator.studies import calibrate as C
from simulator.studies.library import measure
from tests.analysis.tiny_timeseries import table

SEGMENTS = ["a", "b"]
FLOWS = {  # (path, day, segment): (due, unpaid, collected)
    (0, 10, 0): (100, 10, 8),
    (0, 30, 1): (300, 30, 20),
    (0, 31, 0): (200, 40, 30),
    (0, 90, 1): (100, 50, 50),
    (0, 93, 0): (1000, 1000, 0),
    (1, 45, 1): (500, 0, 0),
}


def _tables(days: int = 96) -> dict:
    shape = (2, days, len(SEGMENTS))
    due, unpaid, collected = (np.zeros(shape, np.int64) for _ in range(3))
    for (p, d, s), (a, b, c) in FLOWS.items():
        if d < days:
            due[p, d, s], unpaid[p, d, s], collected[p, d, s] = a, b, c
    ts = table(2, days, SEGMENTS, principal_M0=1_000, principal_due=due,
               principal_due_unpaid=unpaid, principal_collected_30=collected)
    return {"timeseries": ts}


def test_day1_delinquency_and_collection_pool_the_whole_months_by_hand():
    v = M.compute(_tables(), ["day1_delinquency", "collection_30"])
    assert v["day1_delinquency"] == pytest.approx([130 / 700, 0.0], rel=1e-12)
    assert v["collection_30"][0] == pytest.approx(58 / 80, rel=1e-12)
    assert math.isnan(v["collection_30"][1])


def test_a_scenario_target_reads_them_with_a_monte_carlo_error():
    tables = _tables()
    tables["timeseries"] = tables["timeseries"].filter(
        np.asarray(tables["timeseries"].column("path")) == 0)  # path 0 alone: no NaN
    target = Target(metric="day1_delinquency", value=0.068, tolerance=0.0068, source="hand")
    (m,) = measure(tables, [target])
    assert m.estimate == pytest.approx(130 / 700, rel=1e-12)
    assert not m.inside


def test_they_need_a_month_and_its_thirty_days():
    short = _tables(days=46)  # horizon 45: month 1 is whole, its 30 days are not over
    day1 = M.compute(short, ["day1_delinquency"])["day1_delinquency"]
    assert day1[0] == pytest.approx((10 + 30) / (100 + 300), rel=1e-12)
    assert math.isnan(day1[1])  # path 1's only due day, 45, is in no whole month
    with pytest.raises(InputError, match="collection_30 needs a horizon of at least 60 days"):
        M.compute(short, ["collection_30"])
    with pytest.raises(InputError, match="day1_delinquency needs a horizon of at least 30"):
        M.compute(_tables(days=20), ["day1_delinquency"])


def test_calibrate_moves_pd_for_day1_and_m1_cures_for_collection():
    ts = [C.parse_target(t) for t in ("day1_delinquency=0.068", "collection_30=0.86")]
    assert C.default_params(ts) == [C.PD_ALL, C.CURE_M1]
