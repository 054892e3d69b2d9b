"""Driver attribution: Shapley values equal their closed forms on toy metrics, sequential parts
follow the stated order, and on a real run the parts add up to the total change exactly."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

import simulator
from simulator.analysis import metrics as M
from simulator.errors import InputError
from simulator.studies import attribution as A
from tests.cli_helpers import exit_code
from tests.quick_book import QUICK

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
MODERATE = SCENARIOS / "pboc_moderate.yaml"
SMALL = ["book.borrowers=2000", "monte_carlo.paths=4", "horizon_days=90", *QUICK]
# three shocks, one of each kind, in this order: unemployment, income, factor
THREE = [*SMALL, "shocks=[{unemployment: {change_pp: 2.0}}, {income: {change: -0.1}}, "
         "{factor: {change_sd: -0.5}}]"]


def _kinds(sc) -> set[str]:
    return {s.kind for s in sc.shocks}


def test_additive_metric_gets_each_driver_its_own_effect():
    weight = {"unemployment": 0.125, "income": 0.25, "factor": 0.5}  # exact in binary
    r = A.attribute(MODERATE, sets=THREE,
                    evaluate=lambda sc: 1.0 + sum(weight[k] for k in _kinds(sc)))
    assert r.method == "shapley" and r.runs == 8
    assert [d.name.split()[1] for d in r.drivers] == ["unemployment", "income", "factor"]
    assert r.parts == [Fraction(1, 8), Fraction(1, 4), Fraction(1, 2)]
    assert (r.base, r.full) == (1.0, 1.875)


def test_shapley_closed_forms_with_interaction():
    # f(S) = |S|^2: symmetric, each of 3 drivers gets 9 / 3 = 3
    r = A.attribute(MODERATE, sets=THREE, evaluate=lambda sc: float(len(sc.shocks)) ** 2)
    assert r.parts == [3, 3, 3]
    # f = 1 only when unemployment and income are both on: they split it, factor gets 0
    r = A.attribute(MODERATE, sets=THREE,
                    evaluate=lambda sc: float({"unemployment", "income"} <= _kinds(sc)))
    assert r.parts == [Fraction(1, 2), Fraction(1, 2), 0]


def test_parts_add_up_to_the_total_to_the_last_digit_with_inexact_floats():
    # 0.1, 0.2, 0.7 are not binary fractions: float sums round, the exact parts still add up
    weight = {"unemployment": 0.1, "income": 0.2, "factor": 0.7}
    r = A.attribute(MODERATE, sets=THREE, evaluate=lambda sc: sum(
        weight[k] * (1 + 0.3 * len(sc.shocks)) for k in _kinds(sc)))
    assert sum(r.parts) == Fraction(r.full) - Fraction(r.base)
    shown, total = r.shown(6)  # rounded to 6 decimals, still adding up
    assert sum(shown) == total
    assert abs(total - r.total) <= Fraction(1, 2 * 10**6)
    assert all(abs(a - b) < Fraction(1, 10**6) for a, b in zip(shown, r.parts, strict=True))


def test_more_than_six_drivers_go_sequentially_in_the_scenario_order():
    shocks = "[" + ", ".join(f"{{unemployment: {{change_pp: {k}.0}}}}" for k in range(1, 8)) + "]"
    r = A.attribute(MODERATE, sets=[*SMALL, f"shocks={shocks}"], evaluate=lambda sc: sum(
        s.unemployment.change_pp for s in sc.shocks) ** 2)
    assert r.method == "sequential" and r.runs == 8
    cum = [k * (k + 1) // 2 for k in range(8)]  # 1 + .. + k
    assert r.parts == [cum[k] ** 2 - cum[k - 1] ** 2 for k in range(1, 8)]


def test_levers_switch_off_to_the_baseline_value():
    after, before = SCENARIOS / "case_study_after.yaml", SCENARIOS / "case_study_before.yaml"
    base = simulator.load_scenario(before)
    seen = []

    def evaluate(sc):
        seen.append(sc)
        return 0.0

    r = A.attribute(after, baseline=before, sets=SMALL, evaluate=evaluate)
    names = [d.name for d in r.drivers]
    assert names == ["policy.underwriting", "policy.restructuring", "policy.collection",
                     "policy.legal"]
    off = next(sc for sc in seen if all(getattr(sc.policy, n.split(".")[1]) ==
                                        getattr(base.policy, n.split(".")[1]) for n in names))
    assert off.monte_carlo.seed == simulator.load_scenario(after).monte_carlo.seed
    assert len(seen) == 16


def test_refuses_a_baseline_with_shocks_and_a_scenario_without_drivers():
    with pytest.raises(InputError, match="baseline has shocks"):
        A.attribute(MODERATE, baseline=SCENARIOS / "pboc_light.yaml", sets=SMALL,
                    evaluate=lambda sc: 0.0)
    with pytest.raises(InputError, match="nothing to attribute"):
        A.attribute(SCENARIOS / "baseline.yaml", sets=SMALL, evaluate=lambda sc: 0.0)


def test_command_on_a_real_run_adds_up_exactly(tmp_path, monkeypatch):
    out, pdf = tmp_path / "attr.json", tmp_path / "attr.pdf"
    argv = ["attribute", str(MODERATE), "--metric", "dpd30_end@mean", "--borrowers", "2000",
            "--paths", "4", "--set", "horizon_days=90", "--json", str(out), "--report",
            str(pdf), "-q", "--threads", "1"]
    assert exit_code(argv, monkeypatch) == 0
    rec = json.loads(out.read_text(encoding="utf-8"))
    parts = [Fraction(p["exact"]) for p in rec["parts"]]
    assert sum(parts) == Fraction(rec["total_exact"]) == Fraction(rec["full"]) - Fraction(
        rec["base"])
    # all on is the scenario itself: the same draws give the same value as a plain run
    sc = simulator.load_scenario(MODERATE, ["book.borrowers=2000", "monte_carlo.paths=4",
                                            "horizon_days=90"])
    tables, _ = simulator.simulate(sc, threads=1)
    assert rec["full"] == M.stat(M.compute(tables, ["dpd30_end"])["dpd30_end"], "mean")
    assert pdf.read_bytes()[:5] == b"%PDF-"
