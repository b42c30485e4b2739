"""Record → History…: a record's earlier versions beside the current one, and restoring one.

The list on the left holds every version the library kept (edits, deletions, imports from
packs, resolved conflicts, restores), newest first, each with when it was made and how: on
this laptop or from which laptop's pack. The table on the right compares the chosen version
with the current one field by field; changed fields are highlighted, child lists (steps,
attendees, honours) read as lines and references show names (a deleted record's name marked
as deleted), never ids.

"Restore this version" makes a new version on the window's writer (a catalog save based on
the current version, refused if the record changed meanwhile), so it goes into history,
travels in packs like any edit, and the window's Undo takes it back.

`ComparisonTable` is the side-by-side table, shared with the conflicts dialog.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.i18n import _
from desktop_app.services.labels import KIND_NAMES
from desktop_app.ui import text_fit
from desktop_app.ui.ops import show_failure

if TYPE_CHECKING:
    from desktop_app.services.record_history import FieldRow, Version
    from desktop_app.ui.extensions import WindowContext

DIFF_BRUSH = QBrush(QColor("#fff1c2"))  # a changed field (dark text stays readable on it)
KINDS_WITH_FORMS = ("team", "member", "guide", "session")


def when_text(version: Version) -> str:
    moment = version.made_at
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


class ComparisonTable(QTableWidget):
    """Field | left | right, one row per field, changed rows highlighted. With `checkable`,
    the right cell of each changed row has a tick box (take that field from the right)."""

    def __init__(self, headers: list[str], parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(headers)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setWordWrap(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # Wrapped text needs its rows measured again once the columns have their width.
        header.sectionResized.connect(lambda *_args: self.resizeRowsToContents())
        self.fields: list[str] = []

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # The stretched columns take their final width only now: measure wrapped rows again.
        QTimer.singleShot(0, self, self.resizeRowsToContents)  # not after the table is gone

    def show_rows(
        self, rows: list[FieldRow], *, checkable: bool = False, only_changed: bool = False
    ) -> None:
        shown = [r for r in rows if r.changed or not only_changed]
        self.setRowCount(len(shown))
        self.fields = [r.field for r in shown]
        for r, row in enumerate(shown):
            cells = [QTableWidgetItem(row.label), QTableWidgetItem(row.left)]
            cells.append(QTableWidgetItem(row.right))
            for cell in cells:
                cell.setFlags(Qt.ItemFlag.ItemIsEnabled)  # read-only, no tick box
                # Lists read from their first line, beside the field's name.
                cell.setTextAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            if row.changed:
                bold = QFont(cells[0].font())
                bold.setBold(True)
                cells[0].setFont(bold)
                for cell in cells[1:]:
                    cell.setBackground(DIFF_BRUSH)
                if checkable:
                    cells[2].setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                    cells[2].setCheckState(Qt.CheckState.Unchecked)
                    cells[2].setToolTip(_("Tick to take this field from their version"))
            for col, cell in enumerate(cells):
                self.setItem(r, col, cell)
        self.resizeRowsToContents()

    def ticked(self) -> set[str]:
        """The fields whose right-hand tick box is ticked."""
        out = set()
        for r, name in enumerate(self.fields):
            cell = self.item(r, 2)
            if cell is not None and cell.checkState() == Qt.CheckState.Checked:
                out.add(name)
        return out

    def set_ticked(self, names: set[str]) -> None:
        for r, name in enumerate(self.fields):
            cell = self.item(r, 2)
            if cell is not None and cell.flags() & Qt.ItemFlag.ItemIsUserCheckable:
                state = Qt.CheckState.Checked if name in names else Qt.CheckState.Unchecked
                cell.setCheckState(state)


class HistoryDialog(QDialog):
    """The versions of one record, the chosen one beside the current one, and Restore."""

    def __init__(self, ctx: WindowContext, kind: str, record_id: str) -> None:
        super().__init__(ctx.window())
        self.ctx = ctx
        self.kind = kind
        self.record_id = record_id
        self.setObjectName("history_dialog")
        self.resize(1100, 620)
        self.list = QListWidget()
        self.list.setObjectName("version_list")
        self.list.setMinimumWidth(250)
        self.list.setSpacing(3)
        self.list.currentRowChanged.connect(self._show)
        self.title = QLabel()
        self.title.setObjectName("version_title")
        self.title.setWordWrap(True)
        self.table = ComparisonTable([_("Field"), _("This version"), _("Current version")])
        self.table.setObjectName("version_comparison")
        self.only_changed = QCheckBox(_("Only changed fields"))
        self.only_changed.setObjectName("only_changed")
        self.only_changed.toggled.connect(lambda _on: self._show(self.list.currentRow()))
        self.restore = QPushButton(_("Restore this version"))
        self.restore.setObjectName("restore_version")
        self.restore.clicked.connect(self.restore_chosen)
        hint = QLabel(
            _(
                "Restoring makes a new version with this content: it is kept in history, "
                "travels in packs like any edit, and Undo takes it back."
            )
        )
        hint.setWordWrap(True)
        hint.setObjectName("restore_hint")
        close = QPushButton(_("Close"))
        close.clicked.connect(self.accept)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.title)
        column.addWidget(self.only_changed)
        column.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        buttons = QHBoxLayout()
        buttons.addWidget(hint, 1)
        buttons.addWidget(self.restore)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.versions: list[Version] = []
        self.reload()

    @property
    def library(self) -> Any:
        return self.ctx.library

    def reload(self) -> None:
        from desktop_app.services import record_history
        from desktop_app.storage.kinds import KINDS

        self.versions = record_history.list_versions(self.library, self.kind, self.record_id)
        current = self.versions[0]
        self.record_id = str(current.data["id"])  # a prefix given: the full id from now on
        name = KINDS[self.kind].title(current.data) or self.record_id[:8]
        self.setWindowTitle(
            _("History of “{name}” ({kind})").format(name=name, kind=_(KIND_NAMES[self.kind]))
        )
        self.list.blockSignals(True)
        self.list.clear()
        for version in self.versions:
            head = _("Revision {n}").format(n=version.revision)
            if version.is_current:
                head += " · " + _("current")
            if version.deleted:
                head += " · " + _("deleted")
            item = QListWidgetItem(f"{head}\n{when_text(version)} · {version.describe()}")
            self.list.addItem(item)
        text_fit.fit_list_width(self.list, at_least=250)  # its two lines whole, at any size
        self.list.blockSignals(False)
        row = 1 if len(self.versions) > 1 else 0
        self.list.setCurrentRow(row)
        self._show(row)

    def chosen(self) -> Version | None:
        row = self.list.currentRow()
        return self.versions[row] if 0 <= row < len(self.versions) else None

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.versions):
            return
        from desktop_app.services import record_history

        version, current = self.versions[row], self.versions[0]
        rows = record_history.compare(self.library, self.kind, version.data, current.data)
        self.table.show_rows(rows, only_changed=self.only_changed.isChecked())
        changed = sum(1 for r in rows if r.changed)
        if version.is_current:
            summary = _("This is the current version.")
        elif version.deleted:
            summary = _("In this version the record was deleted.")
        elif current.deleted:
            summary = _("The record is deleted now; restoring brings it back with this content.")
        elif changed:
            summary = _("{n} fields differ from the current version.").format(n=changed)
        else:
            summary = _("Says the same as the current version.")
        self.title.setText(
            "<b>{}</b> — {}<br>{}".format(
                html.escape(_("Revision {n}").format(n=version.revision)),
                html.escape(f"{when_text(version)} · {version.describe()}"),
                html.escape(summary),
            )
        )
        restorable = (
            not version.is_current
            and not version.deleted
            and self.kind in KINDS_WITH_FORMS
            and (changed > 0 or current.deleted)
        )
        self.restore.setEnabled(restorable)

    def restore_chosen(self) -> None:
        version = self.chosen()
        if version is None or version.history_id is None:
            return
        from desktop_app.services import record_history
        from desktop_app.storage.kinds import KINDS
        from desktop_app.ui.undo import LOADERS, SaveCommand

        ctx, library, kind, record_id = self.ctx, self.library, self.kind, self.record_id
        current = self.versions[0]
        history_id, expected, was_deleted = version.history_id, current.tag, current.deleted
        text = _("Restore revision {n} of “{name}”").format(
            n=version.revision, name=KINDS[kind].title(current.data) or record_id[:8]
        )
        self.restore.setEnabled(False)  # one restore at a time

        def op(_progress: Any) -> tuple[Any, Any, str]:
            before = None if was_deleted else LOADERS[kind](library, record_id)
            tag = record_history.restore_version(library, kind, record_id, history_id, expected)
            return before, LOADERS[kind](library, record_id), tag

        def done(result: tuple[Any, Any, str]) -> None:
            before, after, tag = result
            # Undo: an earlier content saved again (or, for a record that was deleted, the
            # deletion again), refused if someone changed the record since.
            ctx.undo_stack.push(
                SaveCommand(
                    library,
                    kind,
                    record_id,
                    before=before,
                    after=after,
                    version=tag,
                    text=text,
                    notify=ctx.record_changed,
                )
            )
            ctx.record_changed(kind, record_id)
            ctx.show_status(
                _("Revision {n} restored as a new version.").format(n=version.revision), 6000
            )
            self.reload()

        def failed(exc: BaseException) -> bool:
            self.reload()
            show_failure(self, _("Cannot restore"), exc)
            return True

        ctx.writer.submit(text, op, on_done=done, on_error=failed)


class HistoryActions:
    """Record → History… for the record on screen (or the first one selected)."""

    def __init__(self, ctx: WindowContext) -> None:
        self.ctx = ctx
        self.window = ctx.window()
        self.dialog: HistoryDialog | None = None
        action = QAction(_("History…"), self.window)
        action.setObjectName("record_history")
        action.setShortcut(QKeySequence("Ctrl+Shift+H"))
        action.setToolTip(_("Earlier versions of this record, and restoring one"))
        action.triggered.connect(lambda _checked=False: self.show_history())
        ctx.add_shortcut(action)
        ctx.menus["record"].addSeparator()
        ctx.menus["record"].addAction(action)
        self.action = action

    def target(self) -> tuple[str, str] | None:
        form = self.ctx.shown_form()
        if form is not None and form.record_id():
            return str(form.kind), str(form.record_id())
        kind, ids = self.ctx.current_selection()
        return (kind, ids[0]) if ids else None

    def show_history(self) -> None:
        target = self.target()
        if target is None:
            self.ctx.show_status(_("Select a record to see its earlier versions."), 6000)
            return
        try:
            dialog = HistoryDialog(self.ctx, *target)
        except Exception as exc:  # a record gone meanwhile: one sentence
            show_failure(self.window, _("History"), exc)
            return
        self.dialog = dialog
        dialog.open()


def install(ctx: WindowContext) -> HistoryActions:
    return HistoryActions(ctx)
