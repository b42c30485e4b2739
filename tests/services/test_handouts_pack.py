"""The take-home pack and the booklet printed on both sides: every guide on a right-hand page,
blank pages that say so, the session's agenda and follow-ups, a notes page, the publisher on
the booklet's cover, and the outline open when the file opens."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
from sqlalchemy import select

from desktop_app.core.i18n import translator_for
from desktop_app.services import handouts
from desktop_app.services.handouts import pack as hpack
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession, Guide
from tests.services.test_handouts import text_of

ZH = translator_for("zh_CN")


def outline(pdf: Path) -> list[tuple[str, int]]:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return [(item.get_title(), item.get_dest().get_index()) for item in doc.get_toc()]
    finally:
        doc.close()


def test_pack_is_duplex_ready(demo_library: Library, tmp_path: Path) -> None:
    with demo_library.session() as s:
        sid = s.scalars(select(FieldSession.id)).one()
        titles = {g.title for g in s.scalars(select(Guide))}
    for paper in ("A4", "A5"):
        target = tmp_path / f"pack-{paper}.pdf"
        result = handouts.build_session_pack(
            demo_library, sid, target, handouts.HandoutOptions(paper)
        )
        marks = outline(target)
        guide_starts = [index for title, index in marks if title in titles]
        assert len(guide_starts) == 4
        # Page index 0 is page 1: every guide starts on an odd, right-hand page.
        assert all(index % 2 == 0 for index in guide_starts), (paper, marks)
        blank = ZH(hpack.BLANK)
        for page in range(1, result.pages + 1):
            text = text_of(target, page, page, body_only=paper == "A4")
            if blank in text:
                # A blank page is a left-hand page just before a guide (page index `page`).
                assert page % 2 == 0 and page in guide_starts, (paper, page)
        # The last page is for notes; the outline opens with the file.
        assert marks[-1] == (ZH(hpack.NOTES), result.pages - 1)
        assert b"/PageMode /UseOutlines" in target.read_bytes()
        cover = re.sub(r"\s+", "", text_of(target, 1, 2))
        assert ZH(hpack.AGENDA) in cover and "河堤路旁树木修剪指导" in cover
        assert ZH(hpack.FOLLOW_UPS) in cover and "两到三周后回访放蜂树木" in cover


def test_booklet_cover_names_the_publisher(demo_library: Library, tmp_path: Path) -> None:
    with demo_library.session() as s:
        ids = [g.id for g in s.scalars(select(Guide))][:2]
    handouts.set_organisation_name(demo_library, "丰台区总工会")
    target = tmp_path / "booklet.pdf"
    handouts.build_booklet(demo_library, ids, "修剪手册", target, handouts.HandoutOptions())
    cover = re.sub(r"\s+", "", text_of(target, 1, 1))
    assert "编印：丰台区总工会" in cover
    starts = [index for _title, index in outline(target)[1:]]
    assert all(index % 2 == 0 for index in starts)
