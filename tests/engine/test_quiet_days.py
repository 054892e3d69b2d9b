"""The fast path (runs of quiet days settled at once, for current drawdowns and for drawdowns in
arrears between their events and the draws that fire) gives the same bits as stepping every day."""

import numpy as np
import pytest

import simulator
from simulator.book.inputs import kernel_inputs
from simulator.engine.tables import levels
from simulator.engine.tasks import Task, run_task
from simulator.kernels import layout as L
from tests.quick_book import QUICK


def _aggregate(inputs, n_paths):
    """The task's aggregate as the engine reads it (a run of quiet days records its interest
    as two changes, which ``levels`` folds back into daily amounts)."""
    task = Task(0, n_paths, 0, len(inputs.book.borrower_id))
    return levels(run_task(inputs, task).aggregate)


def test_skipping_quiet_days_is_bit_identical_to_day_stepping():
    # 1,500 borrowers x 4 paths of the baseline, a seasoned book with arrears at day 0,
    # multi-drawdown borrowers, cures, prepayments, charge-offs and recoveries.
    scenario = simulator.load_scenario(
        "scenarios/baseline.yaml", ["book.borrowers=1500", "monte_carlo.paths=4",
                                    "book.burn_in_months=3"]  # the burn-in skips days too
    )
    fast = kernel_inputs(scenario)
    slow = fast._replace(contract=fast.contract._replace(skip_quiet_days=False))
    a = _aggregate(fast, 4)
    b = _aggregate(slow, 4)
    assert a.any()
    np.testing.assert_array_equal(a, b)


def test_calendar_months_fast_path_matches_day_stepping():
    scenario = simulator.load_scenario(
        "scenarios/baseline.yaml",
        ["book.borrowers=800", "monte_carlo.paths=2", "contract.schedule_period=calendar",
         *QUICK],
    )
    fast = kernel_inputs(scenario)
    slow = fast._replace(contract=fast.contract._replace(skip_quiet_days=False))
    np.testing.assert_array_equal(_aggregate(fast, 2), _aggregate(slow, 2))


# Each variant moves a boundary the fast path must stop at: grace days and their retroactive
# charge, late fees on due days, non-accrual, acceleration and charge-off thresholds, and the
# restructuring window with its own daily draw.
CONTRACT_VARIANTS = {
    "grace_fee_thresholds": [
        "contract.penalty_grace_days=3", "contract.late_fee=20", "contract.non_accrual_dpd=45",
        "contract.acceleration_dpd=60", "contract.charge_off_dpd=180",
    ],
    "levers": [
        "contract.penalty_grace_days=2", "contract.grace_retroactive=false",
        "policy.restructuring={dpd_from: 31, dpd_to: 90, acceptance_daily: 0.05, "
        "extra_months: 6, waive_penalties: false}",
        "policy.legal={share: 0.4, recovery_rate: 0.3, lag_days: 90, cost_per_case: 200}",
        "book.revolving={redraw_probability: 0.7, new_borrowers_monthly: 0.03}",
    ],
}


@pytest.mark.parametrize("variant", sorted(CONTRACT_VARIANTS))
def test_fast_path_matches_day_stepping_across_contract_terms_and_levers(variant):
    scenario = simulator.load_scenario(
        "scenarios/baseline.yaml",
        ["book.borrowers=1200", "monte_carlo.paths=3", *QUICK,
         *CONTRACT_VARIANTS[variant]],
    )
    fast = kernel_inputs(scenario)
    slow = fast._replace(contract=fast.contract._replace(skip_quiet_days=False))
    a = _aggregate(fast, 3)
    np.testing.assert_array_equal(a, _aggregate(slow, 3))
    # the variant's mechanisms did happen
    assert a[..., L.PENALTY_ACCRUED].sum() > 0 and a[..., L.N_CURED].sum() > 0
    if variant == "levers":
        assert a[..., L.N_RESTRUCTURINGS].sum() > 0 and a[..., L.N_LITIGATED].sum() > 0
    else:
        assert a[..., L.FEES_CHARGED].sum() > 0 and a[..., L.NONACCRUAL].sum() > 0
