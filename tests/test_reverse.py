"""Reverse stress: bisection with common random numbers brackets the breach point. Baseline,
1,500 borrowers, 16 paths, 180 days, seed 20261129; the knob is every segment's base_pd."""


import numpy as np
import pytest
from typer.testing import CliRunner

import simulator
from simulator.analysis import metrics as M
from simulator.cli import app
from simulator.errors import InputError
from simulator.studies import reverse as R
from tests.cli_helpers import exit_code as _exit

BASE = "scenarios/baseline.yaml"
SETS = ["horizon_days=180"]
SIZE = ["book.borrowers=1500", "monte_carlo.paths=16"]
KNOB = "book.segments[*].base_pd"
runner = CliRunner()


def _stat(pd, seed=None):
    sets = [*SETS, *SIZE] + [f"book.segments[{i}].base_pd={pd!r}" for i in range(3)]
    if seed is not None:
        sets.append(f"monte_carlo.seed={seed}")
    tables, _ = simulator.simulate(simulator.load_scenario(BASE, sets))
    return M.stat(M.compute(tables, ["dpd30_end"])["dpd30_end"], "mean")




def test_parse_condition():
    c = R.parse_condition("dpd90_end@p95>=0.02")
    assert (c.metric, c.stat, c.op, c.value) == ("dpd90_end", "p95", ">=", 0.02)
    assert R.parse_condition("m1_cure_30d < 0.8").op == "<"
    assert R.parse_condition("net_loss_rate<=0.1").breached(0.1)
    assert not R.parse_condition("net_loss_rate<0.1").breached(0.1)
    for bad in ("dpd30_end=0.1", "nope@mean>=1", "dpd30_end>=x", "dpd30_end"):
        with pytest.raises(InputError):
            R.parse_condition(bad)


def test_bisection_brackets_the_breach_point():
    # threshold: the dpd30_end mean at base_pd 0.05 everywhere, so the point lies inside
    limit = _stat(0.05)
    cond = R.Condition("dpd30_end", "mean", ">=", limit)
    r = R.reverse(BASE, KNOB, cond, lo=0.01, hi=0.2, tol=0.002, sets=SETS, paths=16,
                  borrowers=1500, seeds=1)
    assert r.outcome == "found", R.format_result(r)
    a, b = r.bracket
    assert a < b <= a + 0.002 + 1e-12
    assert a < 0.05 <= b + 1e-12 or abs(b - 0.05) < 0.01  # monotone knob: near 0.05
    assert _stat(a) < limit <= _stat(b)  # same seed: below just under, at/above just over
    # monotone along the knob: the evaluated points breach exactly above the bracket
    for p in r.history:
        assert p.breached == (p.knob >= b)
    assert r.slope > 0 and np.isfinite(r.se_shift)
    assert len(r.seed_stats) == 1 and r.seed_stats[0][0] != r.seed


def test_outside_the_range(monkeypatch):
    cond = R.Condition("dpd30_end", "mean", ">=", 0.9)
    r = R.reverse(BASE, KNOB, cond, lo=0.01, hi=0.02, sets=SETS, paths=4, borrowers=300,
                  seeds=0)
    assert r.outcome == "not_breached_at_hi" and "not breached" in R.format_result(r)
    cond = R.Condition("dpd30_end", "mean", ">=", 0.0)
    r = R.reverse(BASE, KNOB, cond, lo=0.01, hi=0.02, sets=SETS, paths=4, borrowers=300,
                  seeds=0)
    assert r.outcome == "breached_at_lo" and "already breached" in R.format_result(r)
    argv = ["reverse", BASE, "--knob", KNOB, "--lo", "0.01", "--hi", "0.02", "--target",
            "dpd30_end>=0.9", "--paths", "4", "--borrowers", "300", "--seeds", "0",
            "--set", "horizon_days=90", "-q"]
    assert _exit(argv, monkeypatch) == 1


def test_cli_reports_breach_point():
    argv = ["reverse", BASE, "--knob", "shocks[0].income.change", "--lo", "0", "--hi", "-0.6",
            "--target", "dpd30_end>=0.0", "--paths", "4", "--borrowers", "300", "--seeds", "0",
            "--set", "horizon_days=90", "--set", "shocks=[{income: {change: -0.1}}]", "-q"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert "already breached" in result.output


@pytest.mark.parametrize("argv", [
    ["--knob", "behaviour.nope", "--hi", "1", "--target", "dpd30_end>=0.1"],
    ["--knob", "behaviour.rho", "--hi", "1.5", "--target", "dpd30_end>=0.1"],  # invalid hi
    ["--knob", "behaviour.rho", "--hi", "0.5", "--target", "dpd30_end=0.1"],
    ["--knob", "behaviour.rho", "--hi", "0.5", "--target", "bogus>=0.1"],
    ["--knob", "behaviour.rho", "--lo", "0.5", "--hi", "0.5", "--target", "dpd30_end>=0.1"],
])
def test_bad_input_exits_2(argv, monkeypatch):
    assert _exit(["reverse", BASE, *argv, "--paths", "4", "--borrowers", "200"],
                 monkeypatch) == 2
