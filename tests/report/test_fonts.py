"""The bundled CJK font renders the report's Chinese without any system font."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from simulator.reporting import fonts  # noqa: E402


def test_bundled_font_has_every_glyph_the_report_uses():
    info = fonts.bundled_font()
    assert info.family and info.path.endswith(fonts.BUNDLED_FILE)
    text = "工薪 灵活就业 个体经营 五级分类 正常 关注 次级 可疑 损失 核销 罚息 复利 借呗"
    fig = plt.figure()
    # only the bundled family: a missing glyph would warn, and warnings are errors here
    fig.text(0.1, 0.5, text, family=[info.family])
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf")
    plt.close(fig)
    assert buf.getvalue().startswith(b"%PDF")
    assert "bundled" in info.note()


def test_lookup_falls_back_to_the_bundled_font(monkeypatch):
    # a machine without any CJK font: nothing known, nothing from fontconfig, no CJK-ish names
    monkeypatch.setattr(fonts, "_KNOWN", ())
    monkeypatch.setattr(fonts, "_fontconfig_files", lambda: [])
    monkeypatch.setattr(fonts, "_CJK_NAME", fonts.re.compile(r"(?!)"))  # matches nothing
    fonts.find_cjk_font.cache_clear()
    try:
        info = fonts.find_cjk_font()
    finally:
        fonts.find_cjk_font.cache_clear()
    assert info.path.endswith(fonts.BUNDLED_FILE)
