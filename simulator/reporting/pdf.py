"""Lay the report's blocks out as a multi-page A4 portrait PDF with matplotlib's PdfPages.

Text flows down each page from the top margin and wraps at a fixed number of characters per
kind of block; a heading is kept with what follows it; each figure gets a page of its own with
its heading above and its reading below. Fonts are the caller's (``fonts.context``).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.lines import Line2D

from simulator.reporting import fonts
from simulator.reporting.blocks import Block, looks_numeric

A4 = (8.27, 11.69)  # inches, portrait
MARGIN = 0.7
FIGURE_MIN = 3.4  # inches: the least height a figure on a text page gets
FIGURE_BESIDE = 4.4  # inches: the height of a figure beside a table

_SIZES = {"h1": 20, "h2": 13, "p": 10, "small": 8, "pre": 6.5, "table": 8.5}
_WRAP = {"h1": 48, "h2": 80, "p": 92, "small": 118, "pre": 140}


class _PdfWriter:
    def __init__(self, pdf, footer: str) -> None:
        self._Figure = Figure
        self.pdf = pdf
        self.footer = footer
        self.page = None
        self.y = 0.0
        self.n = 0

    def _new_page(self):
        self._flush()
        self.page = self._Figure(figsize=A4)
        self.y = MARGIN
        self.n += 1

    def _flush(self):
        if self.page is not None:
            self._footer(self.page)
            self.pdf.savefig(self.page)
            self.page = None

    def _footer(self, page):
        page.text(0.5, 0.35 / A4[1], f"{self.footer} — page {self.n}", ha="center",
                  fontsize=7, color="0.3")

    def _need(self, h: float):
        if self.page is None or self.y + h > A4[1] - MARGIN:
            self._new_page()

    def _text(self, s: str, size: float, x: float = MARGIN, weight="normal", family=None,
              ha="left"):
        kw = {"fontfamily": family} if family else {}
        self.page.text(x / A4[0], 1 - self.y / A4[1], s, fontsize=size, va="top", ha=ha,
                       fontweight=weight, **kw)

    def lines(self, kind: str, text: str):
        size = _SIZES[kind]
        lh = size * (1.25 if kind == "pre" else 1.4) / 72
        family = ["DejaVu Sans Mono"] + ([fonts.find_cjk_font().family]
                                         if fonts.find_cjk_font().family else []) \
            if kind == "pre" else None
        wrapped = []
        for para in text.split("\n"):
            wrapped += textwrap.wrap(para, _WRAP[kind], subsequent_indent="    " if kind == "pre"
                                     else "", drop_whitespace=kind != "pre") or [""]
        if kind in ("h1", "h2"):
            self._need(lh * (len(wrapped) + 3))  # keep a heading with what follows
            self.y += lh * 0.4
        for line in wrapped:
            self._need(lh)
            self._text(line, size, weight="bold" if kind in ("h1", "h2") else "normal",
                       family=family)
            self.y += lh
        self.y += lh * (0.5 if kind != "pre" else 0.3)

    def table(self, header: list[str], rows: list[list[str]], width: float | None = None):
        size = _SIZES["table"]
        lh = size * 1.45 / 72
        ncol = len(header) or (len(rows[0]) if rows else 1)
        width = width or A4[0] - 2 * MARGIN
        chars = [max([len(header[i]) if header else 0] + [len(r[i]) for r in rows] + [2])
                 for i in range(ncol)]
        total = sum(chars)
        xs = [MARGIN]
        for c in chars[:-1]:
            xs.append(xs[-1] + width * c / total)
        numeric = [i > 0 and all(looks_numeric(r[i]) for r in rows if r[i]) for i in range(ncol)]

        def draw(cells, weight):
            self._need(lh)
            for i, c in enumerate(cells):
                if numeric[i]:
                    right = xs[i + 1] - 0.08 if i + 1 < ncol else MARGIN + width
                    self._text(c, size, x=right, weight=weight, ha="right")
                else:
                    self._text(c, size, x=xs[i], weight=weight)
            self.y += lh

        if any(header):
            self._need(lh * min(len(rows) + 1, 4))
            draw(header, "bold")
            yy = 1 - (self.y - 0.04) / A4[1]
            self.page.add_artist(_line(MARGIN / A4[0], (MARGIN + width) / A4[0], yy))
        for r in rows:
            draw(r, "normal")
        self.y += lh * 0.6

    def table_with_figure(self, header: list[str], rows: list[list[str]], make, reading: str):
        """The table with the figure beside it when the table is narrow enough, else below it,
        in the rest of the page (a page of its own when too little of it is left)."""
        width = A4[0] - 2 * MARGIN
        lh = _SIZES["table"] * 1.45 / 72
        chars = sum(max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(len(header)))
        beside = chars <= 70
        if self.page is None:
            self._new_page()
        height = max(FIGURE_BESIDE, lh * (len(rows) + 2))
        if beside:
            self._need(height)
            top = self.y
            self.table(header, rows, width=width * 0.48)
            self.y = max(self.y, top + height)
            box = (MARGIN + width * 0.49, top - 0.3, A4[0] - MARGIN * 0.5, top + height)
        else:
            self.table(header, rows)
            if A4[1] - MARGIN - self.y < FIGURE_MIN:
                self._new_page()
            height = max(FIGURE_MIN, min(A4[1] - MARGIN - self.y - 1.4, 5.0))  # room for notes
            box = (MARGIN, self.y, A4[0] - MARGIN, self.y + height)
            self.y += height
        x0, y0, x1, y1 = box
        # a sub-figure takes its place from the grid's ratios alone (not left/right/top/bottom)
        gs = GridSpec(3, 3, figure=self.page, width_ratios=[x0, x1 - x0, A4[0] - x1],
                      height_ratios=[y0, y1 - y0, A4[1] - y1])
        sub = self.page.add_subfigure(gs[1, 1])
        sub.subplots_adjust(left=0.17 if beside else 0.1, right=0.97, top=0.84, bottom=0.14)
        make(sub)
        if reading:
            self.lines("small", reading)

    def figure(self, title: str, make, reading: str):
        """A page of its own: heading, the figure (constrained layout), the reading under it."""
        self._flush()
        self.n += 1
        page = self._Figure(figsize=A4, layout="constrained")
        page.get_layout_engine().set(w_pad=MARGIN * 0.5, h_pad=0.1)
        head, body, foot = page.subfigures(3, 1, height_ratios=[0.9, 6.4, 3.6])
        head.text(MARGIN / A4[0], 0.2, title, fontsize=_SIZES["h2"], fontweight="bold", va="bottom")
        make(body)
        lines = textwrap.wrap(reading, _WRAP["p"])
        foot.text(MARGIN / A4[0], 0.95, "\n".join(lines), fontsize=_SIZES["p"], va="top",
                  linespacing=1.4)
        self.page = page

    def close(self):
        self._flush()


def _line(x0, x1, y):
    return Line2D([x0, x1], [y, y], color="black", linewidth=0.6)


def write_pdf(blocks: list[Block], path: Path, footer: str, meta: dict) -> None:
    """Write ``blocks`` to ``path``, ``footer`` and the page number at the foot of each page."""
    with fonts.quiet_missing_glyphs(), PdfPages(path, metadata=meta) as pdf:
        w = _PdfWriter(pdf, footer)
        for blk in blocks:
            if blk.kind == "pagebreak":
                w._flush()
            elif blk.kind == "table":
                if w.page is None:
                    w._new_page()
                w.table(blk.header, blk.rows)
            elif blk.kind == "figure":
                w.figure(blk.text, blk.figure, blk.reading)
                w._flush()
            elif blk.kind == "table_figure":
                w.table_with_figure(blk.header, blk.rows, blk.figure, blk.reading)
            else:
                if w.page is None:
                    w._new_page()
                w.lines(blk.kind, blk.text)
        w.close()


