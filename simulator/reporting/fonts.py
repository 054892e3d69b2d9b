"""Find a font that renders Chinese (segment names, 五级分类) for the plots and the report.

Matplotlib's default font (DejaVu Sans) has no CJK glyphs. :func:`find_cjk_font` looks for a
CJK-capable font among those matplotlib knows and those fontconfig lists for ``:lang=zh``, and
:func:`context` puts it after DejaVu Sans in the font list while a figure or the report is drawn,
so Latin text keeps its usual look and Chinese characters fall back to the CJK font glyph by
glyph. When the machine has none, the bundled subset of Droid Sans Fallback (GB 2312 level 1,
``simulator/data/FONTS.md``) is used, so Chinese renders everywhere; rarer characters than that
subset holds would show as boxes, and the report says which font it used and how to install a
full one (``apt-get install fonts-noto-cjk``).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

# Families known to cover simplified Chinese, best first.
_KNOWN = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Noto Serif CJK SC",
)

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_CJK_NAME = re.compile(r"CJK|Han Sans|Hei|Ming|Song|Kai|YaHei|WenQuanYi")  # font family names

INSTALL_HINT = "install a CJK font (Debian/Ubuntu: apt-get install -y fonts-noto-cjk)"
BUNDLED_FILE = "DroidSansFallback-GB2312.ttf"


@dataclass(frozen=True)
class FontInfo:
    """The font set up for Chinese text: ``family`` is None when none was found."""

    family: str | None
    path: str | None

    @property
    def renders_cjk(self) -> bool:
        return self.family is not None

    def has_bold(self) -> bool:
        """True when matplotlib knows a bold (weight 600+) face of the family."""
        from matplotlib import font_manager

        return any(e.name == self.family and _weight(e.weight) >= 600
                   for e in font_manager.fontManager.ttflist)

    def note(self) -> str:
        """What the report says, once, about the font that renders Chinese text."""
        bold = ("" if not self.family or self.has_bold() else
                " It has no bold face, so bold Chinese text (headings, table headers) is set "
                "in its regular weight.")
        if self.path and self.path.endswith(BUNDLED_FILE):
            return (f"Chinese text is set in {self.family} (the bundled GB 2312 subset); for "
                    f"rarer characters, {INSTALL_HINT}.{bold}")
        if self.family:
            return f"Chinese text is set in {self.family}.{bold}"
        return (
            "No CJK font was found, so Chinese characters (segment names, 五级分类) may show as "
            f"empty boxes; to fix, {INSTALL_HINT}."
        )


def has_cjk(text: str) -> bool:
    """True when ``text`` holds a CJK character."""
    return bool(_CJK.search(text))


def _fontconfig_files() -> list[str]:
    """Font files fontconfig says cover Chinese (empty when fc-list is absent)."""
    exe = shutil.which("fc-list")
    if not exe:
        return []
    try:
        out = subprocess.run([exe, ":lang=zh", "file"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = []
    for line in out.splitlines():
        f = line.strip().rstrip(":").strip()
        if f and f.lower().endswith((".ttf", ".otf", ".ttc")):
            files.append(f)
    return sorted(set(files))


@lru_cache(maxsize=1)
def find_cjk_font() -> FontInfo:
    """Find a CJK-capable font family matplotlib can use (cached for the process)."""
    from matplotlib import font_manager

    fm = font_manager.fontManager
    for f in _fontconfig_files():  # make fontconfig's Chinese fonts known to matplotlib
        if not any(e.fname == f for e in fm.ttflist):
            try:
                fm.addfont(f)
            except Exception:  # an unreadable font file is not our problem to report
                continue
    by_name = {}
    for entry in fm.ttflist:
        by_name.setdefault(entry.name, entry.fname)
    for family in _KNOWN:
        if family in by_name:
            return FontInfo(family, by_name[family])
    for name, fname in sorted(by_name.items()):  # anything else with CJK in its name
        if _CJK_NAME.search(name):
            return FontInfo(name, fname)
    return bundled_font()


def bundled_font() -> FontInfo:
    """The shipped subset of Droid Sans Fallback, registered with matplotlib."""
    from importlib import resources

    from matplotlib import font_manager

    path = str(resources.files("simulator") / "data" / BUNDLED_FILE)
    try:
        font_manager.fontManager.addfont(path)
        family = font_manager.FontProperties(fname=path).get_name()
    except Exception:  # a damaged install: render without CJK rather than fail the report
        return FontInfo(None, None)
    return FontInfo(family, path)


def rc_params(info: FontInfo | None = None) -> dict:
    """matplotlib settings for the report's text: the CJK font after DejaVu Sans, searchable PDF
    text, an ASCII minus sign. Applied in :func:`context`, never to the global rcParams."""
    info = info or find_cjk_font()
    families = ["DejaVu Sans"] + ([info.family] if info.family else [])
    return {
        "font.family": families,  # a list: glyph-by-glyph fallback
        "pdf.fonttype": 42,  # TrueType: text a reader can search and copy
        "axes.unicode_minus": False,
    }


def _weight(value) -> int:
    from matplotlib.font_manager import weight_dict

    return value if isinstance(value, int) else weight_dict.get(str(value), 400)


class _BoldFallback(logging.Filter):
    """Drops matplotlib's 'Failed to find font weight bold' line: a CJK font without a bold
    face is normal, and the report says once (:meth:`FontInfo.note`) what is done instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("findfont: Failed to find font weight")


@contextmanager
def context():
    """Draw (and save) within this block to use the report's fonts; rcParams are restored after,
    and matplotlib's bold-fallback log lines are kept out of the terminal meanwhile.

    Yields the :class:`FontInfo` of the CJK font used.
    """
    import matplotlib

    info = find_cjk_font()
    log = logging.getLogger("matplotlib.font_manager")
    quiet = _BoldFallback()
    log.addFilter(quiet)
    try:
        with matplotlib.rc_context(rc_params(info)):
            yield info
    finally:
        log.removeFilter(quiet)


@contextmanager
def quiet_missing_glyphs():
    """Silence matplotlib's 'Glyph ... missing from font(s)' warnings (no CJK font case)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        warnings.filterwarnings("ignore", message=r".*missing from (current )?font")
        yield
