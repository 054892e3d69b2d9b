"""`overdue check`: model validation running the real kernel (see :mod:`simulator.validation.checks`
and, for ``twin``, :mod:`simulator.validation.twin_check`).

Exit codes: 0 every comparison holds, 1 a check failed, 2 bad arguments.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.app import app
from simulator.cli.numbers import check_count
from simulator.errors import InputError
from simulator.scenario import bounds as B

check_app = typer.Typer(
    name="check",
    help="Validate the model with the real kernel.\n\nLedger agreement, the Vasicek law, "
    "conservation, the behaviour twin. Exit 0 only if every comparison holds.",
    no_args_is_help=True,
)
app.add_typer(check_app, name="check")


class Format(StrEnum):
    table = "table"
    json = "json"


FormatOption = Annotated[Format, typer.Option("--format", help="table or json.")]
ScenarioArgument = Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML.")]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a scenario value (repeatable).")]
ThreadsOption = Annotated[int | None, typer.Option(help="Kernel threads (default: all cores).")]


def _scenario(path: Path, sets: list[str] | None, paths: int | None, borrowers: int | None):
    """The scenario file with its --set overrides, then --paths and --borrowers if given."""
    from simulator.scenario import load_scenario

    overrides = list(sets or [])
    if paths is not None:
        overrides.append(f"monte_carlo.paths={paths}")
    if borrowers is not None:
        overrides.append(f"book.borrowers={borrowers}")
    return load_scenario(path, overrides)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _finish(ok: bool) -> None:
    if not ok:  # a failed check: exit 1 (sys.exit, so the console entry point passes it on)
        sys.exit(1)


@check_app.command("ledger")
def ledger(
    drawdowns: Annotated[int, typer.Option(min=1, help="Drawdowns in all, spread over the "
                                           "books.")] = 360,
    days: Annotated[int, typer.Option(min=1, max=2000, help="Days simulated after day 0.")] = 400,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random books and plans.")] = 0,
    books: Annotated[int | None, typer.Option(min=1, help="Books (each its own contract); "
                                              "default one per contract combination, 36.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Compare the kernel with the ledger on random books.

    Random books and forced payment plans go through the kernel and the ledger: every end
    state and every day's aggregates must agree exactly, to the micro-yuan.
    """
    from simulator.validation.checks import check_ledger

    check_count("--drawdowns", drawdowns, 1, 10_000_000)
    check_count("--seed", seed, 0, B.SEED_MAX)
    check_count("--books", books, 1, 100_000)
    r = check_ledger(drawdowns=drawdowns, days=days, seed=seed, books=books)
    if fmt is Format.json:
        typer.echo(json.dumps({
            "check": "ledger", "ok": r.ok, "seed": r.seed, "books": r.books,
            "drawdowns": r.drawdowns, "seasoned": r.seasoned, "days": r.days,
            "max_money_diff_yuan": r.max_money_diff_yuan,
            "tolerance_yuan": r.tolerance_micro / 1e6, "required": "exact",
            "end_state_max_diff": r.end_max_diff, "aggregate_max_diff": r.agg_max_diff,
            "mismatches": r.n_mismatches,
            "first_mismatches": [m.__dict__ for m in r.mismatches],
        }, indent=2))
        _finish(r.ok)
        return
    typer.echo(f"kernel vs ledger: {r.books} books, {r.drawdowns} drawdowns ({r.seasoned} "
               f"seasoned), {r.days} days, seed {r.seed}")
    typer.echo(f"{'end state field':<24}{'max diff':>12}")
    for name, v in r.end_max_diff.items():
        typer.echo(f"{name:<24}{v:>12}")
    typer.echo(f"{'daily aggregate':<24}{'max diff':>12}")
    for name, v in r.agg_max_diff.items():
        typer.echo(f"{name:<24}{v:>12}")
    typer.echo("(money in micro-yuan, counts in drawdowns or borrowers)")
    typer.echo(f"max money difference: {r.max_money_diff_yuan:.6f} yuan; tolerance of hand "
               f"calculation half a fen ({r.tolerance_micro / 1e6:.3f} yuan); required: exact")
    for m in r.mismatches:
        where = f"drawdown {m.drawdown} end state" if m.drawdown >= 0 else f"day {m.day}"
        typer.echo(f"  book {m.book}, {where}: {m.field} kernel {m.kernel} ledger {m.ledger}")
    if r.n_mismatches > len(r.mismatches):
        typer.echo(f"  ... {r.n_mismatches - len(r.mismatches)} more mismatches")
    typer.echo(f"result: {_verdict(r.ok)}")
    _finish(r.ok)


@check_app.command("vasicek")
def vasicek(
    pd: Annotated[float, typer.Option("--pd", min=0.0, max=1.0, help="PD of the due date, "
                                      "in (0, 1).")],
    rho: Annotated[float, typer.Option(min=0.0, max=1.0, help="Asset correlation, in (0, 1).")],
    loans: Annotated[int, typer.Option(min=1, help="Loans per path.")] = 20_000,
    paths: Annotated[int, typer.Option(min=2, help="Monte Carlo paths.")] = 400,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 1,
    alpha: Annotated[float, typer.Option(min=0.0, max=1.0, help="Level of each comparison "
                                         "(two-sided).")] = 1e-3,
    threads: Annotated[int | None, typer.Option(help="Threads (default or 0: all cores).")
                       ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Compare the share of loans that miss with the Vasicek law.

    One due date, no cure, constant PD: the share that misses, across paths, against the
    Vasicek law (quantiles 0.5, 0.9, 0.99, 0.999 and the mean).
    """
    from simulator.validation.checks import check_vasicek

    if not 0.0 < pd < 1.0:
        raise InputError("--pd must lie strictly between 0 and 1", path="--pd")
    if not 0.0 < rho < 1.0:
        raise InputError("--rho must lie strictly between 0 and 1", path="--rho")
    if not 0.0 < alpha < 1.0:
        raise InputError("--alpha must lie strictly between 0 and 1", path="--alpha")
    check_count("--loans", loans, 1, 100_000_000)
    check_count("--paths", paths, 2, B.PATHS_MAX)
    check_count("--seed", seed, 0, B.SEED_MAX)
    check_count("--threads", threads, 0, B.THREADS_MAX, "all cores")
    r = check_vasicek(pd, rho, loans=loans, paths=paths, seed=seed, alpha=alpha, threads=threads)
    if fmt is Format.json:
        typer.echo(json.dumps({
            "check": "vasicek", "ok": r.ok, "pd": r.pd, "rho": r.rho, "loans": r.loans,
            "paths": r.paths, "seed": r.seed, "alpha": r.alpha, "tolerance": r.tolerance_rule,
            "rows": [{"statistic": x.name, "simulated": x.simulated, "expected": x.expected,
                      "low": x.low, "high": x.high, "ok": x.ok} for x in r.rows],
        }, indent=2))
        _finish(r.ok)
        return
    typer.echo(f"Vasicek: pd {r.pd:g}, rho {r.rho:g}, {r.loans:,} loans, {r.paths:,} paths, "
               f"seed {r.seed}; share of loans missing the day-30 due date")
    typer.echo(f"{'statistic':<10}{'simulated':>11}{'expected':>11}   {'tolerance interval':<22}"
               f"  ok")
    for x in r.rows:
        interval = f"[{x.low:.5f}, {x.high:.5f}]"
        typer.echo(f"{x.name:<10}{x.simulated:>11.5f}{x.expected:>11.5f}   {interval:<22}"
                   f"  {'ok' if x.ok else 'FAIL'}")
    typer.echo(f"tolerance: {r.tolerance_rule}")
    typer.echo(f"result: {_verdict(r.ok)}")
    _finish(r.ok)


@check_app.command("conservation")
def conservation(
    scenario_file: ScenarioArgument,
    set_: SetOption = None,
    paths: Annotated[int | None, typer.Option(help="Monte Carlo paths.")] = None,
    borrowers: Annotated[int | None, typer.Option(help="Borrowers in the synthetic book.")] = None,
    threads: Annotated[int | None, typer.Option(help="Threads (default or 0: all cores).")
                       ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Check that SCENARIO's money and drawdowns are conserved.

    Runs SCENARIO in memory and checks, on every path, day and segment: day-0 principal =
    outstanding + cumulative paid + cumulative charged-off principal (exact, micro-yuan), and
    drawdowns = n_M0..n_M6 + n_CO + n_closed.
    """
    check_count("--paths", paths, 1, B.PATHS_MAX)
    check_count("--borrowers", borrowers, 1, B.BORROWERS_MAX)
    check_count("--threads", threads, 0, B.THREADS_MAX, "all cores")
    from simulator.validation.checks import check_conservation

    r = check_conservation(_scenario(scenario_file, set_, paths, borrowers), threads=threads)
    if fmt is Format.json:
        typer.echo(json.dumps({"check": "conservation", "ok": r.ok, **r.__dict__}, indent=2))
        _finish(r.ok)
        return
    typer.echo(f"conservation: {r.scenario}, {r.paths} paths x {r.days + 1} days x "
               f"{r.segments} segments = {r.rows:,} rows, {r.drawdowns:,} drawdowns")
    typer.echo(f"principal (integer micro-yuan), max |gap|: {r.principal_max_diff}  (required 0)")
    typer.echo(f"principal (timeseries yuan), max |gap|: {r.table_max_diff_yuan:.3g} yuan  "
               f"(tolerance 1e-6 yuan)")
    typer.echo(f"drawdown counts, max |gap|: {r.count_max_diff}  (required 0)")
    if r.worst is not None:
        typer.echo(f"largest principal gap at path {r.worst[0]}, day {r.worst[1]}, "
                   f"segment {r.worst[2]}")
    typer.echo(f"result: {_verdict(r.ok)}")
    _finish(r.ok)


@check_app.command("twin")
def twin(
    scenario_file: ScenarioArgument,
    borrowers: Annotated[int, typer.Option(min=1, help="Borrowers in the synthetic book.")] = 1000,
    paths: Annotated[int, typer.Option(min=1, help="Monte Carlo paths.")] = 2,
    horizon_days: Annotated[int | None, typer.Option(
        min=1, help="Days simulated (default: the scenario's).")] = None,
    set_: SetOption = None,
    threads: ThreadsOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Compare the engine with the behaviour twin, exactly.

    Runs SCENARIO through the engine and through the behaviour twin, a plain-Python simulation
    of every drawdown on every day, and compares every aggregate metric on every path, day and
    segment: exact equality required. The twin is slow (about 10 s for 1,000 borrowers x 2
    paths x 365 days), hence the small default size.
    """
    from simulator.scenario import load_scenario
    from simulator.validation.twin_check import check_twin

    overrides = [*(set_ or []), f"book.borrowers={borrowers}", f"monte_carlo.paths={paths}"]
    if horizon_days is not None:
        overrides.append(f"horizon_days={horizon_days}")
    scenario = load_scenario(scenario_file, overrides)
    r = check_twin(scenario, threads=threads)
    c = r.comparison
    if fmt is Format.json:
        typer.echo(json.dumps({
            "check": "twin", "ok": r.ok, "scenario": r.scenario, "paths": r.paths,
            "days": r.days, "segments": r.segments, "borrowers": r.borrowers,
            "drawdowns": r.drawdowns, "cells": c.cells, "differences": c.n_differences,
            "first_difference": None if c.first is None else c.first.__dict__,
            "differences_by_metric": c.by_metric, "kernel_seconds": r.kernel_seconds,
            "twin_seconds": r.twin_seconds,
        }, indent=2))
        _finish(r.ok)
        return
    typer.echo(f"kernel vs behaviour twin: {r.scenario}, {r.borrowers:,} borrowers "
               f"({r.drawdowns:,} drawdowns), {r.paths} paths x {r.days + 1} days x "
               f"{r.segments} segments")
    typer.echo(f"aggregate cells compared: {c.cells:,} (every metric, path, day, segment); "
               f"differing: {c.n_differences:,}  (required 0)")
    if c.first is not None:
        f = c.first
        typer.echo(f"first difference: {f.metric} on path {f.path}, day {f.day}, segment "
                   f"{f.segment}: kernel {f.kernel}, twin {f.twin}")
        for name, n in c.by_metric.items():
            typer.echo(f"  {name:<26}{n:>10,} cells differ")
    typer.echo(f"time: kernel {r.kernel_seconds:.1f} s, twin {r.twin_seconds:.1f} s")
    typer.echo(f"result: {_verdict(r.ok)}")
    _finish(r.ok)


@check_app.command("going-concern")
def going_concern(
    scenario_file: ScenarioArgument,
    borrowers: Annotated[int | None, typer.Option(
        min=1, help="Borrowers (default: the scenario's).")] = None,
    paths: Annotated[int | None, typer.Option(
        min=1, help="Monte Carlo paths (default: the scenario's).")] = None,
    set_: SetOption = None,
    threads: ThreadsOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Check that an unshocked scenario does not drift on its own.

    Runs SCENARIO and compares, on the median path, the 30+ and 90+ ratios at the horizon
    with day 0 (within 15%) and on-book principal (within 10%), each with the Monte Carlo
    standard error of the horizon's median. A stress is read against its baseline, so the
    baseline must be a going concern: turn book.burn_in_months on so day 0 is the model's own.
    """
    from simulator.validation.going_concern import check_going_concern

    scenario = _scenario(scenario_file, set_, paths, borrowers)
    r = check_going_concern(scenario, threads=threads)
    if fmt is Format.json:
        typer.echo(json.dumps({
            "check": "going-concern", "ok": r.ok, "scenario": scenario.name,
            "paths": r.paths, "horizon_days": r.horizon,
            "drifts": [{**d._asdict(), "ok": d.ok} for d in r.drifts]}, indent=2))
        _finish(r.ok)
        return
    typer.echo(f"going concern: {scenario.name}, {scenario.book.borrowers:,} borrowers x "
               f"{r.paths} paths, day 0 against day {r.horizon} on the median path")
    for d in r.drifts:
        typer.echo(f"  {d.metric:<22} day 0 {d.day0:>14.6g}   day {r.horizon} {d.end:>14.6g} "
                   f"(MC s.e. {d.end_se:.3g})   change {d.change:+.1%} "
                   f"(s.e. {d.change_se:.1%}, limit +-{d.limit:.0%})  {_verdict(d.ok)}")
    typer.echo(f"result: {_verdict(r.ok)}")
    _finish(r.ok)
