"""`overdue bench`: the benchmark suite, its printed table, JSON results and regression gate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.app import app


@app.command()
def bench(
    quick: Annotated[bool, typer.Option(help="Tiny sizes, every case once (under a minute); "
                                        "the smoke test.")] = False,
    compare: Annotated[Path | None, typer.Option(
        help="A results or baseline JSON of the same mode: exit 1 when the kernel/numpy-peer "
        "throughput ratio falls more than 25% below it.")] = None,
    output: Annotated[Path | None, typer.Option(
        help="Where to write the results JSON (default: "
        "benchmarks/results/<YYYY-MM-DD>-<host>.json).")] = None,
    skip_large: Annotated[bool, typer.Option(help="Skip the 10,000,000-borrower peak-memory "
                                             "case.")] = False,
    scenario: Annotated[Path | None, typer.Option(
        help="Scenario YAML (default: the shipped baseline, scenarios/baseline.yaml, also "
        "installed with the package).")] = None,
    scale: Annotated[bool, typer.Option(
        help="Run the scale group instead (an hour or more on 2 cores): 100,000,000 "
        "borrowers x 365 days, peak memory at 1,000,000 and 20,000,000 borrowers, a "
        "two-worker Dask run, 1,000,000 borrowers x many paths.")] = False,
    scale_paths: Annotated[int, typer.Option(
        min=0, max=100_000, help="Paths of the scale group's 1,000,000-borrower case (0 "
        "skips it; under 1,000 also extrapolates its time to 1,000).")] = 1_000,
) -> None:
    """Benchmark the kernel; print a table and write the results JSON.

    Measures the kernel's throughput (drawdown-days per second), thread scaling, the ratio to a
    plain-numpy peer, peak memory, cold start and cache fallback. With --compare, gate on the
    kernel/numpy ratio. With --scale, the scale group: whole runs of books far larger than
    one chunk, their peak memory and time (exit 1 when a memory limit is passed or the Dask
    run's bits differ from the local engine's).
    """
    from rich.console import Console

    from simulator.bench.suite import compare as gate
    from simulator.bench.suite import (
        default_output,
        run_scale_suite,
        run_suite,
        scale_rows,
        table_rows,
    )
    from simulator.errors import InputError

    if scale:
        if compare is not None or quick:
            raise InputError("--scale is a group of its own: without --quick or --compare",
                             path="--scale")
        _scale(run_scale_suite, scale_rows, default_output, scenario, scale_paths, output)
        return
    baseline = None
    if compare is not None:  # read it before spending minutes measuring
        try:
            baseline = json.loads(compare.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read {compare}: {exc}", path="--compare") from exc
        mode = "quick" if quick else "full"
        if baseline.get("mode") != mode:
            raise InputError(f"{compare} was measured in {baseline.get('mode')} mode and this "
                             f"run is {mode}; compare like with like (add or drop --quick)",
                             path="--compare")
    err = Console(stderr=True)
    result = run_suite(quick=quick, skip_large=skip_large, scenario=scenario,
                       log=lambda msg: err.print(f"[dim]bench: {msg}[/dim]"))
    _print_table(f"overdue bench ({result['mode']}, ", result, table_rows(result))
    out = output or default_output(result["machine"])
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = True
    if baseline is not None:
        ok, msg = gate(result, baseline)
        result["gate"]["compared_with"] = str(compare)
        result["gate"]["ok"] = ok
        print(msg)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(out)
    if not ok:
        sys.exit(1)


def _scale(run_scale_suite, scale_rows, default_output, scenario, paths, output) -> None:
    from rich.console import Console

    err = Console(stderr=True)
    result = run_scale_suite(scenario=scenario, paths=paths,
                             log=lambda msg: err.print(f"[dim]bench: {msg}[/dim]"))
    _print_table("overdue bench --scale (", result, scale_rows(result))
    out = output or default_output(result["machine"]).with_suffix(".scale.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(out)
    cases = result["cases"]
    if not all(cases[k]["ok"] for k in ("memory_pair", "dask_loopback", "huge_book")):
        sys.exit(1)


def _print_table(title: str, result: dict, rows) -> None:
    """The suite's table on stdout, titled with the machine and the suite's total time."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{title}{result['machine']['cpu_model']}, "
                        f"{result['machine']['cores']} cores, {result['total_s']} s)")
    for col in ("case", "size", "drawdown-days/s", "ns/drawdown-day", "other"):
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    Console().print(table)
