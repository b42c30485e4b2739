"""The photo grid: lazy thumbnails, drop to import with progress and Cancel, captions edited in
place, reorder, remove and undo, the preview, and the photo actions in the main window."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QModelIndex, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QLineEdit,
    QMessageBox,
    QPushButton,
)

from desktop_app.core.progress import Progress
from desktop_app.services import listing, photos
from desktop_app.storage.library import Library
from desktop_app.ui import file_dialogs
from desktop_app.ui.history import History
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.photo_grid import ICON_BOX, PhotoGrid, PhotoListModel, PixmapCache
from desktop_app.ui.photo_preview import PhotoPreviewDialog
from desktop_app.ui.workers import BackgroundRunner, LibraryWriter, SynchronousRunner
from tests.services.photo_fixtures import distinct_jpeg, new_session

Button = QMessageBox.StandardButton


class RecordingRunner(SynchronousRunner):
    """Runs inline and remembers every progress step it passed on."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[tuple[int, int]] = []

    def run(self, op: Callable[[Progress], Any], **kwargs: Any) -> Any:
        on_progress = kwargs.get("on_progress")
        if on_progress is not None:

            def record(done: int, total: int, text: str) -> None:
                self.steps.append((done, total))
                on_progress(done, total, text)

            kwargs["on_progress"] = record
        return super().run(op, **kwargs)


@pytest.fixture(autouse=True)
def _no_unexpected_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    def unexpected(*args: Any) -> Any:
        raise AssertionError(f"unexpected dialog: {args[1:3]}")

    for name in ("question", "warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, unexpected)


@pytest.fixture
def session_with_photos(empty_library: Library, testdata: Path) -> tuple[Library, str, list[str]]:
    session_id = new_session(empty_library)
    files = [testdata / "landscape_1.jpg", testdata / "canon_hdr_NO.jpg", testdata / "arrow.heic"]
    results = photos.import_photos(empty_library, files, photos.ImportTarget(session_id=session_id))
    return empty_library, session_id, [r.photo_id or "" for r in results]


def _order(library: Library, session_id: str) -> list[str]:
    return [p.id for p in photos.session_photos(library, session_id)]


def _grid(qtbot: Any, library: Library, session_id: str | None, runner: Any = None) -> PhotoGrid:
    runner = runner or SynchronousRunner()
    writer = LibraryWriter(runner.serial())
    grid = PhotoGrid(library, runner=runner, writer=writer, undo_stack=History(writer))
    qtbot.addWidget(grid)
    grid.resize(700, 420)
    grid.show()
    grid.show_session(session_id)
    return grid


# --- the model ---------------------------------------------------------------------------------


def test_model_passes_the_model_tester_and_loads_thumbnails_lazily(
    qtbot: Any, qtmodeltester: Any, session_with_photos: tuple[Library, str, list[str]]
) -> None:
    library, session_id, _ids = session_with_photos
    model = PhotoListModel(library, SynchronousRunner())
    model.set_photos(photos.session_photos(library, session_id))
    qtmodeltester.check(model)
    assert model.rowCount() == 3
    assert model.data(model.index(1), Qt.ItemDataRole.DisplayRole) == "canon_hdr_NO.jpg"
    # Nothing was asked for painting yet: nothing loaded. Asking queues a background load.
    model.cache = PixmapCache(2)
    assert len(model.cache) == 0
    for row in range(3):
        model.data(model.index(row), Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(lambda: model.loads_pending() == 0)
    assert len(model.cache) == 2  # bounded: the least recently used one was dropped
    portrait = model.data(model.index(1), Qt.ItemDataRole.DecorationRole)
    assert portrait.height() == ICON_BOX.height() and portrait.width() < portrait.height()


def test_pixmap_cache_is_least_recently_used() -> None:
    from PySide6.QtGui import QPixmap

    cache = PixmapCache(2)
    cache.put(("a", 0), QPixmap(1, 1))
    cache.put(("b", 0), QPixmap(1, 1))
    assert cache.get(("a", 0)) is not None  # a is now the most recent
    cache.put(("c", 0), QPixmap(1, 1))
    assert cache.get(("b", 0)) is None and cache.get(("a", 0)) is not None


# --- import by dropping ------------------------------------------------------------------------


def _drop_files(view: Any, files: list[Path]) -> None:
    """What the file manager sends: drag enter, drag move and drop with file URLs."""
    import warnings

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files])
    center = view.viewport().rect().center()
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    target = view.viewport()
    with warnings.catch_warnings():
        # PySide marks the QPoint constructors deprecated but offers no QPointF ones for these.
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(center, actions, mime, buttons, mods)
        move = QDragMoveEvent(center, actions, mime, buttons, mods)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(target, move)
    QApplication.sendEvent(target, QDropEvent(QPointF(center), actions, mime, buttons, mods))


def test_dropping_files_and_folders_imports_them_with_progress(
    qtbot: Any,
    empty_library: Library,
    testdata: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session_id = new_session(empty_library)
    runner = RecordingRunner()
    grid = _grid(qtbot, empty_library, session_id, runner)
    folder = tmp_path / "手机 照片"
    for i in range(3):
        distinct_jpeg(folder / f"IMG_{i}.jpg", i)
    (folder / "readme.txt").write_text("not a photo")
    shown: list[str] = []
    monkeypatch.setattr(
        "desktop_app.ui.photo_grid.QMessageBox.open",
        lambda box: shown.append(box.informativeText()),
    )
    _drop_files(grid.view, [folder, testdata / "DSCN0010.jpg"])
    qtbot.waitUntil(lambda: grid.model.rowCount() == 4)
    assert runner.steps[0] == (0, 5) and runner.steps[-1] == (5, 5)
    assert _order(empty_library, session_id) == grid.model.photo_ids()
    assert "4 imported, 0 already there, 1 rejected" in grid.hint.text()
    assert shown and "readme.txt: The file is not a picture." in shown[0]
    assert grid.progress_dialog is None and grid.import_job is None


def test_cancel_stops_the_import_and_keeps_the_library_consistent(
    qtbot: Any, empty_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    # A slow disk: each commit takes 50 ms, so Cancel surely comes in the middle.
    fsync_wal = photos._fsync_wal
    monkeypatch.setattr(photos, "GROUP_COMMIT", 1)
    monkeypatch.setattr(photos, "_fsync_wal", lambda lib: (time.sleep(0.05), fsync_wal(lib)))
    session_id = new_session(empty_library)
    runner = BackgroundRunner()
    grid = _grid(qtbot, empty_library, session_id, runner)
    for i in range(40):
        distinct_jpeg(tmp_path / "card" / f"{i:03d}.jpg", 500 + i)
    steps: list[int] = []

    def on_finished(results: list[photos.ImportResult]) -> None:
        steps.append(len(results))

    grid.importFinished.connect(on_finished)
    grid.import_files([tmp_path / "card"])
    dialog = grid.progress_dialog
    assert dialog is not None and grid.import_job is not None
    qtbot.waitUntil(lambda: dialog.value() >= 2, timeout=20000)
    cancel = dialog.findChild(QPushButton)
    assert cancel is not None and cancel.text() == "Cancel"
    cancel.click()
    qtbot.waitUntil(lambda: grid.import_job is None, timeout=20000)
    runner.wait()
    assert steps and 2 <= steps[0] < 40
    assert "cancelled" in grid.hint.text().lower()
    assert grid.model.photo_ids() == _order(empty_library, session_id)
    assert len(grid.model.photo_ids()) == steps[0]
    assert not any(empty_library.tmp_dir.iterdir())
    from desktop_app.services.integrity import check_library

    assert not check_library(empty_library).problems
    # Let the thumbnail loads the reload started finish before the grid goes away.
    qtbot.waitUntil(lambda: grid.model.loads_pending() == 0, timeout=20000)
    runner.wait()


# --- editing -----------------------------------------------------------------------------------


def test_caption_edited_in_place_is_saved_and_undoable(
    qtbot: Any, session_with_photos: tuple[Library, str, list[str]]
) -> None:
    library, session_id, ids = session_with_photos
    grid = _grid(qtbot, library, session_id)
    index = grid.model.index(0)
    grid.view.setCurrentIndex(index)
    grid.view.edit(index)
    editor = grid.view.findChild(QLineEdit)
    assert editor is not None
    editor.setText("园博园：释放管氏肿腿蜂")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next event loop
    qtbot.waitUntil(lambda: photos.photo_info(library, ids[0]).caption == "园博园：释放管氏肿腿蜂")
    assert grid.model.data(index, Qt.ItemDataRole.DisplayRole) == "园博园：释放管氏肿腿蜂"
    assert grid.undo_stack is not None
    grid.undo_stack.undo()
    assert photos.photo_info(library, ids[0]).caption == ""
    assert grid.model.data(grid.model.index(0), Qt.ItemDataRole.DisplayRole) == "landscape_1.jpg"


def test_remove_a_photo_then_undo_puts_it_back_in_place(
    qtbot: Any, session_with_photos: tuple[Library, str, list[str]]
) -> None:
    library, session_id, ids = session_with_photos
    grid = _grid(qtbot, library, session_id)
    grid.view.setCurrentIndex(grid.model.index(1))
    assert grid.remove_button.isEnabled()
    qtbot.mouseClick(grid.remove_button, Qt.MouseButton.LeftButton)
    assert _order(library, session_id) == [ids[0], ids[2]]
    assert grid.model.photo_ids() == [ids[0], ids[2]]
    assert photos.unused_photos(library) == [ids[1]]  # still in the store
    assert grid.undo_stack is not None
    assert grid.undo_stack.undoText() == "Remove a photo from the session"
    grid.undo_stack.undo()
    assert _order(library, session_id) == ids
    assert grid.model.photo_ids() == ids
    grid.undo_stack.redo()
    assert grid.model.photo_ids() == [ids[0], ids[2]]


def test_drag_to_reorder_is_saved_and_undoable(
    qtbot: Any, session_with_photos: tuple[Library, str, list[str]]
) -> None:
    library, session_id, ids = session_with_photos
    grid = _grid(qtbot, library, session_id)
    model = grid.model
    mime = model.mimeData([model.index(0)])
    assert model.canDropMimeData(mime, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    # Dropping the first photo after the last: the view must not remove any row itself.
    assert not model.dropMimeData(mime, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    qtbot.waitUntil(lambda: model.photo_ids() == [ids[1], ids[2], ids[0]])
    assert _order(library, session_id) == [ids[1], ids[2], ids[0]]
    assert grid.undo_stack is not None
    grid.undo_stack.undo()
    assert _order(library, session_id) == ids


def test_new_session_grid_is_disabled_until_saved(qtbot: Any, empty_library: Library) -> None:
    grid = _grid(qtbot, empty_library, None)
    assert not grid.view.isEnabled() and not grid.add_button.isEnabled()
    assert "Save the session first" in grid.hint.text()
    assert grid.import_files([Path("/nowhere.jpg")]) is None


# --- preview -----------------------------------------------------------------------------------


def test_preview_next_previous_and_rotate(
    qtbot: Any, session_with_photos: tuple[Library, str, list[str]]
) -> None:
    library, _session_id, ids = session_with_photos
    dialog = PhotoPreviewDialog(library, ids, 0, runner=SynchronousRunner())
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.counter.text() == "1 of 3" and not dialog.prev_button.isEnabled()
    wide = dialog._pixmap.size()
    assert wide.width() > wide.height()  # landscape_1, rendered from the preview cache
    rotated: list[str] = []
    dialog.rotated.connect(rotated.append)
    qtbot.mouseClick(dialog.right_button, Qt.MouseButton.LeftButton)
    assert photos.photo_info(library, ids[0]).rotation == 90
    assert rotated == [ids[0]]
    tall = dialog._pixmap.size()
    assert tall.width() < tall.height()
    qtbot.keyClick(dialog, Qt.Key.Key_Right)
    assert dialog.counter.text() == "2 of 3" and dialog.caption.text() == "canon_hdr_NO.jpg"
    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    assert not dialog.next_button.isEnabled()
    qtbot.mouseClick(dialog.left_button, Qt.MouseButton.LeftButton)
    assert photos.photo_info(library, ids[2]).rotation == 270
    qtbot.mouseClick(dialog.prev_button, Qt.MouseButton.LeftButton)
    assert dialog.counter.text() == "2 of 3"


# --- in the main window ------------------------------------------------------------------------


@pytest.fixture
def window(demo_library: Library, qtbot: Any) -> Iterator[MainWindow]:
    win = MainWindow(demo_library, runner=SynchronousRunner())
    win.resize(1366, 768)
    win.show()
    yield win
    form = win.shown_form()
    if form is not None and form.is_dirty():
        form.revert()
    win.close()
    win.deleteLater()
    qtbot.wait(1)


def test_session_form_has_the_grid_and_follows_imports(
    qtbot: Any, window: MainWindow, testdata: Path
) -> None:
    library = window.library
    session_id = str(listing.list_rows(library, "session")[0]["id"])
    assert window.select_record("session", session_id)
    form: Any = window.forms["session"]
    grid: PhotoGrid = form.photo_grid
    assert grid.session_id == session_id and grid.isVisibleTo(window)
    form.lat_edit.setText("")
    form.lon_edit.setText("")
    form.save()
    asked: list[tuple[float, float]] = []
    # DSCN0010 was taken in Italy, the demo session is in Beijing: the user is asked first.
    form.ask_far_gps = lambda position: asked.append(position) or True
    grid.import_files([testdata / "DSCN0010.jpg", testdata / "landscape_2.jpg"])
    ids = _order(library, session_id)
    assert len(ids) == 2 and form.photo_ids == ids
    assert len(asked) == 1
    # Empty GPS fields were filled from the photos; the form waits for the user to save.
    assert form.lat_edit.text() == "43.467448" and form.lon_edit.text() == "11.885127"
    assert form.is_dirty()
    assert form.save()
    assert _order(library, session_id) == ids  # the form's save kept the photos
    # A new session: the grid waits until it is saved.
    window.record_actions.new_record()
    assert window.shown_form() is form and grid.session_id is None
    assert not grid.view.isEnabled()


def test_export_and_cleanup_actions(
    qtbot: Any, window: MainWindow, testdata: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = window.library
    session_id = str(listing.list_rows(library, "session")[0]["id"])
    photos.import_photos(
        library,
        [testdata / "landscape_5.jpg", testdata / "Canon_40D.jpg"],
        photos.ImportTarget(session_id=session_id),
    )
    window.select_record("session", session_id)
    out = tmp_path / "导出"
    out.mkdir()
    told: list[str] = []
    monkeypatch.setattr(file_dialogs, "existing_folder", lambda *a, **k: str(out))
    offered: list[list[str]] = []

    def pick_size(_p: Any, _t: str, _l: str, items: list[str], *_a: Any) -> Any:
        offered.append(items)
        return items[1]  # for WeChat

    from desktop_app.ui import text_fit

    monkeypatch.setattr(text_fit, "ask_item", pick_size)
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text, *a: told.append(text))
    window.photo_actions["export"].trigger()  # type: ignore[attr-defined]
    assert offered == [["For printing (3000 px)", "For WeChat (1280 px)", "Original size"]]
    # Into a folder named after the session, not loose in the chosen one.
    (folder,) = list(out.iterdir())
    assert folder.is_dir() and folder.name.startswith("2025-08-15 ")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        photos.export_name(i, 2, d, "")
        for i, d in (
            (1, listing_start(library, session_id)),
            (2, photos.session_photos(library, session_id)[1].taken_at),
        )
    )
    assert told == [f"2 photos exported to {folder}."]
    for exported in folder.iterdir():
        with Image.open(exported) as image:
            assert max(image.size) <= 1280
    # Clean up: one photo made unused, confirmed, removed.
    first = photos.session_photos(library, session_id)[0]
    photos.remove_from_session(library, session_id, first.id)
    asked: list[str] = []

    def answer(_p: Any, _t: str, text: str, *_a: Any) -> Any:
        asked.append(text)
        return Button.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    window.photo_actions["cleanup"].trigger()  # type: ignore[attr-defined]
    assert asked and asked[0].startswith("1 photos are not used")
    assert photos.unused_photos(library) == [] and not first.path.exists()


def listing_start(library: Library, session_id: str) -> Any:
    from desktop_app.services import catalog

    return catalog.load_session(library, session_id).starts_at


def test_guide_step_photos_are_part_of_the_form(
    qtbot: Any, window: MainWindow, testdata: Path
) -> None:
    from desktop_app.services import catalog

    library = window.library
    guide_id = next(
        str(r["id"])
        for r in listing.list_rows(library, "guide")
        if len(catalog.load_guide(library, str(r["id"])).steps) >= 2
    )
    assert window.select_record("guide", guide_id)
    form: Any = window.forms["guide"]
    strip = form.step_photos
    assert not strip.isEnabled()  # no step selected yet
    form.steps.select_row(1)
    assert strip.isEnabled() and strip.model.rowCount() == 0
    strip.import_files([testdata / "landscape_4.jpg", testdata / "32-lens_data.jpeg"])
    assert strip.model.rowCount() == 2 and form.is_dirty()
    assert form.steps.model.row_dict(1)["photos"] == 2
    assert form.save()
    saved = catalog.load_guide(library, guide_id).steps[1].photo_ids
    assert [photos.photo_info(library, p).original_name for p in saved] == [
        "landscape_4.jpg",
        "32-lens_data.jpeg",
    ]
    form.steps.select_row(1)
    strip.view.setCurrentIndex(strip.model.index(0))
    strip.remove_selected()
    assert form.is_dirty() and strip.model.rowCount() == 1
    form.revert()  # Discard changes brings the photo back
    form.steps.select_row(1)
    assert strip.model.rowCount() == 2
    form.steps.select_row(0)
    assert strip.model.rowCount() == 0
