"""overdue: Monte Carlo stress testing for Jiebei-style consumer cash-loan portfolios.

The Python API: :func:`load_scenario`, :func:`run` (simulate and write a run folder) and
:class:`Run` (open an existing run folder).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from simulator._version import __version__

if TYPE_CHECKING:
    from simulator.api import run, simulate
    from simulator.results import Run
    from simulator.scenario import Scenario, load_scenario

__all__ = ["Run", "Scenario", "__version__", "load_scenario", "run", "simulate"]

# The API is imported on first use, not with the package: the `overdue` console script imports
# this package before its own code runs, and must set its SIGINT/SIGTERM handlers before the
# second it takes to import numba, pyarrow and the engine.
_LAZY = {"run": "simulator.api", "simulate": "simulator.api", "Run": "simulator.results",
         "Scenario": "simulator.scenario", "load_scenario": "simulator.scenario"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    try:  # ``import simulator; simulator.errors`` as before, when the API imported it
        return importlib.import_module(f"simulator.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"simulator.{name}":
            raise
        raise AttributeError(f"module 'simulator' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
