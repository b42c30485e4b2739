"""Long operations in the window: one progress dialog, one Cancel, errors shown one way.

`show_failure` is how every failed operation is shown: a `UserError` is its one sentence in a
message box, a cancel is a line in the status bar, anything else is logged with its traceback
and shown as "internal error, details in the log".

`run_with_progress` runs an op (a library write on the window's `LibraryWriter`, or a read on
the `BackgroundRunner`) with a progress dialog that has a count and Cancel. A write that has
to wait for another one says what it waits for; Cancel then drops it before it starts. Pack
import and export, backups, handouts, photo imports and exports and the clean-up all use it.
`wait_for_writes` waits for writes with a dialog (closing the window, leaving a form), and
`WriterStatus` says in the status bar which changes wait for which.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QProgressDialog, QWidget

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import N_, _, ngettext
from desktop_app.core.progress import Cancelled, Progress
from desktop_app.ui import appearance
from desktop_app.ui.workers import BackgroundRunner, Job, LibraryWriter, WriteOp

log = logging.getLogger(__name__)

T = TypeVar("T")  # what an op returns and its `on_done` receives

INTERNAL_ERROR = N_("Internal error; details are in the log file.")


def show_status(parent: QWidget | None, text: str, msecs: int = 6000) -> None:
    """A line in the status bar of `parent`'s main window (nothing when there is none)."""
    window = parent.window() if parent is not None else None
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(text, msecs)


def show_failure(
    parent: QWidget | None, title: str, exc: BaseException, *, cancelled: str = ""
) -> None:
    """Show why an operation did not happen, the same way everywhere."""
    if isinstance(exc, Cancelled):
        show_status(parent, cancelled or _("Cancelled; nothing was changed."))
    elif isinstance(exc, UserError):
        QMessageBox.warning(parent, title, str(exc))
    else:
        log.error("%s", title, exc_info=exc)
        QMessageBox.critical(parent, title, _(INTERNAL_ERROR))


def waiting_text(writer: LibraryWriter, write: WriteOp) -> str:
    """ "Waits for “Importing the knowledge pack…” to finish." (empty when it does not wait)."""
    blocker = writer.blocker(write)
    if blocker is None:
        return ""
    return _("Waiting for “{other}” to finish…").format(other=blocker.label)


ProgressText = Callable[[int, int, str], str]


class ProgressOp(QObject):
    """One op with its progress dialog; keep it to cancel it (`cancel()`)."""

    def __init__(
        self,
        parent: QWidget,
        title: str,
        *,
        failure_title: str,
        modal: bool = True,
        object_name: str = "",
        text: ProgressText | None = None,
        cancelled_text: str = "",
        label: str = "",
    ) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.title = title
        self.label = label or title
        self.failure_title = failure_title
        self.text = text
        self.cancelled_text = cancelled_text
        self.handle: WriteOp | Job | None = None
        self.finished = False
        dialog = QProgressDialog(title, _("Cancel"), 0, 0, parent)
        if object_name:
            dialog.setObjectName(object_name)
        dialog.setWindowTitle(title)
        if modal:
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        self.dialog: QProgressDialog | None = dialog

    def start(
        self,
        op: Callable[[Progress], T],
        on_done: Callable[[T], None],
        *,
        via: LibraryWriter | BackgroundRunner,
        on_finish: Callable[[], None] | None = None,
        on_failed: Callable[[BaseException], bool | None] | None = None,
    ) -> ProgressOp:
        """Run `op` on the writer (a write) or the runner (a read).

        `on_finish()` runs first whatever the outcome (re-enable actions); `on_failed(exc)` may
        show the failure itself and return True (say, photos imported before a Cancel).
        """

        def finish() -> None:
            self.finished = True
            self.close()
            if on_finish is not None:
                on_finish()

        def done(result: T) -> None:
            finish()
            on_done(result)

        def failed(exc: BaseException) -> bool:
            finish()
            if on_failed is not None and on_failed(exc):
                return True
            show_failure(self.parent_widget, self.failure_title, exc, cancelled=self.cancelled_text)
            return True

        if isinstance(via, LibraryWriter):
            write = via.submit(
                self.label, op, on_done=done, on_error=failed, on_progress=self._progressed
            )
            self.handle = write
            if self.dialog is not None:
                waiting = waiting_text(via, write)
                if waiting:
                    self.dialog.setLabelText(f"{self.title}\n{waiting}")
                    write.started.connect(lambda: self._set_label(self.title))
        else:
            self.handle = via.run(op, on_done=done, on_error=failed, on_progress=self._progressed)
        if self.dialog is not None:
            self.dialog.canceled.connect(self.cancel)
        return self

    def cancel(self) -> None:
        if self.handle is not None and not self.finished:
            self.handle.cancel()

    def _set_label(self, text: str) -> None:
        if self.dialog is not None:
            self.dialog.setLabelText(text)

    def _progressed(self, done: int, total: int, text: str) -> None:
        dialog = self.dialog
        if dialog is None:
            return
        scale = max(1, total // 1_000_000)  # QProgressDialog counts in int
        dialog.setMaximum(max(total // scale, 1) if total > 0 else 0)
        dialog.setValue(min(done, total) // scale if total > 0 else 0)
        if self.text is not None:
            dialog.setLabelText(self.text(done, total, text))
        elif text:  # what the service is at, under what the dialog is for
            dialog.setLabelText(f"{self.title}\n{text}")

    def close(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None


def run_with_progress(
    parent: QWidget,
    title: str,
    op: Callable[[Progress], T],
    on_done: Callable[[T], None],
    *,
    via: LibraryWriter | BackgroundRunner,
    failure_title: str,
    modal: bool = True,
    object_name: str = "",
    text: ProgressText | None = None,
    cancelled_text: str = "",
    label: str = "",
    on_finish: Callable[[], None] | None = None,
    on_failed: Callable[[BaseException], bool | None] | None = None,
) -> ProgressOp:
    """Run `op` with a progress dialog and Cancel; failures shown by `show_failure`.

    `label` names a write for the user while others wait for it ("Import the knowledge pack");
    the dialog shows `title` ("Importing the knowledge pack…").
    """
    progress = ProgressOp(
        parent,
        title,
        failure_title=failure_title,
        modal=modal,
        object_name=object_name,
        text=text,
        cancelled_text=cancelled_text,
        label=label,
    )
    return progress.start(op, on_done, via=via, on_finish=on_finish, on_failed=on_failed)


def wait_for_writes(
    parent: QWidget, writer: LibraryWriter, write: WriteOp | None, text: str
) -> bool:
    """Wait, with a dialog, until `write` (None: every write) is finished; the window stays
    painted. False when the user pressed Cancel (stop waiting: the writes go on)."""

    def pending() -> bool:
        return write.is_pending() if write is not None else writer.is_busy()

    if not pending():
        return True
    dialog = QProgressDialog(text, _("Cancel"), 0, 0, parent)
    dialog.setObjectName("wait_for_writes")
    dialog.setWindowTitle(_("Please wait"))
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    loop = QEventLoop()
    stopped: list[bool] = []

    def check() -> None:
        if not pending():
            loop.quit()
        else:
            running = writer.running
            if running is not None:
                dialog.setLabelText(
                    "{}\n{}".format(
                        text,
                        _("Waiting for “{other}” to finish…").format(other=running.label),
                    )
                )

    def cancel() -> None:
        stopped.append(True)
        loop.quit()

    dialog.canceled.connect(cancel)
    writer.changed.connect(check)
    timer = QTimer()
    timer.setInterval(100)
    timer.timeout.connect(check)
    timer.start()
    check()
    if pending() and not stopped:
        loop.exec()
    timer.stop()
    writer.changed.disconnect(check)
    dialog.canceled.disconnect(cancel)  # closing a progress dialog emits canceled
    dialog.close()
    dialog.deleteLater()
    return not stopped


class WriterStatus(QLabel):
    """In the status bar: which changes wait for which (say, a save behind an import)."""

    def __init__(self, writer: LibraryWriter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.writer = writer
        self.setObjectName("writer_status")
        appearance.set_text_role(self, "warning", "padding-right: 12px;")
        self.hide()
        writer.changed.connect(self.follow)

    def follow(self) -> None:
        """Shown only while changes wait; says for which running one."""
        running, waiting = self.writer.running, self.writer.waiting()
        if running is None or not waiting:
            self.hide()
            self.clear()
            return
        other = running.label
        if len(waiting) == 1:
            text = _("{what}: waiting for “{other}” to finish.").format(
                what=waiting[0].label, other=other
            )
        else:
            text = ngettext(
                "{n} change waits for “{other}” to finish.",
                "{n} changes wait for “{other}” to finish.",
                len(waiting),
            ).format(n=len(waiting), other=other)
        self.setText(text)
        self.show()
