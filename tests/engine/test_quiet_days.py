"""The fast path (runs of quiet days settled at once) gives the same bits as stepping every day."""

import numpy as np

import simulator
from simulator.engine.inputs import kernel_inputs
from simulator.engine.tables import levels
from simulator.engine.tasks import Task, run_task


def _aggregate(inputs, n_paths):
    """The task's aggregate as the engine reads it (a run of quiet days records its interest
    as two changes, which ``levels`` folds back into daily amounts)."""
    task = Task(0, n_paths, 0, len(inputs.book.borrower_id))
    return levels(run_task(inputs, task))


def test_skipping_quiet_days_is_bit_identical_to_day_stepping():
    # 1,500 borrowers x 4 paths of the baseline, a seasoned book with arrears at day 0,
    # multi-drawdown borrowers, cures, prepayments, charge-offs and recoveries.
    scenario = simulator.load_scenario(
        "scenarios/baseline.yaml", ["book.borrowers=1500", "monte_carlo.paths=4"]
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
        ["book.borrowers=800", "monte_carlo.paths=2", "contract.schedule_period=calendar"],
    )
    fast = kernel_inputs(scenario)
    slow = fast._replace(contract=fast.contract._replace(skip_quiet_days=False))
    np.testing.assert_array_equal(_aggregate(fast, 2), _aggregate(slow, 2))
