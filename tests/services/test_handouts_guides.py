"""Guide handouts trainees keep: whom to call, in body-size type; the organisation (单位名称), not
the library's folder, in the footer and as the PDF's author; no revision counter; safety notes
before the steps in a warning box kept with them; key numbers bold in Chinese numerals too."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
from sqlalchemy import select, update

from desktop_app.core.i18n import translator_for
from desktop_app.services import catalog as c
from desktop_app.services import handouts
from desktop_app.services.demo import fill_demo
from desktop_app.services.handouts import guide as hguide
from desktop_app.services.handouts.flowables import emphasise
from desktop_app.storage.enums import TeamRole
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession, Guide, Member, TeamMembership
from tests.services.test_handouts import run, text_of

ZH = translator_for("zh_CN")


def guide_ids(library: Library) -> dict[str, str]:
    with library.session() as s:
        return {g.title: g.id for g in s.scalars(select(Guide))}


def make_captain(library: Library, name: str, phone: str) -> None:
    with library.transaction() as s:
        member = s.scalars(select(Member).where(Member.name == name)).one()
        member.phone = phone
        s.execute(
            update(TeamMembership)
            .where(TeamMembership.member_id == member.id)
            .values(role=TeamRole.CAPTAIN.value)
        )


def font_size_of(pdf: Path, probe: str) -> float:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        for page in doc:
            textpage = page.get_textpage()
            at = textpage.get_text_range().find(probe)
            if at >= 0:
                return float(pdfium_raw.FPDFText_GetFontSize(textpage.raw, at))
    finally:
        doc.close()
    raise AssertionError(f"{probe!r} not found")


def author_of(pdf: Path) -> str:
    m = re.search(r"^Author:\s*(.*)$", run("pdfinfo", str(pdf)), flags=re.M)
    return m.group(1).strip() if m else ""


def test_contact_block_in_body_type(demo_library: Library, tmp_path: Path) -> None:
    make_captain(demo_library, "周宗宝", "13800001111")
    target = tmp_path / "rose.pdf"
    handouts.build_guide_handout(demo_library, guide_ids(demo_library)["月季修剪"], target)
    body = re.sub(r"\s+", "", text_of(target, body_only=True))  # not the 8-point footer
    assert ZH(hguide.CONTACT_HEADING).replace(" ", "") in body
    assert "联系人：周宗宝" in body and "电话：13800001111" in body
    assert font_size_of(target, "联系人：周宗宝") >= 11  # body size, not the footer's 8.5 pt


def test_contact_on_the_pack_cover(demo_library: Library, tmp_path: Path) -> None:
    make_captain(demo_library, "周宗宝", "13800001111")
    with demo_library.session() as s:
        sid = s.scalars(select(FieldSession.id)).one()
    target = tmp_path / "pack.pdf"
    handouts.build_session_pack(demo_library, sid, target)
    cover = re.sub(r"\s+", "", text_of(target, 1, 1, body_only=True))
    assert "联系人：周宗宝" in cover and "电话：13800001111" in cover


def test_footer_and_author_name_the_organisation(tmp_path: Path) -> None:
    # A default install: the library folder is called "library".
    with Library.create(tmp_path / "library") as library:
        fill_demo(library)
        gid = guide_ids(library)["月季修剪"]
        before = handouts.build_guide_handout(library, gid, tmp_path / "a.pdf")
        text = text_of(before.path)
        assert "library" not in text
        # Until the user names it, the union the team belongs to stands for the organisation.
        assert "丰台区总工会 · " in text and author_of(before.path) == "丰台区总工会"
        handouts.set_organisation_name(library, "  北京市 丰台区总工会 ")
        assert handouts.organisation_name(library) == "北京市 丰台区总工会"
        after = handouts.build_guide_handout(library, gid, tmp_path / "b.pdf")
        assert "北京市 丰台区总工会 · " in text_of(after.path)
        assert author_of(after.path) == "北京市 丰台区总工会"
        with pytest.raises(handouts.UserError):
            handouts.set_organisation_name(library, "工" * 101)
        assert handouts.organisation_name(library) == "北京市 丰台区总工会"
    # Kept in the library: it is there when the library is opened again.
    with Library.open(tmp_path / "library", write=False) as library:
        assert handouts.organisation_name(library) == "北京市 丰台区总工会"


def test_no_revision_counter_on_trainee_handouts(demo_library: Library, tmp_path: Path) -> None:
    gid = guide_ids(demo_library)["月季修剪"]
    for _i in range(3):  # a few saves: revision 4 or more
        c.save_guide(demo_library, c.load_guide(demo_library, gid), gid)
    with demo_library.session() as s:
        revision = s.get(Guide, gid).revision  # type: ignore[union-attr]
    assert revision >= 4
    target = tmp_path / "rose.pdf"
    handouts.build_guide_handout(demo_library, gid, target)
    flat = re.sub(r"\s+", "", text_of(target))
    assert "更新于" in flat
    assert not re.search(rf"(修订|版本|第{revision}版|Revision)", flat)


def test_safety_notes_before_the_steps_and_never_alone(
    demo_library: Library, tmp_path: Path
) -> None:
    guides = guide_ids(demo_library)
    for title in guides:
        for paper in ("A4", "A5"):
            target = tmp_path / f"{paper}.pdf"
            result = handouts.build_guide_handout(
                demo_library, guides[title], target, handouts.HandoutOptions(paper)
            )
            safety, steps = ZH(hguide.SAFETY), ZH(hguide.STEPS)
            pages = [text_of(target, p, p, body_only=True) for p in range(1, result.pages + 1)]
            (on,) = [i for i, t in enumerate(pages) if safety in t]
            # The box and the start of the steps share a page, the box first.
            assert steps in pages[on], (title, paper)
            assert pages[on].index(safety) < pages[on].index(steps)


def test_safety_box_reads_as_a_warning_in_grayscale(demo_library: Library, tmp_path: Path) -> None:
    """The 安全提示 band is solid black (white text): on a grey copy it differs from the tinted
    要点 box. Measured on the rendered page in grayscale: a wide run of near-black pixels."""
    from PIL import Image

    target = tmp_path / "rose.pdf"
    handouts.build_guide_handout(demo_library, guide_ids(demo_library)["月季修剪"], target)
    run("pdftoppm", "-gray", "-png", "-r", "50", str(target), str(tmp_path / "p"))
    longest = 0
    for png in sorted(tmp_path.glob("p-*.png")):
        img = Image.open(png).convert("L")
        h = img.size[1]
        # Each row's mean grey (a 1-pixel-wide box-filtered copy): below 110 means more than
        # about half of the row is black.
        means = img.resize((1, h), Image.Resampling.BOX).tobytes()
        run_length = 0
        for mean in means:
            run_length = run_length + 1 if mean < 110 else 0
            longest = max(longest, run_length)
    # A band some 6 mm high (12 px at 50 dpi) across the text; rules and frames are 1-2 px.
    assert longest >= 8


def test_key_numbers_in_chinese_are_bold() -> None:
    assert emphasise("两周后再看") == "<b>两周</b>后再看"
    assert emphasise("剪掉三分之一的老枝") == "剪掉<b>三分之一</b>的老枝"
    assert emphasise("剪在第一或第二片叶上方") == "剪在<b>第一或第二片</b>叶上方"
    assert emphasise("每袋30kg") == "每袋<b>30kg</b>"
    assert emphasise("留三到五个芽") == "留<b>三到五个</b>芽"
    # 一 in ordinary words is no figure.
    assert emphasise("一般不要统一剪成一样高") == "一般不要统一剪成一样高"
    assert emphasise("花芽长在上一年的枝条上") == "花芽长在上一年的枝条上"


def test_photos_print_through_the_apps_decoder(
    testdata: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Display-P3 photo prints in sRGB, as the app shows it (issue 15 item 9)."""
    from io import BytesIO

    import pillow_heif
    from PIL import Image

    from desktop_app.services.handouts import photos as hphotos
    from desktop_app.services.handouts.data import PhotoRef

    pillow_heif.register_heif_opener()
    with Image.open(testdata / "IMG_5195.HEIC") as heic:
        display_p3 = heic.info["icc_profile"]
    path = tmp_path / "p3.jpg"
    Image.new("RGB", (400, 300), (200, 60, 60)).save(
        path, "JPEG", quality=98, icc_profile=display_p3
    )
    prepared = hphotos.prepare_photo(PhotoRef(path, "p3.jpg"), 200, 150)
    assert prepared.jpeg is not None
    with Image.open(BytesIO(prepared.jpeg)) as out:
        r, g, b = out.convert("RGB").getpixel((out.width // 2, out.height // 2))  # type: ignore[misc]
    # Display P3 (200, 60, 60) is sRGB (217, 42, 52) (LittleCMS, perceptual).
    assert abs(r - 217) + abs(g - 42) + abs(b - 52) <= 12
    # The pixel limit of the one decoder applies too: an oversized picture is a placeholder.
    from desktop_app.services import imaging

    monkeypatch.setattr(imaging, "MAX_PIXELS", 100 * 100)
    huge = tmp_path / "huge.png"
    Image.new("L", (101, 100)).save(huge)
    assert hphotos.prepare_photo(PhotoRef(huge, "huge.png"), 200, 150).problem == hphotos.UNREADABLE


def test_no_page_holds_a_lone_item(demo_library: Library, tmp_path: Path) -> None:
    """Every demo guide fits two A4 pages, and no page of it (A4 or A5) carries only a stray
    line or two: the last list items travel together and the contact box goes with them."""
    make_captain(demo_library, "周宗宝", "13800001111")
    for title, gid in guide_ids(demo_library).items():
        for paper, height in (("A4", 842 - 68), ("A5", 595 - 57)):
            target = tmp_path / f"{paper}.pdf"
            result = handouts.build_guide_handout(
                demo_library, gid, target, handouts.HandoutOptions(paper)
            )
            if paper == "A4":
                assert result.pages == 2, title
            width = "595" if paper == "A4" else "420"
            for page in range(1, result.pages + 1):
                body = run(
                    "pdftotext", "-f", str(page), "-l", str(page), "-x", "0", "-y", "0",
                    "-W", width, "-H", str(height), str(target), "-",
                )  # fmt: skip
                lines = [line for line in body.splitlines() if line.strip()]
                assert len(lines) >= 3, (title, paper, page, lines)
        # The footer of a continuation page names the guide; the last section is all there.
        assert title[:29] in text_of(target, result.pages, result.pages)
        mistakes = c.load_guide(demo_library, gid).common_mistakes
        flat = re.sub(r"\s+", "", text_of(target))
        assert all(re.sub(r"\s+", "", m) in flat for m in mistakes), title


def _dark_word_band(pdf: Path, folder: Path) -> bool:
    """Whether a rendered grey page has a row with a dark run as long as a short word (the
    safety band spans the frame, a step number's badge is a digit wide)."""
    from PIL import Image

    folder.mkdir()
    run("pdftoppm", "-gray", "-png", "-r", "72", str(pdf), str(folder / "g"))
    for png in sorted(folder.glob("g-*.png")):
        img = Image.open(png).convert("L")
        w, h = img.size
        for y in range(h):
            row = img.crop((0, y, w, y + 1)).tobytes()
            dark = max((len(m.group(0)) for m in re.finditer(rb"[\x00-\x40]+", row)), default=0)
            if 40 <= dark <= 120:
                return True
    return False


def test_risky_step_and_recognition_photo_on_the_handout(
    demo_library: Library, tmp_path: Path, testdata: Path
) -> None:
    """A risky step carries ⚠ 危险作业 beside it, white on a black band (a warning on a grey
    copy); the 识别图 prints large at the top, before the 要点, with what it shows; a 识别图
    that would print blurred is pointed out before printing."""
    from tests.services.handout_fixtures import add_photo

    gid = guide_ids(demo_library)["月季修剪"]
    plain = tmp_path / "plain.pdf"
    handouts.build_guide_handout(demo_library, gid, plain)
    data = c.load_guide(demo_library, gid)
    data.steps[1].risky = True
    c.save_guide(demo_library, data, gid)
    target = tmp_path / "rose.pdf"
    handouts.build_guide_handout(demo_library, gid, target)
    flat = re.sub(r"\s+", "", text_of(target, body_only=True))
    risky = "⚠" + ZH(hguide.RISKY)
    second = re.sub(r"\s+", "", data.steps[1].text)
    # Beside the second step, and only there.
    assert flat.count(risky) == 1 and (risky + second) in flat
    assert flat.index(risky) > flat.index(re.sub(r"\s+", "", data.steps[0].text))
    # The band behind it is black on a grey copy; the same guide without it has no such band.
    assert _dark_word_band(target, tmp_path / "risky")
    assert not _dark_word_band(plain, tmp_path / "plain")

    leaf = add_photo(demo_library, testdata / "landscape_1.jpg", caption="感病叶片")
    data = c.load_guide(demo_library, gid)
    data.steps[0].photo_ids = [leaf]
    data.recognition_photo_id = leaf
    c.save_guide(demo_library, data, gid)
    handouts.build_guide_handout(demo_library, gid, target)
    flat = re.sub(r"\s+", "", text_of(target, body_only=True))
    # The 识别图's caption comes right after the title block, before the key points.
    recognise = ZH(hguide.RECOGNITION).format(caption="感病叶片")
    assert flat.index(recognise) < flat.index(ZH(hguide.KEY_POINTS))
    # Large: across most of the frame (the page's first image, measured in the PDF).
    doc = pdfium.PdfDocument(str(target))
    try:
        page = doc[0]
        images = [o for o in page.get_objects() if o.type == pdfium_raw.FPDF_PAGEOBJ_IMAGE]
        left, bottom, right, top = images[0].get_bounds()
        assert top - bottom >= 200 and right - left >= 250  # points
    finally:
        doc.close()
    # A 识别图 of 128 px is named before printing, as printed large it would be blurred.
    small = add_photo(demo_library, testdata / "RGBA_8__128x128.png", caption="小图")
    data = c.load_guide(demo_library, gid)
    data.steps[0].photo_ids = [small]
    data.recognition_photo_id = small
    c.save_guide(demo_library, data, gid)
    (warning,) = handouts.photo_warnings(demo_library, "guide", [gid])
    assert "“小图”" in warning and "ppi" in warning


def test_a_guide_that_fits_one_sheet_is_printed_on_one(
    demo_library: Library, tmp_path: Path, testdata: Path
) -> None:
    """Every demo guide, illustrated (a 识别图 and photos on its first steps), prints on both
    sides of one A4 sheet; most of them spill onto a third page at the usual spacing, and
    tighter spacing and smaller photos (never smaller type) fit them, with no page holding a
    lone item."""
    from desktop_app.core.i18n import translator_for as tr_for
    from desktop_app.services.handouts.build import fit_guide
    from desktop_app.services.handouts.data import load_guide_docs
    from desktop_app.services.handouts.document import PageInfo, count_pages
    from desktop_app.services.handouts.photos import PhotoPlanner
    from desktop_app.services.handouts.styles import make_styles
    from tests.services.handout_fixtures import add_photo

    make_captain(demo_library, "周宗宝", "13800001111")
    pictures = [
        add_photo(demo_library, testdata / f"landscape_{n}.jpg", caption=f"示范{n}")
        for n in range(1, 7)
    ]
    spilled = 0
    for n, (title, gid) in enumerate(sorted(guide_ids(demo_library).items())):
        data = c.load_guide(demo_library, gid)
        first, second = pictures[n % 6], pictures[(n + 1) % 6]
        data.steps[0].photo_ids = [first]
        data.steps[1].photo_ids = [second]
        data.recognition_photo_id = first
        c.save_guide(demo_library, data, gid)
        (doc,) = load_guide_docs(demo_library, [gid])
        # At the usual spacing it takes three pages: two sheets.
        styles, info = make_styles("A4"), PageInfo()
        usual = count_pages(
            hguide.guide_story(doc, styles, ZH, "zh_CN", PhotoPlanner(tr_for("zh_CN")), info),
            styles,
            info,
        )
        assert usual in (2, 3), title
        if usual == 3:
            spilled += 1
            assert fit_guide(doc, paper="A4", lang="zh_CN") > 0
        else:
            assert fit_guide(doc, paper="A4", lang="zh_CN") == 0  # the usual spacing
        target = tmp_path / f"{n}.pdf"
        result = handouts.build_guide_handout(demo_library, gid, target)
        assert result.pages == 2, title
        pdfinfo = run("pdfinfo", str(target))
        assert re.search(r"^Pages:\s+2$", pdfinfo, flags=re.M), title
        # The same type sizes: the body and the steps are not made smaller to fit.
        assert font_size_of(target, doc.steps[2].text[:6]) == pytest.approx(12, abs=0.1)
        if doc.problem:
            assert font_size_of(target, doc.problem[:6]) == pytest.approx(11, abs=0.1)
        for page in (1, 2):
            body = run(
                "pdftotext", "-f", str(page), "-l", str(page), "-x", "0", "-y", "0",
                "-W", "595", "-H", str(842 - 68), str(target), "-",
            )  # fmt: skip
            lines = [line for line in body.splitlines() if line.strip()]
            assert len(lines) >= 3, (title, page, lines)
        # Everything is there: the last step and the contact.
        flat = re.sub(r"\s+", "", text_of(target))
        assert re.sub(r"\s+", "", doc.steps[-1].text) in flat
        assert "13800001111" in flat
        # The 识别图 is printed once (at the top), not again beside its step.
        pdf = pdfium.PdfDocument(str(target))
        try:
            images = sum(
                1
                for page in pdf
                for o in page.get_objects()
                if o.type == pdfium_raw.FPDF_PAGEOBJ_IMAGE
            )
        finally:
            pdf.close()
        assert images == 2, title
    assert spilled >= 3
