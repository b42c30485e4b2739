"""PDF handouts checked with real tools: poppler (pdffonts, pdftotext, pdfinfo, pdfimages) and
PDFium (pypdfium2, for the outline that pdftotext does not show)."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from desktop_app.core.i18n import translator_for
from desktop_app.core.progress import Cancelled, Progress
from desktop_app.services import catalog as c
from desktop_app.services import handouts
from desktop_app.services.handouts import build as hbuild
from desktop_app.services.handouts import guide as hguide
from desktop_app.services.handouts import photos as hphotos
from desktop_app.services.handouts import session as hsession
from desktop_app.services.handouts.data import PhotoRef
from desktop_app.services.handouts.flowables import emphasise, esc
from desktop_app.storage.library import Library
from desktop_app.storage.models import FieldSession, Guide
from tests.services.handout_fixtures import (
    add_photo,
    attach_to_session,
    attach_to_steps,
    camera_like_jpegs,
)

ZH = translator_for("zh_CN")
FULL_WIDTH_CLOSERS = "，。、；：！？）」』】》"


# --- helpers --------------------------------------------------------------------------------


def run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def text_of(
    pdf: Path, first: int | None = None, last: int | None = None, *, body_only: bool = False
) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if body_only:  # leave out the running footer (A4: the bottom 24 mm)
        args += ["-x", "0", "-y", "0", "-W", "595", "-H", str(842 - 68)]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return run(*args, str(pdf), "-")


def pages_of(pdf: Path) -> int:
    return int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", str(pdf))).group(1))  # type: ignore[union-attr]


def page_size(pdf: Path) -> tuple[float, float]:
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", run("pdfinfo", str(pdf)))
    assert m
    return float(m.group(1)), float(m.group(2))


def assert_fonts_embedded(pdf: Path) -> None:
    lines = run("pdffonts", str(pdf)).splitlines()[2:]
    assert lines, "no fonts at all"
    for line in lines:
        name, *_rest = line.split()
        cols = line.split()
        emb, sub = cols[-5], cols[-4]
        assert (emb, sub) == ("yes", "yes"), line
        assert re.match(r"^[A-Z]{6}\+NotoSansSC", name), line


def outline(pdf: Path) -> list[tuple[int, str, int | None]]:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return [
            (item.level, item.get_title(), item.get_dest().get_index() if item.get_dest() else None)
            for item in doc.get_toc()
        ]
    finally:
        doc.close()


def ids(library: Library) -> tuple[dict[str, str], str]:
    with library.session() as s:
        guides = {g.title: g.id for g in s.scalars(select(Guide))}
        session_id = s.scalars(select(FieldSession.id)).one()
    return guides, session_id


def no_line_starts_with_closer(text: str) -> None:
    bad = [line for line in text.splitlines() if line and line[0] in FULL_WIDTH_CLOSERS]
    assert bad == []


# --- guide handout --------------------------------------------------------------------------


def test_guide_handout_for_the_demo(demo_library: Library, tmp_path: Path) -> None:
    guides, _sid = ids(demo_library)
    target = tmp_path / "rose.pdf"
    result = handouts.build_guide_handout(demo_library, guides["月季修剪"], target)
    assert result.path == target and result.size == target.stat().st_size
    assert result.pages == pages_of(target) >= 1
    assert_fonts_embedded(target)
    text = text_of(target)
    assert "切口要斜向45度" in text
    assert (
        "月季修剪" in text
        and "周宗宝（北京市先进工作者）" in text
        and "李佳（首都劳动奖章获得者）" in text
    )
    # Headings come from the handout's own (Chinese) translator, whatever the UI language.
    key, steps, safety = ZH(hguide.KEY_POINTS), ZH(hguide.STEPS), ZH(hguide.SAFETY)
    assert key in text and steps in text and safety in text
    # 要点 first, then the safety notes (before the steps, issue 15 item 7), then the steps.
    assert text.index(key) < text.index(safety) < text.index(steps)
    assert text.index("切口要斜向45度") < text.index(steps)  # the 要点 box comes first
    assert ZH(hbuild.PAGE_LABEL).format(page=1, pages=result.pages) in text
    # The footer names the union, never the library's folder name ("demo" here).
    assert "专业技术服务2队" in text and "丰台区总工会 · " in text
    assert demo_library.name not in text
    assert page_size(target) == pytest.approx((595.28, 841.89), abs=0.5)


def test_after_bloom_key_number_reads_in_order(demo_library: Library, tmp_path: Path) -> None:
    guides, _sid = ids(demo_library)
    target = tmp_path / "bloom.pdf"
    handouts.build_guide_handout(demo_library, guides["花后修剪"], target)
    text = text_of(target)
    assert text.count("留3到5个饱满芽") >= 2  # in the 要点 box and in step 3
    no_line_starts_with_closer(text)


def test_key_numbers_are_bold_and_user_markup_is_text() -> None:
    assert emphasise("花后修剪要留3到5个饱满芽") == "花后修剪要留<b>3到5个</b>饱满芽"
    assert emphasise("切口要斜向45度") == "切口要斜向<b>45度</b>"
    assert emphasise("剪在0.5到1厘米处") == "剪在<b>0.5到1厘米</b>处"
    assert esc("<b>x</b> & </para>") == "&lt;b&gt;x&lt;/b&gt; &amp; &lt;/para&gt;"


def test_a5_paper(demo_library: Library, tmp_path: Path) -> None:
    guides, _sid = ids(demo_library)
    a4, a5 = tmp_path / "a4.pdf", tmp_path / "a5.pdf"
    gid = guides["管氏肿腿蜂防治光肩星天牛"]
    handouts.build_guide_handout(demo_library, gid, a4)
    result = handouts.build_guide_handout(demo_library, gid, a5, handouts.HandoutOptions("A5"))
    assert page_size(a5) == pytest.approx((419.53, 595.28), abs=0.5)
    assert result.pages > pages_of(a4)
    assert "蜂管口靠近新鲜排粪孔或枝杈处" in text_of(a5)
    with pytest.raises(handouts.UserError):
        handouts.build_guide_handout(demo_library, gid, a5, handouts.HandoutOptions("Letter"))


def test_paper_is_remembered_in_settings(tmp_path: Path) -> None:
    from desktop_app.core.settings import Settings

    settings = Settings(tmp_path / "s.json")
    assert handouts.options_from_settings(settings).paper == "A4"
    settings.set("handout.paper", "A5")
    assert handouts.options_from_settings(Settings(tmp_path / "s.json")).paper == "A5"
    assert handouts.options_from_settings(settings, paper="a4").paper == "A4"


HOSTILE = "A<b>粗</b> & <para>x</para> </para> <font name='Courier'>Z</font> &amp; ]]> %s"


def test_hostile_and_very_long_text(demo_library: Library, tmp_path: Path) -> None:
    sentence = "这是一段很长的说明文字，用来检查分页：能否正确换行；是否漏字！"
    long = (sentence * 400)[:10000]
    gid = c.save_guide(
        demo_library,
        c.GuideData(
            title="剪刀<b>安全</b> & </para>",
            category="<修剪>",
            problem=long,
            season=HOSTILE,
            materials=[HOSTILE],
            key_points=[HOSTILE],
            safety_notes=[HOSTILE],
            common_mistakes=[HOSTILE],
            steps=[c.StepData(long), c.StepData(HOSTILE)],
        ),
    )
    target = tmp_path / "hostile.pdf"
    result = handouts.build_guide_handout(demo_library, gid, target)
    text = text_of(target, body_only=True)
    flat = re.sub(r"\s+", "", text)
    assert "剪刀<b>安全</b>&</para>" in flat
    # season, material, key point, safety note, mistake, step 2: all printed literally
    assert flat.count(re.sub(r"\s+", "", HOSTILE)) == 6
    # both 10,000-character fields, whole, across the pages
    assert flat.count(re.sub(r"\s+", "", sentence)) == 2 * (10000 // len(sentence))
    assert result.pages >= 8
    no_line_starts_with_closer(text)
    assert_fonts_embedded(target)


def test_missing_safety_notes_need_confirmation(demo_library: Library, tmp_path: Path) -> None:
    gid = c.save_guide(
        demo_library, c.GuideData(title="登梯修剪", steps=[c.StepData("扶好梯子。")])
    )
    target = tmp_path / "ladder.pdf"
    assert handouts.guides_missing_safety(demo_library, [gid]) == ["登梯修剪"]
    with pytest.raises(handouts.SafetyNotesMissing) as info:
        handouts.build_guide_handout(demo_library, gid, target)
    assert info.value.titles == ["登梯修剪"] and "登梯修剪" in str(info.value)
    assert not target.exists()
    options = handouts.HandoutOptions(confirm_missing_safety=True)
    handouts.build_guide_handout(demo_library, gid, target, options)
    # The printed handout says plainly that there are no safety notes.
    assert ZH(hguide.NO_SAFETY)[:8] in text_of(target).replace("\n", "")


# --- photos ---------------------------------------------------------------------------------


def test_photos_upright_placeholders_and_originals_untouched(
    demo_library: Library, tmp_path: Path, testdata: Path
) -> None:
    guides, _sid = ids(demo_library)
    good = [
        add_photo(demo_library, testdata / name)
        for name in ("landscape_6.jpg", "arrow.heic", "RGBA_8__128x128.png")
    ]
    gone = tmp_path / "gone.jpg"
    gone.write_bytes((testdata / "landscape_1.jpg").read_bytes())
    missing = add_photo(demo_library, gone, name="丢失的照片.jpg")
    store = demo_library.photos_dir
    sha_gone = hashlib.sha256(gone.read_bytes()).hexdigest()
    (store / sha_gone[:2] / f"{sha_gone}.jpg").unlink()
    broken_src = tmp_path / "broken.jpg"
    broken_src.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 10)
    broken = add_photo(demo_library, broken_src, name="坏文件.jpg")
    before = {p: p.read_bytes() for p in store.rglob("*") if p.is_file()}
    attach_to_steps(demo_library, guides["花后修剪"], [*good, missing, broken], 2)

    target = tmp_path / "photos.pdf"
    handouts.build_guide_handout(demo_library, guides["花后修剪"], target)
    text = text_of(target).replace("\n", " ")
    assert ZH(hphotos.MISSING) in text and "丢失的照片.jpg" in text
    assert ZH(hphotos.UNREADABLE) in text and "坏文件.jpg" in text
    images = run("pdfimages", "-list", str(target)).splitlines()[2:]
    assert len(images) == 3
    after = {p: p.read_bytes() for p in store.rglob("*") if p.is_file()}
    assert after == before  # originals never modified


@pytest.mark.parametrize(
    ("name", "rotation", "portrait"),
    [
        ("landscape_6.jpg", 0, False),  # EXIF orientation 6 applied: upright 600×450
        ("landscape_8.jpg", 90, True),  # and the user's quarter turn on top
        ("canon_hdr_NO.jpg", 0, True),  # real camera, orientation 6: portrait
        ("arrow.heic", 0, True),  # HEIF rotation applied once by pillow-heif, never twice
        ("xiaomi.heic", 180, False),
    ],
)
def test_prepare_photo_orientation(
    testdata: Path, name: str, rotation: int, portrait: bool
) -> None:
    from PIL import Image

    prepared = hphotos.prepare_photo(PhotoRef(testdata / name, name, rotation), 200, 200)
    assert prepared.jpeg is not None
    with Image.open(__import__("io").BytesIO(prepared.jpeg)) as img:
        assert img.format == "JPEG"
        assert (img.height > img.width) == portrait
        # ≤300 dpi in a 200 pt box: at most 834 px on the long side
        assert max(img.size) <= 200 / 72 * 300 + 1


def test_orientation_picture_is_really_upright(testdata: Path) -> None:
    """landscape_1..8 all show the same picture once upright: compare with orientation 1.

    Measured mean differences: about 13 when upright, 42 if mirrored, 61 if upside down.
    """
    from PIL import Image, ImageChops

    def pixels(name: str) -> Image.Image:
        p = hphotos.prepare_photo(PhotoRef(testdata / name, name), 150, 150)
        assert p.jpeg is not None
        return Image.open(__import__("io").BytesIO(p.jpeg)).convert("L").resize((60, 45))

    reference = pixels("landscape_1.jpg")
    for n in range(2, 9):
        diff = ImageChops.difference(reference, pixels(f"landscape_{n}.jpg"))
        assert sum(diff.histogram()[i] * i for i in range(256)) / (60 * 45) < 25, n


def test_twelve_camera_photos_stay_small(demo_library: Library, tmp_path: Path) -> None:
    guides, _sid = ids(demo_library)
    originals = camera_like_jpegs(tmp_path / "camera", 12)
    assert sum(p.stat().st_size for p in originals) > 25_000_000
    photo_ids = [add_photo(demo_library, p) for p in originals]
    attach_to_steps(demo_library, guides["月季修剪"], photo_ids, 2)
    target = tmp_path / "twelve.pdf"
    result = handouts.build_guide_handout(demo_library, guides["月季修剪"], target)
    assert result.size < 3_000_000
    rows = run("pdfimages", "-list", str(target)).splitlines()[2:]
    assert len(rows) == 12
    for row in rows:
        cols = row.split()
        assert cols[9] == "jpeg" or cols[8] == "jpeg"
        x_ppi, y_ppi = int(cols[12]), int(cols[13])
        assert x_ppi <= 301 and y_ppi <= 301, row
    assert "切口要斜向45度" in text_of(target)


# --- session report, pack and booklet -------------------------------------------------------


def test_session_report(demo_library: Library, tmp_path: Path, testdata: Path) -> None:
    _guides, sid = ids(demo_library)
    photos = [
        add_photo(demo_library, testdata / n, caption=f"现场{i}")
        for i, n in enumerate(("landscape_1.jpg", "DSCN0010.jpg", "87_OSError.jpg"), 1)
    ]
    attach_to_session(demo_library, sid, photos)
    target = tmp_path / "report.pdf"
    result = handouts.build_session_report(demo_library, sid, target)
    assert_fonts_embedded(target)
    text = text_of(target)
    flat = text.replace("\n", "")
    for expected in (
        "绿色养护提质增效",
        "园博园",
        "丰台区总工会",
        "周宗宝",
        "李佳",
        "绿化公司养护人员",
        "河堤路旁树木修剪指导",
        "张志峰",
        "管氏肿腿蜂防治光肩星天牛",
    ):
        assert expected in flat, expected
    assert ZH(hsession.PHOTO_N).format(n=3) in flat and "现场3" in flat
    assert "这些实用技术回去后马上就能用在苗圃里" in flat
    assert len(run("pdfimages", "-list", str(target)).splitlines()[2:]) == 3
    assert result.pages == pages_of(target)


def test_long_participant_table_repeats_its_header(demo_library: Library, tmp_path: Path) -> None:
    _guides, sid = ids(demo_library)
    data = c.load_session(demo_library, sid)
    data.groups = [c.GroupData(f"第{i}组 绿化养护学员", i) for i in range(1, 121)]
    c.save_session(demo_library, data, sid)
    target = tmp_path / "long.pdf"
    result = handouts.build_session_report(demo_library, sid, target)
    header = ZH(hsession.GROUP)
    pages_with_header = [
        p for p in range(1, result.pages + 1) if header in text_of(target, p, p).splitlines()
    ]
    assert len(pages_with_header) >= 3
    assert str(sum(range(1, 121))) in text_of(target)  # the total


def test_take_home_pack(demo_library: Library, tmp_path: Path) -> None:
    _guides, sid = ids(demo_library)
    target = tmp_path / "pack.pdf"
    result = handouts.build_session_pack(demo_library, sid, target)
    assert_fonts_embedded(target)
    assert result.pages == pages_of(target) >= 5
    entries = outline(target)
    titles = [t for _level, t, _page in entries]
    order = ["管氏肿腿蜂防治光肩星天牛", "花后修剪", "月季修剪", "榆叶梅修剪"]
    assert [t for t in titles if t in order] == order
    start_pages = {t: page for _l, t, page in entries}
    # The table of contents, on the cover, lists each guide with the page its bookmark is on.
    contents = text_of(target, 1, 1)
    for title in order:
        line = next(line for line in contents.splitlines() if line.startswith(title))
        assert line.rstrip().endswith(str(start_pages[title] + 1))
        assert title in text_of(target, start_pages[title] + 1, start_pages[title] + 1)
    cover = text_of(target, 1, 1)
    assert "绿色养护提质增效" in cover and "园博园" in cover
    text = text_of(target)
    assert "留3到5个饱满芽" in text and "切口要斜向45度" in text


def test_booklet_in_chosen_order(demo_library: Library, tmp_path: Path) -> None:
    guides, _sid = ids(demo_library)
    chosen = ["榆叶梅修剪", "月季修剪"]
    target = tmp_path / "booklet.pdf"
    handouts.build_booklet(
        demo_library, [guides[t] for t in chosen], "花灌木修剪 <手册> & 要点", target
    )
    titles = [t for _l, t, _p in outline(target)]
    assert [t for t in titles if t in guides] == chosen
    assert "花灌木修剪 <手册> & 要点" in text_of(target, 1, 1)
    with pytest.raises(handouts.UserError):
        handouts.build_booklet(demo_library, [], "x", target)
    with pytest.raises(handouts.UserError):
        handouts.build_booklet(demo_library, [guides["月季修剪"]], "  ", target)


# --- progress, cancel, atomic write, lazy import --------------------------------------------


class Recorder(Progress):
    def __init__(self, cancel_at: int | None = None) -> None:
        super().__init__()
        self.steps: list[tuple[int, int, str]] = []
        self.cancel_at = cancel_at

    def on_step(self, done: int, total: int, text: str) -> None:
        self.steps.append((done, total, text))
        if self.cancel_at is not None and len(self.steps) >= self.cancel_at:
            self.cancel()


def test_progress_and_cancel_leave_no_file(demo_library: Library, tmp_path: Path) -> None:
    _guides, sid = ids(demo_library)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "pack.pdf"
    target.write_bytes(b"previous version")
    recorder = Recorder()
    handouts.build_session_pack(demo_library, sid, out / "ok.pdf", progress=recorder)
    assert recorder.steps and recorder.steps[-1][2] == hbuild.TYPESETTING  # UI language: en
    with pytest.raises(Cancelled):
        handouts.build_session_pack(demo_library, sid, target, progress=Recorder(cancel_at=2))
    assert target.read_bytes() == b"previous version"  # untouched
    assert sorted(p.name for p in out.iterdir()) == ["ok.pdf", "pack.pdf"]


def test_unwritable_target_is_a_user_error(demo_library: Library, tmp_path: Path) -> None:
    guides, _sid = ids(demo_library)
    out = tmp_path / "out"
    folder = out / "a-folder.pdf"
    folder.mkdir(parents=True)
    with pytest.raises(handouts.UserError):
        handouts.build_guide_handout(demo_library, guides["花后修剪"], folder)
    assert list(out.iterdir()) == [folder] and not any(folder.iterdir())


def test_reportlab_is_not_loaded_at_start_up() -> None:
    code = (
        "import sys, desktop_app.cli, desktop_app.services.handouts, "
        "desktop_app.ui.handout_actions; heavy = ('reportlab', 'pillow_heif', 'pypdfium2'); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_booklet_with_a_10000_character_title(demo_library: Library, tmp_path: Path) -> None:
    """The contents and the outline shorten it; the guide's own title block prints it all."""
    title = ("修剪要点很长的标题，" * 1000)[:10000]
    gid = c.save_guide(
        demo_library,
        c.GuideData(title=title, safety_notes=["戴手套。"], steps=[c.StepData("剪。")]),
    )
    target = tmp_path / "long-title.pdf"
    result = handouts.build_booklet(demo_library, [gid], title, target)
    (entry,) = [t for _l, t, _p in outline(target) if t.startswith("修剪要点")]
    assert len(entry) == 60 and entry.endswith("…")
    flat = re.sub(r"\s+", "", text_of(target, body_only=True))
    assert flat.count("修剪要点很长的标题") >= 2 * 1000  # on the cover and in the title block
    assert result.pages > 5


def test_type_sizes_for_reading_outdoors(demo_library: Library, tmp_path: Path) -> None:
    """Steps are set in 12 pt, body text in at least 11 pt (measured in the PDF by PDFium)."""
    import pypdfium2.raw as pdfium_raw

    guides, _sid = ids(demo_library)
    target = tmp_path / "rose.pdf"
    handouts.build_guide_handout(demo_library, guides["月季修剪"], target)
    doc = pdfium.PdfDocument(str(target))
    try:
        found: dict[str, float] = {}
        for page in doc:
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            for probe in ("短截：在外向芽上方", "月季枝条多", "切口剪平", "厚手套"):
                at = text.find(probe)
                if at >= 0:
                    found[probe] = pdfium_raw.FPDFText_GetFontSize(textpage.raw, at)
    finally:
        doc.close()
    assert found["短截：在外向芽上方"] == pytest.approx(12)  # a step
    assert min(found[p] for p in ("月季枝条多", "切口剪平", "厚手套")) >= 11  # body, lists
