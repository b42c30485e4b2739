"""Export PDF…, Print… and Booklet… in the window (offscreen, background work run inline)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog, QPrintPreviewWidget
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QPushButton

from desktop_app.core.progress import Cancelled
from desktop_app.core.settings import Settings
from desktop_app.services import catalog as c
from desktop_app.services import listing
from desktop_app.storage.library import Library
from desktop_app.ui import file_dialogs
from desktop_app.ui import handout_actions as ha
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import SynchronousRunner


@pytest.fixture
def window(demo_library: Library, qtbot: Any) -> MainWindow:
    w = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    return w


def guide_id(library: Library, title: str) -> str:
    rows = listing.list_rows(library, "guide")
    return next(str(r["id"]) for r in rows if r["title"] == title)


def pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def accept_export(path: Path, paper: str, kind: str | None = None) -> Any:
    def fake_exec(dialog: ha.ExportDialog) -> int:
        dialog.paper_box.setCurrentIndex(dialog.paper_box.findData(paper))
        if kind:
            dialog.kind_buttons[kind].setChecked(True)
        if dialog.path_row is not None:
            dialog.path_row.edit.setText(str(path))
        return QDialog.DialogCode.Accepted

    return fake_exec


def test_actions_are_in_the_file_menu(window: MainWindow) -> None:
    names = [a.objectName() for a in window.menus["file"].actions()]
    handout_names = [
        "handout_export",
        "handout_print",
        "handout_booklet",
        "handout_signin",
        "handout_feedback",
    ]
    # Together, in this order, at the top of the File menu.
    start = names.index("handout_export")
    assert names[start : start + 5] == handout_names


def test_signin_sheet_from_the_file_menu(
    window: MainWindow, demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.services.session_code import session_code

    session_id = listing.list_ids(demo_library, "session")[0]
    window.select_record("session", session_id)
    offered: list[list[str]] = []
    exporter = accept_export(tmp_path / "signin.pdf", "A4")

    def fake_exec(dialog: ha.ExportDialog) -> int:
        offered.append(list(dialog.choices))
        assert dialog.path_row is not None and "sign-in sheet" in dialog.path_row.edit.text()
        return int(exporter(dialog))

    monkeypatch.setattr(ha.ExportDialog, "exec", fake_exec)
    window.handout_actions.signin_action.trigger()
    assert offered == [[ha.SIGNIN]]
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "signin.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "签到表" in text and session_code(session_id) in text
    # The feedback form the same way; and Export PDF… offers all four session documents.
    monkeypatch.setattr(ha.ExportDialog, "exec", accept_export(tmp_path / "fb.pdf", "A4"))
    window.handout_actions.feedback_action.trigger()
    assert (
        "学员反馈表"
        in subprocess.run(
            ["pdftotext", str(tmp_path / "fb.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout
    )
    request = window.handout_actions.request_from_selection()
    assert request is not None and request.choices == [ha.REPORT, ha.PACK, ha.SIGNIN, ha.FEEDBACK]


def test_signin_sheet_needs_a_session(
    window: MainWindow, demo_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: shown.append(text))
    window.select_record("guide", guide_id(demo_library, "月季修剪"))
    window.handout_actions.signin_action.trigger()
    assert shown == ["Select a field session in the list first."]


def test_export_guide_remembers_paper(
    window: MainWindow, demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.select_record("guide", guide_id(demo_library, "月季修剪"))
    target = tmp_path / "out" / "rose"  # ".pdf" is added
    monkeypatch.setattr(ha.ExportDialog, "exec", accept_export(target, "A5"))
    window.handout_actions.export_action.trigger()
    pdf = target.with_name("rose.pdf")
    assert pdf.exists() and pages(pdf) >= 2
    assert Settings().get("handout.paper") == "A5"  # remembered for next time
    assert "rose.pdf" in window.statusBar().currentMessage()
    assert window.handout_actions.export_action.isEnabled()


def test_export_session_pack(
    window: MainWindow, demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = listing.list_ids(demo_library, "session")[0]
    window.select_record("session", session_id)
    target = tmp_path / "pack.pdf"
    monkeypatch.setattr(ha.ExportDialog, "exec", accept_export(target, "A4", ha.PACK))
    window.handout_actions.export_action.trigger()
    doc = pdfium.PdfDocument(str(target))
    try:
        titles = [item.get_title() for item in doc.get_toc()]
    finally:
        doc.close()
    assert "月季修剪" in titles and "管氏肿腿蜂防治光肩星天牛" in titles


def test_guide_without_safety_notes_asks_first(
    window: MainWindow, demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gid = c.save_guide(demo_library, c.GuideData(title="登梯修剪", steps=[c.StepData("扶梯。")]))
    window.refresh()
    window.select_record("guide", gid)
    target = tmp_path / "ladder.pdf"
    monkeypatch.setattr(ha.ExportDialog, "exec", accept_export(target, "A4"))
    asked: list[str] = []

    def answer(reply: QMessageBox.StandardButton) -> Any:
        def warning(_parent: Any, _title: str, text: str, *args: Any) -> Any:
            asked.append(text)
            return reply

        return warning

    monkeypatch.setattr(QMessageBox, "warning", answer(QMessageBox.StandardButton.No))
    window.handout_actions.export_action.trigger()
    assert not target.exists() and "登梯修剪" in asked[0]
    monkeypatch.setattr(QMessageBox, "warning", answer(QMessageBox.StandardButton.Yes))
    window.handout_actions.export_action.trigger()
    assert target.exists()


def test_print_preview_shows_every_page_and_prints_them(
    window: MainWindow, demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.select_record("guide", guide_id(demo_library, "管氏肿腿蜂防治光肩星天牛"))
    monkeypatch.setattr(ha.ExportDialog, "exec", accept_export(tmp_path / "unused.pdf", "A4"))
    window.handout_actions.print_action.trigger()
    previews = [w for w in QApplication.topLevelWidgets() if isinstance(w, QPrintPreviewDialog)]
    assert len(previews) == 1
    preview = previews[0]
    feeder = window.handout_actions.printers[0]
    expected = pages(feeder.pdf)
    assert preview.findChild(QPrintPreviewWidget).pageCount() == expected
    # What the print button sends to a printer: here a PDF printer, checked with poppler.
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    feeder.configure(printer)
    printer.setResolution(150)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    feeder.paint(printer)
    assert pages(printed) == expected
    info = subprocess.run(["pdfinfo", str(printed)], capture_output=True, text=True).stdout
    assert "595 x 842 pts (A4)" in info
    # "Pages 2 to 2" in the print dialog prints one page.
    one = tmp_path / "one.pdf"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    feeder.configure(printer)
    printer.setResolution(100)
    printer.setOutputFileName(str(one))
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(2, 2)
    feeder.paint(printer)
    assert pages(one) == 1
    temp_pdf = feeder.pdf
    preview.reject()
    QApplication.processEvents()
    assert not temp_pdf.exists() and not window.handout_actions.printers


def test_booklet_dialog_orders_and_validates(
    window: MainWindow, demo_library: Library, qtbot: Any
) -> None:
    ids = listing.list_ids(demo_library, "guide")
    rows = listing.fetch_rows(demo_library, "guide", ids)
    guides = [(g, str(rows[g]["title"])) for g in ids]
    dialog = ha.BookletDialog(window, guides=guides, selected=[ids[2], ids[0]], paper="A4")
    qtbot.addWidget(dialog)
    assert dialog.chosen_ids() == [ids[2], ids[0]]
    dialog.list.setCurrentRow(1)
    dialog.move(-1)
    assert dialog.chosen_ids() == [ids[0], ids[2]]
    dialog.print_button.click()
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.message.text()
    dialog.title_edit.setText("修剪手册")
    dialog.print_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.printing


def test_booklet_export(
    window: MainWindow, demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = [guide_id(demo_library, "榆叶梅修剪"), guide_id(demo_library, "花后修剪")]
    window.select_record("guide", chosen[0])

    def fake_exec(dialog: ha.BookletDialog) -> int:
        for row in range(dialog.list.count()):
            item = dialog.list.item(row)
            wanted = item.data(Qt.ItemDataRole.UserRole) in chosen
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)
        dialog.title_edit.setText("花灌木修剪")
        dialog.printing = False
        return QDialog.DialogCode.Accepted

    target = tmp_path / "booklet.pdf"
    monkeypatch.setattr(ha.BookletDialog, "exec", fake_exec)
    monkeypatch.setattr(file_dialogs, "save_file", lambda *a, **k: str(target))
    window.handout_actions.booklet_action.trigger()
    doc = pdfium.PdfDocument(str(target))
    try:
        titles = [item.get_title() for item in doc.get_toc()]
    finally:
        doc.close()
    assert [t for t in titles if t in ("榆叶梅修剪", "花后修剪")] == ["榆叶梅修剪", "花后修剪"]


def test_cancel_leaves_nothing_and_reenables(
    window: MainWindow, demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.select_record("guide", guide_id(demo_library, "月季修剪"))
    target = tmp_path / "x.pdf"
    monkeypatch.setattr(ha.ExportDialog, "exec", accept_export(target, "A4"))

    def cancelled(*_args: Any) -> Any:
        raise Cancelled()

    monkeypatch.setattr(ha, "build", cancelled)
    window.handout_actions.export_action.trigger()
    assert not target.exists()
    assert window.handout_actions.export_action.isEnabled() and not window.handout_actions.busy


def test_nothing_selected_explains(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: shown.append(text))
    window.sidebar.setCurrentRow(0)  # teams: no handout for a team
    window.handout_actions.print_action.trigger()
    assert shown


def test_export_runs_in_the_background(
    demo_library: Library, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.ui.workers import BackgroundRunner

    w = MainWindow(demo_library, runner=BackgroundRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    session_id = listing.list_ids(demo_library, "session")[0]
    w.select_record("session", session_id)
    target = tmp_path / "report.pdf"
    monkeypatch.setattr(ha.ExportDialog, "exec", accept_export(target, "A4", ha.REPORT))
    w.handout_actions.export_action.trigger()
    # The trigger returns at once; the build finishes on a worker thread.
    assert w.handout_actions.busy
    qtbot.waitUntil(lambda: not w.handout_actions.busy, timeout=30000)
    assert target.exists() and pages(target) >= 1
    assert w.runner.wait(5000)


def test_organisation_name_is_edited_in_the_window(
    window: MainWindow, demo_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QInputDialog

    from desktop_app.services import handouts

    action = window.handout_actions.organisation_action
    assert action in window.menus["file"].actions()
    asked: list[str] = []

    def answer(_parent: Any, _title: str, _label: str, _mode: Any, current: str) -> Any:
        asked.append(current)
        return "丰台区总工会", True

    monkeypatch.setattr(QInputDialog, "getText", answer)
    action.trigger()
    assert asked == [""] and handouts.organisation_name(demo_library) == "丰台区总工会"
    assert "丰台区总工会" in window.statusBar().currentMessage()
    # Too long: one plain sentence, and the name stays as it was.
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a: ("工" * 200, True))
    action.trigger()
    assert len(warned) == 1 and "too long" in warned[0]
    assert handouts.organisation_name(demo_library) == "丰台区总工会"


def test_blurred_photos_are_pointed_out_before_building(
    window: MainWindow, demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import TESTDATA
    from tests.services.handout_fixtures import add_photo, attach_to_session

    session_id = listing.list_ids(demo_library, "session")[0]
    small = add_photo(demo_library, TESTDATA / "RGBA_8__128x128.png", caption="小图")
    attach_to_session(demo_library, session_id, [small])
    window.select_record("session", session_id)
    asked: list[str] = []

    def refuse(_parent: Any, _title: str, text: str, *_args: Any) -> Any:
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "warning", refuse)
    target = tmp_path / "report.pdf"
    monkeypatch.setattr(ha.ExportDialog, "exec", accept_export(target, "A4", ha.REPORT))
    window.handout_actions.export_action.trigger()
    assert len(asked) == 1 and "小图" in asked[0] and "ppi" in asked[0]
    assert not target.exists() and not window.handout_actions.busy
    # Answered yes: the report is made.
    monkeypatch.setattr(QMessageBox, "warning", lambda *_a: QMessageBox.StandardButton.Yes)
    window.handout_actions.export_action.trigger()
    assert target.exists()


def test_an_existing_file_is_replaced_only_when_asked(
    window: MainWindow, demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.select_record("guide", guide_id(demo_library, "月季修剪"))
    target = tmp_path / "rose.pdf"
    target.write_bytes(b"keep me")
    answers: list[str] = []

    def say(answer: Any) -> Any:
        def question(_parent: Any, _title: str, text: str, *_args: Any) -> Any:
            answers.append(text)
            return answer

        return question

    monkeypatch.setattr(ha.ExportDialog, "exec", accept_export(target, "A4"))
    monkeypatch.setattr(QMessageBox, "question", say(QMessageBox.StandardButton.No))
    window.handout_actions.export_action.trigger()
    assert target.read_bytes() == b"keep me" and "rose.pdf" in answers[0]
    monkeypatch.setattr(QMessageBox, "question", say(QMessageBox.StandardButton.Yes))
    window.handout_actions.export_action.trigger()
    assert target.read_bytes().startswith(b"%PDF-")


def test_enter_returned_sheets_by_keyboard(
    window: MainWindow, demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QTimer

    from desktop_app.ui.returned_sheets import ReturnedSheetsDialog

    session_id = listing.list_ids(demo_library, "session")[0]
    window.select_record("session", session_id)
    before = c.load_session(demo_library, session_id)
    assert [g.count for g in before.groups] == [None, None, None, None]

    problems: list[BaseException] = []

    def fill() -> None:
        dialog = next(
            w for w in QApplication.topLevelWidgets() if isinstance(w, ReturnedSheetsDialog)
        )
        try:
            # Keyboard only: type the first count, Tab to the next, and so on.
            for n, count in enumerate(("6", "8", "12", "30")):
                focused = dialog.focusWidget()
                spin = dialog.counts[n]
                assert focused is spin or spin.isAncestorOf(focused), (n, focused)
                spin.selectAll()
                qtbot.keyClicks(focused, count)
                qtbot.keyClick(focused, Qt.Key.Key_Tab)
            dialog.quotes[0].text.setText("回去就能用在苗圃里")
            dialog.quotes[0].speaker.setText("王师傅")
            qtbot.keyClick(
                dialog.quotes[0].text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
            )
            assert len(dialog.quotes) == 2
            dialog.accept()
        except BaseException as exc:  # never leave the modal dialog open
            problems.append(exc)
            dialog.reject()

    QTimer.singleShot(0, fill)
    window.handout_actions.returned_action.trigger()
    assert problems == []
    after = c.load_session(demo_library, session_id)
    assert [g.count for g in after.groups] == [6, 8, 12, 30]
    assert after.feedback[-1] == c.FeedbackData("回去就能用在苗圃里", "王师傅", "")
    assert len(after.feedback) == len(before.feedback) + 1  # the empty row adds nothing
    # One step on the undo stack takes it all back.
    window.undo_stack.undo()
    assert c.load_session(demo_library, session_id) == before


def test_returned_sheets_do_not_replace_a_newer_version(
    window: MainWindow, demo_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.ui import returned_sheets

    session_id = listing.list_ids(demo_library, "session")[0]
    window.select_record("session", session_id)
    reported: list[str] = []
    monkeypatch.setattr(window, "report", lambda err: reported.append(str(err)))

    def exec_after_someone_else_saved(dialog: returned_sheets.ReturnedSheetsDialog) -> int:
        # While the dialog is open, the session changes elsewhere (say, a pack import).
        other = c.load_session(demo_library, session_id)
        other.summary = "别处改过的概况"
        c.save_session(demo_library, other, session_id)
        dialog.counts[0].setValue(9)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(returned_sheets.ReturnedSheetsDialog, "exec", exec_after_someone_else_saved)
    assert not returned_sheets.enter_returned_sheets(window, session_id)
    assert len(reported) == 1
    now = c.load_session(demo_library, session_id)
    assert now.summary == "别处改过的概况" and now.groups[0].count is None


def test_after_export_the_file_or_its_folder_opens(
    window: MainWindow, demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window.select_record("guide", guide_id(demo_library, "月季修剪"))
    target = tmp_path / "导出" / "rose.pdf"
    monkeypatch.setattr(ha.ExportDialog, "exec", accept_export(target, "A4"))
    window.handout_actions.export_action.trigger()
    box = window.handout_actions.saved_box
    assert box is not None and box.isVisible()
    assert "rose.pdf" in box.text()
    assert {b.text() for b in box.buttons()} >= {"Open file", "Open folder"}
    box.findChild(QPushButton, "open_file").click()
    assert [u.toLocalFile() for u in opened] == [str(target)]
    assert not box.isVisible()  # a button closes the message
    # Export again (replacing the file) and open the folder this time.
    monkeypatch.setattr(QMessageBox, "question", lambda *_a: QMessageBox.StandardButton.Yes)
    window.handout_actions.export_action.trigger()
    box = window.handout_actions.saved_box
    assert box is not None and box.isVisible()
    box.findChild(QPushButton, "open_folder").click()
    assert opened[-1].toLocalFile() == str(target.parent)
    assert opened[-1].isLocalFile()


def test_report_photos_chosen_and_ordered_by_keyboard(
    window: MainWindow,
    demo_library: Library,
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    testdata: Path,
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from desktop_app.storage.models import Photo
    from tests.services.handout_fixtures import add_photo, attach_to_session

    session_id = listing.list_ids(demo_library, "session")[0]
    photos = [
        add_photo(demo_library, testdata / n, caption=cap)
        for n, cap in (
            ("landscape_1.jpg", "甲图"),
            ("landscape_2.jpg", "乙图"),
            ("landscape_3.jpg", "丙图"),
        )
    ]
    attach_to_session(demo_library, session_id, photos)
    day = c.load_session(demo_library, session_id).starts_at
    with demo_library.transaction() as s:
        s.execute(
            update(Photo).where(Photo.id == photos[1]).values(taken_at=day + timedelta(days=40))
        )
    window.select_record("session", session_id)
    seen: dict[str, Any] = {}

    def choose_by_keyboard(dialog: ha.PhotoChoiceDialog) -> int:
        dialog.show()
        qtbot.waitExposed(dialog)
        rows = [dialog.list.item(i).text() for i in range(dialog.list.count())]
        seen["rows"] = rows
        seen["shot"] = dialog.grab()
        lst = dialog.list
        lst.setFocus()
        # Row 0 (甲图) down below 乙图, then untick 乙图 (now first) with Space.
        qtbot.keyClick(lst, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
        lst.setCurrentRow(0)
        qtbot.keyClick(lst, Qt.Key.Key_Space)
        # 丙图 to the top.
        lst.setCurrentRow(2)
        qtbot.keyClick(lst, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(lst, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
        seen["chosen"] = dialog.chosen_ids()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ha.PhotoChoiceDialog, "exec", choose_by_keyboard)
    target = tmp_path / "report.pdf"
    exporter = accept_export(target, "A4", ha.REPORT)

    def fake_exec(dialog: ha.ExportDialog) -> int:
        assert dialog.photos_label is not None and dialog.photos_button is not None
        assert "3" in dialog.photos_label.text()
        dialog.kind_buttons[ha.PACK].setChecked(True)
        assert not dialog.photos_button.isEnabled()  # only the report prints them
        dialog.kind_buttons[ha.REPORT].setChecked(True)
        assert dialog.photos_button.isEnabled()
        dialog.photos_button.click()
        assert dialog.photos_label.text() == "2 of 3"
        return int(exporter(dialog))

    warned: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "warning",
        lambda _p, _t, text, *_a: warned.append(text) or QMessageBox.StandardButton.Yes,
    )
    monkeypatch.setattr(ha.ExportDialog, "exec", fake_exec)
    window.handout_actions.export_action.trigger()
    # Every photo offered, the far one marked; 乙图 left out, 丙图 first.
    assert [r.split(" ·")[0] for r in seen["rows"]] == ["甲图", "⚠ 乙图", "丙图"]
    assert "40 days from the session" in seen["rows"][1]
    assert seen["chosen"] == [photos[2], photos[0]]
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())
    assert flat.index("丙图") < flat.index("甲图") and "乙图" not in flat
    # The far photo was left out, so the check before printing does not name it.
    assert not any("乙图" in w for w in warned)
