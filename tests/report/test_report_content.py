"""The report's regulatory tables follow the scenario's charge-off threshold; importing and
drawing leave matplotlib's global state alone; the report file follows the umask."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pytest

import simulator
from simulator.analysis.figures import five_category_rows, stage_rows
from simulator.reporting import content, plots, report
from tests.quick_book import QUICK

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
SMALL = ["monte_carlo.paths=4", "book.borrowers=400", "horizon_days=120", *QUICK]


def _run(tmp_path_factory, charge_off: str) -> Path:
    folder = tmp_path_factory.mktemp("runs") / f"co_{charge_off}"
    s = simulator.load_scenario(SCENARIO, [*SMALL, f"contract.charge_off_dpd={charge_off}"])
    return simulator.run(s, out=folder, force=True).folder


@pytest.fixture(scope="module", params=["off", "360"])
def late_run(request, tmp_path_factory):
    """A small run whose drawdowns stay on book past 180 DPD: charge-off off or at 360 DPD."""
    return request.param, _run(tmp_path_factory, request.param)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    return _run(tmp_path_factory, "180")


def _rows(charge_off):
    return [(r.name(False), r.bucket_label()) for r in five_category_rows(charge_off)]


def test_five_category_rows_by_hand():
    assert _rows(180) == [
        ("Normal", "M0 (current)"), ("Special mention", "M1–M3 (1–90 DPD)"),
        ("Substandard", "M4–M6 (91–179 DPD)"), ("Doubtful", "—"), ("Loss", "—")]
    # M6 holds 151-359 DPD: substandard up to 270, doubtful beyond; it cannot be split
    assert _rows(360) == [
        ("Normal", "M0 (current)"), ("Special mention", "M1–M3 (1–90 DPD)"),
        ("Substandard", "M4–M5 (91–150 DPD)"), ("Substandard / Doubtful", "M6 (151–359 DPD)"),
        ("Loss", "—")]
    assert _rows(None)[2:] == [
        ("Substandard", "M4–M5 (91–150 DPD)"),
        ("Substandard / Doubtful / Loss", "M6 (151+ DPD)")]
    assert _rows(271)[2] == ("Substandard", "M4–M6 (91–270 DPD)")  # 270 on book: still one
    assert _rows(272)[3] == ("Substandard / Doubtful", "M6 (151–271 DPD)")
    assert _rows(45)[1:3] == [("Special mention", "M1–M2 (1–44 DPD)"), ("Substandard", "—")]
    assert [r.bucket_label() for r in stage_rows(120)] == [
        "M0–M1 (DPD ≤ 30)", "M2–M3 (31–90 DPD)", "M4 (91–119 DPD)"]


def _table_after(blocks, heading: str):
    i = next(i for i, b in enumerate(blocks) if b.kind == "h2" and heading in b.text)
    return blocks[i + 1].rows, blocks[i + 2].text


def _end_principal(run, buckets) -> float:
    """Mean over paths of the buckets' principal on the last day, straight from the table."""
    ts = run.timeseries
    last = ts.filter(pc.equal(ts.column("day"), pc.max(ts.column("day"))))
    total = sum(float(pc.sum(last.column(f"principal_{b}")).as_py()) for b in buckets)
    return total / run.paths.num_rows


def test_report_five_category_table_follows_late_charge_off(late_run):
    charge_off, folder = late_run
    run = simulator.Run.open(folder)
    blocks, _ = content.build_blocks(run)
    rows, note = _table_after(blocks, "Five-category classification")
    by_label = {r[1]: r for r in rows}
    m6 = "M6 (151+ DPD)" if charge_off == "off" else "M6 (151–359 DPD)"
    assert set(by_label) >= {"M0 (current)", "M1–M3 (1–90 DPD)", "M4–M5 (91–150 DPD)", m6}
    assert not any("180" in r[1] for r in rows)
    m6_yuan = _end_principal(run, ["M6"])
    assert m6_yuan > 0  # the case matters: principal sits past 150 DPD at the end
    assert by_label[m6][2] == f"{m6_yuan:,.0f}"
    assert by_label["M4–M5 (91–150 DPD)"][2] == f"{_end_principal(run, ['M4', 'M5']):,.0f}"
    assert "cannot be split" in note
    stages, _ = _table_after(blocks, "IFRS 9 stages")
    assert stages[2][1] == ("M4–M6 (91+ DPD)" if charge_off == "off" else "M4–M6 (91–359 DPD)")


def test_report_follows_the_umask_and_leaves_rcparams_alone(default_run, tmp_path):
    folder = default_run
    before = _rc_snapshot()
    figs = plots.all_figures(simulator.Run.open(folder))
    old = os.umask(0o022)
    try:
        out = report.build_report(folder, out=tmp_path / "r.pdf")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644  # tempfile.mkstemp would have given 0600
    assert _rc_snapshot() == before
    for fig in figs.values():  # yet the figures were drawn with the CJK fallback font
        texts = fig.findobj(lambda a: hasattr(a, "get_fontfamily"))
        assert any(len(t.get_fontfamily()) > 1 for t in texts)


def _rc_snapshot() -> dict:
    import matplotlib

    # dict's own access: RcParams resolves an unset backend (importing pyplot) on lookup
    return {k: dict.__getitem__(matplotlib.rcParams, k) for k in dict.keys(matplotlib.rcParams)}


def test_import_changes_no_matplotlib_setting():
    code = (
        "import sys, matplotlib\n"
        "snap = lambda: {k: dict.__getitem__(matplotlib.rcParams, k)"
        " for k in dict.keys(matplotlib.rcParams)}\n"
        "before = snap()\n"
        "import simulator.reporting.plots, simulator.reporting.report\n"
        "assert snap() == before, [k for k in before if snap()[k] != before[k]]\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr



def test_report_regulatory_view_has_the_regulators_measures(default_run):
    run = simulator.Run.open(default_run)
    blocks, _ = content.build_blocks(run)
    rows, note = _table_after(blocks, "Regulatory view")
    by_label = {r[0]: r for r in rows}
    # by hand from the timeseries: per path on the last day, (M4..M6 + charged off since day 0)
    # over (M0..M6 + charged off since day 0), then the mean over paths
    ts = run.timeseries
    last = ts.filter(pc.equal(ts.column("day"), pc.max(ts.column("day")))).to_pydict()
    num: dict[int, float] = {}
    den: dict[int, float] = {}
    for i, p in enumerate(last["path"]):
        co = last["cum_charged_off_principal"][i]
        num[p] = num.get(p, 0.0) + co + sum(last[f"principal_M{k}"][i] for k in (4, 5, 6))
        den[p] = den.get(p, 0.0) + co + sum(last[f"principal_M{k}"][i] for k in range(7))
    mean = sum(num[p] / den[p] for p in num) / len(num)
    assert by_label["NPL ratio without disposal, horizon end (day 120)"][1] == \
        f"{100 * mean:.3f}%"
    nine = ("Nine-quarter loss rate, % of average balance: the 120-day horizon only, shorter "
            "than nine quarters (810 days)")
    assert by_label[nine][1:] == by_label["Net loss rate over 120 days, % of average balance"][1:]
    assert "without disposal" in note and "days 1..810" in note
