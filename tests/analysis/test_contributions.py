"""Euler contributions add up to VaR and ES exactly and equal the tail means by hand."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from tiny_timeseries import table

from simulator.analysis import contributions as E
from simulator.analysis import risk
from simulator.analysis.exact import MICRO, apportion
from simulator.analysis.grid import Grid


def _losses(n=1000, seed=7):
    rng = np.random.default_rng(seed)  # seed 7, 1,000 paths, three segments
    z = rng.standard_normal(n)
    out = np.stack([rng.lognormal(10 + 0.5 * z, 0.3), rng.lognormal(9 + 1.0 * z, 0.5),
                    rng.lognormal(8, 0.2, n)], axis=1)
    return np.rint(out * MICRO).astype(np.int64)  # micro-yuan, as the engine's money


def test_es_parts_add_up_exactly_and_are_tail_means():
    losses = _losses()
    es = E.expected_shortfall(["a", "b", "c"], losses, 0.99)
    assert sum(es.parts.values()) == es.total
    total = losses.sum(axis=1) / MICRO
    assert float(es.total) == pytest.approx(risk.expected_shortfall(total, 0.99), rel=1e-12)
    tail = np.argsort(total)[-10:]  # 1,000 paths at 99%: the worst 10
    assert es.paths_used == 10
    assert float(es.parts["b"]) == pytest.approx(losses[tail, 1].mean() / MICRO, rel=1e-12)


def test_var_parts_add_up_exactly_to_the_quantile():
    losses = _losses()
    var = E.value_at_risk(["a", "b", "c"], losses, 0.99)
    total = losses.sum(axis=1) / MICRO
    assert var.total == Fraction(risk.quantile(total, 0.99))
    assert sum(var.parts.values()) == var.total
    assert E.var_window(1000, 0.99) == (986, 992)  # m = round(sqrt(10)) = 3 around rank 989
    assert var.paths_used == 7
    # the segment that drives the tail (b, loading 1.0) takes more than its mean share
    mean_share = losses[:, 1].sum() / losses.sum()
    assert float(var.parts["b"] / var.total) > mean_share


def test_a_segment_without_losses_contributes_nothing():
    losses = _losses(200)
    losses[:, 2] = 0
    for a in (E.value_at_risk(list("abc"), losses), E.expected_shortfall(list("abc"), losses)):
        assert a.parts["c"] == 0
        assert sum(a.parts.values()) == a.total


def test_allocation_reads_segment_net_loss_from_the_timeseries():
    co = np.zeros((3, 2, 2))
    co[:, 1, 0] = [10.0, 20.0, 30.0]
    co[:, 1, 1] = [1.0, 2.0, 3.0]
    rec = np.zeros((3, 2, 2))
    rec[:, 1, 0] = 1.0
    g = Grid(table(3, 2, ["x", "y"], cum_charged_off_principal=co, cum_recoveries=rec))
    var, es = E.allocate(g)
    # 3 paths at 99%: the tail is the worst path (29 + 3 = 32 yuan)
    assert es.parts == {"x": 29, "y": 3}
    assert sum(var.parts.values()) == var.total


def test_apportion_keeps_the_sum():
    parts = [Fraction(1, 3)] * 3 + [Fraction(-1, 7)]
    shown = apportion(parts, 2)
    assert sum(shown) == Fraction(round(float(sum(parts)) * 100), 100)
    assert all(abs(a - b) < Fraction(1, 100) for a, b in zip(shown, parts, strict=True))
    assert apportion([Fraction(5, 1000), Fraction(5, 1000)], 2) == [Fraction(1, 100), 0]
