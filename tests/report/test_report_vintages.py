"""The vintage page: its table and curves follow the run's own vintages table."""

from __future__ import annotations

import numpy as np

from simulator.analysis import risk
from simulator.analysis.vintages import VintageCurves
from simulator.reporting import content
from simulator.reporting.vintage_page import vintage_figure


def _page(blocks):
    i = next(i for i, b in enumerate(blocks) if b.kind == "h2" and b.text == "Vintages")
    return blocks[i + 1: i + 5]


def test_table_reads_the_vintages_table(levers_run):
    _para, table, _note, figure = _page(content.build_blocks(levers_run)[0])
    vt = levers_run.vintages
    col = {n: vt.column(n).to_numpy() for n in vt.column_names}
    # the day-0 book: its disbursed base is its principal on book on day 0, mean over paths
    base = col["disbursed_principal"][(col["vintage"] == 0) & (col["month"] == 0)]
    assert table.rows[0][0] == "day-0 book"
    assert table.rows[0][1] == f"{base.mean():,.0f}"
    # 240 days: months 0..8; the day-0 book's 30+ at month 8, median across paths
    last = (col["vintage"] == 0) & (col["month"] == 8)
    med = float(risk.quantile(col["dpd30_rate"][last], 0.5))
    assert table.rows[0][2] == "8" and table.rows[0][3].startswith(f"{100 * med:.2f}%")
    assert figure.kind == "figure"


def test_curves_rise_with_months_on_book(levers_run):
    c = VintageCurves.from_table(levers_run.vintages)
    assert c.rates["dpd30_rate"].shape[1:] == (9, 9)
    for v in range(1, 9):
        for rate in ("dpd30_rate", "dpd90_rate"):
            x = c.rates[rate][:, v, : c.months_observed(v)]
            x = x[np.isfinite(x).all(axis=1)]
            assert (np.diff(x, axis=1) >= 0).all()  # cumulative: never falls
    fig = vintage_figure(c, "levers")
    assert len(fig.axes) == 3 and len(fig.axes[0].lines) >= 1


def test_vintage_contributions_split_the_same_tail_as_the_segments(levers_run):
    from simulator.analysis import contributions as E
    from simulator.analysis.grid import Grid

    by_segment = E.allocate(Grid(levers_run.timeseries))
    by_vintage = E.allocate_by_vintage(levers_run.vintages)
    for s, v in zip(by_segment, by_vintage, strict=True):
        assert v.measure == s.measure
        assert v.total == s.total  # the same path losses, to the micro-yuan
        assert sum(v.parts.values()) == v.total
    assert list(by_vintage[0].parts)[0] == "day-0 book"
