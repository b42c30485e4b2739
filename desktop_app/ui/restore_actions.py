"""File → "Restore backup…": a backup zip unpacked into a new folder, then opened in the window.

The restore itself is `services.backup.restore_backup` (checked, unpacked beside the target and
renamed into place in one step, so a refused or cancelled restore leaves nothing behind). It
runs on the window's background runner with a progress dialog: it writes only the new folder,
never the open library, so it need not wait for the window's writer. Refusals (not a backup, a
folder that is not empty, a full disk) are the service's one sentence. Afterwards the user may
open the restored library: the window switches to it (`MainWindow.open_library`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.i18n import N_, _
from desktop_app.core.progress import Progress
from desktop_app.ui import file_dialogs
from desktop_app.ui.ops import ProgressOp, run_with_progress

if TYPE_CHECKING:
    from desktop_app.ui.extensions import WindowContext

BACKUP_FILTER = N_("Backups (*.zip)")


def unused_folder(parent: Path, name: str) -> Path:
    """`parent/name`, or `name-2`, `name-3`… : the first that does not exist yet."""
    candidate = parent / name
    n = 2
    while candidate.exists():
        candidate = parent / f"{name}-{n}"
        n += 1
    return candidate


class RestoreDialog(QDialog):
    """Which backup, and which new folder to restore it into."""

    def __init__(self, parent: QWidget | None, *, start_dir: Path, library_parent: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Restore backup"))
        self.start_dir = start_dir
        self.library_parent = library_parent
        self.source = QLineEdit()
        self.source.setObjectName("restore_source")
        self.source.setMinimumWidth(380)
        self.target = QLineEdit()
        self.target.setObjectName("restore_target")
        choose_source = QPushButton(_("Choose…"))
        choose_source.clicked.connect(self._choose_source)
        choose_target = QPushButton(_("Choose…"))
        choose_target.clicked.connect(self._choose_target)
        form = QFormLayout()
        form.addRow(_("Backup:"), self._row(self.source, choose_source))
        form.addRow(_("New folder:"), self._row(self.target, choose_target))
        hint = QLabel(
            _(
                "The backup becomes a library of its own in a new, empty folder. "
                "The library open now is not changed."
            )
        )
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(_("Restore"))
        self.ok.setEnabled(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.source.textChanged.connect(self._update)
        self.target.textChanged.connect(self._update)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(buttons)

    @staticmethod
    def _row(edit: QLineEdit, button: QPushButton) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        layout.addWidget(button)
        return row

    def set_source(self, path: Path) -> None:
        self.source.setText(str(path))
        if not self.target.text().strip():
            self.target.setText(str(unused_folder(self.library_parent, path.stem)))

    def _choose_source(self) -> None:
        chosen = file_dialogs.open_file(
            self, _("Restore backup"), _(BACKUP_FILTER), str(self.start_dir)
        )
        if chosen:
            self.set_source(Path(chosen))

    def _choose_target(self) -> None:
        # Qt has no "new folder" picker: choose where it goes, the name stays editable.
        current = Path(self.target.text().strip() or str(self.library_parent / "library"))
        chosen = file_dialogs.existing_folder(
            self, _("Where the new folder goes"), str(current.parent)
        )
        if chosen:
            self.target.setText(str(unused_folder(Path(chosen), current.name)))

    def _update(self) -> None:
        self.ok.setEnabled(bool(self.source.text().strip() and self.target.text().strip()))

    def chosen(self) -> tuple[Path, Path]:
        return Path(self.source.text().strip()).expanduser(), Path(
            self.target.text().strip()
        ).expanduser()


class RestoreActions(QObject):
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx.window())
        self.ctx = ctx
        self.window = ctx.window()
        self.job: ProgressOp | None = None
        self.action = QAction(_("Restore backup…"), self.window)
        self.action.setObjectName("restore_backup")
        self.action.setStatusTip(_("Unpack a backup into a new folder and open it"))
        self.action.triggered.connect(lambda _checked=False: self.restore())

    # --- asking (tests replace these) -------------------------------------------------------

    def ask_restore(self) -> tuple[Path, Path] | None:
        from desktop_app.ui.pack_actions import last_dir

        dialog = RestoreDialog(
            self.window, start_dir=last_dir(), library_parent=self.ctx.library.root.parent
        )
        self.dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.chosen()

    def ask_open(self, target: Path) -> bool:
        answer = QMessageBox.question(
            self.window,
            _("Restore backup"),
            _("The backup was restored to {path}. Open it now?").format(path=target),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        return answer == QMessageBox.StandardButton.Yes

    # --- running ----------------------------------------------------------------------------

    def restore(self) -> None:
        if self.job is not None and not self.job.finished:
            return
        chosen = self.ask_restore()
        if chosen is None:
            return
        source, target = chosen

        def op(progress: Progress) -> Path:
            from desktop_app.services import backup

            return backup.restore_backup(source, target, progress=progress)

        def done(restored: Path) -> None:
            self.ctx.show_status(_("Restored the backup to {path}.").format(path=restored), 10000)
            if self.ask_open(restored):
                self.ctx.open_library(restored)

        self.job = run_with_progress(
            self.window,
            _("Restoring the backup…"),
            op,
            done,
            via=self.ctx.runner,  # writes only the new folder, not this library
            failure_title=_("Cannot restore"),
            object_name="restore_progress",
        )


def install(ctx: WindowContext) -> RestoreActions:
    """File → Restore backup…, right after Back up library… (installed after `pack_actions`)."""
    restore = RestoreActions(ctx)
    menu = ctx.menus["file"]
    actions = menu.actions()
    backup = next((a for a in actions if a.objectName() == "backup"), None)
    after = actions[actions.index(backup) + 1] if backup is not None else ctx.quit_action
    menu.insertAction(after, restore.action)
    return restore
