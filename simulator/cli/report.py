"""`overdue report` (the risk-committee PDF or HTML of a run folder) and `overdue compare`
(key figures of several runs side by side, with paired or unpaired Monte Carlo intervals)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.app import app
from simulator.errors import InputError


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR", help="The run folder.")],
    baseline: Annotated[Path | None, typer.Option(
        help="A baseline run folder: adds differences and overlays.")] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="The file to write (default RUN_DIR/report.pdf or .html).")] = None,
    format_: Annotated[str, typer.Option("--format", help="pdf or html.")] = "pdf",
    attribution: Annotated[Path | None, typer.Option(
        "--attribution", metavar="FILE",
        help="An attribution record written by `overdue attribute --json FILE`: adds its "
        "table and waterfall as the attribution page.")] = None,
) -> None:
    """Write the risk-committee report of a run folder.

    Nothing is re-simulated: the report reads the run's tables (and, with --attribution, the
    record `overdue attribute` wrote).
    """
    from simulator.reporting.attribution import read_record
    from simulator.reporting.report import build_report

    if format_ not in ("pdf", "html"):
        raise InputError(f"--format {format_!r}: use pdf or html")
    record = read_record(attribution) if attribution is not None else None
    path = build_report(run_dir, baseline=baseline, out=output, fmt=format_,
                        attribution=record)
    typer.echo(str(path))


@app.command()
def compare(
    runs: Annotated[list[Path], typer.Argument(metavar="RUN_A RUN_B...",
                                               help="Run folders; differences are to the first.")],
    format_: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    max_change: Annotated[list[str] | None, typer.Option(
        "--max-change", metavar="METRIC@STAT=REL",
        help="Exit 1 when METRIC@STAT moved by more than REL (relative to the first run) beyond "
        "its Monte Carlo error, e.g. net_loss_rate@mean=0.05 (repeatable).")] = None,
) -> None:
    """Compare run folders: key figures side by side.

    Differences are to the first run, with their confidence intervals (paired when runs share
    seed and book, Welch otherwise).
    """
    from simulator.analysis import compare as cmp

    if format_ not in ("table", "json", "csv"):
        raise InputError(f"--format {format_!r}: use table, json or csv")
    limits = [cmp.parse_max_change(s) for s in (max_change or [])]
    rows = list(cmp.DEFAULT_ROWS)
    for metric, stat, _ in limits:
        if (metric, stat) not in rows:
            rows.append((metric, stat))
    result = cmp.compare(runs, rows=rows)
    if format_ == "json":
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    elif format_ == "csv":
        typer.echo(cmp.format_csv(result), nl=False)
    else:
        typer.echo(cmp.format_table(result))
    breaches = cmp.check_max_change(result, limits)
    for msg in breaches:
        print(f"max-change exceeded: {msg}", file=sys.stderr)
    if breaches:
        sys.exit(1)
