"""overdue: Monte Carlo stress testing for Jiebei-style consumer cash-loan portfolios.

The Python API: :func:`load_scenario`, :func:`run` (simulate and write a run folder) and
:class:`Run` (open an existing run folder).
"""

__version__ = "0.1.0"

from simulator.api import run, simulate  # noqa: E402
from simulator.results import Run  # noqa: E402
from simulator.scenario import Scenario, load_scenario  # noqa: E402

__all__ = ["Run", "Scenario", "__version__", "load_scenario", "run", "simulate"]
