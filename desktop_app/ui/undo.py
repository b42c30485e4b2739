"""Undoable record edits for the main window's one `QUndoStack`.

A save is done by the form first (so a validation error never reaches the stack); the command
pushed afterwards only knows how to go back and forth: undoing an edit saves the previous data
again (a new revision, so history keeps every step), undoing a creation soft-deletes the new
record, and redoing a creation restores it. Deletes are soft, and undo restores them.

Commands never raise into Qt: a refusal (say, restoring a team whose name is now taken) is a
`UserError` handed to `report`, and the window shows it. A refused step marks its command
obsolete, so the stack drops it instead of pretending the step was taken.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtGui import QUndoCommand

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.services import catalog
from desktop_app.storage.library import Library

Notify = Callable[[str, str], None]  # (kind, record id) after the library changed
Report = Callable[[UserError], None]

SAVERS: dict[str, Callable[[Library, Any, str | None], str]] = {
    "team": catalog.save_team,
    "member": catalog.save_member,
    "guide": catalog.save_guide,
    "session": catalog.save_session,
}

LOADERS: dict[str, Callable[[Library, str], Any]] = {
    "team": catalog.load_team,
    "member": catalog.load_member,
    "guide": catalog.load_guide,
    "session": catalog.load_session,
}


class SaveCommand(QUndoCommand):
    """A save that has already happened: `before` is None when the record was created."""

    def __init__(
        self,
        library: Library,
        kind: str,
        record_id: str,
        *,
        before: Any,
        after: Any,
        text: str,
        notify: Notify,
        report: Report,
    ) -> None:
        super().__init__(text)
        self.library = library
        self.kind = kind
        self.record_id = record_id
        self.before = before
        self.after = after
        self.notify = notify
        self.report = report
        self._done = True  # the form saved already; the first redo() from push() is a no-op

    def redo(self) -> None:
        if self._done:
            return
        try:
            if self.before is None:
                catalog.restore_record(self.library, self.kind, self.record_id)
            else:
                SAVERS[self.kind](self.library, self.after, self.record_id)
        except UserError as err:
            self.setObsolete(True)
            self.report(err)
        self._done = True
        self.notify(self.kind, self.record_id)

    def undo(self) -> None:
        try:
            if self.before is None:
                catalog.delete_record(self.library, self.kind, self.record_id)
            else:
                SAVERS[self.kind](self.library, self.before, self.record_id)
        except UserError as err:
            self.setObsolete(True)
            self.report(err)
        self._done = False
        self.notify(self.kind, self.record_id)


class DeleteCommand(QUndoCommand):
    """Soft-delete records (done on push); undo restores them."""

    def __init__(
        self,
        library: Library,
        kind: str,
        record_ids: Sequence[str],
        *,
        text: str,
        notify: Notify,
        report: Report,
    ) -> None:
        super().__init__(text)
        self.library = library
        self.kind = kind
        self.record_ids = list(record_ids)
        self.notify = notify
        self.report = report

    def redo(self) -> None:
        for record_id in self.record_ids:
            try:
                catalog.delete_record(self.library, self.kind, record_id)
            except UserError as err:
                self.setObsolete(True)
                self.report(err)
        for record_id in self.record_ids:
            self.notify(self.kind, record_id)

    def undo(self) -> None:
        for record_id in reversed(self.record_ids):
            try:
                catalog.restore_record(self.library, self.kind, record_id)
            except UserError as err:
                self.setObsolete(True)
                self.report(err)
        for record_id in self.record_ids:
            self.notify(self.kind, record_id)


def delete_text(count: int, name: str) -> str:
    if count == 1:
        return _("Delete “{name}”").format(name=name)
    return _("Delete {n} records").format(n=count)
