"""overdue: Monte Carlo stress testing for Jiebei-style consumer cash-loan portfolios.

The Python API: :func:`load_scenario`, :func:`run` (simulate and write a run folder) and
:class:`Run` (open an existing run folder).
"""

from simulator._version import __version__
from simulator.api import run, simulate
from simulator.results import Run
from simulator.scenario import Scenario, load_scenario

__all__ = ["Run", "Scenario", "__version__", "load_scenario", "run", "simulate"]
