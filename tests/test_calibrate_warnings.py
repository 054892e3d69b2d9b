"""`overdue calibrate` says when its verdict is noise: a target's miss within one Monte Carlo
standard error or a tolerance finer than that error, and runs smaller than the scenario they
calibrate. The results are made by hand, so each warning's trigger is exact."""

from __future__ import annotations

import numpy as np

from simulator.studies import calibrate as C
from tests.cli_helpers import run_cli


def _result(achieved: float, se: float, paths: int = 200, borrowers: int = 100_000,
            own: tuple[int, int] = (100_000, 200)) -> C.CalibrationResult:
    target = C.Target("dpd30_end", "mean", 0.0156)  # scale 0.0156, tolerance 0.02 x it
    return C.CalibrationResult(
        targets=[target], params=[], x=np.zeros(0), achieved=[achieved], se=[se],
        param_se=[], reached=abs(achieved - 0.0156) <= 0.02 * 0.0156, tol=0.02, runs=1,
        paths=paths, borrowers=borrowers, seed=1, own_paths=own[1], own_borrowers=own[0])


def test_a_miss_within_one_standard_error_is_flagged() -> None:
    # miss 0.0002 <= s.e. 0.0003: the fit cannot be told from the noise
    (warning,) = C.warnings(_result(0.0158, 0.0003))
    assert "within its Monte Carlo s.e." in warning and "dpd30_end@mean" in warning


def test_a_tolerance_finer_than_the_error_is_flagged() -> None:
    # miss 0.0005 > s.e. 0.0004 >= tolerance 0.02 x 0.0156 = 0.000312
    (warning,) = C.warnings(_result(0.0161, 0.0004))
    assert "at least the tolerance" in warning


def test_a_clear_miss_at_full_size_says_nothing() -> None:
    # miss 0.001 > s.e. 0.0001, and s.e. below the tolerance 0.000312; run at the own size
    assert C.warnings(_result(0.0166, 0.0001)) == []


def test_runs_smaller_than_the_scenario_are_flagged() -> None:
    for paths, borrowers in ((32, 100_000), (200, 5_000)):
        (warning,) = C.warnings(_result(0.0166, 0.0001, paths=paths, borrowers=borrowers))
        assert "smaller than the scenario it calibrates (100,000 x 200)" in warning
    assert C.warnings(_result(0.0166, 0.0001, paths=400, borrowers=200_000)) == []


def test_the_command_prints_the_size_warning() -> None:
    code, output = run_cli([
        "calibrate", "scenarios/baseline.yaml", "--target", "dpd30_end=0.0156",
        "--paths", "4", "--borrowers", "200", "--max-evals", "2", "--threads", "1", "-q",
        "--set", "horizon_days=60", "--set", "book.burn_in_months=0"])
    assert code in (0, 1), output
    assert "MC s.e." in output
    assert "warning: ran at 200 borrowers x 4 paths, smaller than the scenario it calibrates " \
           "(100,000 x 200)" in output
