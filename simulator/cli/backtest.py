"""`overdue backtest`: the 2020 back-test, simulated 30+ against Ant's month by month."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.app import app
from simulator.cli.numbers import check_count
from simulator.cli.options import Threads
from simulator.scenario import bounds as B
from simulator.scenario import load_scenario
from simulator.scenario.shipped import shipped_scenario
from simulator.studies import backtest as T


@app.command()
def backtest(
    scenario: Annotated[Path | None, typer.Argument(
        help="The back-test's macro input (default: the shipped covid_2020.yaml).")] = None,
    borrowers: Annotated[int, typer.Option(
        "--borrowers", help="Borrowers (0: the scenario's own).")] = 0,
    paths: Annotated[int, typer.Option("--paths", help="Paths (0: the scenario's own).")] = 0,
    threads: Threads = None,
) -> None:
    """Back-test on 2020: simulated 30+ beside Ant's.

    The calibrated baseline is fed the actual 2020 macro series from 1 January 2020; prints
    its 30+ ratio at each month-end (mean, Monte Carlo standard error, 90% band across paths)
    beside Ant's actual (January 1.76%, May 3.01%), says whether the actual lies inside the
    band, and says what was fitted on the same episode. Exit 0 whatever the result; 2 on bad
    input.
    """
    check_count("--borrowers", borrowers, 0, B.BORROWERS_MAX, "the scenario's own")
    check_count("--paths", paths, 0, B.PATHS_MAX, "the scenario's own")
    check_count("--threads", threads, 0, B.THREADS_MAX, "all cores")
    path = scenario if scenario is not None else shipped_scenario("covid_2020.yaml")
    sets = [f"book.borrowers={borrowers}"] if borrowers else []
    sets += [f"monte_carlo.paths={paths}"] if paths else []
    loaded = load_scenario(path, sets)
    T.check_backtest_scenario(loaded, str(path))
    typer.echo(T.format_backtest(T.backtest(loaded, threads=threads or None)))
