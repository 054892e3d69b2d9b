"""`overdue validate`: check scenario files without running them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.app import app
from simulator.scenario import Scenario, load_scenario


def _summary(scenario: Scenario) -> str:
    book = scenario.book
    if book.segments is not None:
        n = len(book.segments)
        what = f"{n} segment{'s' if n != 1 else ''}"
    else:
        what = f"tape {Path(book.tape or '').name}"
    return (
        f"name: {scenario.name}, {what}, horizon {scenario.horizon_days} days, "
        f"{scenario.monte_carlo.paths} paths"
    )


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files to check.")],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a value before validation, e.g. --set book.borrowers=5000 "
            "(repeatable; applied to every file).",
        ),
    ] = None,
    show: Annotated[
        bool,
        typer.Option("--show", help="Print each resolved scenario, every default written out."),
    ] = False,
) -> None:
    """Check scenario files, with every --set applied.

    Keys, types, ranges and cross-checks. Prints one 'ok' line per valid file; stops at the
    first invalid one (exit code 2).
    """
    for i, file in enumerate(files):
        scenario = load_scenario(file, overrides=set_ or ())
        line = f"ok  {file}  ({_summary(scenario)})"
        if show:
            if i:
                typer.echo("---")
            typer.echo(f"# {line}\n# sha256: {scenario.sha256()}")
            typer.echo(scenario.to_yaml(), nl=False)
        else:
            typer.echo(line)
