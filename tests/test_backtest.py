"""`overdue backtest`: the 2020 back-test's table, band and verdict, checked on hand-made
path values, and the command end to end at a small size."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.studies import backtest as T
from tests.cli_helpers import run_cli


def test_ratio_of_means_and_its_paired_error() -> None:
    num = np.array([2.0, 4.0, 6.0])
    den = np.array([1.0, 2.0, 3.0])
    r, se = T.ratio_of_means(num, den)
    assert r == 2.0
    assert se == 0.0  # every path has the same ratio: no Monte Carlo error in it
    num = np.array([3.0, 4.0, 5.0, 4.0])
    den = np.array([2.0, 2.0, 2.0, 2.0])
    r, se = T.ratio_of_means(num, den)
    # r = 4 / 2; d = (num - 2 den) / 2 = (-0.5, 0, 0.5, 0), sd = sqrt(0.5 / 3), over sqrt(4)
    assert r == 2.0 and se == pytest.approx(np.sqrt(0.5 / 3) / 2, abs=1e-15)


def test_rows_carry_the_actual_on_its_day_and_the_band_decides() -> None:
    paths = np.linspace(0.0, 0.04, 101)  # 101 paths, 5th and 95th percentiles 0.002 and 0.038
    rows = T.month_rows({0: paths, 30: paths, 60: paths, 150: paths + 0.03})
    by_day = {r.day: r for r in rows}
    assert [r.label for r in rows] == ["start (1 January 2020)", "end of January",
                                       "end of February", "end of May"]
    assert by_day[30].lo == pytest.approx(0.002) and by_day[30].hi == pytest.approx(0.038)
    assert by_day[30].actual == 0.0176 and by_day[30].inside is True
    assert by_day[60].actual is None and by_day[60].inside is None
    assert by_day[150].lo == pytest.approx(0.032)  # 0.0301 lies below this band
    assert by_day[150].inside is False
    assert by_day[0].mean == pytest.approx(0.02) and by_day[0].se == pytest.approx(
        paths.std(ddof=1) / np.sqrt(101))


def test_a_scenario_that_does_not_start_in_2020_is_refused() -> None:
    code, output = run_cli(["backtest", "scenarios/baseline.yaml", "--paths", "2"])
    assert code == 2
    assert "as_of" in output and "2020-01-01" in output and "Traceback" not in output


def test_backtest_prints_the_table_and_says_it_is_in_sample() -> None:
    code, output = run_cli(["backtest", "--borrowers", "300", "--paths", "4", "--threads", "1"])
    assert code == 0, output
    for text in ("end of January", "end of May", "1.76%", "3.01%", "90% band", "In sample",
                 "Out of sample"):
        assert text in output, text
    assert ("inside the 90% band" in output) != ("OUTSIDE" in output)
