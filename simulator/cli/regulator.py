"""`overdue regulator`: the PBOC and Fed scenarios against the regulators' published measures."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from simulator.cli.app import app
from simulator.cli.numbers import check_count
from simulator.cli.options import Quiet, ScenarioFolder, Threads, scenario_folder
from simulator.scenario import bounds as B
from simulator.studies import regulators as G


class Which(StrEnum):
    all = "all"
    pboc = "pboc"
    fed = "fed"


@app.command()
def regulator(
    which: Annotated[Which, typer.Option("--only", help="all, pboc or fed.")] = Which.all,
    borrowers: Annotated[int, typer.Option(
        "--borrowers", help="Borrowers for every run (0: each file's own).")] = 0,
    paths: Annotated[int, typer.Option(
        "--paths", help="Paths for every run (0: each file's own).")] = 0,
    scenarios: ScenarioFolder = None,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """PBOC and Fed scenarios against the published measures.

    PBOC: NPL ratio without disposal at the three year-ends of pboc_light, pboc_moderate and
    pboc_severe beside the baseline on the same draws, and their relative severity beside the
    published one. Fed: the nine-quarter loss rate on average balance of
    fed_severely_adverse beside the baseline's and the Fed's bank range. Exit 0 whatever the
    result; 2 on bad input.
    """
    check_count("--borrowers", borrowers, 0, B.BORROWERS_MAX, "each file's own")
    check_count("--paths", paths, 0, B.PATHS_MAX, "each file's own")
    check_count("--threads", threads, 0, B.THREADS_MAX, "all cores")
    folder = scenario_folder(scenarios)

    def progress(line: str) -> None:
        if not quiet:
            typer.echo(line, err=True)

    size = (borrowers or None, paths or None, threads or None)
    parts = []
    if which in (Which.all, Which.pboc):
        parts.append(G.format_pboc(G.pboc(folder, *size, progress=progress)))
    if which in (Which.all, Which.fed):
        parts.append(G.format_fed(G.fed(folder, *size, progress=progress)))
    typer.echo("\n\n".join(parts))
