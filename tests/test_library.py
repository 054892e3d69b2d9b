"""`overdue library`: targets as a scenario states them, the table built from measured figures,
the README block between its markers, and the command end to end on a tiny temporary library
(300 borrowers x 3 paths x 60 days, seed 20261129)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from pydantic import BaseModel, ValidationError

import simulator
from simulator.analysis.summary import derive_tables
from simulator.errors import InputError
from simulator.scenario import Scenario
from simulator.scenario.targets import Target
from simulator.studies import library as L
from tests.analysis.tiny_timeseries import table
from tests.cli_helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]
HOOKED = "targets" in Scenario.model_fields


def _target(**kw) -> Target:
    spec = dict(metric="dpd90_ratio", statistic="mean", day=365, value=0.0105,
                tolerance=0.001, source="Ant Group 2020 prospectus, 90+ end-2019")
    return Target(**(spec | kw))


# --------------------------------------------------------------------------------------------
# Targets


@pytest.mark.parametrize("change, message", [
    (dict(metric="dpd90"), "dpd90 is not a day metric"),
    (dict(statistic="p42"), "unknown statistic 'p42'"),
    (dict(day=None), "is read on a day: give `day`"),
    (dict(metric="dpd90_end"), "remove `day`"),
    (dict(tolerance=-0.1), "greater than or equal to 0"),
    (dict(source=""), "at least 1 character"),
])
def test_a_target_names_a_known_figure(change, message):
    with pytest.raises(ValidationError, match=message):
        _target(**change)


def test_a_per_path_metric_takes_no_day():
    t = _target(metric="nine_quarter_loss_rate", day=None, statistic="p95")
    assert t.figure() == "nine_quarter_loss_rate@p95" and t.unit == "ratio"
    assert _target().figure() == "dpd90_ratio@mean, day 365"
    assert _target(metric="outstanding_principal").unit == "yuan"


@pytest.mark.parametrize("target, where, message", [
    (dict(metric="dpd90", day=None), "targets[1].metric", "unknown metric 'dpd90'"),
    (dict(day=400), "targets[1].day", "day 400 is past horizon_days (365)"),
])
def test_targets_are_checked_against_the_metrics_and_the_horizon(target, where, message):
    scenario = SimpleNamespace(horizon_days=365, targets=[_target(), _target(**target)])
    with pytest.raises(InputError, match=re.escape(message)) as err:
        L.check_targets(scenario, "s.yaml")
    assert err.value.path == where and err.value.source == "s.yaml"
    L.check_targets(SimpleNamespace(horizon_days=400, targets=[_target(day=400)]), "s.yaml")


def test_a_misplaced_day_is_located_below_the_target():
    class Holder(BaseModel):
        targets: list[Target]

    with pytest.raises(ValidationError) as err:
        Holder(targets=[_target(), dict(metric="dpd90_end", day=3, value=0.01, tolerance=0,
                                        source="x")])
    e = err.value.errors()[0]
    assert e["loc"] == ("targets", 1) and e["ctx"]["error"].where == ("day",)


@pytest.mark.skipif(not HOOKED, reason="Scenario has no targets key yet")
def test_targets_load_from_yaml_through_the_loader(tmp_path):
    text = (ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8")
    text = text.split("\ntargets:")[0]  # the file's own targets replaced by the test's
    path = tmp_path / "t.yaml"
    path.write_text(text + "\ntargets:\n  - {metric: dpd30_ratio, day: 365, value: 0.0156,"
                    " tolerance: 0.00156, source: Ant 2019}\n", encoding="utf-8")
    sc = simulator.load_scenario(path)
    assert L.targets_of(sc) == (_target(metric="dpd30_ratio", value=0.0156, tolerance=0.00156,
                                        source="Ant 2019"),)
    path.write_text(text + "\ntargets:\n  - {metric: dpd30_ratio, value: 0.0156,"
                    " tolerance: 0.001, source: Ant 2019}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"targets\[0\]\.day"):
        simulator.load_scenario(path)


# --------------------------------------------------------------------------------------------
# Measuring and judging


def test_measure_takes_the_statistic_and_its_error_by_hand():
    # 4 paths, days 0..2, one segment: 90+ on day 2 is 0, 10, 20, 30 of 100 on book
    m4 = np.zeros((4, 3, 1))
    m4[:, 2, 0] = [0, 10, 20, 30]
    m0 = 100 - m4
    tables = derive_tables(table(4, 3, ["s"], principal_M0=m0, principal_M4=m4))
    (got,) = L.measure(tables, [_target(day=2, value=0.1, tolerance=0.0)])
    # ratios 0, .1, .2, .3: mean .15, sample sd sqrt(((.15^2 + .05^2) * 2) / 3), se sd / 2
    assert got.estimate == pytest.approx(0.15, rel=1e-14)
    assert got.se == pytest.approx(math.sqrt(0.05 / 3) / 2, rel=1e-12)
    # |0.15 - 0.10| = 0.05 against 0 + 0.0645: inside; a target of 0.05 misses by 0.10
    assert got.inside
    (far,) = L.measure(tables, [_target(day=2, value=0.05, tolerance=0.0)])
    assert not far.inside


@pytest.mark.parametrize("estimate, se, inside", [
    (0.0118, 0.0004, True),     # misses by 0.0013 <= 0.001 + 0.0004
    (0.0120, 0.0004, False),    # misses by 0.0015 > 0.0014
    (0.0092, 0.0004, True),     # below the target just as well
    (0.0114, math.nan, True),   # no error estimate: the tolerance alone
    (0.0116, math.nan, False),
])
def test_inside_means_within_tolerance_plus_one_standard_error(estimate, se, inside):
    assert L.Measured(_target(), estimate, se).inside is inside


def test_the_table_from_a_dict_of_targets():
    targets = {"dpd90_ratio": _target(), "nine_quarter_loss_rate": _target(
        metric="nine_quarter_loss_rate", day=None, value=0.165, tolerance=0.0685,
        source="Fed DFAST 2025 | card loss range")}
    entries = [
        L.Entry("baseline", "scenarios/baseline.yaml", L.Size(100_000, 200), 365, (
            L.Measured(targets["dpd90_ratio"], 0.0120, 0.0004),)),
        L.Entry("fed_severely_adverse", "scenarios/fed_severely_adverse.yaml",
                L.Size(50_000, 50), 810, (L.Measured(targets["nine_quarter_loss_rate"],
                                                     0.095, 0.005),)),
        L.Entry("rate_shock", "scenarios/rate_shock.yaml", L.Size(100_000, 100), 365, ()),
    ]
    block = L.render(entries)
    assert block.startswith(L.BEGIN) and block.endswith(L.END)
    assert "Not the shipped size" not in block
    rows = [line for line in block.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[1] == ("| baseline | 100,000 x 200 | `dpd90_ratio@mean, day 365` | "
                       "1.200% ± 0.040% | 1.050% ± 0.100% | Ant Group 2020 prospectus, 90+ "
                       "end-2019 | **outside** | `overdue run scenarios/baseline.yaml` |")
    # 0.095 is 0.070 below 0.165: within 0.0685 + 0.005
    assert rows[2].endswith("| 9.500% ± 0.500% | 16.500% ± 6.850% | Fed DFAST 2025 \\| card "
                            "loss range | inside | `overdue run "
                            "scenarios/fed_severely_adverse.yaml` |")
    assert "| rate_shock | 100,000 x 100 | — | — | no `targets:` in the file |" in rows[3]
    quick = L.render(entries, L.override_note(2000, 4))
    assert "**Not the shipped size:** `overdue library --borrowers 2,000 --paths 4`" in quick


def test_the_block_is_replaced_between_its_markers_only():
    text = f"# Library\n\nprose\n{L.BEGIN}\nold\n{L.END}\nafter\n"
    assert L.replace(text, f"{L.BEGIN}\nnew\n{L.END}", "R") == (
        f"# Library\n\nprose\n{L.BEGIN}\nnew\n{L.END}\nafter\n")
    for bad in ("no markers", f"{L.END}\n{L.BEGIN}", f"{L.BEGIN}\n{L.BEGIN}\n{L.END}"):
        with pytest.raises(InputError, match="markers"):
            L.split(bad, "R")


# --------------------------------------------------------------------------------------------
# The command, on a tiny library in tmp_path


@pytest.fixture
def tiny_library(tmp_path, monkeypatch) -> Path:
    """One scenario (the baseline at 300 x 3, 60 days) whose target is its day-30 30+ ratio."""
    folder = tmp_path / "lib"
    folder.mkdir()
    sc = simulator.load_scenario(ROOT / "scenarios" / "baseline.yaml", [
        "name=tiny", "horizon_days=60", "book.borrowers=300", "monte_carlo.paths=3"])
    spec = yaml.safe_load(sc.to_yaml())
    if HOOKED:
        spec["targets"] = [dict(metric="dpd30_ratio", statistic="mean", day=30, value=0.02,
                                tolerance=0.005, source="hand")]
    (folder / "tiny.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    (folder / "README.md").write_text(f"# Tiny\n\n{L.BEGIN}\n{L.END}\n\nNotes.\n",
                                      encoding="utf-8")
    target = _target(metric="dpd30_ratio", day=30, value=0.02, tolerance=0.005, source="hand")
    if not HOOKED:  # until Scenario has its targets key, the files' targets come from here
        monkeypatch.setattr(L, "targets_of", lambda scenario: (target,))
    return folder


def test_library_writes_then_checks_its_table(tiny_library):
    readme = tiny_library / "README.md"
    code, out = run_cli(["library", "--scenarios", str(tiny_library), "--threads", "1"])
    assert code == 0, out
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Tiny\n\n") and text.endswith("\n\nNotes.\n")
    row = next(line for line in text.splitlines() if line.startswith("| tiny |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:3] == ["tiny", "300 x 3", "`dpd30_ratio@mean, day 30`"]
    # the simulated figure, from the run's principal by bucket: 30+ = M2..M6 over M0..M6
    sc = simulator.load_scenario(tiny_library / "tiny.yaml")
    ts = simulator.simulate(sc, threads=1)[0]["timeseries"].to_pydict()
    late = {}
    for i, day in enumerate(ts["day"]):
        if day == 30:
            p = ts["path"][i]
            on = sum(ts[f"principal_M{k}"][i] for k in range(7))
            bad = sum(ts[f"principal_M{k}"][i] for k in range(2, 7))
            a, b = late.get(p, (0.0, 0.0))
            late[p] = (a + bad, b + on)
    ratios = np.array([a / b for a, b in late.values()])
    assert cells[3] == (f"{100 * ratios.mean():.3f}% ± "
                        f"{100 * ratios.std(ddof=1) / math.sqrt(3):.3f}%")
    within = abs(ratios.mean() - 0.02) <= 0.005 + ratios.std(ddof=1) / math.sqrt(3)
    assert cells[6] == ("inside" if within else "**outside**")
    assert "`overdue run" in cells[7] and "tiny.yaml" in cells[7]

    code, out = run_cli(["library", "--scenarios", str(tiny_library), "--check", "-q"])
    assert code == 0 and "matches" in out, out
    readme.write_text(text.replace("| tiny |", "| tiny edited |"), encoding="utf-8")
    code, out = run_cli(["library", "--scenarios", str(tiny_library), "--check", "-q"])
    assert code == 1 and "differs" in out and "+| tiny |" in out, out
    assert "| tiny edited |" in readme.read_text(encoding="utf-8")  # --check writes nothing


def test_library_at_another_size_says_so(tiny_library):
    code, out = run_cli(["library", "--scenarios", str(tiny_library), "--paths", "2", "-q"])
    assert code == 0, out
    text = (tiny_library / "README.md").read_text(encoding="utf-8")
    assert "**Not the shipped size:** `overdue library --paths 2`" in text
    assert "| tiny | 300 x 2 |" in text


@pytest.mark.parametrize("args, message", [
    (["--paths", "-1"], "--paths"),
    (["--out", "missing.md"], "missing.md: does not exist"),
])
def test_library_bad_input_exits_2(tiny_library, args, message):
    code, out = run_cli(["library", "--scenarios", str(tiny_library), *args], cwd=tiny_library)
    assert code == 2 and message in out, out


def test_library_refuses_a_readme_without_markers_before_running(tiny_library):
    (tiny_library / "README.md").write_text("# no table here\n", encoding="utf-8")
    code, out = run_cli(["library", "--scenarios", str(tiny_library)])
    assert code == 2 and "markers" in out and "tiny:" not in out, out


def test_shipped_readme_has_the_markers():
    L.split((ROOT / "scenarios" / "README.md").read_text(encoding="utf-8"), "README")
