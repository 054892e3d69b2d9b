"""The HTML report opened in a real headless browser: its screenshot shows the charts drawn.

Needs a Chromium build on the machine (Debian: ``apt-get install chromium-headless-shell``), or
its path in ``OVERDUE_BROWSER``; without one the test is skipped and says why.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from simulator.reporting.report import build_report

BROWSERS = ("chromium-headless-shell", "chrome-headless-shell", "chromium", "chromium-browser",
            "google-chrome")
CHART_GREY = 191  # the histogram's bar fill (grey 0.75) in the PNG charts


def _browser() -> str | None:
    given = os.environ.get("OVERDUE_BROWSER")
    if given:
        return given
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def _screenshot(browser: str, page: Path, shot: Path) -> np.ndarray:
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1280,2400", f"--screenshot={shot}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    return (image.imread(shot)[..., :3] * 255).round().astype(int)


def _chart_pixels(rgb: np.ndarray) -> int:
    """Pixels of the bar grey inside a 5 x 5 block of it: filled areas, not anti-aliased text."""
    grey = (rgb == CHART_GREY).all(axis=-1)
    h, w = grey.shape
    solid = np.ones((h - 4, w - 4), dtype=bool)
    for dy in range(5):
        for dx in range(5):
            solid &= grey[dy:h - 4 + dy, dx:w - 4 + dx]
    return int(solid.sum())


def test_html_report_shows_its_charts_in_a_browser(levers_run, tmp_path):
    browser = _browser()
    if browser is None:
        pytest.skip("no headless browser on this machine: apt-get install "
                    "chromium-headless-shell, or set OVERDUE_BROWSER to one")
    page = build_report(levers_run.folder, out=tmp_path / "report.html", fmt="html")
    shot = _screenshot(browser, page, tmp_path / "report.png")
    # the executive summary's chart is in the first screen: its bars are drawn
    assert _chart_pixels(shot) > 2000
    # the same page without its images has none of those pixels: they were the charts
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r'src="data:image/png;base64,[^"]*"', 'src=""',
                           page.read_text(encoding="utf-8")), encoding="utf-8")
    assert _chart_pixels(_screenshot(browser, bare, tmp_path / "bare.png")) == 0
