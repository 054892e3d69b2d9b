"""Day 0 at the ends of its range, with calendar-month schedules over the longest horizon: runs
with no negative money; dates outside the range or that do not exist exit 2 with key and line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulator
from tests.cli_helpers import exit_code

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.mark.parametrize("as_of", ["1900-01-01", "2199-12-31", "2000-02-29"])
def test_edge_dates_with_calendar_schedules_run(as_of):
    # 200 borrowers x 2 paths x 3650 days; seasoned drawdowns reach back before as_of
    scenario = simulator.load_scenario(BASELINE, [
        "book.borrowers=200", "monte_carlo.paths=2", "horizon_days=3650", f"as_of={as_of}",
        "contract.schedule_period=calendar"])
    tables, _ = simulator.simulate(scenario, threads=1)
    ts = tables["timeseries"]
    for name in ts.column_names:
        if name not in ("path", "day", "segment"):
            values = ts.column(name).to_numpy()
            assert np.isfinite(values).all() and (values >= 0).all(), name


@pytest.mark.parametrize("as_of", ["1899-12-31", "2200-01-01", "0001-01-01", "9999-12-31",
                                   "2026-02-30", "2026-13-01", "!!timestamp 2025-02-29"])
def test_dates_out_of_range_or_nonexistent_exit_2(tmp_path, capsys, monkeypatch, as_of):
    text = BASELINE.read_text(encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("as_of:"))
    file = tmp_path / "dated.yaml"
    file.write_text(text.replace("as_of: 2026-01-01", f"as_of: {as_of}"), encoding="utf-8")
    code = exit_code(["validate", str(file)], monkeypatch)
    err = capsys.readouterr().err
    assert code == 2 and f"{file}:{line}: as_of:" in err and "Traceback" not in err, err
