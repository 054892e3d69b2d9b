"""The report's unit of content, a :class:`Block`, and how its numbers are written."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Block:
    """One piece of the report; the writers lay out each ``kind`` their own way."""

    kind: str  # h1, h2, p, small, table, pre, figure, table_figure (a table with a figure
    # beside it, or below when the table is wide), pagebreak
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    figure: object = None  # callable(fig or None) -> Figure
    reading: str = ""


def pct(v: float, digits: int = 3) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{100 * v:.{digits}f}%"


def pp(v: float, digits: int = 3) -> str:
    return "n/a" if not math.isfinite(v) else f"{100 * v:+.{digits}f} pp"


def yuan(v: float) -> str:
    return "n/a" if not math.isfinite(v) else f"{v:,.0f}"


def looks_numeric(cell: str) -> bool:
    """True for a cell the writers align right: a number, a percentage, n/a or a dash."""
    t = cell.replace(",", "").replace("%", "").replace("pp", "").replace("+", "").replace(
        "−", "-").strip()
    try:
        float(t)
        return True
    except ValueError:
        return cell.strip() in ("n/a", "—", "")
