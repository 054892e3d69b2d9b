"""`overdue regulator`: the PBOC and Fed scenarios against the regulators' published measures."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.app import app
from simulator.cli.numbers import check_count
from simulator.errors import InputError
from simulator.scenario import bounds as B
from simulator.scenario.shipped import library_folder
from simulator.studies import regulators as G


class Which(str, Enum):
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
    scenarios: Annotated[Path | None, typer.Option(
        "--scenarios", help="Folder of scenario files (default: the shipped library).")] = None,
    threads: Annotated[int | None, typer.Option("--threads", help="Threads (default or 0: all).")
                       ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No line per run.")] = False,
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
    folder = scenarios if scenarios is not None else library_folder()
    if not folder.is_dir():
        raise InputError("is not a folder of scenario files", path=str(folder))

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
