"""The report's P&L, capital and contribution pages agree with the run's own tables; money
axes use one unit; the assumptions are tables and the YAML is an appendix."""

from __future__ import annotations

import io
from fractions import Fraction

import numpy as np
import pytest
from matplotlib.figure import Figure

from simulator.analysis import risk
from simulator.reporting import content, fonts, plots
from simulator.reporting.attribution import attribution_blocks


def _after(blocks, heading: str, k: int = 1):
    i = next(i for i, b in enumerate(blocks) if b.kind == "h2" and b.text.startswith(heading))
    return blocks[i + k]


def _num(cell: str) -> float:
    return float(cell.replace(",", ""))


def test_pages_agree_with_the_paths_table(levers_run):
    blocks, _ = content.build_blocks(levers_run)
    paths = levers_run.paths
    pnl = {r[0]: r for r in _after(blocks, "Profit and loss", 2).rows}
    # credit losses and costs: the paths table sums the same flows on its own
    for label, column in (("Credit losses (charge-offs - recoveries)", "net_loss"),
                          ("Collection cost", "collection_cost"), ("Legal cost", "legal_cost")):
        want = float(np.mean(paths.column(column).to_numpy()))
        assert _num(pnl[label][1]) == pytest.approx(want, abs=0.5), label
    costs = {r[0]: r for r in _after(blocks, "Collection, legal cost").rows}
    assert _num(costs["Collection cost"][1]) > 0 and _num(costs["Legal cost"][1]) > 0
    assert _num(costs["Waived by restructuring"][1]) > 0
    assert _num(costs["Restructured principal on book, last day"][1]) > 0
    # contributions: the total row is ES 99 and VaR 99 of the paths' net loss, to the fen
    contrib = _after(blocks, "Risk contributions by segment")
    total = contrib.rows[-1]
    loss = paths.column("net_loss").to_numpy()
    assert _num(total[1]) == pytest.approx(risk.quantile(loss, 0.99), abs=0.01)
    assert _num(total[4]) == pytest.approx(risk.expected_shortfall(loss, 0.99), abs=0.01)
    shown = [Fraction(r[4].replace(",", "")) for r in contrib.rows[:-1]]
    assert sum(shown) == Fraction(total[4].replace(",", ""))  # shown parts add up as shown
    headings = [b.text for b in blocks if b.kind == "h2"]
    for h in ("Capital", "IRB parameters by segment", "Risk contributions by segment",
              "Contract", "Policy levers", "Funding, capital and provisions", "Book",
              "Segments: every setting", "Run"):
        assert h in headings, h
    assert headings[-1] == "Appendix: the resolved scenario" and blocks[-1].kind == "pre"
    for b in blocks:
        if b.kind == "figure" and b.text in ("Profit and loss", "Capital ratio",
                                             "Risk contributions"):
            fig = b.figure(None)
            assert isinstance(fig, Figure)
            fig.savefig(io.BytesIO(), format="png", dpi=40)  # warnings are errors


def test_attribution_page_shows_parts_that_add_up():
    rec = {"metric": "net_loss_rate@mean", "method": "shapley", "base": 0.01, "full": 0.02,
           "parts": [{"driver": "a", "value": 1 / 300, "exact": "1/300"},
                     {"driver": "b", "value": 2 / 300, "exact": "2/300"}],
           "runs": 4, "paths": 4, "seed": 1}
    blocks = attribution_blocks(rec)
    table = next(b for b in blocks if b.kind == "table")
    assert [r[1] for r in table.rows] == ["0.00333333", "0.00666667", "0.01000000"]
    fig = next(b for b in blocks if b.kind == "figure").figure(None)
    fig.savefig(io.BytesIO(), format="png", dpi=40)


@pytest.mark.parametrize(("top", "units"), [(5e5, {"k"}), (3e7, {"M"}), (4e8, {"亿", "M"})])
def test_a_money_axis_has_one_unit(top, units):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with fonts.context():  # as every report figure is drawn: 亿 needs the CJK font
        fig = Figure()
        ax = fig.subplots()
        ax.plot([0, 1], [0, top])
        plots._yuan_axis(ax)
        FigureCanvasAgg(fig).draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    found = {lab.lstrip("-0123456789.,").strip() for lab in labels}
    assert len(found) == 1 and found <= units, labels  # before: 0.0M next to 1.00 亿


def test_bold_fallback_is_said_once_in_the_report_not_logged(levers_run, tmp_path, caplog):
    from simulator.reporting import report

    assert "no bold face" in fonts.bundled_font().note()  # Droid Sans Fallback: regular only
    caplog.set_level("DEBUG", logger="matplotlib.font_manager")
    report.build_report(levers_run.folder, out=tmp_path / "r.pdf")
    assert not [r for r in caplog.records if "Failed to find font weight" in r.getMessage()]
    blocks, font = content.build_blocks(levers_run)
    said = [b for b in blocks if font.note() in b.text]
    assert len(said) == 1
