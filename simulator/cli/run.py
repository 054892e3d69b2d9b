"""`overdue run`: simulate a scenario and write its run folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.app import app
from simulator.cli.numbers import check_run_counts
from simulator.errors import InputError


def _progress_bar():
    """A rich progress bar on a terminal; None when stderr is not a terminal (quiet)."""
    if not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from simulator.cli.progress import Eta

    bar = Progress(TextColumn("simulating"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
                   TextColumn("{task.fields[eta]}"), console=Console(stderr=True),
                   transient=True)
    task = bar.add_task("run", total=1, eta="")
    eta = Eta()  # from this run's pace: work resumed from checkpoints does not count

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total, eta=eta(done, total))

    return bar, update


def _as_typed(exc: InputError, typed: dict[str, str]) -> InputError:
    """``exc`` quoting the option the user typed (``--paths 0``) where it quotes the ``--set``
    override that option was turned into, which the user never wrote."""
    message = exc.message
    for generated, option in typed.items():
        message = message.replace(f"--set {generated!r}", option)
        message = message.replace(f"--set {generated}", option)
    if message == exc.message:
        return exc
    return type(exc)(message, path=exc.path, line=exc.line, source=exc.source)


@app.command()
def run(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML.")],
    paths: Annotated[int | None, typer.Option(help="Monte Carlo paths (overrides "
                                              "monte_carlo.paths).")] = None,
    borrowers: Annotated[int | None, typer.Option(help="Borrowers in the synthetic book.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (monte_carlo.seed).")] = None,
    horizon_days: Annotated[int | None, typer.Option(help="Days simulated.")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a scenario value, e.g. --set contract.charge_off_dpd=90 "
        "(repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(help="The run folder to write (default: a new "
                                             "folder under --out-root).")] = None,
    out_root: Annotated[Path, typer.Option(help="Where default run folders go.")] = Path("results"),
    force: Annotated[bool, typer.Option(help="Replace an existing run folder (or an empty "
                                        "folder; any other folder is refused). The old run "
                                        "stays until the new one is complete. Without "
                                        "--resume, also discards the checkpoints of an "
                                        "unfinished run into the folder.")] = False,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run from the "
                                         "checkpoints in <run folder>.partial (without "
                                         "--out: the newest of this scenario under "
                                         "--out-root); the same bits as an uninterrupted "
                                         "run.")] = False,
    threads: Annotated[int | None, typer.Option(help="Threads (default or 0: all "
                                                "cores).")] = None,
    chunk_size: Annotated[int | None, typer.Option(help="Borrowers per task (default or 0: "
                                                   "50,000).")] = None,
    path_block: Annotated[int | None, typer.Option(help="Paths per task (default or 0: "
                                                   "8).")] = None,
    engine: Annotated[str, typer.Option(help="local (threads) or dask.")] = "local",
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address tcp://HOST:PORT (--engine dask; default: a local "
        "cluster).")] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar and no summary.")] = False,
) -> None:
    """Simulate SCENARIO and write its run folder.

    Every path, day by day. The run folder holds manifest.json, scenario.yaml,
    timeseries.parquet, paths.parquet, quantiles.parquet and vintages.parquet.

    Results do not depend on --threads, --chunk-size, --path-block or --engine: the same
    scenario and seed give the same bits. The run folder's path is the last line printed.

    A run of several tasks checkpoints each finished one in <run folder>.partial, which an
    interruption (Ctrl-C, SIGTERM, SIGKILL, a lost machine) keeps: the same command with
    --resume continues the run. The folder is removed once the run folder is written.
    """
    from simulator.analysis.summary import format_summary
    from simulator.api import run as run_scenario
    from simulator.scenario import load_scenario

    check_run_counts(paths=paths, borrowers=borrowers, seed=seed, horizon_days=horizon_days,
                     threads=threads, chunk_size=chunk_size, path_block=path_block)
    overrides = list(set_ or [])
    typed: dict[str, str] = {}  # the --set text an option becomes -> the option as typed
    for option, key, value in (("--paths", "monte_carlo.paths", paths),
                               ("--borrowers", "book.borrowers", borrowers),
                               ("--seed", "monte_carlo.seed", seed),
                               ("--horizon-days", "horizon_days", horizon_days)):
        if value is not None:
            overrides.append(f"{key}={value}")
            typed[f"{key}={value}"] = f"{option} {value}"
    try:
        scenario = load_scenario(scenario_file, overrides)
    except InputError as exc:
        raise _as_typed(exc, typed) from None
    bar, update = (None, None) if quiet else _progress_bar()
    if bar is not None:
        bar.start()
    try:
        result = run_scenario(scenario, out=out, out_root=out_root, force=force,
                              threads=threads, chunk_size=chunk_size, path_block=path_block,
                              engine=engine, scheduler=scheduler, progress=update,
                              command=["overdue", *sys.argv[1:]], resume=resume,
                              notice=lambda line: typer.echo(line, err=True))
    finally:
        if bar is not None:
            bar.stop()
    if not quiet:
        m = result.manifest
        typer.echo(
            f"{scenario.name}: {m['borrowers'] - m['applicants_approved']:,} borrowers at day 0"
            f" + {m['applicants_approved']:,} approved applicants, {m['drawdowns']:,} drawdowns, "
            f"{m['paths']} paths, {m['horizon_days']} days; "
            f"{m['drawdown_days'] / 1e6:,.0f}M drawdown-days in {m['timings_s']['simulate']:.1f} s "
            f"({m['drawdown_days_per_s'] / 1e6:,.0f}M/s)"
        )
        typer.echo(format_summary(result.summary()))
    typer.echo(str(result.folder))
