"""`--set key.path=value` overrides, applied to the raw mapping before validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.errors import InputError
from simulator.scenario import apply_overrides, load_scenario, parse_scenario

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"

TWO = "name: t\nbook:\n  segments:\n    - {name: a, share: 0.5}\n    - {name: b, share: 0.5}\n"


def test_values_are_applied() -> None:
    s = load_scenario(
        BASELINE,
        ["book.borrowers=5000", "monte_carlo.seed=7", "monte_carlo.paths=3", "horizon_days=30",
         "contract.penalty_multiplier=1.3", "as_of=2026-03-01", "description=a b c"],
    )
    assert s.book.borrowers == 5000 and s.monte_carlo.seed == 7 and s.monte_carlo.paths == 3
    assert s.horizon_days == 30 and s.contract.penalty_multiplier == 1.3
    assert str(s.as_of) == "2026-03-01" and s.description == "a b c"


def test_off_and_null_switch_day_counts_off() -> None:
    s = load_scenario(BASELINE, ["contract.acceleration_dpd=off", "contract.charge_off_dpd=null"])
    assert s.contract.acceleration_dpd is None and s.contract.charge_off_dpd is None


def test_list_index_and_lists() -> None:
    s = parse_scenario(
        TWO,
        overrides=[
            "book.segments[0].share=0.25", "book.segments[1].share=0.75",
            "book.segments[1].drawdowns=[0.5, 0.5]",
            "shocks=[{income: {segments: [b], change: -0.1}}]",
            "shocks[0].income.start_month=2",
            "book.segments[0].principal.lognormal.median=5000",
        ],
    )
    assert [seg.share for seg in s.book.segments] == [0.25, 0.75]
    assert s.book.segments[1].drawdowns == [0.5, 0.5]
    assert s.shocks[0].income.segments == ["b"] and s.shocks[0].income.start_month == 2
    assert s.book.segments[0].principal.lognormal.median == 5000
    assert s.book.segments[0].principal.lognormal.sigma == 0.6  # the rest of the default kept
    assert s.book.segments[0].principal.max == 300000


def test_missing_sections_are_created() -> None:
    s = parse_scenario(TWO, overrides=["behaviour.cure_daily.M2=0.05", "recovery.rate=0.2"])
    assert s.behaviour.cure_daily["M2"] == 0.05 and s.behaviour.cure_daily["M1"] == 0.06
    assert s.recovery.rate == 0.2


def test_later_overrides_win_and_the_value_may_contain_equals() -> None:
    s = parse_scenario(TWO, overrides=["horizon_days=10", "horizon_days=20", "description=x=y"])
    assert s.horizon_days == 20 and s.description == "x=y"


def test_apply_overrides_on_a_raw_mapping() -> None:
    data = {"name": "t"}
    applied = apply_overrides(data, ["monte_carlo.seed=5", "book.borrowers=1_000"])
    # a section missing from the file starts from its schema default
    assert data == {"name": "t", "monte_carlo": {"paths": 200, "seed": 5},
                    "book": {"borrowers": 1000}}
    assert applied == {("monte_carlo", "seed"): "monte_carlo.seed=5",
                       ("book", "borrowers"): "book.borrowers=1_000"}


@pytest.mark.parametrize(
    ("override", "path", "message"),
    [
        ("book.borower=5", "book.borower", "unknown key 'borower' (did you mean 'borrowers'?)"),
        ("nope=1", "nope", "unknown key 'nope'"),
        ("book.segments[5].share=1", "book.segments[5].share", "index 5 is out of range"),
        ("book.segments.share=1", "book.segments.share", "book.segments is a list: pick an item"),
        ("horizon_days.x=1", "horizon_days.x", "horizon_days has no keys below it"),
        ("behaviour.cure_daily.M9=0.1", "behaviour.cure_daily.M9", "unknown key 'M9'"),
        ("monte_carlo[0]=1", "monte_carlo[0]", "monte_carlo is not a list"),
    ],
)
def test_bad_override_path(override: str, path: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_scenario(TWO, overrides=[override])
    assert info.value.path == path
    assert message in info.value.message
    assert override in info.value.message


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("book.borrowers", "has no '='"),
        ("=5", "has no key before '='"),
        ("book..borrowers=5", "bad key path"),
        ("book.segments[x].share=5", "bad key path"),
        ("description=[1, 2", "cannot read the value"),
    ],
)
def test_malformed_override(override: str, message: str) -> None:
    with pytest.raises(InputError, match="--set") as info:
        parse_scenario(TWO, overrides=[override])
    assert message in info.value.message


def test_an_invalid_value_from_set_says_so_and_has_no_file_line() -> None:
    with pytest.raises(InputError) as info:
        load_scenario(BASELINE, ["book.borrowers=0"])
    err = info.value
    assert err.path == "book.borrowers" and err.line is None
    assert err.message == "must be >= 1, got 0 (from --set book.borrowers=0)"


def test_the_override_into_a_non_mapping_in_the_file() -> None:
    with pytest.raises(InputError, match="book is not a mapping in the file"):
        parse_scenario("name: t\nbook: 5\n", overrides=["book.borrowers=1"])
