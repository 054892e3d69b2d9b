"""IFRS 9 ECL against hand computations on tiny books whose hazards are constant by design."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_timeseries import table

from simulator.analysis import ecl as E
from simulator.analysis import pnl as P
from simulator.analysis.grid import Grid
from simulator.scenario.finance import Ecl

DAYS = 91  # days 0..90: three months of history, a full window at day 90


def _month_flow(per_month: list[float]) -> np.ndarray:
    """A daily flow with month k's amount on day 30k (inside days 30(k-1)+1 .. 30k)."""
    v = np.zeros((1, DAYS, 1))
    for k, x in enumerate(per_month, start=1):
        v[0, 30 * k, 0] = x
    return v


def _by_month(values: list[float]) -> np.ndarray:
    """A daily stock equal to values[k] on days 30k .. 30k + 29 (the last on day 90)."""
    v = np.zeros((1, DAYS, 1))
    for k, x in enumerate(values):
        v[0, 30 * k: 30 * k + 30, 0] = x
    return v


def _micro(yuan: float) -> int:
    return int(np.floor(yuan * 1e6 + 0.5))


def test_stage2_and_3_constant_pd_no_cure_equal_pd_x_lgd_x_ead_discounted():
    # Stage 2 drawdowns 1000, 900, 810, 729 at the month starts, 100, 90, 81 reaching 91 DPD:
    # PD 10% a month every month, nothing cures (1000 - 100 = 900, ...), nothing enters.
    ead2, ead3 = 1_234_567.891234, 50_000.5
    ts = table(1, DAYS, ["s"], n_M2=_by_month([1000, 900, 810, 729]),
               n_roll90=_month_flow([100, 90, 81]), principal_M2=ead2, principal_M4=ead3)
    lgd, r = 0.6, 0.12
    for months in (1, 6):
        ecl = Ecl(lgd=lgd, discount_rate=r, lifetime_months=months, sicr_pd_ratio=None)
        p = E.compute(Grid(ts), {}, ecl, charge_off=180)
        assert list(p.date_days) == [0, 30, 60, 90]
        # by hand: lifetime ECL = sum_k PD (1 - PD)^(k-1) x LGD x EAD / (1 + r)^(30k/365)
        lifetime = sum(0.1 * 0.9 ** (k - 1) * lgd * ead2 / 1.12 ** (30 * k / 365)
                       for k in range(1, months + 1))
        if months == 1:  # one month: the textbook PD x LGD x EAD, discounted
            assert lifetime == pytest.approx(0.1 * 0.6 * ead2 / 1.12 ** (30 / 365), rel=1e-15)
        for m in range(4):  # the opening estimate equals the path's own: same numbers
            assert p.ecl["stage2"][0, m, 0] == _micro(lifetime)
            assert p.ecl["stage3"][0, m, 0] == _micro(lgd * ead3)  # PD 1, already defaulted
            assert p.ecl["stage1"][0, m, 0] == 0
        assert p.total()[0, -1] == pytest.approx((_micro(lifetime) + _micro(lgd * ead3)) / 1e6,
                                                 abs=1e-9)
        assert p.coverage()[0, -1] == pytest.approx(p.total()[0, -1] / ead3)


def test_stage1_twelve_month_ecl_through_stage2_equals_closed_form():
    # Stage 1: 1000 drawdowns, 50 a month reach 31 DPD (a = 5%); Stage 2: 250, of which 50 a
    # month reach 91 DPD (b = 20%) and are replaced by the 50 arriving: no cure.
    ead1 = 987_654.321
    ts = table(1, DAYS, ["s"], n_M0=1000, n_M2=250, n_roll30=_month_flow([50, 50, 50]),
               n_roll90=_month_flow([50, 50, 50]), principal_M0=ead1)
    lgd, r, a, b = 0.45, 0.20, 0.05, 0.20
    p = E.compute(Grid(ts), {}, Ecl(lgd=lgd, discount_rate=r, lifetime_months=24,
                                    sicr_pd_ratio=None), charge_off=180)
    np.testing.assert_allclose(p.hazards["a"][0, :, 0], a)
    np.testing.assert_allclose(p.hazards["b"][0, :, 0], b)
    np.testing.assert_allclose(p.hazards["c"][0, :, 0], 0.0)

    # by hand: first reaching Stage 2 in month j, then defaulting in month k > j; the sum over
    # j of a (1-a)^(j-1) (1-b)^(k-1-j) b is a b [(1-a)^(k-1) - (1-b)^(k-1)] / (b - a).
    def pd_month(k: int) -> float:
        return a * b * ((1 - a) ** (k - 1) - (1 - b) ** (k - 1)) / (b - a)

    twelve = sum(pd_month(k) * lgd * ead1 / (1 + r) ** (30 * k / 365) for k in range(1, 13))
    assert p.ecl["stage1"][0, -1, 0] == _micro(twelve)
    assert p.pd12[0, -1, 0] == pytest.approx(sum(pd_month(k) for k in range(1, 13)), rel=1e-12)


def test_restructured_principal_in_probation_moves_to_stage2():
    # 300 yuan of restructured principal (3 drawdowns, restructured on day 10) in a current book
    ts = table(1, DAYS, ["s"], n_M0=100, principal_M0=10_000.0, principal_restructured=300.0,
               n_restructured=3, n_restructurings=np.where(np.arange(DAYS) == 10, 3, 0)[
                   None, :, None])
    g = Grid(ts)
    kept = E.compute(g, {}, Ecl(lgd=0.5, probation_months=12, sicr_pd_ratio=None), 180)
    assert kept.ead["stage2"][0, -1, 0] == 300_000_000
    assert kept.ead["stage1"][0, -1, 0] == 9_700_000_000
    over = E.compute(g, {}, Ecl(lgd=0.5, probation_months=2, sicr_pd_ratio=None), 180)
    assert over.ead["stage2"][0, -1, 0] == 0  # day 90: restructured 80 days ago, past 60 days
    assert over.ead["stage2"][0, 2, 0] == 300_000_000  # day 60: 50 days ago, still in it


def test_sicr_moves_a_segment_whose_lifetime_pd_triples():
    # months 1-3 pooled give the opening a; the path's own a at day 120 (months 2-4) is higher
    days = 121
    roll = np.zeros((1, days, 1))
    roll[0, [30, 60, 90, 120], 0] = [10, 10, 10, 100]
    # Stage 2 holds 100: what arrives leaves by default the same month (no cure)
    ts = table(1, days, ["s"], n_M0=1000, n_M2=100, n_roll30=roll, n_roll90=roll,
               principal_M0=5000.0)
    p = E.compute(Grid(ts), {}, Ecl(lgd=1.0, discount_rate=0.0, lifetime_months=12,
                                    sicr_pd_ratio=3.0), 180)
    # opening a = 30 / 3000 = 1%, b = 10%; at day 120 a = 120 / 3000 = 4%, b = 40%: the
    # lifetime PD from Stage 1 more than triples
    assert not p.sicr[0, :-1, 0].any() and p.sicr[0, -1, 0]
    assert p.ead["stage2"][0, -1, 0] == 5_000_000_000 and p.ead["stage1"][0, -1, 0] == 0


def test_change_in_provisions_enters_net_income():
    ts = table(1, DAYS, ["s"], n_M2=_by_month([1000, 900, 810, 729]),
               n_roll90=_month_flow([100, 90, 81]), principal_M2=_by_month([0, 100, 200, 300]))
    g = Grid(ts)
    p = E.compute(g, {}, Ecl(lgd=1.0, discount_rate=0.0, lifetime_months=1,
                             sicr_pd_ratio=None), 180)
    change = p.daily_change()
    # ECL = 10% x principal: 0, 10, 20, 30 yuan at days 0, 30, 60, 90
    assert change[0, [30, 60, 90]] == pytest.approx([10.0, 10.0, 10.0])
    assert change.sum() == pytest.approx(30.0)
    settings = P.Settings.from_scenario({"finance": {"funding_rate": 0.0}})
    plain = P.compute(g, settings)
    charged = P.compute(g, settings, provisions=change)
    assert charged.total("provisions_change")[0] == pytest.approx(30.0)
    assert charged.total("net_income")[0] == pytest.approx(plain.total("net_income")[0] - 30.0)


def test_stages_follow_the_charge_off_threshold():
    assert E.stage_buckets(180) == {"stage1": ("M0", "M1"), "stage2": ("M2", "M3"),
                                    "stage3": ("M4", "M5", "M6")}
    assert E.stage_buckets(None)["stage3"] == ("M4", "M5", "M6")
    # charged off at 60 DPD: M2 holds 31-59 DPD, M3 and beyond stay empty, and the charge-off
    # is the default: 100 of the 1000 Stage 2 drawdowns charged off each month is PD 10%
    assert E.stage_buckets(60) == {"stage1": ("M0", "M1"), "stage2": ("M2",), "stage3": ()}
    co = np.cumsum(_month_flow([100, 90, 81]), axis=1)
    ts = table(1, DAYS, ["s"], n_M2=_by_month([1000, 900, 810, 729]), n_CO=co,
               principal_M2=1000.0)
    p = E.compute(Grid(ts), {}, Ecl(lgd=1.0, discount_rate=0.0, lifetime_months=1,
                                    sicr_pd_ratio=None), charge_off=60)
    np.testing.assert_allclose(p.hazards["b"][0, :, 0], 0.1)
    assert p.ecl["stage2"][0, -1, 0] == 100_000_000  # 10% x 1 x 1,000 yuan
