"""Writes of the photo widgets: undoable photo changes and photo imports, on the writer.

The session's grid (`photo_grid.PhotoGrid`) and a guide step's strip (`step_photos`) change
photos the same way: each change is written on the window's `LibraryWriter` and pushed on the
undo `History` once written (`submit_photo_change`), and files are imported with the one
progress dialog of `ops.run_with_progress` (`start_photo_import`), where Cancel keeps what was
imported before it and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.core.progress import Progress
from desktop_app.services import photos
from desktop_app.storage.library import Library
from desktop_app.ui.history import History, WriteCommand
from desktop_app.ui.ops import ProgressOp, run_with_progress, show_failure
from desktop_app.ui.workers import BackgroundRunner, LibraryWriter

# --- undoable changes --------------------------------------------------------------------------


class _PhotoCommand(WriteCommand):
    """A photo change already written by `do`; the history runs `undo`/`do` on the writer,
    and the grid reloads after either."""

    def __init__(
        self,
        text: str,
        do: Callable[[], Any],
        undo: Callable[[], Any],
        after: Callable[[], None],
    ) -> None:
        super().__init__(text)
        self._do, self._undo, self._after = do, undo, after

    def undo_write(self) -> Callable[[], Any]:
        return self._undo

    def redo_write(self) -> Callable[[], Any]:
        return self._do

    def after(self) -> None:
        self._after()


def submit_photo_change(
    writer: LibraryWriter,
    history: History | None,
    text: str,
    do: Callable[[], None],
    undo: Callable[[], None],
    after: Callable[[], None],
    *,
    written: Callable[[], None] | None = None,
) -> None:
    """Write `do` on the writer; once written, push it on the history (undo runs `undo`).
    `after` runs after every write of it (undo and redo too), `written` after the first."""

    def done(_result: object) -> None:
        if history is not None:
            history.push(_PhotoCommand(text, do, undo, after))
        after()
        if written is not None:
            written()

    def failed(_exc: BaseException) -> bool:
        after()  # show what the library holds; the writer shows why
        return False

    writer.submit(text, lambda _progress: do(), on_done=done, on_error=failed)


def own_writer(
    owner: QWidget, runner: BackgroundRunner, report: Callable[[UserError], None]
) -> LibraryWriter:
    """A writer for a photo widget used outside the window (tests, tools)."""
    writer = LibraryWriter(runner.serial(), owner)

    def shown(_label: str, exc: BaseException) -> None:
        if isinstance(exc, UserError):
            report(exc)
        else:
            show_failure(owner, _("Cannot do that"), exc)

    writer.report = shown
    return writer


# --- importing files ---------------------------------------------------------------------------


ImportResults = Callable[[list[photos.ImportResult], bool], None]


def start_photo_import(
    parent: QWidget,
    writer: LibraryWriter,
    library: Library,
    paths: list[Path],
    target: photos.ImportTarget | None,
    on_results: ImportResults,
    *,
    on_finish: Callable[[], None],
    on_other_failure: Callable[[], None] | None = None,
    object_name: str = "",
) -> ProgressOp:
    """Import `paths` (into `target`, or only into the photo store) on the writer, with a
    progress dialog that counts the files and has Cancel; the window stays usable.

    `on_results(results, cancelled)` gets what was imported, also after a Cancel (the files
    imported before it stay). Any other failure is shown by `ops.show_failure`, after
    `on_other_failure()` (show what got in before it). `on_finish()` runs first, whatever the
    outcome."""

    def op(progress: Progress) -> list[photos.ImportResult]:
        return photos.import_photos(library, paths, target, progress)

    def failed(exc: BaseException) -> bool:
        if isinstance(exc, photos.ImportCancelled):
            on_results(exc.results, True)
            return True
        if on_other_failure is not None:
            on_other_failure()
        return False

    return run_with_progress(
        parent,
        _("Importing photos…"),
        op,
        lambda results: on_results(results, False),
        via=writer,
        failure_title=_("Cannot import photos"),
        modal=False,  # the window stays usable; the import goes on in the background
        object_name=object_name,
        label=_("Import photos"),
        text=lambda done, total, name: _("Importing photos… {done} of {total}\n{name}").format(
            done=done, total=total, name=name
        ),
        on_finish=on_finish,
        on_failed=failed,
    )
