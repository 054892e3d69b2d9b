"""The risk-committee report of a run folder: a multi-page A4 PDF, or the same content as one
self-contained HTML file.

Everything is read from the run folder (and an optional baseline run folder); nothing is
re-simulated. :mod:`~simulator.reporting.content` says what the report holds, as a list of
blocks; :mod:`~simulator.reporting.pdf` and :mod:`~simulator.reporting.html` lay those blocks
out. This module checks the arguments and writes the file.
"""

from __future__ import annotations

from pathlib import Path

from simulator import files
from simulator._version import __version__
from simulator.errors import InputError
from simulator.reporting import fonts
from simulator.reporting.content import build_blocks
from simulator.reporting.html import write_html
from simulator.reporting.pdf import write_pdf
from simulator.results import Run
from simulator.results.destination import check_report_output

FORMATS = ("pdf", "html")


def build_report(run_dir: str | Path, baseline: str | Path | None = None,
                 out: str | Path | None = None, fmt: str = "pdf",
                 attribution: dict | None = None) -> Path:
    """Write the report of ``run_dir`` (PDF or HTML) and return its path.

    The default output is ``run_dir/report.pdf`` (``report.html``). The file is written to a
    temporary file in the same folder and renamed into place, so a reader never sees half a
    report; it gets the mode the umask gives new files (0644 under umask 022). ``attribution``
    (an attribution record, as ``overdue attribute --json`` writes it) adds its page.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown report format {fmt!r}; use pdf or html")
    run = Run.open(run_dir)
    base = Run.open(baseline) if baseline is not None else None
    # Checked before anything is drawn: a bad path fails at once, not after the figures.
    target = check_report_output(Path(out) if out is not None else run.folder / f"report.{fmt}")
    name = str(run.manifest.get("scenario_name", run.folder.name))

    def write(tmp: Path) -> None:
        with fonts.context():  # the report's fonts while it is drawn and saved, then restored
            blocks, _font = build_blocks(run, base, attribution)
            if fmt == "pdf":
                write_pdf(blocks, tmp, f"overdue report · {name} · run {run.folder.name}",
                          {"Title": f"Stress-test report: {name}",
                           "Creator": f"overdue {__version__}"})
            else:
                write_html(blocks, tmp, f"Stress-test report: {name}")

    # A temporary sibling named for this process (removed if it is interrupted, swept by a
    # later command if it is killed), renamed into place with the umask's mode.
    return files.atomic_write(target, write)
