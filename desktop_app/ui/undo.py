"""Undoable record edits for the main window's one undo `History`.

A save is done by the form first (so a validation error never reaches the stack); the command
pushed afterwards only knows how to go back and forth: undoing an edit saves the previous data
again (a new revision, so history keeps every step), undoing a creation soft-deletes the new
record, and redoing a creation restores it. Deletes are soft, and undo restores them.

Every step runs on the window's writer (see `history.py`) and names the version it expects the
record to be at: the one its own last write made. If the record was changed since (an imported
pack, a resolved conflict, another form), the catalog refuses the step with `StaleRecordError`
and the history drops it with a sentence saying why, so an undo never overwrites a version it
did not make. Any other refusal (a team name now taken) is dropped the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.services import catalog
from desktop_app.storage.library import Library
from desktop_app.ui.history import WriteCommand

Notify = Callable[[str, str], None]  # (kind, record id) after the library changed

# Called as saver(library, data, record_id, expected_version=...).
SAVERS: dict[str, Callable[..., str]] = {
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


def save_and_version(
    library: Library, kind: str, data: Any, record_id: str | None, expected: str | None
) -> tuple[str, str]:
    """Writer side of a form's save: the record id and the version the save made."""
    saved_id = SAVERS[kind](library, data, record_id, expected_version=expected)
    return saved_id, catalog.current_version(library, kind, saved_id)


class SaveCommand(WriteCommand):
    """A save that has already happened: `before` is None when the record was created.

    `version` is the record's version after the save; each later step expects the version the
    history's last write to the record made (`versions`).
    """

    def __init__(
        self,
        library: Library,
        kind: str,
        record_id: str,
        *,
        before: Any,
        after: Any,
        version: str | None,
        text: str,
        notify: Notify,
    ) -> None:
        super().__init__(text)
        self.library = library
        self.kind = kind
        self.record_id = record_id
        self.before = before
        self.after_data = after
        if version is not None:
            self.versions[(kind, record_id)] = version
        self.notify = notify

    def _write(self, data: Any, *, undo: bool) -> Callable[[], str]:
        library, kind, record_id = self.library, self.kind, self.record_id
        expected = self.versions.get((kind, record_id))

        def write() -> str:
            if self.before is None:
                step = catalog.delete_record if undo else catalog.restore_record
                step(library, kind, record_id, expected_version=expected)
            else:
                SAVERS[kind](library, data, record_id, expected_version=expected)
            return catalog.current_version(library, kind, record_id)

        return write

    def undo_write(self) -> Callable[[], str]:
        return self._write(self.before, undo=True)

    def redo_write(self) -> Callable[[], str]:
        return self._write(self.after_data, undo=False)

    def written(self, result: Any, undone: bool) -> None:
        self.versions[(self.kind, self.record_id)] = str(result)

    def after(self) -> None:
        self.notify(self.kind, self.record_id)


class DeleteCommand(WriteCommand):
    """Soft-deleted records (deleted before the push); undo restores them.

    `deleted` maps each record to its version after the delete.
    """

    def __init__(
        self,
        library: Library,
        kind: str,
        deleted: dict[str, str],
        *,
        text: str,
        notify: Notify,
    ) -> None:
        super().__init__(text)
        self.library = library
        self.kind = kind
        self.record_ids = list(deleted)
        for record_id, version in deleted.items():
            self.versions[(kind, record_id)] = version
        self.notify = notify

    def _write(self, *, undo: bool) -> Callable[[], dict[str, str]]:
        library, kind = self.library, self.kind
        ids = list(reversed(self.record_ids)) if undo else list(self.record_ids)
        versions = {r: self.versions.get((kind, r)) for r in ids}

        def write() -> dict[str, str]:
            step = catalog.restore_record if undo else catalog.delete_record
            # Checked first, all of them: a refused step changes nothing at all.
            for record_id in ids:
                if catalog.current_version(library, kind, record_id) != versions[record_id]:
                    step(library, kind, record_id, expected_version=versions[record_id])
            for record_id in ids:
                step(library, kind, record_id, expected_version=versions[record_id])
            return {r: catalog.current_version(library, kind, r) for r in ids}

        return write

    def undo_write(self) -> Callable[[], dict[str, str]]:
        return self._write(undo=True)

    def redo_write(self) -> Callable[[], dict[str, str]]:
        return self._write(undo=False)

    def written(self, result: Any, undone: bool) -> None:
        for record_id, version in result.items():
            self.versions[(self.kind, record_id)] = version

    def after(self) -> None:
        for record_id in self.record_ids:
            self.notify(self.kind, record_id)


def delete_records(
    library: Library, kind: str, ids: Sequence[str]
) -> tuple[dict[str, str], UserError | None]:
    """Writer side of the Delete action: soft-delete each record.

    Returns the new versions of those deleted (for the undo step) and the refusal that stopped
    the others, if any: what was deleted stays undoable.
    """
    versions: dict[str, str] = {}
    for record_id in ids:
        try:
            catalog.delete_record(library, kind, record_id)
        except UserError as err:
            return versions, err
        versions[record_id] = catalog.current_version(library, kind, record_id)
    return versions, None


def delete_text(count: int, name: str) -> str:
    if count == 1:
        return _("Delete “{name}”").format(name=name)
    return _("Delete {n} records").format(n=count)
