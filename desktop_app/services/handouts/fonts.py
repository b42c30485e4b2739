"""The bundled CJK font for PDFs, and Chinese line-breaking rules for ReportLab.

Noto Sans SC Regular and Bold (static TrueType, `resources/fonts/`) are registered once per
process as one family, so `<b>` in a paragraph switches to the real bold face. ReportLab embeds
only the glyphs a document uses (a subset), so a handout prints the same on any printer.

ReportLab's list of characters that may not start a line has the Japanese set but lacks most
full-width Chinese punctuation (，：；！？…); `install_line_rules` adds them to the list that
both `reportlab.lib.textsplit` and `reportlab.platypus.paragraph` consult.
"""

from __future__ import annotations

import threading

from desktop_app.core.paths import resources_dir

FAMILY = "NotoSansSC"
REGULAR = "NotoSansSC"
BOLD = "NotoSansSC-Bold"

# Closing punctuation that Chinese typesetting never puts at the start of a line (GB/T 15834
# and W3C clreq): full-width comma, stops, colon, semicolon, marks, closing brackets and quotes,
# ellipsis and dash halves, the percent and degree signs.
CHINESE_CANNOT_START = (
    "，。、；：！？）］｝〉》」』】〕〗〙〛”’…—～·％‰℃°﹐﹑﹒﹔﹕﹖﹗﹚﹜﹞！％），．：；？］｝｡｣､･"
)

_lock = threading.Lock()
_registered = False


def install_line_rules() -> None:
    """Extend ReportLab's "cannot start a line" set with full-width Chinese punctuation."""
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph

    missing = "".join(ch for ch in CHINESE_CANNOT_START if ch not in textsplit.ALL_CANNOT_START)
    if not missing:
        return
    extended = textsplit.ALL_CANNOT_START + missing
    textsplit.CANNOT_START_LINE[0] = textsplit.CANNOT_START_LINE[0] + missing
    textsplit.ALL_CANNOT_START = extended
    # paragraph.py imported the string by value, so it needs its own copy.
    paragraph.ALL_CANNOT_START = extended


def register_fonts() -> str:
    """Register the family (idempotent, thread-safe) and return its name for styles."""
    global _registered
    with _lock:
        if _registered:
            return FAMILY
        from reportlab import rl_config
        from reportlab.lib.fonts import addMapping

        # Binary streams instead of ASCII85: ReportLab's ASCII85 encoder is pure Python and
        # took two thirds of the build time of a handout with 12 photos; files are smaller too.
        rl_config.useA85 = 0
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        font_dir = resources_dir() / "fonts"
        pdfmetrics.registerFont(TTFont(REGULAR, str(font_dir / "NotoSansSC-Regular.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(font_dir / "NotoSansSC-Bold.ttf")))
        pdfmetrics.registerFontFamily(
            FAMILY, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD
        )
        # <i> has no Chinese italic: map it to the upright faces rather than to Helvetica.
        addMapping(FAMILY, 0, 1, REGULAR)
        addMapping(FAMILY, 1, 1, BOLD)
        install_line_rules()
        _registered = True
        return FAMILY
