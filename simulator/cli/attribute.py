"""`overdue attribute`: split a metric's change among a scenario's shocks and levers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.app import app
from simulator.cli.numbers import check_count
from simulator.errors import InputError
from simulator.scenario import bounds as B
from simulator.studies import attribution as A
from simulator.studies.calibrate import DEFAULT_BORROWERS, DEFAULT_PATHS


@app.command()
def attribute(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    metric: Annotated[str, typer.Option(
        "--metric", help="METRIC[@STAT] to split, e.g. dpd90_end@p95 (STAT is mean unless "
        "given).")] = A.DEFAULT_METRIC,
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", help="Scenario whose policy levers a switched-off lever takes (default: "
        "no levers). It must have no shocks.")] = None,
    paths: Annotated[int, typer.Option("--paths", help="Paths per run (0: the scenario's)."
                                       )] = DEFAULT_PATHS,
    borrowers: Annotated[int, typer.Option(
        "--borrowers", help="Borrowers per run (0: the scenario's own).")] = DEFAULT_BORROWERS,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a value in every run, e.g. --set horizon_days=180 "
        "(repeatable).")] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Also write the result as JSON here.")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Also write a PDF page with the table and the waterfall chart here."
    )] = None,
    threads: Annotated[int | None, typer.Option("--threads", help="Threads (default or 0: all).")
                       ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No line per run.")] = False,
) -> None:
    """Split a metric's change among shocks and levers.

    Every run uses the scenario's seed and book (common random numbers); a switched-off driver
    is a removed shock or a lever at the baseline's value. Shapley values up to six drivers
    (2^n runs), sequential in the scenario's order beyond. The parts add up to the total change
    exactly. Exit 0 on success, 2 on bad input.
    """
    check_count("--paths", paths, 0, B.PATHS_MAX, "the scenario's")
    check_count("--borrowers", borrowers, 0, B.BORROWERS_MAX, "the scenario's own")
    check_count("--threads", threads, 0, B.THREADS_MAX, "all cores")
    for flag, target in (("--json", json_out), ("--report", report)):
        if target is not None and target.is_dir():
            raise InputError(f"{flag} {target} is a folder; give a file", path=flag)
    sizing = [f"monte_carlo.paths={paths}"] if paths else []
    if borrowers:
        sizing.append(f"book.borrowers={borrowers}")

    def progress(on: str, value: float) -> None:
        if not quiet:
            typer.echo(f"run: on = {on} -> {value:.8g}", err=True)

    result = A.attribute(scenario, metric, baseline=baseline, sets=[*sizing, *(set_ or ())],
                         threads=threads or None, progress=progress)
    typer.echo(A.format_result(result))
    if json_out is not None:
        json_out.write_text(json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
        typer.echo(f"wrote {json_out}")
    if report is not None:
        from simulator.reporting.attribution import write_attribution_pdf

        write_attribution_pdf(result.as_dict(), report, scenario.name)
        typer.echo(f"wrote {report}")
