"""The risk-committee report, its figures and `overdue compare`, on small real run folders."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import simulator
from simulator.analysis import compare
from simulator.errors import InputError
from simulator.reporting import plots, report
from tests.cli_helpers import exit_code
from tests.quick_book import QUICK

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
SMALL = ["monte_carlo.paths=40", "book.borrowers=1500", "horizon_days=120", *QUICK]


def _run(tmp_path_factory, name, extra=()):
    folder = tmp_path_factory.mktemp("runs") / name
    s = simulator.load_scenario(SCENARIO, [*SMALL, *extra])
    return simulator.run(s, out=folder, force=True).folder


@pytest.fixture(scope="session")
def base_run(tmp_path_factory):
    return _run(tmp_path_factory, "base")


@pytest.fixture(scope="session")
def policy_run(tmp_path_factory):
    return _run(tmp_path_factory, "policy", ["behaviour.cure_daily.M1=0.12"])


@pytest.fixture(scope="session")
def other_seed_run(tmp_path_factory):
    return _run(tmp_path_factory, "policy_seed7",
                ["behaviour.cure_daily.M1=0.12", "monte_carlo.seed=7"])


def cli(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    code = exit_code(list(args), monkeypatch)
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------------ figures


def test_every_figure_renders_without_warnings(base_run, policy_run):
    run, base = simulator.Run.open(policy_run), simulator.Run.open(base_run)
    figs = plots.all_figures(run, base)
    assert set(figs) >= {"dpd30_fan", "dpd90_fan", "buckets", "loss_distribution",
                         "roll_rates", "income", "vs_baseline"}
    for name, fig in figs.items():
        assert isinstance(fig, Figure), name
        fig.savefig(io.BytesIO(), format="png", dpi=40)  # warnings are errors under pytest


def test_roll_rates_are_flow_rates_of_bucket_principal(base_run):
    d = plots.RunData.from_run(simulator.Run.open(base_run))
    labels, starts, rates = plots.roll_rates(d)
    assert labels[0] == "M0→M1" and labels[-1] == "M6→CO"
    assert list(starts) == [0, 30, 60, 90]
    m0 = d.col("principal_M0")[:, [0]].sum()
    m1 = d.col("principal_M1")[:, [30]].sum()
    assert rates[0, 0] == pytest.approx(m1 / m0)
    assert np.all(rates[np.isfinite(rates)] >= 0)


def test_loss_measures_order():
    x = np.linspace(0, 1, 1001)
    m = plots.loss_measures(x)
    assert m["EL"] == pytest.approx(0.5)
    assert m["EL"] < m["VaR 99"] < m["VaR 99.9"] and m["ES 99"] >= m["VaR 99"]


# ------------------------------------------------------------------------------------- report


def test_pdf_has_the_pages_and_text(base_run, policy_run, tmp_path):
    from pypdf import PdfReader

    out = report.build_report(policy_run, baseline=base_run, out=tmp_path / "r.pdf")
    assert out == tmp_path / "r.pdf" and out.stat().st_size > 10_000
    assert not list(tmp_path.glob(".*tmp"))  # written atomically, nothing left behind
    pages = [p.extract_text() for p in PdfReader(out).pages]
    assert len(pages) >= 10
    text = "\n".join(pages)
    seed = str(simulator.Run.open(policy_run).manifest["seed"])
    assert "Stress-test report" in pages[0] and seed in pages[0] and "policy" in pages[0]
    assert "Executive summary" in pages[1] and "Baseline" in pages[1]
    for heading in ("30+ delinquency ratio over time", "Net loss rate distribution",
                    "Roll (flow) rates", "Regulatory view", "Five-category classification",
                    "IFRS 9 stages", "Assumptions", "Reproducibility", "Scenario against baseline"):
        assert heading in text, heading
    assert "overdue run " in text and "scenario.yaml" in text
    manifest = simulator.Run.open(policy_run).manifest
    assert manifest["files"]["paths.parquet"] in text.replace("\n", "")


def test_report_cli_default_output_and_html_is_self_contained(base_run, capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "report", str(base_run), "--format", "html")
    assert code == 0
    html = (base_run / "report.html").read_text(encoding="utf-8")
    assert out.strip() == str(base_run / "report.html")
    assert "Executive summary" in html and html.count("data:image/png;base64,") >= 6
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|/|\.\.?/)""", html)
    assert "<link" not in html and "<script" not in html


def test_report_cli_bad_input_exits_2(base_run, tmp_path, capsys, monkeypatch):
    code, _, err = cli(capsys, monkeypatch, "report", str(tmp_path / "missing"))
    assert code == 2 and "does not exist" in err
    code, _, err = cli(capsys, monkeypatch, "report", str(base_run), "--format", "docx")
    assert code == 2


def test_fonts_report_which_font_renders_cjk():
    from simulator.reporting import fonts

    info = fonts.find_cjk_font()
    assert ("Chinese text is set in" in info.note()) == info.renders_cjk
    assert fonts.has_cjk("五级分类") and not fonts.has_cjk("M0")


# ------------------------------------------------------------------------------------ compare


def test_paired_interval_is_narrower_than_unpaired(base_run, policy_run, other_seed_run):
    result = compare.compare([base_run, policy_run, other_seed_run],
                             rows=[("net_loss_rate", "mean")])
    assert [r["paired_with_first"] for r in result["runs"]] == [None, True, False]
    d_paired, d_unpaired = result["rows"][0]["diffs"][1:]
    assert d_paired["method"] == "paired (common random numbers)"
    assert d_unpaired["method"].startswith("unpaired (Welch)")
    a = compare.RunInfo.load(base_run).columns["net_loss_rate"]
    b = compare.RunInfo.load(policy_run).columns["net_loss_rate"]
    welch_same_pair = compare.difference(a, b, "mean", is_paired=False)
    width = d_paired["ci_high"] - d_paired["ci_low"]
    assert width < welch_same_pair["ci_high"] - welch_same_pair["ci_low"]
    assert d_paired["ci_low"] <= d_paired["difference"] <= d_paired["ci_high"]


def test_compare_formats_and_exit_codes(base_run, policy_run, capsys, monkeypatch):
    code, out, _ = cli(capsys, monkeypatch, "compare", str(base_run), str(policy_run))
    assert code == 0 and "paired (common random numbers)" in out and "net_loss_rate@mean" in out
    code, out, _ = cli(capsys, monkeypatch, "compare", str(base_run), str(policy_run),
                       "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["runs"][1]["paired_with_first"] is True
    code, out, _ = cli(capsys, monkeypatch, "compare", str(base_run), str(policy_run),
                       "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("metric,stat,unit,run")
    # a loose limit passes, a zero limit on a metric that surely moved fails with exit 1
    code, _, _ = cli(capsys, monkeypatch, "compare", str(base_run), str(policy_run),
                     "--max-change", "net_loss_rate@mean=10")
    assert code == 0
    code, _, err = cli(capsys, monkeypatch, "compare", str(base_run), str(policy_run),
                       "--max-change", "penalty_income@mean=0")
    assert code == 1 and "penalty_income@mean" in err
    code, _, _ = cli(capsys, monkeypatch, "compare", str(base_run), str(base_run),
                     "--max-change", "net_loss_rate@p99=0")
    assert code == 0  # a run against itself never moves


@pytest.mark.parametrize("args", [
    ["MISSING"],
    ["BASE", "--max-change", "no_such_metric@mean=0.1"],
    ["BASE", "--max-change", "net_loss_rate@p42=0.1"],
    ["BASE", "--max-change", "net_loss_rate@mean"],
    ["BASE", "--format", "xml"],
])
def test_compare_bad_input_exits_2(base_run, tmp_path, capsys, monkeypatch, args):
    args = [str(base_run) if a == "BASE" else str(tmp_path / "nope") if a == "MISSING" else a
            for a in args]
    code, _, err = cli(capsys, monkeypatch, "compare", *args)
    assert code == 2 and err.startswith("error:")


def test_parse_metric_errors_are_input_errors():
    with pytest.raises(InputError):
        compare.parse_metric("nonsense@mean")
    assert compare.parse_metric("net_loss_rate") == ("net_loss_rate", "mean")
