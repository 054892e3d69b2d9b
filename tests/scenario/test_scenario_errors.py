"""Every class of bad input gives one InputError naming the key path, the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.errors import InputError
from simulator.scenario import load_scenario, parse_scenario

GOOD = """\
name: t
book:
  segments:
    - name: a
      share: 0.5
    - name: b
      share: 0.5
"""


def _err(text: str, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        parse_scenario(text, **kwargs)
    return info.value


@pytest.mark.parametrize(
    ("text", "path", "line", "message"),
    [
        pytest.param(
            GOOD.replace("      share: 0.5\n    - name: b", "      sahre: 0.5\n    - name: b"),
            "book.segments[0].sahre", 5, "unknown key 'sahre' (did you mean 'share'?)",
            id="unknown-key-suggestion",
        ),
        pytest.param(
            GOOD + "horizon: 30\n", "horizon", 8, "unknown key 'horizon' (did you mean",
            id="unknown-top-key",
        ),
        pytest.param(
            GOOD + "contract:\n  zzz: 1\n", "contract.zzz", 9,
            "unknown key 'zzz' (expected one of penalty_multiplier, compound_interest",
            id="unknown-key-no-close-match",
        ),
        pytest.param(
            GOOD.replace("share: 0.5\n    - name: b", "share: abc\n    - name: b"),
            "book.segments[0].share", 5, "expected a number, got 'abc'", id="wrong-type-number",
        ),
        pytest.param(
            GOOD.replace("share: 0.5\n    - name: b", "share: '0.5'\n    - name: b"),
            "book.segments[0].share", 5, "expected a number, got '0.5'", id="quoted-number",
        ),
        pytest.param(
            GOOD + "horizon_days: 10.5\n", "horizon_days", 8, "expected an integer, got 10.5",
            id="wrong-type-integer",
        ),
        pytest.param(
            GOOD + "monte_carlo: {paths: true}\n", "monte_carlo.paths", 8,
            "expected an integer, got true", id="bool-is-not-int",
        ),
        pytest.param(
            GOOD + "contract: {compound_interest: 1}\n", "contract.compound_interest", 8,
            "expected true or false, got 1", id="int-is-not-bool",
        ),
        pytest.param(
            GOOD + "book2: 1\n".replace("book2: 1", "contract: [1, 2]"), "contract", 8,
            "expected a mapping, got a list", id="list-for-mapping",
        ),
        pytest.param(
            GOOD.replace("      share: 0.5\n    - name: b",
                         "      share: 0.5\n      daily_rate: 0.5\n    - name: b"),
            "book.segments[0].daily_rate", 6, "must be <= 0.001, got 0.5", id="out-of-range",
        ),
        pytest.param(
            GOOD + "behaviour: {rho: .nan}\n", "behaviour.rho", 8, "must be a finite number",
            id="nan",
        ),
        pytest.param(
            GOOD.replace("share: 0.5\n    - name: b", "share: 0.6\n    - name: b"),
            "book.segments", 3, "segment shares must sum to 1, got 1.1", id="shares-sum",
        ),
        pytest.param(
            GOOD.replace("name: b", "name: a"), "book.segments[1].name", 6,
            "duplicate segment name 'a'", id="duplicate-segment",
        ),
        pytest.param(
            GOOD + "shocks:\n  - unemployment: {change_pp: 1}\n  - income: {segments: [a, gig],"
            " change: -0.1}\n",
            "shocks[1].income.segments[1]", 10, "unknown segment 'gig'", id="unknown-shock-segment",
        ),
        pytest.param(
            GOOD + "contract:\n  acceleration_dpd: 90\n  charge_off_dpd: 90\n",
            "contract.charge_off_dpd", 10, "charge-off before acceleration", id="charge-off-early",
        ),
        pytest.param(
            GOOD + "contract:\n  acceleration_dpd: on\n", "contract.acceleration_dpd", 9,
            "expected a number of days or off, got true", id="acceleration-on",
        ),
        pytest.param(
            GOOD + "contract: {schedule_period: monthly}\n", "contract.schedule_period", 8,
            "expected a number of days (7 to 31) or calendar, got 'monthly'", id="period-word",
        ),
        pytest.param(
            GOOD + "contract: {schedule_period: 45}\n", "contract.schedule_period", 8,
            "must be between 7 and 31 days", id="period-range",
        ),
        pytest.param(
            GOOD + "contract: {allocation: newest}\n", "contract.allocation", 8,
            "expected 'default', 'statute' or 'principal_first', got 'newest'", id="literal",
        ),
        pytest.param(
            GOOD + "behaviour:\n  cure_daily: {M7: 0.1}\n", "behaviour.cure_daily.M7", 9,
            "got 'M7'", id="unknown-bucket",
        ),
        pytest.param(
            GOOD + "behaviour:\n  cure_daily:\n    M1: 1.5\n", "behaviour.cure_daily.M1", 10,
            "must be between 0 and 1, got 1.5", id="hazard-range",
        ),
        pytest.param(
            GOOD + "shocks:\n  - rate: {change_bp: 10}\n    income: {change: -0.1}\n",
            "shocks[0]", 9, "give exactly one of income, unemployment, rate, factor",
            id="two-shocks",
        ),
        pytest.param(
            GOOD + "shocks:\n  - rate: {start_month: 2}\n", "shocks[0].rate", 9,
            "give change_bp (with optional timing) or path", id="shock-no-change",
        ),
        pytest.param(
            GOOD + "shocks:\n  - rate: {path: [1, 2], start_month: 2}\n",
            "shocks[0].rate.start_month", 9, "start_month has no meaning with path",
            id="path-and-timing",
        ),
        pytest.param(
            GOOD + "shocks:\n  - unemployment:\n      path:\n        - 1\n        - 60\n",
            "shocks[0].unemployment.path[1]", 12, "must be <= 50, got 60", id="path-value-range",
        ),
        pytest.param(
            GOOD + "shocks:\n  - income: {change: -1}\n", "shocks[0].income.change", 9,
            "must be > -1, got -1", id="income-change-minus-100pc",
        ),
        pytest.param(
            GOOD.replace("      share: 0.5\n    - name: b",
                         "      share: 0.5\n      principal: {fixed: 10, lognormal: "
                         "{median: 5, sigma: 1}}\n    - name: b"),
            "book.segments[0].principal", 6,
            "give exactly one of fixed, lognormal, uniform (got fixed and lognormal)",
            id="amount-two-kinds",
        ),
        pytest.param(
            GOOD.replace("      share: 0.5\n    - name: b",
                         "      share: 0.5\n      monthly_income:\n        uniform: {low: 9, "
                         "high: 5}\n    - name: b"),
            "book.segments[0].monthly_income.uniform.high", 7, "high (5) must be >= low (9)",
            id="uniform-order",
        ),
        pytest.param(
            GOOD.replace("      share: 0.5\n    - name: b",
                         "      share: 0.5\n      drawdowns: [0.5, 0.4]\n    - name: b"),
            "book.segments[0].drawdowns", 6, "drawdown probabilities must sum to 1, got 0.9",
            id="drawdowns-sum",
        ),
        pytest.param(
            GOOD.replace("      share: 0.5\n    - name: b",
                         "      share: 0.5\n      initial_buckets: {M0: 0.9, M1: 0.2}\n"
                         "    - name: b"),
            "book.segments[0].initial_buckets", 6, "initial bucket shares must sum to 1",
            id="buckets-sum",
        ),
        pytest.param(
            "name: a b\n" + GOOD[8:], "name", 1, "contains ' '", id="name-with-space",
        ),
        pytest.param(
            "name: x/y\n" + GOOD[8:], "name", 1, "contains '/'", id="name-with-slash",
        ),
        pytest.param(
            "name: no\n" + GOOD[8:], "name", 1, "expected text, got false (quote it",
            id="norway",
        ),
        pytest.param(
            GOOD + "policy:\n  restructuring: {dpd_from: 60, dpd_to: 30}\n",
            "policy.restructuring", 9, "dpd_to (30) must be >= dpd_from (60)",
            id="restructuring-window",
        ),
        pytest.param(
            "book: {segments: [{name: a, share: 1}]}\n", "name", 1,
            "missing required key 'name'", id="missing-name",
        ),
        pytest.param(
            "name: t\nbook: {borrowers: 10}\n", "book", 2,
            "give exactly one of tape and segments (got neither)", id="no-segments",
        ),
        pytest.param(
            "name: t\nbook:\n  segments: []\n", "book.segments", 3,
            "must have at least 1 item", id="empty-segments",
        ),
        pytest.param(
            GOOD + "as_of: tomorrow\n", "as_of", 8, "expected a date like 2026-01-01",
            id="date",
        ),
    ],
)
def test_bad_value(text: str, path: str, line: int, message: str) -> None:
    err = _err(text, source="s.yaml")
    assert err.path == path
    assert err.line == line
    assert message in err.message
    assert str(err).startswith(f"s.yaml:{line}: {path}: ")
    assert "pydantic" not in str(err) and "Input should" not in str(err)


def test_several_problems_are_counted() -> None:
    err = _err(GOOD + "horizon_days: 0\nmonte_carlo: {paths: 0, seed: -1}\n")
    assert err.path == "horizon_days" and err.line == 8
    assert err.message.endswith("(and 2 more problems)")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param("name: t\nbook: [\n  1,\n", 4, "YAML syntax error", id="unclosed-flow"),
        pytest.param("name: t\n  bad: indent\n", 2, "YAML syntax error", id="bad-indent"),
        pytest.param("name: t\n\tbook: 1\n", 2, "YAML syntax error", id="tab"),
        pytest.param("name: t\nbook: 1\nname: u\n", 3, "duplicate key 'name' (first at line 1)",
                     id="duplicate-key"),
        pytest.param("name: t\nbook: {segments: [{name: a, share: 1, share: 1}]}\n", 2,
                     "duplicate key 'share'", id="duplicate-key-flow"),
        pytest.param("name: t\n---\nname: u\n", 2, "YAML syntax error", id="two-documents"),
        pytest.param("- name: t\n", 1, "a scenario must be a mapping", id="list-document"),
        pytest.param("just text\n", 1, "a scenario must be a mapping of keys", id="scalar-doc"),
        pytest.param("name: *nope\n", 1, "YAML syntax error", id="unknown-alias"),
    ],
)
def test_bad_yaml(text: str, line: int, message: str) -> None:
    err = _err(text, source="s.yaml")
    assert err.line == line
    assert message in err.message
    assert "\n" not in str(err)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(text: str) -> None:
    err = _err(text)
    assert "the file is empty" in err.message


def test_control_character_is_not_yaml() -> None:
    err = _err("name: t\x07\n")
    assert "not YAML text" in err.message


def test_binary_file(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError, match="binary file, not YAML") as info:
        load_scenario(f)
    assert info.value.source == str(f)


def test_undecodable_file(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_bytes("name: 工薪\n".encode("gb18030"))
    with pytest.raises(InputError, match="is not UTF-8 text"):
        load_scenario(f)


def test_utf8_bom_is_fine(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_scenario(f).name == "t"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file") as info:
        load_scenario(tmp_path / "nope.yaml")
    assert info.value.source == str(tmp_path / "nope.yaml")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder, not a scenario file"):
        load_scenario(tmp_path)


def test_error_lines_come_from_the_file(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("# comment\n\n" + GOOD.replace("share: 0.5\n    - name: b",
                                                 "share: 2\n    - name: b"))
    with pytest.raises(InputError) as info:
        load_scenario(f)
    assert (info.value.path, info.value.line) == ("book.segments[0].share", 7)
    assert str(info.value) == f"{f}:7: book.segments[0].share: must be <= 1, got 2"


def test_tape_must_exist_and_be_parquet_or_csv(tmp_path: Path) -> None:
    err = _err("name: t\nbook:\n  tape: loans.parquet\n", base_dir=tmp_path)
    assert (err.path, err.line) == ("book.tape", 3) and "does not exist" in err.message
    err = _err("name: t\nbook:\n  tape: loans.xlsx\n", base_dir=tmp_path)
    assert (err.path, err.line) == ("book.tape", 3) and ".parquet or .csv" in err.message
    (tmp_path / "t.csv").write_text("x\n")
    err = _err("name: t\nbook:\n  tape: t.csv\n  segments: [{name: a, share: 1}]\n",
               base_dir=tmp_path)
    assert err.path == "book" and "(got both)" in err.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[" * 5000 + "]" * 5000, "nested too deeply", id="deep-list"),
        pytest.param("name: &a [*a]\nbook: 1\n", "name: expected text, got a list",
                     id="recursive-alias"),
        pytest.param("? [a]\n: 1\n", "a mapping key must be a plain value", id="list-key"),
    ],
)
def test_pathological_yaml(text: str, message: str) -> None:
    assert message in str(_err(text))


def test_yaml_anchors_and_merge_keys_work() -> None:
    s = parse_scenario(
        "name: t\nbook:\n  segments:\n    - &a {name: a, share: 0.5, base_pd: 0.02}\n"
        "    - {<<: *a, name: b}\n"
    )
    assert [seg.base_pd for seg in s.book.segments] == [0.02, 0.02]
    assert s.book.segments[1].name == "b"
