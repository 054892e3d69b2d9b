"""The ECL and provisions page, restructured principal in 关注, the P&L's provision charge, and
`overdue report --attribution`, checked against the run's own tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.analysis.figures import ON_BOOK, principal_columns
from simulator.analysis.grid import Grid
from simulator.analysis.stages import transfers
from simulator.errors import InputError
from simulator.reporting import content
from tests.cli_helpers import run_cli


def _after(blocks, heading: str, k: int = 1):
    i = next(i for i, b in enumerate(blocks) if b.kind == "h2" and b.text.startswith(heading))
    return blocks[i + k]


def _num(cell: str) -> float:
    return float(cell.replace(",", "").replace("%", ""))


@pytest.fixture(scope="module")
def blocks(levers_run):
    return content.build_blocks(levers_run)[0]


def test_stages_hold_the_whole_book_and_the_pnl_takes_the_change(levers_run, blocks):
    g = Grid(levers_run.timeseries)
    on_book = g.book(principal_columns(ON_BOOK))
    staging = {r[0].strip(): r for r in _after(blocks, "IFRS 9 expected credit loss", 2).rows}
    # the stages split on-book principal: their EAD adds up to it, on day 0 and the last day
    assert _num(staging["Total"][1]) == pytest.approx(on_book[:, 0].mean(), abs=1)
    assert _num(staging["Total"][3]) == pytest.approx(on_book[:, -1].mean(), abs=1)
    assert _num(staging["of which forborne"][3]) > 0  # restructured principal moved
    measures = {r[0]: r for r in _after(blocks, "IFRS 9 expected credit loss", 4).rows}
    change = _num(measures["Change in provisions over the horizon (yuan)"][1])
    # the P&L books the same change, and net income is what is left after it
    pnl = {r[0]: r for r in _after(blocks, "Profit and loss", 2).rows}
    assert _num(pnl["Change in provisions (IFRS 9 ECL)"][1]) == pytest.approx(change, abs=1)
    left = (_num(pnl["Pre-provision profit"][1]) - _num(pnl["Credit losses (charge-offs - "
                                                           "recoveries)"][1]) - change)
    assert _num(pnl["Net income (before operating cost and tax)"][1]) == pytest.approx(left,
                                                                                       abs=3)
    # coverage on day 0 is provisions over principal at 91+ DPD, the same on every path
    npl0 = g.book(principal_columns(("M4", "M5", "M6")))[:, 0].mean()
    prov0 = _num(measures["Provisions, day 0 (yuan)"][1])
    assert _num(measures["Coverage (拨备覆盖率: provisions / NPL), day 0"][1]) / 100 == \
        pytest.approx(prov0 / npl0, abs=0.001)
    assert any(b.kind == "figure" and b.text == "Provisions and coverage" for b in blocks)


def test_stage_transfers_account_for_the_book_at_the_quarter_start(levers_run, blocks):
    g = Grid(levers_run.timeseries)
    tr = transfers(g)
    assert tr.quarter_days.tolist() == [90, 180]  # horizon 240
    for q, day in enumerate(tr.quarter_days):
        start = g.day_index(int(day) - 90)
        # every drawdown on book at the quarter's start is somewhere at its end: the rows
        # from Stage 1..3 add up to the bucket counts then; Stage 3 is 91+ DPD (M4..M6)
        on_book = g.book(tuple(f"n_M{k}" for k in range(7)))[:, start]
        np.testing.assert_array_equal(tr.counts[:, q, 1:].sum(axis=(1, 2)), on_book)
        np.testing.assert_array_equal(tr.counts[:, q, 3].sum(axis=1),
                                      g.book(("n_M4", "n_M5", "n_M6"))[:, start])
        assert tr.counts[:, q, 0].sum() > 0  # new drawdowns (redraws) enter
    table = _after(blocks, "IFRS 9 expected credit loss", 6)
    assert table.header[0] == "From (day 90)"
    rows = {r[0]: r for r in table.rows}
    stage3 = np.median(g.book(("n_M4", "n_M5", "n_M6"))[:, 90])
    assert _num(rows["Stage 3"][1]) == pytest.approx(stage3, abs=0.5)  # shown to the unit
    # shares of principal by destination, medians over paths: each within 0..100%
    shares = [float(c.split()[0].rstrip("%")) for r in table.rows for c in r[2:] if c != "n/a"]
    assert shares and all(0 <= x <= 100 for x in shares)


def test_restructured_principal_leaves_normal_for_special_mention(levers_run, blocks):
    g = Grid(levers_run.timeseries)
    five = _after(blocks, "Five-category classification").rows
    normal = next(r for r in five if r[0].startswith(("正常", "Normal")))
    m0_end = g.book("principal_M0")[:, -1].mean()
    restructured = g.book("principal_restructured")[:, -1].mean()
    assert restructured > 0
    # horizon 240 days < 12 months of observation: every restructured yuan is still watched
    assert _num(normal[2]) == pytest.approx(m0_end - restructured, abs=1)
    on_book = g.book(principal_columns(ON_BOOK))[:, -1].mean()
    assert sum(_num(r[2]) for r in five[:-1]) == pytest.approx(on_book, abs=3)


def test_report_attribution_option(levers_run, tmp_path):
    record = {"metric": "net_loss_rate@mean", "method": "shapley", "base": 0.03, "full": 0.02,
              "parts": [{"driver": "policy.collection", "value": -0.01, "exact": "-1/100"}],
              "runs": 2, "paths": 8, "seed": 1}
    good = tmp_path / "attr.json"
    good.write_text(json.dumps(record), encoding="utf-8")
    out = tmp_path / "r.html"
    code, text = run_cli(["report", str(levers_run.folder), "--format", "html", "-o", str(out),
                          "--attribution", str(good)])
    assert code == 0, text
    assert "Attribution of net_loss_rate@mean" in out.read_text(encoding="utf-8")
    bad = tmp_path / "bad.json"
    for body in ("not json", json.dumps({"metric": "x"}), json.dumps([1])):
        bad.write_text(body, encoding="utf-8")
        code, text = run_cli(["report", str(levers_run.folder), "-o", str(tmp_path / "x.pdf"),
                              "--attribution", str(bad)])
        assert code == 2 and str(bad) in text and "Traceback" not in text, text
        assert not (tmp_path / "x.pdf").exists()
    code, text = run_cli(["report", "--help"])
    assert "--attribution" in text


def test_ecl_settings_are_checked_with_their_key_path():
    with pytest.raises(InputError, match=r"finance\.ecl\.probation_months: must be >= 0"):
        simulator.load_scenario(Path(__file__).resolve().parents[2] / "scenarios" /
                                "baseline.yaml", ["finance.ecl.probation_months=-1"])


def test_assumptions_show_every_section_and_a_new_key_without_a_change():
    sc = {"name": "x", "horizon_days": 90, "book": {"borrowers": 10, "segments": [
        {"name": "a", "share": 0.4, "principal": {"min": 1}},
        {"name": "b", "share": 0.6, "extra_knob": 3}]},
          "contract": {"grace_days": 3}, "shocks": [], "brand_new": {"knob": {"depth": 2}}}
    sections = {title: (rows, note) for title, rows, note in content.assumption_sections(sc)}
    assert sections["Run"][0] == [["horizon_days", "90"]]
    assert sections["Book"][0] == [["borrowers", "10"]]  # segments get a table of their own
    assert sections["Contract"][0] == [["grace_days", "3"]]
    assert sections["Shocks"] == ([], "None: the unstressed baseline.")
    assert sections["Brand new"][0] == [["knob.depth", "2"]]  # a section the report never knew
    header, rows = content.segment_settings(sc)
    assert header == ["Setting", "a", "b"]
    assert rows == [["share", "0.4", "0.6"], ["principal.min", "1", "—"],
                    ["extra_knob", "—", "3"]]


def test_waterfall_labels_use_the_unit_of_their_axis():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from simulator.reporting import finance_plots, fonts

    with fonts.context():  # 亿 needs the CJK font, as in the report
        fig = Figure()
        ax = fig.subplots()
        finance_plots.waterfall(ax, ("income", 3.2e8), [("losses", -1.1e8)], ("net", 2.1e8))
        FigureCanvasAgg(fig).draw()

    def unit(text: str) -> str:
        return text.lstrip("+-0123456789.,").strip()

    axis = {unit(t.get_text()) for t in ax.get_yticklabels() if t.get_text()}
    bars = {unit(t.get_text()) for t in ax.texts}
    assert len(axis) == 1 and bars == axis, (axis, bars)  # before: 320.00M beside 亿 ticks
