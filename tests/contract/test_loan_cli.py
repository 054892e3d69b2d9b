"""`overdue loan`: output formats, and bad arguments mapped to exit code 2 without a traceback."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import subprocess
import sys

import pytest

from simulator.contract import Day, Terms, run_ledger, to_micro
from tests.cli_helpers import exit_code

BASE = ["--principal", "10000", "--daily-rate", "0.0005"]


def call(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    code = exit_code(["loan", *args], monkeypatch)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_keys_and_terms(capsys, monkeypatch):
    code, out, _ = call(capsys, monkeypatch, *BASE, "--days", "45", "--format", "json")
    assert code == 0
    state = json.loads(out)
    for key in ("day", "normal_principal", "accrued_interest", "overdue_principal",
                "overdue_interest", "penalty", "compound", "fees", "paid_total",
                "paid_principal", "paid_interest", "paid_penalty", "paid_compound", "paid_fees",
                "dpd", "bucket", "category", "status", "charged_off_principal", "recovered",
                "contractual_claim", "enforceable_claim", "instalments", "terms"):
        assert key in state, key
    assert state["day"] == 45 and state["dpd"] == 15 and state["bucket"] == "M1"
    # Penalty on 766.80 for days 31..45 at 0.075 %: 766.80 x 0.00075 x 15 = 8.6265.
    assert state["penalty"] == pytest.approx(766.80 * 0.00075 * 15, abs=1e-6)
    # Normal interest for days 31..45 on 9,233.20: 9,233.20 x 0.0005 x 15 = 69.249.
    assert state["accrued_interest"] == pytest.approx(9_233.20 * 0.0005 * 15, abs=1e-6)
    (inst,) = state["instalments"]
    assert inst["due_day"] == 30 and inst["due_date"] == "2026-01-31"
    assert inst["penalty"] == state["penalty"]
    assert state["terms"]["instalment"] == 916.80
    assert state["terms"]["method"] == "equal_installment"
    assert state["terms"]["acceleration_dpd"] == 90


def test_default_days_is_term_times_period_plus_30(capsys, monkeypatch):
    code, out, _ = call(capsys, monkeypatch, *BASE, "--term", "3", "--format", "json")
    assert code == 0 and json.loads(out)["day"] == 3 * 30 + 30


def test_csv_every_day_every_field_exact(capsys, monkeypatch):
    code, out, _ = call(capsys, monkeypatch, *BASE, "--pay", "60:500", "--days", "70",
                        "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 70
    assert list(rows[0]) == [f.name for f in dataclasses.fields(Day)]
    # Day 31: one day's penalty 766.80 x 0.00075 = 0.5751, written to 6 decimals.
    assert rows[30]["penalty"] == "0.575100"
    assert rows[59]["payment"] == "500.000000"
    assert rows[59]["events"] == "instalment 2 due;payment"
    # Exact: the CSV agrees with the ledger to the micro-yuan on every day and field.
    terms = Terms(principal=to_micro(10_000), daily_rate=0.0005)
    for row, day in zip(rows, run_ledger(terms, {60: to_micro(500)}, 70), strict=True):
        assert to_micro(row["contractual_claim"]) == day.contractual_claim
        assert to_micro(row["compound"]) == day.compound


def test_table_lines_and_closing_block(capsys, monkeypatch):
    code, out, _ = call(capsys, monkeypatch, *BASE, "--pay", "60:500", "--days", "61")
    assert code == 0
    lines = out.splitlines()
    event_days = [int(line.split()[0]) for line in lines if line[:4].strip().isdigit()]
    assert event_days == [30, 31, 60]  # due, first overdue day, payment (+ instalment 2 due)
    assert any("overdue" in line and line.split()[0] == "31" for line in lines)
    assert "at the end of day 61" in out
    assert "paid penalty:" in out and "17.25" in out
    assert "enforceable claim" in out and "special_mention" in out
    owes = [line for line in lines if line.startswith("owes ")]
    assert len(owes) == 1 and "= principal" in owes[0] and "+ fees" in owes[0]
    # The table columns are aligned: every event line has the same length up to "what happened".
    header = next(line for line in lines if line.startswith("day"))
    cut = header.index("what happened")
    for line in lines:
        if line[:4].strip().isdigit():
            assert line[cut - 2:cut] == "  "


def test_table_shows_acceleration_and_charge_off(capsys, monkeypatch):
    code, out, _ = call(capsys, monkeypatch, *BASE, "--pay", "230:100", "--days", "230")
    assert code == 0
    assert "accelerated" in out and "charged off" in out and "recovery" in out
    assert "written_off" in out and "- recovered 100.00" in out


def test_calendar_periods(capsys, monkeypatch):
    code, out, _ = call(capsys, monkeypatch, "--principal", "3000", "--term", "3",
                        "--period-days", "calendar", "--disbursed-on", "2026-01-31",
                        "--days", "89", "--format", "json")
    assert code == 0
    assert json.loads(out)["terms"]["due_days"] == [28, 59, 89]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--principal", "-5"], "--principal"),
        (["--principal", "0"], "--principal"),
        (["--principal", "nan"], "--principal"),
        (BASE[:2] + ["--method", "balloon"], "--method"),
        (BASE[:2] + ["--allocation", "random"], "--allocation"),
        (BASE[:2] + ["--daily-rate", "-0.001"], "--daily-rate"),
        (BASE[:2] + ["--daily-rate", "0.5"], "--daily-rate"),
        (BASE[:2] + ["--term", "0"], "--term"),
        (BASE[:2] + ["--period-days", "monthly"], "--period-days"),
        (BASE[:2] + ["--disbursed-on", "2026-02-30"], "--disbursed-on"),
        (BASE[:2] + ["--acceleration-dpd", "never"], "--acceleration-dpd"),
        (BASE[:2] + ["--charge-off-dpd", "0"], "--charge-off-dpd"),
        (BASE[:2] + ["--late-fee", "-1"], "--late-fee"),
        (BASE[:2] + ["--grace-days", "-1"], "--grace-days"),
        (BASE[:2] + ["--pay", "60"], "--pay"),
        (BASE[:2] + ["--pay", "x:100"], "--pay"),
        (BASE[:2] + ["--pay", "60:lots"], "--pay"),
        (BASE[:2] + ["--pay", "60:-3"], "--pay"),
        (BASE[:2] + ["--pay", "0:100"], "--pay"),
        (BASE[:2] + ["--days", "50", "--pay", "51:100"], "--pay"),
        (BASE[:2] + ["--pay", "60:100", "--pay", "60:all"], "--pay"),
        (BASE[:2] + ["--days", "0"], "--days"),
        (BASE[:2] + ["--format", "xml"], "--format"),
    ],
)
def test_bad_arguments_exit_2_naming_the_option(capsys, monkeypatch, args, option):
    code, out, err = call(capsys, monkeypatch, *args)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and option in err
    assert "Traceback" not in err


def test_bad_argument_through_the_console_script():
    cmd = [sys.executable, "-c", "from simulator.cli import main; main()", "loan",
           "--principal", "-100"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--principal" in done.stderr and "Traceback" not in done.stderr
