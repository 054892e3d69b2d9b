"""A small run of the case study with every lever on, shared by the report's page tests."""

from __future__ import annotations

from pathlib import Path

import pytest

import simulator
from tests.quick_book import QUICK

CASE_STUDY = Path(__file__).resolve().parents[2] / "scenarios" / "case_study_after.yaml"
SMALL = ["monte_carlo.paths=8", "book.borrowers=1500", "horizon_days=240", *QUICK]


@pytest.fixture(scope="session")
def levers_run(tmp_path_factory):
    """Collection channels, litigation and restructuring switched on (restructured principal,
    costs and waivers on book), 8 paths of 1,500 borrowers over 240 days."""
    folder = tmp_path_factory.mktemp("runs") / "levers"
    s = simulator.load_scenario(CASE_STUDY, SMALL)
    return simulator.Run.open(simulator.run(s, out=folder, force=True).folder)
