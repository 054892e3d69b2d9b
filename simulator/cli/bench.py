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
) -> None:
    """Benchmark the kernel; print a table and write the results JSON.

    Measures the kernel's throughput (drawdown-days per second), thread scaling, the ratio to a
    plain-numpy peer, peak memory, cold start and cache fallback. With --compare, gate on the
    kernel/numpy ratio.
    """
    from rich.console import Console
    from rich.table import Table

    from simulator.bench.suite import compare as gate
    from simulator.bench.suite import default_output, run_suite, table_rows
    from simulator.errors import InputError

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
    table = Table(title=f"overdue bench ({result['mode']}, {result['machine']['cpu_model']}, "
                        f"{result['machine']['cores']} cores, {result['total_s']} s)")
    for col in ("case", "size", "drawdown-days/s", "ns/drawdown-day", "other"):
        table.add_column(col)
    for row in table_rows(result):
        table.add_row(*row)
    Console().print(table)
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
