"""Knowledge packs and backups in the window.

File menu: "Export knowledge pack…" (the whole library or the selected teams, guides or
sessions; contact details only when ticked), "Import knowledge pack…" (the pack is checked and
the merge planned in the background, then a preview lists what would be added, updated, put
in conflict and deleted; nothing changes until the user presses Import), and "Back up
library…". Tools menu: "Conflicts…" (`conflicts_dialog.py`): open conflicts with both
versions field by field, Keep mine / Take theirs / Merge the ticked fields.

All slow work runs with a progress dialog that can cancel (`ops.run_with_progress`); the
services leave the library unchanged when cancelled. Writes (importing a pack, backups,
resolving a conflict) go to the window's one `LibraryWriter`, so a save made meanwhile waits
for them instead of failing; reads (exporting, checking a pack) go to `ctx.runner`. The
progress dialogs are not modal: the window stays usable while a pack is imported. The export
and import-preview dialogs are `pack_dialogs`'.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QMessageBox

from desktop_app.core.i18n import _, ngettext
from desktop_app.core.progress import Progress
from desktop_app.services import backup as backup_service
from desktop_app.storage.library import Library
from desktop_app.ui import file_dialogs, layout_state
from desktop_app.ui.conflicts_dialog import ConflictsDialog
from desktop_app.ui.ops import ProgressOp, T, run_with_progress
from desktop_app.ui.pack_dialogs import (
    BACKUP_FILTER,
    PACK_FILTER,
    ExportPackDialog,
    ImportPreviewDialog,
)
from desktop_app.ui.workers import BackgroundRunner, LibraryWriter

if TYPE_CHECKING:
    # Packs and merges need the ORM: imported where used, not at start-up.
    from desktop_app.services import packs
    from desktop_app.ui.extensions import WindowContext

log = logging.getLogger(__name__)

LAST_DIR_KEY = layout_state.PACKS_LAST_DIR


def last_dir() -> Path:
    folder = layout_state.layout_settings().value(LAST_DIR_KEY, "")
    if folder and Path(str(folder)).is_dir():
        return Path(str(folder))
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs or str(Path.home()))


def remember_dir(path: Path) -> None:
    layout_state.layout_settings().setValue(LAST_DIR_KEY, str(path.parent))


# --- the actions ----------------------------------------------------------------------------


class PackActions(QObject):
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx.window())
        self.ctx = ctx
        self.window = ctx.window()
        self.busy = False
        self.job: ProgressOp | None = None
        self.conflicts_dialog: ConflictsDialog | None = None
        self.export_action = self._action("pack_export", _("Export knowledge pack…"), self.export)
        self.export_action.setStatusTip(
            _("Write the library, or the selected records, to a .jxpack file for another laptop")
        )
        self.import_action = self._action("pack_import", _("Import knowledge pack…"), self.import_)
        self.import_action.setStatusTip(_("Merge a .jxpack file from another laptop"))
        self.backup_action = self._action("backup", _("Back up library…"), self.backup)
        self.backup_action.setStatusTip(_("Save the database and every photo into one file"))
        self.conflicts_action = self._action("conflicts", _("Conflicts…"), self.show_conflicts)
        menu = ctx.menus["file"]
        before = ctx.quit_action
        if before in menu.actions():
            menu.insertActions(before, [self.export_action, self.import_action, self.backup_action])
            menu.insertSeparator(before)
        else:
            menu.addActions([self.export_action, self.import_action, self.backup_action])
        ctx.menus["tools"].addAction(self.conflicts_action)
        ctx.after_first_paint(self._count_conflicts_in_background)

    def _action(self, name: str, text: str, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    # --- asking (tests replace these) -------------------------------------------------------

    def ask_open_pack(self) -> Path | None:
        chosen = file_dialogs.open_file(
            self.window, _("Import knowledge pack"), _(PACK_FILTER), str(last_dir())
        )
        return Path(chosen) if chosen else None

    def ask_backup_target(self) -> Path | None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        default = last_dir() / f"{self.ctx.library.name}-{stamp}.zip"
        chosen = file_dialogs.save_file(
            self.window, _("Back up the library to"), str(default), _(BACKUP_FILTER)
        )
        return Path(chosen) if chosen else None

    # --- running ----------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for action in (self.export_action, self.import_action, self.backup_action):
            action.setEnabled(not busy)

    def run(
        self,
        title: str,
        op: Callable[[Progress], T],
        on_done: Callable[[T], None],
        failure_title: str,
        *,
        via: LibraryWriter | BackgroundRunner,
        label: str = "",
    ) -> None:
        self._set_busy(True)
        self.job = run_with_progress(
            self.window,
            title,
            op,
            on_done,
            via=via,
            failure_title=failure_title,
            modal=False,  # the window stays usable; a save made meanwhile waits its turn
            object_name="pack_progress",
            label=label,
            on_finish=lambda: self._set_busy(False),
        )
        dialog = self.job.dialog
        if dialog is not None:
            # Wide enough for its title ("正在导入知识包…") in the title bar and the label.
            dialog.setMinimumWidth(dialog.fontMetrics().horizontalAdvance(title) * 2 + 160)

    # --- export -----------------------------------------------------------------------------

    def export(self) -> None:
        if self.busy:
            return
        from desktop_app.services import packs

        kind, ids = self.ctx.current_selection()
        name = self.ctx.library.name
        dialog = ExportPackDialog(
            self.window,
            kind=kind,
            selected=ids,
            target=last_dir() / f"{name}{packs.PACK_SUFFIX}",
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        target = dialog.target()
        if target is None:
            return
        remember_dir(target)
        library = self.ctx.library
        selection = dialog.selection()
        contacts = dialog.contacts.isChecked()

        def op(progress: Progress) -> packs.ExportResult:
            return packs.export_pack(
                library, target, include_contacts=contacts, progress=progress, **selection
            )

        def done(result: packs.ExportResult) -> None:
            records = sum(result.counts.values())
            self.ctx.show_status(
                _("Saved {path}: {records} records, {mb:.1f} MB.").format(
                    path=result.path, records=records, mb=result.bytes / 1024**2
                ),
                10000,
            )

        self.run(
            _("Exporting the knowledge pack…"), op, done, _("Cannot export"), via=self.ctx.runner
        )

    # --- import -----------------------------------------------------------------------------

    def import_(self) -> None:
        if self.busy:
            return
        path = self.ask_open_pack()
        if path is None:
            return
        remember_dir(path)
        library = self.ctx.library

        def op(progress: Progress) -> packs.ImportReport:
            from desktop_app.services import packs

            return packs.preview_import(library, path, progress=progress)

        self.run(
            _("Checking the knowledge pack…"),
            op,
            lambda report: self._preview(path, report),
            _("Cannot import"),
            via=self.ctx.runner,  # reads only: nothing changes before the user says Import
        )

    def _preview(self, path: Path, report: packs.ImportReport) -> None:
        dialog = ImportPreviewDialog(self.window, report, path)
        self.preview_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        library = self.ctx.library
        keep = int(self.ctx.settings.get("backups.keep"))

        def op(progress: Progress) -> packs.ImportReport:
            from desktop_app.services import packs

            return packs.import_pack(library, path, progress=progress, keep_backups=keep)

        self.run(
            _("Importing the knowledge pack…"),
            op,
            self._imported,
            _("Cannot import"),
            via=self.ctx.writer,
            label=_("Import the knowledge pack"),
        )

    def _imported(self, report: packs.ImportReport) -> None:
        self.ctx.refresh()
        self.update_conflict_count()
        message = _("Imported: {added} added, {updated} updated, {deleted} deleted.").format(
            added=len(report.added), updated=len(report.updated), deleted=len(report.deleted)
        )
        self.ctx.show_status(message, 10000)
        if report.conflicts:
            answer = QMessageBox.question(
                self.window,
                _("Conflicts"),
                ngettext(
                    "{n} record was changed on both laptops. Your version is kept; "
                    "look at the other one now?",
                    "{n} records were changed on both laptops. Your versions are kept; "
                    "look at the others now?",
                    len(report.conflicts),
                ).format(n=len(report.conflicts)),
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.show_conflicts()

    # --- conflicts --------------------------------------------------------------------------

    def update_conflict_count(self) -> None:
        self._show_conflict_count(_open_conflict_count(self.ctx.library))

    def _count_conflicts_in_background(self) -> None:
        # At start-up: the count needs the ORM, which is still loading; the menu can wait.
        self.ctx.runner.run(
            lambda _progress: _open_conflict_count(self.ctx.library),
            on_done=self._show_conflict_count,
            on_error=lambda _exc: None,
        )

    def _show_conflict_count(self, n: int) -> None:
        self.conflicts_action.setText(_("Conflicts ({n})…").format(n=n) if n else _("Conflicts…"))

    def show_conflicts(self) -> None:
        def resolved() -> None:
            self.ctx.refresh()
            self.update_conflict_count()

        dialog = ConflictsDialog(self.ctx, resolved)
        self.conflicts_dialog = dialog
        dialog.open()

    # --- backup -----------------------------------------------------------------------------

    def backup(self) -> None:
        if self.busy:
            return
        target = self.ask_backup_target()
        if target is None:
            return
        remember_dir(target)
        library = self.ctx.library

        def op(progress: Progress) -> backup_service.BackupResult:
            return backup_service.create_backup(library, target, progress=progress)

        def done(result: backup_service.BackupResult) -> None:
            self.ctx.show_status(
                _("Backed up to {path} ({size}).").format(
                    path=result.path, size=backup_service.describe_backup_size(result)
                ),
                10000,
            )

        # On the writer: the backup is taken between two changes, never in the middle of one.
        self.run(
            _("Backing up the library…"),
            op,
            done,
            _("Cannot back up"),
            via=self.ctx.writer,
            label=_("Back up the library"),
        )


def _open_conflict_count(library: Library) -> int:
    from desktop_app.services import merge

    try:
        return merge.open_conflict_count(library)
    except Exception:  # a library too old to have the table: nothing to show
        return 0


def install(ctx: WindowContext) -> PackActions:
    return PackActions(ctx)
