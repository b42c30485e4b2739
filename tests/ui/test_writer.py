"""The window's one writer (issue 12, "Writes collide").

Every library write from the window goes through `LibraryWriter`: one at a time, in the order
submitted, off the GUI thread. A save made while a long import holds the database waits for it
(the form and the status bar say so) and then lands, never "database is locked"; the GUI thread
keeps running meanwhile. Failures are shown one way: a `UserError` as its sentence, anything
else as "internal error". An undo step whose record was changed since by someone else is
refused with a sentence and dropped; a form whose record changed underneath offers to reload.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from desktop_app.core.errors import UserError
from desktop_app.core.progress import Cancelled, Progress
from desktop_app.services import catalog, listing, packs
from desktop_app.storage import db
from desktop_app.storage.library import Library
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import BackgroundRunner, LibraryWriter, SynchronousRunner, WriteOp

Button = QMessageBox.StandardButton


class Dialogs:
    """Every message box the test did not script is recorded and fails the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.shown: list[tuple[str, str, str]] = []
        self.answers: list[Any] = []
        for name in ("question", "warning", "critical", "information"):
            monkeypatch.setattr(QMessageBox, name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        def record(_parent: Any, title: str, text: str, *_args: Any, **_kw: Any) -> Any:
            self.shown.append((name, title, text))
            return self.answers.pop(0) if name == "question" and self.answers else Button.No

        return record


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    return Dialogs(monkeypatch)


def _close(win: MainWindow, qtbot: Any) -> None:
    form = win.shown_form()
    if form is not None and form.is_dirty() and form.saving() is None:
        form.revert()
    assert win.writer.wait_for(None, 30000)
    win.close()
    win.runner.wait(30000)
    win.deleteLater()
    qtbot.wait(1)


@pytest.fixture
def threaded_window(demo_library: Library, qtbot: Any, dialogs: Dialogs) -> Iterator[MainWindow]:
    """The window as the app makes it: reads on a pool, writes on the writer's own thread."""
    win = MainWindow(demo_library, runner=BackgroundRunner())
    win.resize(1366, 768)
    win.show()
    yield win
    _close(win, qtbot)


@pytest.fixture
def window(demo_library: Library, qtbot: Any, dialogs: Dialogs) -> Iterator[MainWindow]:
    win = MainWindow(demo_library, runner=SynchronousRunner())
    win.resize(1366, 768)
    win.show()
    yield win
    _close(win, qtbot)


def _guide_id(library: Library, title: str) -> str:
    return next(str(r["id"]) for r in listing.list_rows(library, "guide") if r["title"] == title)


def _first_guide(library: Library) -> tuple[str, str]:
    row = listing.list_rows(library, "guide")[0]
    return str(row["id"]), str(row["title"])


class HeldWrite:
    """A long import stand-in: a real write transaction held open until released."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.holding = threading.Event()
        self.release = threading.Event()

    def __call__(self, progress: Progress) -> str:
        with self.library.transaction() as s:
            s.connection().exec_driver_sql(
                "UPDATE library_meta SET value = value WHERE key = 'name'"
            )
            self.holding.set()
            while not self.release.wait(0.02):
                progress.check_cancelled()
        return "imported"


# --- the writer itself ------------------------------------------------------------------------


def test_ops_run_one_at_a_time_in_submission_order(qtbot: Any) -> None:
    writer = LibraryWriter(BackgroundRunner().serial())
    spans: list[tuple[int, float, float, str]] = []
    lock = threading.Lock()
    done: list[int] = []

    def slow(n: int) -> Any:
        def op(_progress: Progress) -> int:
            start = time.monotonic()
            time.sleep(0.03)
            with lock:
                spans.append((n, start, time.monotonic(), threading.current_thread().name))
            return n

        return op

    def finished(n: int) -> None:
        done.append(n)
        if n == 1:  # submitted from a callback: it goes after those already waiting
            writer.submit("late", slow(99), on_done=finished)

    for n in range(6):
        writer.submit(f"op {n}", slow(n), on_done=finished)
    assert writer.is_busy() and len(writer.waiting()) == 5
    qtbot.waitUntil(lambda: len(done) == 7, timeout=10000)
    assert done == [0, 1, 2, 3, 4, 5, 99]
    assert [n for n, *_rest in spans] == done
    for (_a, _s1, end, _t1), (_b, start, _e2, _t2) in itertools.pairwise(spans):
        assert start >= end  # never two at once
    assert threading.main_thread().name not in {t for *_r, t in spans}
    assert not writer.is_busy()


def test_a_waiting_op_can_be_cancelled_and_never_runs(qtbot: Any, empty_library: Library) -> None:
    writer = LibraryWriter(BackgroundRunner().serial())
    held = HeldWrite(empty_library)
    first = writer.submit("Importing", held)
    ran: list[str] = []
    outcome: list[BaseException] = []

    def second_op(_progress: Progress) -> None:
        ran.append("second")

    second = writer.submit("Saving", second_op, on_error=lambda exc: bool(outcome.append(exc)))
    third = writer.submit("Third", lambda _p: ran.append("third"))
    assert held.holding.wait(5)
    assert second.state == WriteOp.WAITING and writer.blocker(second) is first
    second.cancel()
    assert second.state == WriteOp.CANCELLED
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    assert writer.waiting() == [third]
    held.release.set()
    qtbot.waitUntil(lambda: not writer.is_busy(), timeout=10000)
    assert ran == ["third"] and first.state == WriteOp.DONE


def test_a_running_op_is_cancelled_through_its_progress(qtbot: Any, empty_library: Library) -> None:
    writer = LibraryWriter(BackgroundRunner().serial())
    held = HeldWrite(empty_library)
    errors: list[BaseException] = []
    write = writer.submit("Importing", held, on_error=lambda exc: bool(errors.append(exc)))
    assert held.holding.wait(5)
    write.cancel()
    qtbot.waitUntil(lambda: not writer.is_busy(), timeout=10000)
    assert write.state == WriteOp.CANCELLED and isinstance(errors[0], Cancelled)


# --- errors, one way everywhere ---------------------------------------------------------------


def test_an_ops_user_error_is_its_sentence_and_a_bug_is_an_internal_error(
    window: MainWindow, dialogs: Dialogs, caplog: pytest.LogCaptureFixture
) -> None:
    def refused(_progress: Progress) -> None:
        raise UserError("这支服务队的名称已被占用。")

    def broken(_progress: Progress) -> None:
        raise KeyError("bug")

    window.writer.submit("Saving", refused)
    window.writer.submit("Saving", broken)
    assert dialogs.shown[0] == ("warning", "Cannot do that", "这支服务队的名称已被占用。")
    kind, _title, text = dialogs.shown[1]
    assert kind == "critical" and text == "Internal error; details are in the log file."
    assert "KeyError" in caplog.text  # the traceback went to the log, not to the user
    assert len(dialogs.shown) == 2


def test_a_bug_in_a_callback_is_shown_once_and_the_queue_goes_on(
    window: MainWindow, dialogs: Dialogs
) -> None:
    ran: list[str] = []

    def broken_callback(_result: object) -> None:
        raise AttributeError("bug in the window")

    window.writer.submit("First", lambda _p: ran.append("first"), on_done=broken_callback)
    window.writer.submit("Second", lambda _p: ran.append("second"))
    assert ran == ["first", "second"]
    assert [(k, t) for k, _title, t in dialogs.shown] == [
        ("critical", "Internal error; details are in the log file.")
    ]


# --- a save while a long import runs ----------------------------------------------------------


def test_a_save_during_a_long_import_waits_for_it_and_lands(
    threaded_window: MainWindow,
    demo_library: Library,
    dialogs: Dialogs,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Were the save written beside the import, it would fail after this busy timeout.
    monkeypatch.setattr(db, "BUSY_TIMEOUT_S", 0.3)
    window = threaded_window
    guide_id, title = _first_guide(demo_library)
    assert window.select_record("guide", guide_id)
    form: Any = window.forms["guide"]
    held = HeldWrite(demo_library)
    importing = window.writer.submit("Import the knowledge pack", held)
    assert held.holding.wait(5)

    form.title_edit.setText(title + "（修订）")
    started = time.monotonic()
    assert form.save() is True
    assert time.monotonic() - started < 0.5  # submitted, not written: the GUI goes on
    write = form.saving()
    assert write is not None and write.state == WriteOp.WAITING
    # The form and the status bar say what the save waits for.
    assert "Import the knowledge pack" in form.revision_label.text()
    assert form.save_button.text() == "Cancel saving" and not form.body.isEnabled()
    status = window.writer_label.text()
    assert window.writer_label.isVisible() and "waiting for" in status
    assert "Import the knowledge pack" in status
    # The GUI thread keeps running while the import holds the database (3× the busy timeout).
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    qtbot.wait(1000)
    timer.stop()
    assert len(ticks) > 20
    assert catalog.load_guide(demo_library, guide_id).title == title  # not written yet

    held.release.set()
    qtbot.waitUntil(lambda: form.saving() is None, timeout=10000)
    assert importing.state == WriteOp.DONE and write.state == WriteOp.DONE
    assert catalog.load_guide(demo_library, guide_id).title == title + "（修订）"
    assert not form.is_dirty() and form.body.isEnabled() and form.save_button.text() == "Save"
    assert not window.writer_label.isVisible()
    assert dialogs.shown == []  # no "database is locked", no error of any kind
    assert window.undo_stack.count() == 1  # the save is undoable like any other


def test_a_save_during_a_real_pack_import_lands_after_it(
    threaded_window: MainWindow,
    demo_library: Library,
    demo_dir: Path,
    tmp_path: Path,
    dialogs: Dialogs,
    qtbot: Any,
) -> None:
    window = threaded_window
    # Another laptop's library with a new guide, exported as a pack.
    other_dir = tmp_path / "other"
    import shutil

    shutil.copytree(demo_dir, other_dir, ignore=shutil.ignore_patterns("library.lock"))
    with Library.open(other_dir, write=True) as other:
        for n in range(30):
            catalog.save_guide(other, catalog.GuideData(title=f"对方的新指南 {n}"))
        pack = packs.export_pack(other, tmp_path / "other.jxpack").path
    guide_id, title = _first_guide(demo_library)
    assert window.select_record("guide", guide_id)
    form: Any = window.forms["guide"]
    keep = 3
    importing = window.writer.submit(
        "Import the knowledge pack",
        lambda progress: packs.import_pack(
            demo_library, pack, progress=progress, keep_backups=keep
        ),
    )
    form.title_edit.setText(title + "（导入时修改）")
    assert form.save() is True
    qtbot.waitUntil(lambda: form.saving() is None, timeout=60000)
    assert importing.state == WriteOp.DONE
    titles = {str(r["title"]) for r in listing.list_rows(demo_library, "guide")}
    assert title + "（导入时修改）" in titles and "对方的新指南 29" in titles
    assert dialogs.shown == []


def test_closing_the_window_writes_a_waiting_save_first(
    threaded_window: MainWindow, demo_library: Library, dialogs: Dialogs, qtbot: Any
) -> None:
    window = threaded_window
    guide_id, title = _first_guide(demo_library)
    window.select_record("guide", guide_id)
    form: Any = window.forms["guide"]
    held = HeldWrite(demo_library)
    window.writer.submit("Import the knowledge pack", held)
    assert held.holding.wait(5)
    form.title_edit.setText(title + "（关窗前）")
    assert form.save() and form.saving() is not None
    QTimer.singleShot(400, held.release.set)  # the import ends while the window waits for it
    assert window.close()
    assert not window.isVisible()
    assert catalog.load_guide(demo_library, guide_id).title == title + "（关窗前）"
    assert dialogs.shown == []


def test_what_is_typed_while_a_save_runs_is_kept_as_unsaved_edits(
    threaded_window: MainWindow,
    demo_library: Library,
    dialogs: Dialogs,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desktop_app.ui.forms import base

    window = threaded_window
    guide_id, title = _first_guide(demo_library)
    window.select_record("guide", guide_id)
    form: Any = window.forms["guide"]
    running, release = threading.Event(), threading.Event()
    save_and_version = base.save_and_version

    def slow_save(*args: Any) -> Any:  # a slow disk
        running.set()
        release.wait(5)
        return save_and_version(*args)

    monkeypatch.setattr(base, "save_and_version", slow_save)
    form.title_edit.setText(title + "（第一次）")
    assert form.save()
    assert running.wait(5)
    qtbot.waitUntil(lambda: form.saving() is not None and form.saving().state == WriteOp.RUNNING)
    assert form.body.isEnabled()  # not waiting for anything: the fields stay live
    qtbot.wait(400)
    assert form.revision_label.text() == "Saving…"  # it takes long: say so
    form.title_edit.setText(title + "（接着改）")
    release.set()
    qtbot.waitUntil(lambda: form.saving() is None, timeout=10000)
    assert catalog.load_guide(demo_library, guide_id).title == title + "（第一次）"
    assert form.title_edit.text() == title + "（接着改）" and form.is_dirty()
    assert dialogs.shown == []


def test_cancel_saving_while_it_waits_keeps_the_edits(
    threaded_window: MainWindow, demo_library: Library, dialogs: Dialogs, qtbot: Any
) -> None:
    window = threaded_window
    guide_id, title = _first_guide(demo_library)
    window.select_record("guide", guide_id)
    form: Any = window.forms["guide"]
    held = HeldWrite(demo_library)
    window.writer.submit("Import the knowledge pack", held)
    assert held.holding.wait(5)
    form.title_edit.setText("改了又不存")
    assert form.save()
    form.save_button.click()  # "Cancel saving"
    assert form.saving() is None and form.is_dirty()
    assert form.title_edit.text() == "改了又不存" and form.body.isEnabled()
    assert "cancelled" in form.error_text("")
    held.release.set()
    qtbot.waitUntil(lambda: not window.writer.is_busy(), timeout=10000)
    assert catalog.load_guide(demo_library, guide_id).title == title


def test_undo_pressed_while_a_save_waits_undoes_that_save(
    threaded_window: MainWindow, demo_library: Library, dialogs: Dialogs, qtbot: Any
) -> None:
    window = threaded_window
    guide_id, title = _first_guide(demo_library)
    window.select_record("guide", guide_id)
    form: Any = window.forms["guide"]
    held = HeldWrite(demo_library)
    window.writer.submit("Import the knowledge pack", held)
    assert held.holding.wait(5)
    form.title_edit.setText(title + "（撤销我）")
    assert form.save()
    window.undo_action.trigger()  # queued behind the save, not run on what was there before
    assert len(window.writer.waiting()) == 2
    held.release.set()
    qtbot.waitUntil(lambda: not window.writer.is_busy(), timeout=10000)
    assert catalog.load_guide(demo_library, guide_id).title == title
    assert window.undo_stack.index() == 0 and window.undo_stack.canRedo()
    assert dialogs.shown == []


# --- undo never overwrites a version it did not make ------------------------------------------


def test_undo_after_someone_else_changed_the_record_is_refused_and_dropped(
    window: MainWindow, demo_library: Library, dialogs: Dialogs
) -> None:
    guide_id, title = _first_guide(demo_library)
    window.select_record("guide", guide_id)
    form: Any = window.forms["guide"]
    form.title_edit.setText(title + "（我的修改）")
    assert form.save()
    assert window.undo_stack.count() == 1
    # A colleague's version arrives (an imported pack, a resolved conflict).
    theirs = catalog.load_guide(demo_library, guide_id)
    theirs.problem = "同事补充的要点"
    catalog.save_guide(demo_library, theirs, guide_id)
    window.undo_action.trigger()
    (kind, _title, text) = dialogs.shown[-1]
    assert kind == "warning" and "cannot be undone" in text and "changed since" in text
    assert window.undo_stack.count() == 0  # dropped: no redo of a step that never happened
    kept = catalog.load_guide(demo_library, guide_id)
    assert kept.problem == "同事补充的要点" and kept.title == title + "（我的修改）"


def test_undo_stops_at_the_step_an_import_came_after(
    window: MainWindow, demo_library: Library, dialogs: Dialogs
) -> None:
    """Edit, a colleague's version arrives, edit again: Ctrl+Z undoes the second edit (back to
    the colleague's version) and refuses the first, which would wipe the colleague's work."""
    guide_id, title = _first_guide(demo_library)
    window.select_record("guide", guide_id)
    form: Any = window.forms["guide"]
    form.title_edit.setText(title + "（一改）")
    assert form.save()
    theirs = catalog.load_guide(demo_library, guide_id)
    theirs.problem = "同事补充的要点"
    catalog.save_guide(demo_library, theirs, guide_id)
    window.refresh()  # as after an import: the clean form shows the colleague's version
    assert form.problem_edit.toPlainText() == "同事补充的要点"
    form.title_edit.setText(title + "（二改）")
    assert form.save()
    window.undo_action.trigger()
    assert dialogs.shown == []
    back = catalog.load_guide(demo_library, guide_id)
    assert back.title == title + "（一改）" and back.problem == "同事补充的要点"
    window.undo_action.trigger()
    assert [k for k, _t, _x in dialogs.shown] == ["warning"]
    assert "cannot be undone" in dialogs.shown[0][2]
    kept = catalog.load_guide(demo_library, guide_id)
    assert kept.title == title + "（一改）" and kept.problem == "同事补充的要点"
    assert window.undo_stack.index() == 0 and window.undo_stack.count() == 1  # redo still there


def test_undo_after_take_theirs_in_the_conflicts_dialog_opens_the_conflict_again(
    window: MainWindow,
    demo_library: Library,
    dialogs: Dialogs,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 12 defect 3: Ctrl+Z after "take theirs" left neither version. Issue 17: the
    resolution is itself undone, so the conflict is open again with both versions; the edit
    below it is the next step, and redo decides again the same way."""
    from desktop_app.services import merge
    from desktop_app.ui import pack_actions as pa

    guide_id, _title = _first_guide(demo_library)
    other = Library.create(tmp_path / "other")
    try:
        packs.import_pack(other, packs.export_pack(demo_library, tmp_path / "a.jxpack").path)
        data = catalog.load_guide(other, guide_id)
        data.season = "六月上旬（对方）"
        catalog.save_guide(other, data, guide_id)
        theirs = packs.export_pack(other, tmp_path / "b.jxpack").path
    finally:
        other.close()
    # My edit, in the window: an undo step.
    window.select_record("guide", guide_id)
    form: Any = window.forms["guide"]
    form.season_edit.setText("五月下旬（我的）")
    assert form.save()
    monkeypatch.setattr(pa.PackActions, "ask_open_pack", lambda self: theirs)
    monkeypatch.setattr(pa.ImportPreviewDialog, "exec", lambda self: 1)
    dialogs.answers = [Button.No]  # "look at the conflicts now?" — opened below instead
    window.pack_actions.import_action.trigger()
    assert len(merge.list_conflicts(demo_library)) == 1
    window.pack_actions.show_conflicts()
    dialog = window.pack_actions.conflicts_dialog
    assert dialog is not None
    dialog.take_theirs.click()
    assert catalog.load_guide(demo_library, guide_id).season == "六月上旬（对方）"
    assert window.undo_stack.count() == 2 and dialog.list.count() == 0
    assert window.pack_actions.conflicts_action.text() == "Conflicts…"
    window.undo_action.trigger()
    assert dialogs.shown[1:] == []
    assert catalog.load_guide(demo_library, guide_id).season == "五月下旬（我的）"
    (conflict,) = merge.list_conflicts(demo_library)
    assert conflict.mine is not None and conflict.mine["season"] == "五月下旬（我的）"
    assert conflict.theirs is not None and conflict.theirs["season"] == "六月上旬（对方）"
    assert dialog.list.count() == 1  # the open dialog shows it again
    assert window.pack_actions.conflicts_action.text() == "Conflicts (1)…"
    assert form.season_edit.text() == "五月下旬（我的）"  # the form shows the record as it is
    window.redo_action.trigger()
    assert catalog.load_guide(demo_library, guide_id).season == "六月上旬（对方）"
    assert merge.list_conflicts(demo_library) == [] and dialog.list.count() == 0
    assert dialogs.shown[1:] == []
    dialog.close()


def test_undo_and_redo_chain_on_their_own_versions(
    window: MainWindow, demo_library: Library, dialogs: Dialogs
) -> None:
    guide_id, title = _first_guide(demo_library)
    window.select_record("guide", guide_id)
    form: Any = window.forms["guide"]
    for n in (1, 2, 3):
        form.title_edit.setText(f"{title} v{n}")
        assert form.save()
    for _ in range(3):
        window.undo_action.trigger()
    assert catalog.load_guide(demo_library, guide_id).title == title
    for _ in range(3):
        window.redo_action.trigger()
    assert catalog.load_guide(demo_library, guide_id).title == f"{title} v3"
    assert dialogs.shown == []


def test_a_form_whose_record_changed_underneath_offers_to_reload(
    window: MainWindow, demo_library: Library, dialogs: Dialogs
) -> None:
    guide_id, title = _first_guide(demo_library)
    window.select_record("guide", guide_id)
    form: Any = window.forms["guide"]
    theirs = catalog.load_guide(demo_library, guide_id)
    theirs.problem = "导入的新摘要"
    catalog.save_guide(demo_library, theirs, guide_id)  # say, a pack imported meanwhile
    form.title_edit.setText("我的标题")
    dialogs.answers = [Button.No]  # keep my edits on screen first
    assert form.save() is False
    kind, _t, text = dialogs.shown[-1]
    assert kind == "question" and "was changed since you opened it" in text
    assert "Problem" in text  # what changed
    assert catalog.load_guide(demo_library, guide_id).title == title  # nothing overwritten
    assert form.title_edit.text() == "我的标题" and form.is_dirty()
    assert "changed since you opened it" in form.error_text("")
    dialogs.answers = [Button.Yes]
    assert form.save() is False
    assert form.title_edit.text() == title and not form.is_dirty()  # reloaded: the newer one
    assert form.problem_edit.toPlainText() == "导入的新摘要"
