"""Profit and loss lines against a hand computation on a tiny timeseries."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_timeseries import table

from simulator.analysis import pnl as P
from simulator.analysis.grid import Grid


def _settings(rate=0.0365, shocks=(), pass_through=1.0):
    return P.Settings.from_scenario({"finance": {"funding_rate": rate,
                                                 "rate_pass_through": pass_through},
                                     "shocks": list(shocks)})


def test_lines_by_hand():
    # 2 paths, days 0..2, two segments
    on = np.full((2, 3, 2), 500.0)  # 1,000 yuan on book per path
    interest = np.zeros((2, 3, 2))
    interest[:, 1:, :] = 3.0
    co = np.zeros((2, 3, 2))
    co[1, 2, 0] = 40.0  # path 1 charges off 40 on day 2
    rec = np.zeros((2, 3, 2))
    rec[1, 2, 0] = 4.0
    ts = table(2, 3, ["a", "b"], principal_M0=on, interest_paid=interest, fees_paid=1.0,
               penalty_paid=0.5, compound_paid=0.25, collection_cost=0.1, legal_cost=0.0,
               cum_charged_off_principal=co, cum_recoveries=rec, waived=2.0)
    p = P.compute(Grid(ts), _settings())
    # per day and path: interest 6, fees 2, penalty 1.5 (0.5 + 0.25 on two segments)
    np.testing.assert_allclose(p.total("interest"), [12.0, 12.0])
    np.testing.assert_allclose(p.total("fees"), [4.0, 4.0])
    np.testing.assert_allclose(p.total("penalty"), [3.0, 3.0])
    # funding: 1,000 x 3.65% / 365 = 0.1 a day, days 1 and 2
    np.testing.assert_allclose(p.total("funding_cost"), [0.2, 0.2])
    np.testing.assert_allclose(p.total("collection_cost"), [0.4, 0.4])
    ppp = 12 + 4 + 3 - 0.2 - 0.4
    np.testing.assert_allclose(p.total("pre_provision_profit"), [ppp, ppp])
    np.testing.assert_allclose(p.total("credit_losses"), [0.0, 36.0])
    np.testing.assert_allclose(p.total("net_income"), [ppp, ppp - 36.0])
    np.testing.assert_allclose(p.total("waived"), [8.0, 8.0])  # memo, not deducted
    loss = P.loss_year_probability(p)
    assert (loss["estimate"], loss["years"]) == (0.5, 1)


def test_rate_shock_moves_the_funding_rate_from_its_month():
    shock = {"rate": {"change_bp": 100.0, "start_month": 1}}
    s = _settings(rate=0.02, shocks=[shock], pass_through=0.5)
    r = s.funding_rate(np.array([0, 29, 30, 60]))
    np.testing.assert_allclose(r, [0.02, 0.02, 0.025, 0.025])
    # an income shock does not move funding
    assert _settings(shocks=[{"income": {"change": -0.1}}]).funding_rate(
        np.array([40]))[0] == pytest.approx(0.0365)


def test_years_split_the_horizon_and_a_partial_year_counts():
    days = 400
    ts = table(1, days + 1, ["a"], legal_cost=np.where(np.arange(days + 1) > 365, 1.0,
                                                       0.0)[None, :, None])
    p = P.compute(Grid(ts), _settings(rate=0.0))
    assert p.year_bounds() == [(1, 365), (366, 400)]
    np.testing.assert_allclose(p.by_year("net_income"), [[0.0, -35.0]])
    assert P.loss_year_probability(p)["estimate"] == 1.0
