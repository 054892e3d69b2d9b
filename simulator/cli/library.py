"""`overdue library`: run every scenario of the library and write (or check) its README table."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.app import app
from simulator.cli.numbers import check_count
from simulator.cli.options import Quiet, ScenarioFolder, Threads, scenario_folder
from simulator.errors import InputError
from simulator.files import atomic_write
from simulator.scenario import bounds as B
from simulator.studies import library as L


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("does not exist", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read it ({exc})", path=str(path)) from None


@app.command()
def library(
    out: Annotated[Path | None, typer.Option(
        "--out", help="The README holding the table between its markers (default: README.md "
        "of the scenario folder).")] = None,
    check: Annotated[bool, typer.Option(
        "--check", help="Write nothing: exit 1 when the README's table differs from what the "
        "files give now.")] = False,
    borrowers: Annotated[int, typer.Option(
        "--borrowers", help="Borrowers for every scenario (0: each file's own); the table then "
        "says it is not the shipped size.")] = 0,
    paths: Annotated[int, typer.Option(
        "--paths", help="Paths for every scenario (0: each file's own); the table then says "
        "it is not the shipped size.")] = 0,
    scenarios: ScenarioFolder = None,
    threads: Threads = None,
    quiet: Quiet = False,
) -> None:
    """Run every scenario of the library and write its table.

    Every scenario file runs at its stated size. Each target a file states (its `targets:`) is
    set beside the simulated figure with its Monte Carlo standard error, its source, and
    whether it lands inside its tolerance (plus one standard error). The table goes between
    the marker comments of the README; with --check nothing is written and the exit code is 1
    when the README differs. Exit 2 on bad input.
    """
    check_count("--borrowers", borrowers, 0, B.BORROWERS_MAX, "each file's own")
    check_count("--paths", paths, 0, B.PATHS_MAX, "each file's own")
    check_count("--threads", threads, 0, B.THREADS_MAX, "all cores")
    folder = scenario_folder(scenarios)
    readme = out if out is not None else folder / "README.md"
    old_text = _read(readme)
    L.split(old_text, str(readme))  # the markers are there before anything is run

    def progress(line: str) -> None:
        if not quiet:
            typer.echo(line, err=True)

    shown = "scenarios" if scenarios is None else str(scenarios)
    entries = L.build(folder, borrowers or None, paths or None, threads, shown, progress)
    block = L.render(entries, L.override_note(borrowers or None, paths or None))
    if check:
        _, old_block, _ = L.split(old_text, str(readme))
        if old_block == block:
            typer.echo(f"{readme}: the library table matches the scenario files")
            return
        diff = difflib.unified_diff(old_block.splitlines(), block.splitlines(),
                                    f"{readme} (written)", "the scenario files now",
                                    lineterm="")
        typer.echo("\n".join(diff))
        typer.echo(f"{readme}: the library table differs from what the scenario files give; "
                   "`overdue library` rewrites it", err=True)
        sys.exit(1)  # sys.exit, so the console entry point passes it on
    new_text = L.replace(old_text, block, str(readme))
    atomic_write(readme, lambda tmp: tmp.write_text(new_text, encoding="utf-8"))
    typer.echo(f"wrote {readme}")
