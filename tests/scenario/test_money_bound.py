"""The int64 money bound: the largest book it accepts runs with every sum non-negative and
conserved, one principal step more is refused with exit 2 naming the key."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

import simulator
from simulator.book.money import book_money_bound
from simulator.book.synthetic import synthetic_book
from simulator.contract.money import MICRO
from simulator.errors import InputError
from simulator.kernels.book_draws import PRINCIPAL_STEP
from simulator.scenario import bounds as B
from simulator.scenario import parse_scenario
from simulator.validation.checks import check_conservation
from tests.cli_helpers import exit_code

BORROWERS = 3


def _extreme(principal: float) -> str:
    """Every knob that makes money grow at its bound: the top rate and penalty, compound
    interest, no acceleration and charge-off only at 3650 DPD (then litigated, the claim read
    from principal-days), ten years, 36 instalments of 7 days, ten drawdowns a borrower, every
    repaid drawdown redrawn, restructuring that capitalises, PD near 1."""
    return yaml.safe_dump({
        "name": "largest_book",
        "horizon_days": B.HORIZON_DAYS_MAX,
        "monte_carlo": {"paths": 2, "seed": 7},
        "book": {
            "borrowers": BORROWERS,
            "revolving": {"redraw_probability": 1.0},
            "segments": [{
                "name": "all", "share": 1.0, "daily_rate": B.DAILY_RATE_MAX,
                "term_months": B.TERM_MONTHS_MAX, "base_pd": 0.95,
                "principal": {"fixed": principal, "min": 1.0, "max": float(B.YUAN_MAX)},
                "drawdowns": [0.0] * (B.MAX_DRAWDOWNS - 1) + [1.0],
                "initial_buckets": {"M0": 0.5, "M3": 0.5},
            }],
        },
        "contract": {"penalty_multiplier": B.PENALTY_MULTIPLIER_MAX, "compound_interest": True,
                     "acceleration_dpd": None, "charge_off_dpd": B.DPD_MAX,
                     "schedule_period": 7},
        "behaviour": {"prepayment_monthly": 0.3,  # no cures: arrears run to charge-off
                      "cure_daily": {b: 0.0 for b in ("M1", "M2", "M3", "M4", "M5", "M6")},
                      "partial_daily": {b: 0.0 for b in ("M1", "M2", "M3", "M4", "M5", "M6")}},
        "recovery": {"rate": 1.0, "lag_days": 0},
        "policy": {"restructuring": {"dpd_from": 1, "dpd_to": 60,
                                     "acceptance_daily": 0.01, "waive_penalties": False,
                                     "extra_months": B.RESTRUCTURE_EXTRA_MONTHS_MAX},
                   "legal": {"share": 1.0, "recovery_rate": 1.0, "lag_days": 0}},
    })


def _largest_principal() -> int:
    """The largest fixed principal (whole principal steps, yuan) the bound accepts: the bound
    is linear in the principal, so one evaluation gives it."""
    probe = parse_scenario(_extreme(1000.0))
    total, _ = book_money_bound(probe, synthetic_book(probe))
    per_micro = total / (1000.0 * MICRO)
    steps = math.floor(B.MONEY_LIMIT_MICRO / per_micro / (PRINCIPAL_STEP * MICRO))
    return steps * PRINCIPAL_STEP


def test_largest_accepted_book_has_no_negative_money_and_conserves():
    # 3 borrowers x 10 drawdowns x 2 paths x 3650 days at the largest accepted principal
    largest = _largest_principal()
    scenario = parse_scenario(_extreme(float(largest)))
    tables, _ = simulator.simulate(scenario, threads=1)
    ts = tables["timeseries"]
    money = [c for c in ts.column_names if c not in ("path", "day", "segment")]
    for name in money:
        values = ts.column(name).to_numpy()
        assert np.isfinite(values).all() and (values >= 0).all(), name
    # the derivation's claim: no single aggregate exceeds the bound it computed
    bound, _ = book_money_bound(scenario, synthetic_book(scenario))
    biggest = max(float(ts.column(c).to_numpy().max()) for c in money) * MICRO
    assert biggest <= bound
    # the book is large (here the principal-days bind first, so sums stay further below)
    assert biggest > 1e8 * MICRO
    check = check_conservation(scenario, threads=1)
    assert check.principal_max_diff == 0 and check.count_max_diff == 0  # exact, micro-yuan
    # the float yuan columns agree to float64 precision at these magnitudes
    assert check.table_max_diff_yuan <= 1e-15 * biggest / MICRO * 100


def test_one_step_above_is_refused(tmp_path, capsys, monkeypatch):
    largest = _largest_principal()
    with pytest.raises(InputError) as err:
        simulator.simulate(parse_scenario(_extreme(float(largest + PRINCIPAL_STEP))), threads=1)
    assert err.value.path == "book.segments[0].principal"
    file = tmp_path / "largest.yaml"
    file.write_text(_extreme(float(largest + PRINCIPAL_STEP)), encoding="utf-8")
    out = tmp_path / "run"
    code = exit_code(["run", str(file), "--out", str(out), "--quiet"], monkeypatch)
    err_text = capsys.readouterr().err
    assert code == 2 and "book.segments[0].principal" in err_text
    assert "does not fit" in err_text and "Traceback" not in err_text
    assert not out.exists()


def test_a_tape_beyond_the_bound_is_refused(tmp_path):
    # one drawdown row per borrower at the largest tape principal: enough rows overflow
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 5000
    tape = tmp_path / "big.parquet"
    pq.write_table(pa.table({
        "borrower_id": np.arange(n), "segment": ["s"] * n,
        "principal": np.full(n, float(B.YUAN_MAX)), "daily_rate": np.full(n, 0.001),
        "term_months": np.full(n, 36), "method": ["equal_installment"] * n,
        "age_days": np.zeros(n, np.int64), "dpd": np.zeros(n, np.int64),
        "monthly_income": np.full(n, 1e4), "base_pd": np.full(n, 0.02),
    }), tape)
    text = yaml.safe_dump({"name": "big_tape", "horizon_days": 3650,
                           "book": {"tape": str(tape)}, "monte_carlo": {"paths": 1}})
    with pytest.raises(InputError) as err:
        simulator.simulate(parse_scenario(text), threads=1)
    assert err.value.path == "book.tape" and "does not fit" in str(err.value)


@pytest.mark.parametrize(("rate", "term", "ok"), [
    (B.DAILY_RATE_MAX, B.TERM_MONTHS_MAX, True),
    (B.DAILY_RATE_MAX * 1.0001, B.TERM_MONTHS_MAX, False),
    (B.DAILY_RATE_MAX, B.TERM_MONTHS_MAX + 1, False),
])
def test_schema_and_loan_command_share_the_bounds(capsys, monkeypatch, rate, term, ok):
    # the same rate and term are accepted, or refused, by the scenario schema and overdue loan
    text = yaml.safe_dump({"name": "b", "book": {"segments": [
        {"name": "s", "share": 1.0, "daily_rate": rate, "term_months": term}]}})
    try:
        parse_scenario(text)
        schema_ok = True
    except InputError:
        schema_ok = False
    code = exit_code(["loan", "--principal", "1000", "--daily-rate", repr(rate), "--term",
                      str(term), "--days", "5"], monkeypatch)
    capsys.readouterr()
    assert schema_ok is ok and code == (0 if ok else 2)
