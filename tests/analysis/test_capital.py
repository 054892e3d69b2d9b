"""Risk weights: the Basel IRB retail function against its published values, and the
standardised weights and capital ratio against a hand computation on a tiny timeseries."""

from __future__ import annotations

import numpy as np
import pytest
from tiny_timeseries import table

from simulator.analysis import capital as C
from simulator.analysis import pnl as P
from simulator.analysis.grid import Grid


def test_irb_retail_reproduces_published_risk_weights():
    # Basel retail function at PD 1%, LGD 45%: 45.77% other retail, 17.22% QRRE (no 1.06)
    assert C.irb_risk_weight(0.01, 0.45, "other_retail") == pytest.approx(0.4577, abs=5e-5)
    assert C.irb_risk_weight(0.01, 0.45, "qrre") == pytest.approx(0.1722, abs=5e-5)
    # Basel II's 1.06 scaling gives other values: the published ones are without it
    assert C.irb_risk_weight(0.01, 0.45, "other_retail", 1.06) == pytest.approx(0.4852, abs=5e-5)
    assert C.irb_risk_weight(0.01, 0.45, "qrre", 1.06) == pytest.approx(0.1826, abs=5e-5)


def test_other_retail_correlation_runs_from_16_to_3_percent():
    assert C.correlation(1e-9, "other_retail") == pytest.approx(0.16, abs=1e-6)
    assert C.correlation(0.999, "other_retail") == pytest.approx(0.03, abs=1e-6)
    assert C.correlation(0.2, "qrre") == 0.04
    assert C.capital_requirement(0.0, 0.45, "qrre") == 0.0


def _finance(**capital) -> P.Settings:
    return P.Settings.from_scenario({"finance": {"funding_rate": 0.0, "capital": capital}})


def test_standardised_rwa_and_capital_ratio_by_hand():
    # 1 path, days 0..2, one segment: 1,000 yuan current, 100 yuan at 90+ DPD (M4)
    m0 = np.array([[[1000.0], [1000.0], [1000.0]]])
    m4 = np.array([[[100.0], [100.0], [100.0]]])
    interest = np.array([[[0.0], [5.0], [7.0]]])
    ts = table(1, 3, ["a"], principal_M0=m0, principal_M4=m4, interest_paid=interest,
               n_M0=np.array([[[10]] * 3]))
    g = Grid(ts)
    settings = _finance(starting_ratio=0.10, standardised={"retail": 0.75, "defaulted": 1.5})
    p = P.compute(g, settings)
    c = C.compute(g, p, settings, {"recovery": {"rate": 0.1, "lag_days": 180}})
    rwa = 0.75 * 1000 + 1.5 * 100  # 900
    np.testing.assert_allclose(c.rwa_standardised[0], [rwa] * 3)
    np.testing.assert_allclose(c.capital[0], [90.0, 95.0, 102.0])
    np.testing.assert_allclose(c.ratio_standardised[0], [0.1, 95 / 900, 102 / 900])
    assert c.minimum()[0] == pytest.approx(95 / 900)
    # no defaults in the run: PD at its floor, LGD 1 - recovery rate; IRB weighs 1,000 yuan
    seg = c.segments[0]
    assert (seg.pd, seg.lgd) == (0.0005, pytest.approx(0.9))
    assert c.rwa_irb[0, 0] == pytest.approx(1000 * C.irb_risk_weight(0.0005, 0.9,
                                                                      "other_retail"))


def test_irb_pd_is_the_run_default_rate_annualised():
    # 100 performing drawdowns on day 0; 5 reach 91 DPD on day 1 of a 2-day horizon (one path)
    n0 = np.zeros((1, 3, 1))
    n0[0, 0, 0] = 100
    roll = np.zeros((1, 3, 1))
    roll[0, 1, 0] = 5
    g = Grid(table(1, 3, ["a"], n_M0=n0, n_roll90=roll))
    irb = C.Irb()
    seg = C.segment_risk(g, irb, {})[0]
    assert seg.pd == pytest.approx(1 - 0.95 ** (365 / 2))
