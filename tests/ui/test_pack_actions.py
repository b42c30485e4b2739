"""Export, import with preview, conflicts side by side and backup in the window (offscreen,
background work run inline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from desktop_app.core.settings import Settings
from desktop_app.services import catalog, listing, merge, packs
from desktop_app.services.pack_format import read_pack
from desktop_app.storage.library import Library
from desktop_app.ui import pack_actions as pa
from desktop_app.ui.conflicts_dialog import DIFF_BRUSH
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import SynchronousRunner
from tests.services.packkit import illustrate, records

SHOTS = Path("/tmp/jiangxin-pack-shots")


def make_window(library: Library, qtbot: Any) -> MainWindow:
    w = MainWindow(library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def window(demo_library: Library, qtbot: Any) -> MainWindow:
    return make_window(demo_library, qtbot)


def guide_id(library: Library, part: str) -> str:
    rows = listing.list_rows(library, "guide")
    return next(str(r["id"]) for r in rows if part in str(r["title"]))


def shoot(widget: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))


def test_actions_are_in_the_menus(window: MainWindow) -> None:
    file_names = [a.objectName() for a in window.menus["file"].actions()]
    assert {"pack_export", "pack_import", "backup"} <= set(file_names)
    assert file_names.index("pack_export") < file_names.index(
        next(n for n in file_names if n == "backup")
    )
    assert "conflicts" in {a.objectName() for a in window.menus["tools"].actions()}


def test_export_selected_guides_with_the_dialog(
    window: MainWindow, demo_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gid = guide_id(demo_library, "月季修剪")
    window.select_record("guide", gid)
    target = tmp_path / "rose"
    seen: dict[str, Any] = {}

    def fake_exec(dialog: pa.ExportPackDialog) -> int:
        seen["text"] = dialog.some.text()
        seen["checked"] = dialog.some.isChecked()
        dialog.path_row.edit.setText(str(target))
        shoot(dialog, "export_dialog")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(pa.ExportPackDialog, "exec", fake_exec)
    window.pack_actions.export_action.trigger()
    assert seen["checked"] and "(1)" in seen["text"]
    pack = read_pack(target.with_name("rose.jxpack"))
    try:
        assert [e.id for e in pack.entries["guide"]] == [gid]
        assert pack.manifest["selection"]["guides"] == [gid]
    finally:
        pack.close()
    assert "rose.jxpack" in window.statusBar().currentMessage()
    assert window.pack_actions.export_action.isEnabled()


def test_export_whole_library_with_contacts(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.sidebar.setCurrentRow(1)  # members cannot be exported on their own

    def fake_exec(dialog: pa.ExportPackDialog) -> int:
        assert not dialog.some.isEnabled() and dialog.whole.isChecked()
        dialog.contacts.setChecked(True)
        dialog.path_row.edit.setText(str(tmp_path / "all.jxpack"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(pa.ExportPackDialog, "exec", fake_exec)
    window.pack_actions.export_action.trigger()
    pack = read_pack(tmp_path / "all.jxpack")
    try:
        assert pack.include_contacts and len(pack.entries["team"]) == 5
    finally:
        pack.close()


def test_import_shows_a_preview_then_imports(
    demo_library: Library, tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    illustrate(demo_library)
    pack = packs.export_pack(demo_library, tmp_path / "demo.jxpack").path
    target = Library.create(tmp_path / "laptop2")
    try:
        window = make_window(target, qtbot)
        assert window.current_model().rowCount() == 0
        monkeypatch.setattr(pa.PackActions, "ask_open_pack", lambda self: pack)
        decisions: list[int] = []

        def fake_exec(dialog: pa.ImportPreviewDialog) -> int:
            shoot(dialog, "import_preview")
            assert dialog.groups["added"].text(0).endswith(": 19")
            assert dialog.groups["conflicts"].text(0).endswith(": 0")
            assert records(target) == {}  # the preview changed nothing
            return decisions.pop(0)

        monkeypatch.setattr(pa.ImportPreviewDialog, "exec", fake_exec)
        decisions.append(QDialog.DialogCode.Rejected)
        window.pack_actions.import_action.trigger()
        assert records(target) == {}

        decisions.append(QDialog.DialogCode.Accepted)
        window.pack_actions.import_action.trigger()
        assert len(records(target)) == 19
        window.sidebar.setCurrentRow(0)
        assert window.current_model().rowCount() == 5  # the lists were refreshed
        assert "19 added" in window.statusBar().currentMessage()
    finally:
        target.close()


def test_hostile_pack_shows_one_sentence(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.jxpack"
    bad.write_bytes(b"MZ not a pack")
    monkeypatch.setattr(pa.PackActions, "ask_open_pack", lambda self: bad)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    window.pack_actions.import_action.trigger()
    assert len(shown) == 1 and "not a zip file" in shown[0]
    assert window.pack_actions.import_action.isEnabled()


def test_conflicts_side_by_side_and_take_theirs(
    demo_library: Library, tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = Library.create(tmp_path / "other")
    try:
        packs.import_pack(other, packs.export_pack(demo_library, tmp_path / "a.jxpack").path)
        gid = guide_id(demo_library, "花后修剪")
        for library, season in ((demo_library, "五月下旬"), (other, "六月上旬")):
            data = catalog.load_guide(library, gid)
            data.season = season
            catalog.save_guide(library, data, gid)
        theirs = packs.export_pack(other, tmp_path / "b.jxpack").path
    finally:
        other.close()
    window = make_window(demo_library, qtbot)
    monkeypatch.setattr(pa.PackActions, "ask_open_pack", lambda self: theirs)
    monkeypatch.setattr(pa.ImportPreviewDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.pack_actions.import_action.trigger()
    assert "(1)" in window.pack_actions.conflicts_action.text()

    dialog = window.pack_actions.conflicts_dialog
    assert dialog is not None and dialog.list.count() == 1
    dialog.resize(1000, 560)
    shoot(dialog, "conflicts")
    rows = {
        dialog.table.item(r, 0).text(): (
            dialog.table.item(r, 1).text(),
            dialog.table.item(r, 2).text(),
            dialog.table.item(r, 1).background().color().name(),
        )
        for r in range(dialog.table.rowCount())
    }
    assert rows["Season"][:2] == ("五月下旬", "六月上旬")
    assert rows["Season"][2] == DIFF_BRUSH.color().name()
    assert rows["Title"][0] == rows["Title"][1] and rows["Title"][2] != rows["Season"][2]

    dialog.take_theirs.click()
    assert dialog.list.count() == 0 and dialog.empty.isVisibleTo(dialog)
    assert records(demo_library)[("guide", gid)]["season"] == "六月上旬"
    assert merge.list_conflicts(demo_library) == []
    assert window.pack_actions.conflicts_action.text() == "Conflicts…"
    dialog.close()


def test_backup_action(window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "copy.zip"
    monkeypatch.setattr(pa.PackActions, "ask_backup_target", lambda self: target)
    window.pack_actions.backup_action.trigger()
    assert target.is_file()
    assert "copy.zip" in window.statusBar().currentMessage()
