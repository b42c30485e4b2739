"""Errors a user can act on.

A `UserError` carries one plain, already translated sentence that the CLI prints on stderr and
the GUI shows in a dialog. Anything that is not a `UserError` is a bug: it is logged with its
traceback and the user sees "internal error, see log".
"""

from __future__ import annotations


class UserError(Exception):
    """An error whose message is fit to show to the user as it is."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class LibraryError(UserError):
    """The library folder cannot be used (missing, not a library, too new, read-only...)."""


class LibraryLockedError(LibraryError):
    """Another instance has the library open for writing."""


class RecordNotFoundError(UserError):
    """No live record with the given id."""


class ValidationError(UserError):
    """User input that breaks a rule; `fields` maps a form field name to its message."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__(" ".join(self.fields.values()))


class ImportRejectedError(UserError):
    """An external file (photo, pack, backup) was refused; nothing was written."""


class StaleRecordError(UserError):
    """A record changed since it was loaded (an import, a resolution, another form): a change
    based on the old version would silently replace the newer one, so it is refused."""

    def __init__(self, message: str, *, kind: str, record_id: str, current_version: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.record_id = record_id
        self.current_version = current_version
