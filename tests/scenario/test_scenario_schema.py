"""The shipped baseline, defaults, round trips, and shock timing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from simulator.errors import InputError
from simulator.scenario import BUCKETS, Scenario, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

MINIMAL = "name: t\nbook:\n  segments:\n    - {name: a, share: 1}\n"


def test_baseline_validates_with_its_documented_values() -> None:
    s = load_scenario(BASELINE)
    assert s.name == "baseline"
    assert s.book.borrowers == 100_000
    assert s.monte_carlo.paths == 200 and s.monte_carlo.seed == 20261129
    assert s.horizon_days == 365
    assert [seg.name for seg in s.book.segments] == ["salaried", "self_employed", "gig"]
    assert sum(seg.share for seg in s.book.segments) == pytest.approx(1.0, abs=1e-12)
    assert s.book.burn_in_months > 0 and s.macro.factor_start == 0  # the model's own day 0
    assert s.shocks == []


def test_round_trip_is_exact_and_stable() -> None:
    s = load_scenario(BASELINE)
    text = s.to_yaml()
    again = parse_scenario(text)
    assert again == s
    assert again.to_yaml() == text
    assert again.sha256() == s.sha256()
    assert len(s.sha256()) == 64


def test_round_trip_with_shocks_paths_tape_and_off(tmp_path: Path) -> None:
    tape = tmp_path / "tape.csv"
    tape.write_text("loan_id\n1\n")
    text = (
        "name: 压力.test-1\n"
        "book: {tape: tape.csv}\n"
        "contract: {acceleration_dpd: off, charge_off_dpd: 120, schedule_period: calendar}\n"
        "shocks:\n"
        "  - income: {change: -0.08, start_month: 1, ramp_months: 6, hold_months: 6}\n"
        "  - unemployment: {path: [0.5, 1.0, 1.5]}\n"
        "  - rate: {change_bp: 100, revert_months: 3, hold_months: 2}\n"
    )
    s = parse_scenario(text, base_dir=tmp_path)
    assert s.book.tape == str(tape.resolve())
    assert s.contract.acceleration_dpd is None and s.contract.schedule_period == "calendar"
    again = parse_scenario(s.to_yaml(), base_dir=Path("/nonexistent"))
    assert again == s
    assert "unemployment:" in s.to_yaml() and "income: null" not in s.to_yaml()


def test_defaults_are_filled_and_written_out() -> None:
    s = parse_scenario(MINIMAL)
    seg = s.book.segments[0]
    assert s.description == "" and s.horizon_days == 365 and s.as_of == date(2026, 1, 1)
    assert (s.monte_carlo.paths, s.monte_carlo.seed) == (200, 20261129)
    assert seg.share == 1.0 and isinstance(seg.share, float)
    assert (seg.daily_rate, seg.term_months, seg.method) == (0.0004, 12, "equal_installment")
    assert seg.principal.kind == "lognormal"
    assert (seg.principal.lognormal.median, seg.principal.lognormal.sigma) == (8000, 0.6)
    assert (seg.principal.min, seg.principal.max) == (1000, 300000)
    assert (seg.monthly_income.lognormal.median, seg.monthly_income.min) == (9000, 500)
    assert seg.drawdowns == [1.0]
    assert list(seg.initial_buckets) == list(BUCKETS)
    assert seg.initial_buckets["M0"] == 1.0 and sum(seg.initial_buckets.values()) == 1.0
    c = s.contract
    assert (c.penalty_multiplier, c.compound_interest, c.late_fee) == (1.5, True, 0.0)
    assert (c.acceleration_dpd, c.charge_off_dpd, c.allocation) == (90, 180, "default")
    assert (c.schedule_period, c.enforceable_apr_cap, c.non_accrual_dpd) == (30, 0.24, 90)
    b = s.behaviour
    assert b.cure_daily == {"M1": 0.06, "M2": 0.02, "M3": 0.01, "M4": 0.005, "M5": 0.003,
                            "M6": 0.002}
    assert b.partial_daily["M6"] == 0.001 and b.prepayment_monthly == 0.02
    assert (s.recovery.rate, s.recovery.lag_days) == (0.10, 180)
    assert s.policy.collection is None and s.policy.restructuring is None
    text = s.to_yaml()
    for key in ("horizon_days: 365", "seed: 20261129", "charge_off_dpd: 180", "lag_days: 180",
                "non_accrual_dpd: 90", "M6: 0.002", "collection: null"):
        assert key in text


def test_missing_bucket_hazards_take_their_own_default() -> None:
    s = parse_scenario(MINIMAL + "behaviour: {cure_daily: {M1: 0.1}, partial_daily: {M3: 0}}\n")
    assert s.behaviour.cure_daily == {"M1": 0.1, "M2": 0.02, "M3": 0.01, "M4": 0.005,
                                      "M5": 0.003, "M6": 0.002}
    assert s.behaviour.partial_daily["M3"] == 0.0 and s.behaviour.partial_daily["M1"] == 0.02


def test_underscored_numbers_cjk_names_and_off() -> None:
    s = parse_scenario(
        "name: 温和衰退\nbook:\n  borrowers: 200_000\n  segments: [{name: 工薪, share: 1}]\n"
        "contract: {acceleration_dpd: off, charge_off_dpd: OFF}\n"
    )
    assert s.book.borrowers == 200_000 and s.book.segments[0].name == "工薪"
    assert s.contract.acceleration_dpd is None and s.contract.charge_off_dpd is None


def test_models_are_frozen() -> None:
    s = parse_scenario(MINIMAL)
    with pytest.raises(Exception, match="frozen"):
        s.horizon_days = 10  # type: ignore[misc]


def test_built_in_python_too() -> None:
    s = Scenario(name="py", book={"segments": [{"name": "a", "share": 1.0}]})
    assert s == parse_scenario(MINIMAL.replace("name: t", "name: py"))


def _shock(body: str):
    return parse_scenario(MINIMAL + f"shocks:\n  - {body}\n").shocks[0]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a step from month 0, held for ever
        ("rate: {change_bp: 100}", [100, 100, 100, 100, 100]),
        # starts at month 2, no ramp: full at once from month 2
        ("rate: {change_bp: 100, start_month: 2}", [0, 0, 100, 100, 100]),
        # ramp of 4 months from month 1: 0 at 1, 25 at 2, ..., full at 5
        ("rate: {change_bp: 100, start_month: 1, ramp_months: 4}",
         [0, 0, 25, 50, 75, 100, 100, 100]),
        # held 2 months, then off at once
        ("unemployment: {change_pp: 1.5, start_month: 1, hold_months: 2}", [0, 1.5, 1.5, 0, 0]),
        # the reference's example: 0, 0, 1, 2, 2, 2, 2, 1, 0
        ("unemployment: {change_pp: 2.0, start_month: 1, ramp_months: 2, hold_months: 3,"
         " revert_months: 2}", [0, 0, 1, 2, 2, 2, 2, 1, 0, 0]),
        # DESIGN.md's gig income shock: -8% over 6 months from month 1, held 6, then off
        ("income: {change: -0.08, start_month: 1, ramp_months: 6, hold_months: 6}",
         [0, 0, -0.08 / 6, -0.08 * 2 / 6, -0.04, -0.08 * 4 / 6, -0.08 * 5 / 6]
         + [-0.08] * 6 + [0, 0]),
        # hold 0 with a ramp: rises and drops before it peaks
        ("rate: {change_bp: 100, ramp_months: 2, hold_months: 0}", [0, 50, 0, 0]),
        # a path: values by month, the last one held
        ("income: {path: [-0.01, -0.02, -0.05]}", [-0.01, -0.02, -0.05, -0.05, -0.05]),
    ],
)
def test_value_at_month_hand_computed(body: str, expected: list[float]) -> None:
    shock = _shock(body)
    got = [shock.value_at_month(m) for m in range(len(expected))]
    assert got == pytest.approx(expected, abs=1e-15)
    assert shock.value_at_month(-1) == 0.0


def test_shock_kind_and_spec() -> None:
    shock = _shock("income: {segments: [a], change: -0.1}")
    assert shock.kind == "income" and shock.spec.segments == ["a"]
    assert shock.spec.value_at_month(0) == -0.1


def test_amount_kinds_and_clipping_bounds() -> None:
    s = parse_scenario(
        "name: t\nbook:\n  segments:\n    - name: a\n      share: 1\n"
        "      principal: {fixed: 5000}\n"
        "      monthly_income: {uniform: {low: 3000, high: 6000}, min: 100, max: 7000}\n"
    )
    seg = s.book.segments[0]
    assert seg.principal.kind == "fixed" and seg.principal.fixed == 5000
    assert (seg.principal.min, seg.principal.max) == (1000, 300000)
    assert seg.monthly_income.kind == "uniform" and seg.monthly_income.uniform.high == 6000
    assert parse_scenario(s.to_yaml()) == s


def test_every_failure_is_an_input_error() -> None:
    with pytest.raises(InputError):
        parse_scenario("name: t\n")
