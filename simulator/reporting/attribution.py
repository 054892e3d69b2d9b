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


RECORD_KEYS = ("metric", "method", "base", "full", "parts", "runs", "paths", "seed")


def read_record(path: str | Path) -> dict:
    """An attribution record from the JSON ``overdue attribute --json`` wrote; ``InputError``
    naming the file when it is missing, not JSON or not such a record."""
    import json

    from simulator.errors import InputError

    where = "--attribution"
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError(f"{where} {path}: cannot read it ({e.strerror or e})") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{where} {path}: not JSON ({e})") from None
    if not isinstance(record, dict):
        raise InputError(f"{where} {path}: not an attribution record (overdue attribute "
                         "--json writes one)")
    missing = [k for k in RECORD_KEYS if k not in record]
    bad_parts = not isinstance(record.get("parts"), list) or any(
        not isinstance(q, dict) or not {"driver", "value", "exact"} <= set(q)
        for q in record.get("parts") or [])
    if missing or bad_parts:
        what = f"missing {', '.join(missing)}" if missing else "malformed parts"
        raise InputError(f"{where} {path}: not an attribution record ({what}; overdue "
                         "attribute --json writes one)")
    try:
        for q in record["parts"]:
            Fraction(q["exact"])
        float(record["base"]), float(record["full"])
    except (TypeError, ValueError, ZeroDivisionError):
        raise InputError(f"{where} {path}: not an attribution record (a part or the metric "
                         "is not a number)") from None
    return record


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
