"""Where the shipped scenarios are: ``scenarios/`` in a checkout, package data when installed.

A wheel carries the folder as the data-only package ``simulator.library`` (see setup.py and
pyproject.toml), so the same name resolves in both, without a second copy in the repository.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2] / "scenarios"


def shipped_scenario(name: str) -> Path:
    """The path of a shipped scenario file such as ``"baseline.yaml"``."""
    try:
        folder = resources.files("simulator.library")
    except ModuleNotFoundError:  # a checkout, run in place or installed in editable mode
        return _CHECKOUT / name
    return Path(str(folder / name))


def library_folder() -> Path:
    """The folder of the shipped scenario files and their README."""
    try:
        folder = resources.files("simulator.library")
    except ModuleNotFoundError:
        return _CHECKOUT
    return Path(str(folder))
