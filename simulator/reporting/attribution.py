"""The attribution page: a driver attribution's table and waterfall chart, for the committee
report or on its own (``overdue attribute --report``)."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

from simulator import files
from simulator._version import __version__
from simulator.analysis.exact import apportion
from simulator.reporting import finance_plots, fonts
from simulator.reporting.blocks import Block

DECIMALS = 8


def attribution_blocks(record: dict) -> list[Block]:
    """Blocks of an attribution record (``Attribution.as_dict()`` or its JSON)."""
    exact_parts = [Fraction(p["exact"]) for p in record["parts"]]
    shown = apportion(exact_parts, DECIMALS)
    total = sum(shown, Fraction(0))
    rows = []
    for p, v in zip(record["parts"], shown, strict=True):
        share = float(v / total) if total else math.nan
        rows.append([p["driver"], f"{float(v):.{DECIMALS}f}",
                     "n/a" if math.isnan(share) else f"{share:.1%}"])
    rows.append(["total change", f"{float(total):.{DECIMALS}f}", "100.0%" if total else "n/a"])
    how = ("Shapley values: each driver's part is its change averaged over every order of "
           "switching the drivers on" if record["method"] == "shapley" else
           "sequential: drivers switched on one at a time in the order listed; the parts depend "
           "on that order")
    return [
        Block("h2", f"Attribution of {record['metric']} to shocks and levers"),
        Block("p", f"{record['metric']} is {record['base']:.{DECIMALS}f} with every driver off "
              f"and {record['full']:.{DECIMALS}f} with every driver on. Method: {how}."),
        Block("table", header=["Driver", "Part", "Share"], rows=rows),
        Block("small", f"{record['runs']} runs of {record['paths']} paths, seed "
              f"{record['seed']}, every run with the same seed and book (common random "
              "numbers); a driver switched off is a removed shock or a lever at the baseline's "
              "value. Parts are exact fractions of the float metric values and add up to the "
              f"total exactly; shown to {DECIMALS} decimals by the largest-remainder rule so "
              "that the shown parts add up to the shown total."),
        Block("figure", "Attribution waterfall",
              figure=lambda fig: finance_plots.attribution_figure(record, fig),
              reading="Reading: from the metric with every driver off (left) each bar adds one "
              "driver's part (mid grey up, light hatched down) to the metric with every driver "
              "on (right)."),
    ]


def write_attribution_pdf(record: dict, path: str | Path, name: str) -> Path:
    """Write the attribution page alone as a PDF (atomically, as the report is written)."""
    from simulator.reporting.pdf import write_pdf

    def write(tmp: Path) -> None:
        with fonts.context():
            write_pdf(attribution_blocks(record), tmp, f"overdue attribute · {name}",
                      {"Title": f"Attribution: {name}", "Creator": f"overdue {__version__}"})

    return files.atomic_write(Path(path), write)
