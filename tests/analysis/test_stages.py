"""The quarterly stage-transfer matrix from hand-made timeseries: known counts and principal
on the quarter ends, shares and medians over paths computed by hand."""

from __future__ import annotations

import numpy as np
from tiny_timeseries import table

from simulator.analysis.grid import Grid
from simulator.analysis.stages import transfers

DAYS = 181  # days 0..180: quarter ends 90 and 180


def _on(day: int, per_path: list[float]) -> np.ndarray:
    v = np.zeros((len(per_path), DAYS, 1))
    v[:, day, 0] = per_path
    return v


def _grid() -> Grid:
    # Two paths, one segment. Day 90: path 0 has 8 Stage 1 drawdowns staying, 2 moving to
    # Stage 2; path 1 has 6 staying, 4 moving. Day 180: of Stage 2, path 0 charges 1 off and
    # 1 is repaid; path 1 has 4 in Stage 3. Principal: 100 yuan a drawdown, 50 for Stage 2.
    return Grid(table(2, DAYS, ["s"],
                      n_stage1_to_stage1=_on(90, [8, 6]), n_stage1_to_stage2=_on(90, [2, 4]),
                      principal_stage1_to_stage1=_on(90, [800.0, 600.0]),
                      principal_stage1_to_stage2=_on(90, [200.0, 400.0]),
                      n_stage2_to_charged_off=_on(180, [1, 0]),
                      n_stage2_to_repaid=_on(180, [1, 0]),
                      n_stage2_to_stage3=_on(180, [0, 4]),
                      principal_stage2_to_charged_off=_on(180, [50.0, 0.0]),
                      principal_stage2_to_repaid=_on(180, [50.0, 0.0]),
                      principal_stage2_to_stage3=_on(180, [0.0, 200.0])))


def test_matrix_counts_principal_and_shares_by_hand():
    t = transfers(_grid())
    assert t.quarter_days.tolist() == [90, 180]
    assert t.counts.shape == (2, 2, 4, 5)  # path, quarter, from (new, 1, 2, 3), to
    assert t.counts[0, 0, 1].tolist() == [8, 2, 0, 0, 0]
    assert t.counts[1, 1, 2].tolist() == [0, 0, 4, 0, 0]
    assert t.principal[0, 1, 2].tolist() == [0, 0, 0, 50, 50]
    shares = t.shares("counts")
    np.testing.assert_allclose(shares[1, 0, 1], [0.6, 0.4, 0, 0, 0], rtol=0, atol=1e-15)
    assert np.isnan(shares[0, 0, 2]).all()  # no Stage 2 at day 0: an empty row
    med = t.median_shares("principal")
    # day 90, from Stage 1: medians of (0.8, 0.6) and (0.2, 0.4)
    np.testing.assert_allclose(med[0, 1], [0.7, 0.3, 0, 0, 0], rtol=0, atol=1e-15)
    # day 180, from Stage 2: medians of (0, 0, 0, 0.5, 0.5) and (0, 0, 1, 0, 0)
    np.testing.assert_allclose(med[1, 2], [0, 0, 0.5, 0.25, 0.25], rtol=0, atol=1e-15)
    assert np.isnan(med[0, 3]).all()  # no path had Stage 3 at day 0
