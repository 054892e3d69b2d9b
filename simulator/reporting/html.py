"""Lay the report's blocks out as one self-contained HTML file: figures embedded as base64
PNG, no external links, scripts or style sheets."""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

from simulator.reporting import fonts
from simulator.reporting.blocks import Block, looks_numeric


def write_html(blocks: list[Block], path: Path, title: str) -> None:
    """Write ``blocks`` to ``path`` as an HTML page titled ``title``."""
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{padding:.15em .6em;"
        "border-bottom:1px solid #ccc;text-align:left}td.n{text-align:right}"
        "pre{font-size:.8em;background:#f6f6f6;padding:.5em;white-space:pre-wrap}"
        "small{color:#444}img{max-width:100%}"
        ".side{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}"
        ".side figure{flex:1 1 24em;margin:0}</style></head><body>",
    ]
    with fonts.quiet_missing_glyphs():
        for blk in blocks:
            if blk.kind == "h1":
                parts.append(f"<h1>{escape(blk.text)}</h1>")
            elif blk.kind == "h2":
                parts.append(f"<h2>{escape(blk.text)}</h2>")
            elif blk.kind == "p":
                parts.append(f"<p>{escape(blk.text)}</p>")
            elif blk.kind == "small":
                parts.append(f"<p><small>{escape(blk.text)}</small></p>")
            elif blk.kind == "pre":
                parts.append(f"<pre>{escape(blk.text)}</pre>")
            elif blk.kind == "pagebreak":
                parts.append("<hr>")
            elif blk.kind == "table":
                parts.append(_table(blk))
            elif blk.kind == "table_figure":  # side by side where the window is wide enough
                parts.append('<div class="side">' + _table(blk) + _figure(blk) + "</div>")
            elif blk.kind == "figure":
                parts.append(f"<h2>{escape(blk.text)}</h2>")
                parts.append(_figure(blk))
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")




def _table(blk: Block) -> str:
    out = ["<table>"]
    if any(blk.header):
        out.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in blk.header) + "</tr>")
    for r in blk.rows:
        out.append("<tr>" + "".join(
            f'<td class="n">{escape(c)}</td>' if i and looks_numeric(c)
            else f"<td>{escape(c)}</td>" for i, c in enumerate(r)) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _figure(blk: Block) -> str:
    fig = blk.figure(None)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<figure><img alt="{escape(blk.text)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{escape(blk.reading)}</figcaption></figure>")
