"""The window's undo history, whose steps are written by the window's one writer.

A `WriteCommand` is pushed after its first write happened (the form saved, the photo was
removed), so `push()`'s first `redo()` does nothing. Undo and redo do not write on the GUI
thread: `History.undo()` submits a step to the `LibraryWriter`; when the step reaches the head
of the queue the command it will undo is chosen (so Ctrl+Z pressed while a save waits behind an
import undoes that save), its write runs on the writer, and only then does the stack move. The
stack therefore always says what the library holds. A refused step (a `UserError`: the record
was changed since by an import, a resolution or another form; a name now taken) is dropped from
the stack and its sentence shown.

This module imports no services (the window builds it at start-up, before the ORM loads).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from desktop_app.core.errors import StaleRecordError, UserError
from desktop_app.core.i18n import _
from desktop_app.core.progress import Cancelled, Progress
from desktop_app.ui.workers import LibraryWriter, WriteOp


class WriteCommand(QUndoCommand):
    """An undoable change: `undo_write()`/`redo_write()` give the writes (run on the writer),
    `written(result, undone)` takes their result back on the GUI thread, and `after()` shows the
    library's state once a step was taken or refused."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._pushed = False
        self.refusal: UserError | None = None

    # --- for subclasses ---------------------------------------------------------------------

    def undo_write(self) -> Callable[[], Any]:
        raise NotImplementedError

    def redo_write(self) -> Callable[[], Any]:
        raise NotImplementedError

    def written(self, result: Any, undone: bool) -> None:
        """The step's write succeeded with `result` (say, the record's new version tag)."""

    def after(self) -> None:
        """Show the library as it is now (reload a form, a grid)."""

    # --- called by QUndoStack once the write is done ----------------------------------------

    def undo(self) -> None:
        self._stepped()

    def redo(self) -> None:
        if not self._pushed:  # push(): the change was written before it was pushed
            self._pushed = True
            return
        self._stepped()

    def _stepped(self) -> None:
        if self.refusal is not None:
            self.setObsolete(True)  # the stack drops a step that did not happen
        self.after()


class History(QUndoStack):
    """A `QUndoStack` of `WriteCommand`s whose `undo()`/`redo()` go through the writer."""

    def __init__(self, writer: LibraryWriter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.writer = writer

    def undo(self) -> None:
        self._submit(undo=True)

    def redo(self) -> None:
        self._submit(undo=False)

    def _submit(self, *, undo: bool) -> WriteOp:
        what = self.undoText() if undo else self.redoText()
        if undo:
            label = _("Undo {what}").format(what=what) if what else _("Undo")
        else:
            label = _("Redo {what}").format(what=what) if what else _("Redo")
        chosen: list[WriteCommand] = []

        def prepare() -> Callable[[Progress], Any] | None:
            index = self.index() - 1 if undo else self.index()
            if not 0 <= index < self.count():
                return None
            command = self.command(index)
            if not isinstance(command, WriteCommand):
                raise TypeError(f"not a WriteCommand: {command!r}")
            chosen.append(command)
            write = command.undo_write() if undo else command.redo_write()
            return lambda _progress: write()

        def done(result: Any) -> None:
            command = chosen[0]
            command.refusal = None
            command.written(result, undo)
            self._step(command, undo)

        def failed(exc: BaseException) -> bool:
            if not chosen or isinstance(exc, Cancelled) or not isinstance(exc, UserError):
                return False  # not taken; shown by the writer (an internal error is logged)
            command = chosen[0]
            step = command.text()  # the stack deletes the command it drops
            command.refusal = exc
            self._step(command, undo)
            if isinstance(exc, StaleRecordError):
                # The generic sentence says "reload"; an undo step has nothing to reload.
                exc = UserError(
                    _(
                        "“{step}” cannot be undone: the record was changed since, by an "
                        "imported pack, a resolved conflict or another edit. The step is "
                        "dropped, so the newer version stays."
                    ).format(step=step)
                )
            self.writer.report(label, exc)
            return True

        return self.writer.submit(label, prepare=prepare, on_done=done, on_error=failed)

    def _step(self, command: WriteCommand, undo: bool) -> None:
        index = self.index() - 1 if undo else self.index()
        if not 0 <= index < self.count() or self.command(index) is not command:
            command.after()  # the stack moved meanwhile (cleared): just show the library
            return
        if undo:
            super().undo()
        else:
            super().redo()
