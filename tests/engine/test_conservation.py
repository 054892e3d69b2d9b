"""Conservation on every path, day and segment of real runs of scenarios/baseline.yaml.

Principal: day-0 outstanding = outstanding in M0..M6 + cumulative paid + cumulative charged-off
principal, exact in micro-yuan on the integer aggregate (and within 1e-6 yuan per row on the
float timeseries table). Counts: drawdowns of a segment = n_M0..n_M6 + n_CO + n_closed.
"""

import numpy as np
import pytest

import simulator
from simulator.book.inputs import kernel_inputs
from simulator.engine.local import run_local
from simulator.engine.tasks import plan_tasks
from simulator.kernels import layout as L
from simulator.validation.checks import check_conservation, conservation_gaps
from tests.quick_book import QUICK

SMALL = ["monte_carlo.paths=8", "book.borrowers=3000", *QUICK]


@pytest.fixture(scope="module")
def baseline_run():
    scenario = simulator.load_scenario("scenarios/baseline.yaml", SMALL)
    inputs = kernel_inputs(scenario)
    agg = run_local(inputs, plan_tasks(8, len(inputs.book.borrower_id), 1000, 3), 8, 2)
    per_seg = np.bincount(np.repeat(inputs.book.segment, np.diff(inputs.book.borrower_start)),
                          minlength=len(inputs.segments))
    return scenario, agg, per_seg


def test_principal_and_counts_conserved_every_path_and_day(baseline_run):
    _, agg, per_seg = baseline_run
    pgap, cgap = conservation_gaps(agg)
    assert pgap.shape == (8, 366, 3)
    assert (pgap == 0).all()
    assert (cgap == 0).all()
    # Not vacuous: principal was paid and charged off on every path, and drawdowns closed.
    assert (agg[:, 1:, :, L.PRINCIPAL_PAID].sum(axis=(1, 2)) > 0).all()
    assert (agg[:, 1:, :, L.CHARGED_OFF].sum(axis=(1, 2)) > 0).all()
    closed = np.cumsum(agg[:, :, :, L.N_BY_CODE + L.CODE_CLOSED], axis=1)[:, -1].sum(axis=1)
    assert (closed > 0).all()


def test_a_lost_micro_yuan_is_caught(baseline_run):
    _, agg, per_seg = baseline_run
    broken = agg.copy()
    broken[3, 200, 1, L.PRINCIPAL_PAID] += 1  # one micro-yuan paid that left no balance
    pgap, cgap = conservation_gaps(broken)
    assert np.abs(pgap).max() == 1
    assert set(zip(*np.nonzero(pgap), strict=True)) == {(3, d, 1) for d in range(200, 366)}
    assert (cgap == 0).all()


def test_timeseries_table_conserves_principal_within_1e6_yuan():
    tables, _ = simulator.simulate(simulator.load_scenario("scenarios/baseline.yaml", SMALL),
                                   threads=2)
    ts = tables["timeseries"]
    col = {n: ts.column(n).to_numpy() for n in ts.column_names if n != "segment"}
    shape = (8, 366, 3)  # rows are ordered by path, day, segment
    out = sum(col[f"principal_M{i}"] for i in range(7)).reshape(shape)
    total = out + (col["cum_paid_principal"] + col["cum_charged_off_principal"]).reshape(shape)
    added = np.cumsum((col["disbursed_principal"] + col["capitalised"]).reshape(shape), axis=1)
    assert added[:, -1].sum() > 0  # the baseline book revolves: new drawdowns are counted
    assert np.abs(total - (out[:, :1, :] + added)).max() <= 1e-6
    counts = sum(col[f"n_{b}"] for b in [f"M{i}" for i in range(7)] + ["CO", "closed"])
    counts = counts.reshape(shape)
    new = np.cumsum(col["n_new"].reshape(shape), axis=1)
    assert (counts == counts[:, :1, :] + new).all()


def test_check_conservation_under_a_harsh_contract():
    # Acceleration at 30 DPD, a late fee, grace, principal first: other flows, same identity.
    scenario = simulator.load_scenario("scenarios/baseline.yaml", [
        "monte_carlo.paths=4", "book.borrowers=2000", *QUICK,
        "contract.acceleration_dpd=30", "contract.late_fee=15", "contract.penalty_grace_days=3",
        "contract.allocation=principal_first"])
    r = check_conservation(scenario, threads=2, chunk_size=500, path_block=1)
    assert r.ok, r
    assert r.rows == 4 * 366 * 3
