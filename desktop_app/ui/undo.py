"""Undoable record edits for the main window's one undo `History`.

A save is done by the form first (so a validation error never reaches the stack); the command
pushed afterwards only knows how to go back and forth: undoing an edit saves the previous data
again (a new revision, so history keeps every step), undoing a creation soft-deletes the new
record, and redoing a creation restores it. Deletes are soft, and undo restores them.

Every step runs on the window's writer (see `history.py`) and is taken only while the record
still says what the command's own last write made it say (compared by the content hash of the
version tags: later steps undone first bring it back to that). If the record was changed since
(an imported pack, a resolved conflict, another form), the step is refused with
`StaleRecordError` and the history drops it with a sentence saying why, so an undo never
overwrites a version it did not make. Any other refusal (a team name now taken) is dropped the
same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from desktop_app.core.errors import StaleRecordError, UserError
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


def same_content(tag: str, other: str) -> bool:
    """Whether two version tags ("<revision>:<content hash>") say the same thing."""
    return tag.partition(":")[2] == other.partition(":")[2]


def expect_made_by(library: Library, kind: str, record_id: str, made: str) -> str:
    """Writer side of an undo step: the record's current version, which must say what this
    step's own last write made it say. Anything else means someone changed it since (an
    imported pack, a resolved conflict, another form): the step is refused."""
    current = catalog.current_version(library, kind, record_id)
    if not same_content(current, made):
        raise StaleRecordError(
            _(
                "The record was changed since, by an imported pack, a resolved conflict or "
                "another edit."
            ),
            kind=kind,
            record_id=record_id,
            current_version=current,
        )
    return current


class SaveCommand(WriteCommand):
    """A save that has already happened: `before` is None when the record was created.

    `version` is the record's version after this command's last write (the save, then each
    undo and redo of it). A step is taken only while the record still says what that write
    made it say: later steps undone first bring it back, an import in between does not.
    """

    def __init__(
        self,
        library: Library,
        kind: str,
        record_id: str,
        *,
        before: Any,
        after: Any,
        version: str,
        text: str,
        notify: Notify,
    ) -> None:
        super().__init__(text)
        self.library = library
        self.kind = kind
        self.record_id = record_id
        self.before = before
        self.after_data = after
        self.version = version
        self.notify = notify

    def _write(self, data: Any, *, undo: bool) -> Callable[[], str]:
        library, kind, record_id, made = self.library, self.kind, self.record_id, self.version

        def write() -> str:
            current = expect_made_by(library, kind, record_id, made)
            if self.before is None:
                step = catalog.delete_record if undo else catalog.restore_record
                step(library, kind, record_id, expected_version=current)
            else:
                SAVERS[kind](library, data, record_id, expected_version=current)
            return catalog.current_version(library, kind, record_id)

        return write

    def undo_write(self) -> Callable[[], str]:
        return self._write(self.before, undo=True)

    def redo_write(self) -> Callable[[], str]:
        return self._write(self.after_data, undo=False)

    def written(self, result: Any, undone: bool) -> None:
        self.version = str(result)

    def after(self) -> None:
        self.notify(self.kind, self.record_id)


class DeleteCommand(WriteCommand):
    """Soft-deleted records (deleted before the push); undo restores them.

    `versions` maps each record to its version after this command's last write.
    """

    def __init__(
        self,
        library: Library,
        kind: str,
        versions: dict[str, str],
        *,
        text: str,
        notify: Notify,
    ) -> None:
        super().__init__(text)
        self.library = library
        self.kind = kind
        self.versions = dict(versions)
        self.record_ids = list(versions)
        self.notify = notify

    def _write(self, *, undo: bool) -> Callable[[], dict[str, str]]:
        library, kind, made = self.library, self.kind, dict(self.versions)
        ids = list(reversed(self.record_ids)) if undo else list(self.record_ids)

        def write() -> dict[str, str]:
            step = catalog.restore_record if undo else catalog.delete_record
            # All checked first: a refused step changes none of them.
            current = {r: expect_made_by(library, kind, r, made[r]) for r in ids}
            for record_id in ids:
                step(library, kind, record_id, expected_version=current[record_id])
            return {r: catalog.current_version(library, kind, r) for r in ids}

        return write

    def undo_write(self) -> Callable[[], dict[str, str]]:
        return self._write(undo=True)

    def redo_write(self) -> Callable[[], dict[str, str]]:
        return self._write(undo=False)

    def written(self, result: Any, undone: bool) -> None:
        self.versions.update(result)

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
