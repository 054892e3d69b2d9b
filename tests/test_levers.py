"""Every policy lever moves its metric the expected way under common random numbers.

Baseline book, 3,000 borrowers, 8 paths, 365 days, seed 20261129 (the file's), the lever on and
off with the same draws. Means over the 8 paths are compared; each lever is set strongly enough
that the direction, not a fine margin, is what is tested."""

import numpy as np
import pytest

import simulator
from tests.quick_book import QUICK

SMALL = ["book.borrowers=3000", "monte_carlo.paths=8", *QUICK]


def _run(*overrides):
    scenario = simulator.load_scenario("scenarios/baseline.yaml", [*SMALL, *overrides])
    tables, _ = simulator.simulate(scenario, threads=2)
    ts = tables["timeseries"]
    col = {c: ts.column(c).to_numpy() for c in ts.column_names if c != "segment"}
    last = col["day"] == scenario.horizon_days
    return tables["paths"], col, last


@pytest.fixture(scope="module")
def base():
    return _run()


def _mean(paths, name):
    return float(np.mean(paths.column(name).to_numpy()))


def test_collection_channels_cut_delinquency_and_cost_money(base):
    paths, col, _ = _run("policy.collection={channels: {calls: {buckets: [M1, M2, M3], "
                         "cure_multiplier: 2.0, cost_per_account_day: 1.0}}}")
    assert _mean(paths, "peak_dpd30_ratio") < _mean(base[0], "peak_dpd30_ratio")
    assert _mean(paths, "collection_cost") > 0 == _mean(base[0], "collection_cost")


def test_restructuring_moves_arrears_into_new_schedules(base):
    paths, col, last = _run("policy.restructuring={dpd_from: 31, dpd_to: 120, "
                            "acceptance_daily: 0.1}")
    assert col["n_restructurings"].sum() > 0 and col["n_restructured"][last].sum() > 0
    assert col["waived"].sum() > 0  # penalties are waived by default
    assert _mean(paths, "end_dpd90_ratio") < _mean(base[0], "end_dpd90_ratio")


def test_legal_recovery_raises_recoveries_at_a_cost(base):
    paths, col, _ = _run("policy.legal={share: 1.0, recovery_rate: 0.5, lag_days: 30, "
                         "cost_per_case: 100}")
    assert _mean(paths, "recoveries") > _mean(base[0], "recoveries")
    assert col["legal_cost"].sum() == 100 * col["n_litigated"].sum() > 0


def test_tighter_underwriting_lends_less_to_riskier_applicants(base):
    paths, col, _ = _run("policy.underwriting={approve_share: 0.5, score_accuracy: 0.9}")
    assert col["disbursed_principal"].sum() < base[1]["disbursed_principal"].sum()
    # the riskier half no longer enters or redraws: the book's arrears fall
    assert _mean(paths, "end_dpd30_ratio") < _mean(base[0], "end_dpd30_ratio")


def test_income_limits_cut_new_lending(base):
    _, col, _ = _run("policy.underwriting={limit_income_multiple: 0.5}")
    assert col["disbursed_principal"].sum() < 0.8 * base[1]["disbursed_principal"].sum()


def test_risk_based_pricing_raises_interest_income(base):
    paths, _, _ = _run("policy.pricing={grade_rates: {A: 0.0006, B: 0.0006, C: 0.0006, "
                       "D: 0.0006, E: 0.0006}}")
    assert _mean(paths, "interest_income") > _mean(base[0], "interest_income")


def test_without_redraws_the_book_runs_off(base):
    _, col, last = _run("book.revolving.redraw_probability=0")
    on_book = sum(col[f"principal_M{i}"][last].sum() for i in range(7))
    base_on_book = sum(base[1][f"principal_M{i}"][last].sum() for i in range(7))
    assert on_book < 0.7 * base_on_book
