"""`overdue calibrate` (fit behaviour to targets) and `overdue reverse` (find a breach point)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.app import app
from simulator.cli.numbers import check_count, check_finite
from simulator.errors import InputError
from simulator.files import atomic_write
from simulator.scenario import bounds as B
from simulator.studies import calibrate as C
from simulator.studies import reverse as R

_SET = typer.Option("--set", help="Override a value before validation, e.g. --set "
                    "horizon_days=180 (repeatable; kept in the fitted scenario).")


def _check_study_counts(paths: int, borrowers: int, threads: int | None) -> None:
    check_count("--paths", paths, 1, B.PATHS_MAX)
    check_count("--borrowers", borrowers, 0, B.BORROWERS_MAX, "the scenario's own")
    check_count("--threads", threads, 0, B.THREADS_MAX, "all cores")


@app.command()
def calibrate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    target: Annotated[list[str], typer.Option(
        "--target", help="METRIC[@STAT]=VALUE, e.g. dpd30_end=0.015 (repeatable; STAT is mean "
        "unless given).")],
    param: Annotated[list[str] | None, typer.Option(
        "--param", help="Key path to fit, as many as targets, e.g. behaviour.cure_daily.M1, "
        "book.segments[*].base_pd (one multiplier on every item), behaviour.cure_daily.M2..M3. "
        "Default: chosen by target (see docs/calibration.md).")] = None,
    paths: Annotated[int, typer.Option(
        "--paths", help="Paths per run (0: the scenario's own).")] = 0,
    borrowers: Annotated[int, typer.Option(
        "--borrowers", help="Borrowers per run (0: the scenario's own).")] = 0,
    tol: Annotated[float, typer.Option(
        "--tol", help="Stop when every target is within TOL x min(target, 1 - target).")
    ] = C.DEFAULT_TOL,
    max_evals: Annotated[int, typer.Option("--max-evals", help="Most runs to spend.")
                         ] = C.DEFAULT_MAX_EVALS,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the fitted scenario here (YAML, every default written out).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
    set_: Annotated[list[str] | None, _SET] = None,
    threads: Annotated[int | None, typer.Option("--threads", help="Threads (default or 0: all).")
                       ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No line per run.")] = False,
) -> None:
    """Fit behaviour parameters so that metrics hit their targets.

    The metrics are the scenario's, means over paths, each printed with its Monte Carlo
    standard error. Every run uses the scenario's seed (common random numbers) and, unless
    --paths/--borrowers ask for less, the scenario's own size. Warns when a target's miss is
    within noise or the runs are smaller than the scenario. Exit 0 when every target is
    reached within the tolerance, 1 when not (nothing is written then), 2 on bad input.
    """
    check_count("--paths", paths, 0, B.PATHS_MAX, "the scenario's own")
    check_count("--borrowers", borrowers, 0, B.BORROWERS_MAX, "the scenario's own")
    check_count("--threads", threads, 0, B.THREADS_MAX, "all cores")
    check_count("--max-evals", max_evals, 1, 100_000)
    check_finite("--tol", tol, positive=True)
    targets = [C.parse_target(t) for t in target]
    if out is not None and out.exists() and not force:
        raise InputError(f"{out} exists; use --force to replace it", path="--out")

    def progress(ev: C.Evaluation) -> None:
        if not quiet:
            shown = ", ".join(f"{t.label}={s:.5g}" for t, s in zip(targets, ev.stats,
                                                                  strict=True))
            mult = ", ".join(f"x{2.718281828459045 ** v:.4g}" for v in ev.x)
            typer.echo(f"run: multipliers {mult} -> {shown}", err=True)

    result = C.calibrate(scenario, targets, params=param or None, sets=set_ or (),
                         paths=paths or None, borrowers=borrowers or None, tol=tol,
                         max_evals=max_evals, threads=threads, progress=progress)
    typer.echo(C.format_result(result))
    if not result.reached:
        sys.exit(1)  # sys.exit, so the console entry point passes it on
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        text = C.fitted_yaml(result, str(scenario))
        atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        typer.echo(f"wrote {out}")


@app.command()
def reverse(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    knob: Annotated[str, typer.Option(
        "--knob", help="Key path to move, e.g. shocks[0].income.change ([*]: every item).")],
    target: Annotated[str, typer.Option(
        "--target", help="The limit, METRIC[@STAT] OP VALUE with OP one of >=, >, <=, <, "
        "e.g. 'dpd90_end@p95>=0.02'.")],
    hi: Annotated[float, typer.Option("--hi", help="The most severe knob value to try.")],
    lo: Annotated[float | None, typer.Option(
        "--lo", help="Where the search starts (default: the scenario's value).")] = None,
    tol: Annotated[float | None, typer.Option(
        "--tol", help="Stop when the bracket is this narrow (default |hi - lo| / 100).")] = None,
    paths: Annotated[int, typer.Option("--paths", help="Paths per run.")] = C.DEFAULT_PATHS,
    borrowers: Annotated[int, typer.Option(
        "--borrowers", help="Borrowers per run (0: the scenario's own).")] = C.DEFAULT_BORROWERS,
    seeds: Annotated[int, typer.Option(
        "--seeds", help="Other seeds to re-evaluate the breach point with (0: none).")] = 3,
    set_: Annotated[list[str] | None, _SET] = None,
    threads: Annotated[int | None, typer.Option("--threads", help="Threads (default or 0: all).")
                       ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No line per run.")] = False,
) -> None:
    """Find the knob value at which a limit is first breached.

    Bisection with common random numbers, from lo towards hi; prints the value with its bracket
    and Monte Carlo band.

    Exit 0 when found (or already breached at lo, which is said), 1 when not breached at hi,
    2 on bad input.
    """
    _check_study_counts(paths, borrowers, threads)
    check_count("--seeds", seeds, 0, 1000, "none")
    check_finite("--hi", hi)
    check_finite("--lo", lo)
    check_finite("--tol", tol, positive=True)
    condition = R.parse_condition(target)

    def progress(p: R.Point) -> None:
        if not quiet:
            typer.echo(f"run: {knob}={p.knob:.6g} -> {condition.metric}@{condition.stat}="
                       f"{p.stat:.5g}{' (breached)' if p.breached else ''}", err=True)

    result = R.reverse(scenario, knob, condition, hi=hi, lo=lo, tol=tol, sets=set_ or (),
                       paths=paths, borrowers=borrowers or None, seeds=seeds, threads=threads,
                       progress=progress)
    typer.echo(R.format_result(result))
    if result.outcome == "not_breached_at_hi":
        sys.exit(1)  # sys.exit, so the console entry point passes it on
