"""The early-warning page: its pooled rates and its table follow the run's own flows."""

from __future__ import annotations

import numpy as np

from simulator.analysis import risk
from simulator.analysis.figures import EarlyWarning
from simulator.analysis.grid import Grid
from simulator.reporting import content
from simulator.reporting.early_warning_page import early_warning_figure


def _page(blocks):
    i = next(i for i, b in enumerate(blocks) if b.kind == "h2" and b.text == "Early-warning rates")
    return blocks[i + 1: i + 5]


def test_page_states_the_runs_rates(levers_run):
    blocks = content.build_blocks(levers_run)[0]
    para, table, _note, figure = _page(blocks)
    g = Grid(levers_run.timeseries)
    due, unpaid = g.book("principal_due"), g.book("principal_due_unpaid")
    # 240 days: 8 whole months; the sentence pools them over paths
    pooled = unpaid[:, 1:241].sum() / due[:, 1:241].sum()
    assert f"{100 * pooled:.2f}%" in para.text
    assert len(table.rows) == 8
    # month 1's median across paths, computed here from the flows of days 1..30
    month1 = unpaid[:, 1:31].sum(axis=1) / due[:, 1:31].sum(axis=1)
    assert table.rows[0][1] == f"{100 * float(risk.quantile(month1, 0.5)):.2f}%"
    assert table.rows[-1][4] == "n/a"  # month 8's collection is not known by day 240
    assert figure.kind == "figure"


def test_figure_draws_the_known_months(levers_run):
    ew = EarlyWarning.from_grid(Grid(levers_run.timeseries))
    fig = early_warning_figure(ew, "levers")
    left, right = fig.axes[:2]
    assert len(left.lines) == 1 and len(right.lines) == 1  # the medians
    assert np.isfinite(right.lines[0].get_ydata()).all()
    assert len(right.lines[0].get_xdata()) == np.isfinite(ew.collection_30).all(axis=0).sum()
