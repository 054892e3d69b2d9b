"""`overdue check ...` end to end: exit 0 when every comparison holds, 1 when one fails (shown
by breaking an expectation on purpose), 2 on bad arguments."""

import json

import pytest
from typer.testing import CliRunner

import simulator.validation.checks as check
from simulator.cli import app
from simulator.kernels import layout as L
from tests.cli_helpers import exit_code as _exit
from tests.quick_book import QUICK_ARGS

runner = CliRunner()
SMALL_VASICEK = ["check", "vasicek", "--pd", "0.05", "--rho", "0.1", "--loans", "5000",
                 "--paths", "200", "--seed", "3"]
SMALL_CONSERVATION = ["check", "conservation", "scenarios/baseline.yaml", "--paths", "3",
                      "--borrowers", "1500", *QUICK_ARGS]




def test_vasicek_passes_and_prints_table():
    result = runner.invoke(app, SMALL_VASICEK)
    assert result.exit_code == 0, result.output
    for text in ("q0.5", "q0.9", "q0.99", "q0.999", "mean", "tolerance:", "result: PASS"):
        assert text in result.output


def test_vasicek_json():
    result = runner.invoke(app, [*SMALL_VASICEK, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True and data["loans"] == 5000 and data["paths"] == 200
    assert [r["statistic"] for r in data["rows"]] == ["q0.5", "q0.9", "q0.99", "q0.999", "mean"]
    assert all(r["low"] <= r["simulated"] <= r["high"] for r in data["rows"])


def test_vasicek_fails_against_a_broken_law(monkeypatch):
    # The law's pd is doubled (0.05 judged as 0.10): the check must fail with exit code 1.
    real = check.vasicek_quantile
    monkeypatch.setattr(check, "vasicek_quantile", lambda q, pd, rho: real(q, 2 * pd, rho))
    result = runner.invoke(app, SMALL_VASICEK)
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "result: FAIL" in result.output
    assert _exit(SMALL_VASICEK, monkeypatch) == 1  # the console script exits 1 too


@pytest.mark.parametrize("argv", [
    ["check", "vasicek", "--pd", "0", "--rho", "0.1"],
    ["check", "vasicek", "--pd", "0.05", "--rho", "1"],
    ["check", "vasicek", "--pd", "1.5", "--rho", "0.1"],
    ["check", "vasicek", "--rho", "0.1"],
    ["check", "ledger", "--drawdowns", "0"],
    ["check", "ledger", "--format", "xml"],
    ["check", "conservation", "no/such/scenario.yaml"],
    ["check", "twin", "no/such/scenario.yaml"],
    ["check", "twin", "scenarios/baseline.yaml", "--borrowers", "0"],
])
def test_bad_arguments_exit_2(argv, monkeypatch):
    assert _exit(argv, monkeypatch) == 2


def test_ledger_passes(monkeypatch):
    result = runner.invoke(app, ["check", "ledger", "--drawdowns", "72", "--days", "200",
                                 "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "result: PASS" in result.output and "72 drawdowns" in result.output
    assert "required: exact" in result.output
    assert _exit(["check", "ledger", "--drawdowns", "36", "--days", "100"], monkeypatch) == 0


def test_ledger_fails_when_the_reference_replays_seasoning_wrongly(monkeypatch):
    # Seasoned drawdowns replayed without their on-time payments: end states must differ.
    monkeypatch.setattr(check, "seasoning_payments", lambda terms, age, dpd0: {})
    result = runner.invoke(app, ["check", "ledger", "--drawdowns", "72", "--days", "200",
                                 "--seed", "5", "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["ok"] is False and data["mismatches"] > 0
    assert data["max_money_diff_yuan"] > 0.005  # more than half a fen


def test_conservation_passes(monkeypatch):
    result = runner.invoke(app, SMALL_CONSERVATION)
    assert result.exit_code == 0, result.output
    assert "max |gap|: 0" in result.output and "result: PASS" in result.output
    assert _exit([*SMALL_CONSERVATION, "--format", "json"], monkeypatch) == 0


def test_conservation_fails_when_charge_offs_are_lost(monkeypatch):
    # Drop charged-off principal from the aggregate: principal no longer adds up.
    real = check.levels

    def lose_charge_offs(agg):
        out = real(agg)
        out[:, :, :, L.CHARGED_OFF] = 0
        return out

    monkeypatch.setattr(check, "levels", lose_charge_offs)
    result = runner.invoke(app, [*SMALL_CONSERVATION, "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["ok"] is False and data["principal_max_diff"] > 0
    assert data["count_max_diff"] == 0


SMALL_TWIN = ["check", "twin", "scenarios/baseline.yaml", "--borrowers", "60", "--paths", "2",
              "--horizon-days", "120", *QUICK_ARGS]


def test_twin_passes(monkeypatch):
    result = runner.invoke(app, SMALL_TWIN)
    assert result.exit_code == 0, result.output
    assert "differing: 0" in result.output and "result: PASS" in result.output
    assert _exit([*SMALL_TWIN, "--format", "json"], monkeypatch) == 0


def test_twin_fails_naming_the_cell_when_the_kernel_is_off_by_one_micro_yuan(monkeypatch):
    import simulator.validation.twin_check as twin_check

    real = twin_check.kernel_aggregates

    def off_by_one(inputs, n_paths, threads=None):
        out = real(inputs, n_paths, threads)
        out["penalty_accrued"][1, 77, 0] += 1
        return out

    monkeypatch.setattr(twin_check, "kernel_aggregates", off_by_one)
    result = runner.invoke(app, SMALL_TWIN)
    assert result.exit_code == 1, result.output
    assert "first difference: penalty_accrued on path 1, day 77, segment salaried" in result.output
    assert "result: FAIL" in result.output
    data = json.loads(runner.invoke(app, [*SMALL_TWIN, "--format", "json"]).output)
    assert data["ok"] is False and data["differences"] == 1
    first = data["first_difference"]
    assert (first["metric"], first["path"], first["day"]) == ("penalty_accrued", 1, 77)
    assert first["kernel"] == first["twin"] + 1
    assert _exit(SMALL_TWIN, monkeypatch) == 1
