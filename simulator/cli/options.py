"""Options several commands share, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.errors import InputError
from simulator.scenario.shipped import library_folder

ScenarioFolder = Annotated[Path | None, typer.Option(
    "--scenarios", help="Folder of scenario files (default: the shipped library).")]
Threads = Annotated[int | None, typer.Option("--threads", help="Threads (default or 0: all).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No line per scenario.")]


def scenario_folder(given: Path | None) -> Path:
    """The folder given, or the shipped library; refused unless it is a folder."""
    folder = given if given is not None else library_folder()
    if not folder.is_dir():
        raise InputError("is not a folder of scenario files", path=str(folder))
    return folder
