"""Tools → Conflicts…: open conflicts, both versions field by field, and three ways out.

Every field a person edits is compared (a team's category and members, a guide's team,
authors and steps, a session's attendees...), references by name. "Keep mine" and "Take
theirs" settle the whole record; ticking fields in the "Theirs" column and pressing "Merge"
takes those fields from the other laptop and keeps this laptop's value for the rest
(`merge.resolve_conflict_fields`). Each way makes one new version that supersedes both sides,
so the next exchange carries the decision to the other laptop. The resolution runs on the
window's one writer.

A resolution is a step on the window's undo history (`ResolutionCommand`): Ctrl+Z, here or in
the window, or "Undo" beside the buttons, opens the conflict again with both versions, the
record as it was before (`services/resolution_undo.py`); Ctrl+Shift+Z decides again the same way.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.i18n import _
from desktop_app.ui import text_fit
from desktop_app.ui.history import History, WriteCommand
from desktop_app.ui.ops import show_failure
from desktop_app.ui.version_history import DIFF_BRUSH, ComparisonTable

if TYPE_CHECKING:
    from desktop_app.services import merge
    from desktop_app.services.resolution_undo import Resolution
    from desktop_app.ui.extensions import WindowContext

__all__ = ["DIFF_BRUSH", "ConflictsDialog", "ResolutionCommand"]


class ResolutionCommand(WriteCommand):
    """A resolution already written; undo opens the conflict again, redo decides again.

    `version` is the record's version after this command's last write: a step is taken only
    while the record still is that version (`resolution_undo` refuses it otherwise).
    """

    def __init__(
        self, library: Any, resolution: Resolution, *, text: str, after: Callable[[], None]
    ) -> None:
        super().__init__(text)
        self.library = library
        self.resolution = resolution
        self.version = resolution.version
        self._after = after

    def undo_write(self) -> Callable[[], str]:
        from desktop_app.services import resolution_undo

        library, resolution, made = self.library, self.resolution, self.version
        return lambda: resolution_undo.reopen(library, resolution, made)

    def redo_write(self) -> Callable[[], Resolution]:
        from desktop_app.services import resolution_undo

        library, r, made = self.library, self.resolution, self.version
        return lambda: resolution_undo.resolve(
            library, r.conflict_id, r.keep, r.fields, expected_version=made
        )

    def written(self, result: Any, undone: bool) -> None:
        if undone:
            self.version = str(result)
        else:
            self.resolution = result
            self.version = result.version

    def after(self) -> None:
        self._after()


def _top_is_resolution(stack: History | None, *, undo: bool) -> bool:
    """Whether the step Ctrl+Z (or Ctrl+Shift+Z) would take is a conflict resolution."""
    if stack is None:
        return False
    index = stack.index() - 1 if undo else stack.index()
    return 0 <= index < stack.count() and isinstance(stack.command(index), ResolutionCommand)


class ConflictsDialog(QDialog):
    """Open conflicts, both versions side by side, and the ways out."""

    def __init__(self, ctx: WindowContext, on_resolved: Callable[[], None]) -> None:
        super().__init__(ctx.window())
        self.window_ = ctx
        self.on_resolved = on_resolved
        self.setWindowTitle(_("Conflicts"))
        self.resize(1100, 620)
        self.list = QListWidget()
        self.list.setObjectName("conflict_list")
        self.list.setMinimumWidth(240)
        self.list.setSpacing(3)
        self.list.currentRowChanged.connect(self._show)
        self.title = QLabel()
        self.title.setObjectName("conflict_title")
        self.title.setWordWrap(True)
        self.table = ComparisonTable([_("Field"), _("Mine (this laptop)"), _("Theirs")])
        self.table.setObjectName("side_by_side")
        self.table.itemChanged.connect(lambda _item: self._update_buttons())
        self.keep_mine = QPushButton(_("Keep mine"))
        self.keep_mine.setObjectName("keep_mine")
        self.take_theirs = QPushButton(_("Take theirs"))
        self.take_theirs.setObjectName("take_theirs")
        self.merge_ticked = QPushButton(_("Merge: ticked fields from theirs"))
        self.merge_ticked.setObjectName("merge_ticked")
        self.merge_ticked.setToolTip(
            _("Takes the ticked fields from their version and keeps yours for the rest")
        )
        self.keep_mine.clicked.connect(lambda: self.resolve("mine"))
        self.take_theirs.clicked.connect(lambda: self.resolve("theirs"))
        self.merge_ticked.clicked.connect(lambda: self.resolve("fields"))
        self.empty = QLabel(_("No open conflicts. Everything merged cleanly."))
        self.empty.setObjectName("empty")
        self.hint = QLabel(
            _(
                "Tick fields in the “Theirs” column to take just those. Whichever way, your "
                "decision travels with the next pack exchange or hub sync."
            )
        )
        self.hint.setObjectName("conflict_hint")
        self.hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.keep_mine)
        buttons.addWidget(self.take_theirs)
        buttons.addWidget(self.merge_ticked)
        self.undo_button = QPushButton(_("Undo"))
        self.undo_button.setObjectName("undo_resolution")
        self.undo_button.setToolTip(_("Opens the conflict you just resolved again (Ctrl+Z)"))
        self.undo_button.clicked.connect(self.undo)
        buttons.addWidget(self.undo_button)
        close = QPushButton(_("Close"))
        close.clicked.connect(self.accept)
        buttons.addWidget(close)
        # The window's Ctrl+Z does not reach a dialog: the same keys here, for resolutions.
        for keys, slot in (
            ("Ctrl+Z", self.undo),
            ("Ctrl+Shift+Z", self.redo),
            ("Ctrl+Y", self.redo),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(slot)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.title)
        right_layout.addWidget(self.table, 1)
        right_layout.addWidget(self.empty)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.conflicts: list[merge.ConflictInfo] = []
        if self.undo_stack is not None:
            self.undo_stack.indexChanged.connect(lambda _index: self._update_buttons())
        self.reload()

    @property
    def library(self) -> Any:
        return self.window_.library

    @property
    def undo_stack(self) -> History | None:
        stack = getattr(self.window_, "undo_stack", None)
        return stack if isinstance(stack, History) else None

    def undo(self) -> None:
        """Open the last resolved conflict again (only when a resolution is the last step:
        this dialog never undoes a form's edit the user cannot see from here)."""
        if _top_is_resolution(self.undo_stack, undo=True):
            self.window_.undo()

    def redo(self) -> None:
        if _top_is_resolution(self.undo_stack, undo=False):
            self.window_.redo()

    def _stepped(self) -> None:
        """A resolution was made, undone or redone: show the conflicts as they are now."""
        if shiboken6.isValid(self) and self.isVisible():
            self.reload()
        self.on_resolved()

    def reload(self) -> None:
        from desktop_app.services import merge

        self.conflicts = merge.list_conflicts(self.library)
        self.list.blockSignals(True)
        self.list.clear()
        for c in self.conflicts:
            item = QListWidgetItem(f"{c.label}\n{c.kind_label} · {c.reason}")
            item.setToolTip(_("From “{name}”").format(name=c.source_library))
            self.list.addItem(item)
        text_fit.fit_list_width(self.list, at_least=240)  # its two lines whole, at any size
        self.list.blockSignals(False)
        has = bool(self.conflicts)
        self.empty.setVisible(not has)
        self.table.setVisible(has)
        self.title.setVisible(has)
        if has:
            self.list.setCurrentRow(0)
            self._show(0)
        self._update_buttons()

    def current(self) -> merge.ConflictInfo | None:
        row = self.list.currentRow()
        return self.conflicts[row] if 0 <= row < len(self.conflicts) else None

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.conflicts):
            return
        from desktop_app.services import record_history

        c = self.conflicts[row]
        self.title.setText(
            "<b>{}</b> — {}<br>{}".format(
                html.escape(c.label),
                html.escape(c.kind_label),
                html.escape(
                    _("{why} From “{name}”, {time}.").format(
                        why=c.reason,
                        name=c.source_library,
                        time=c.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                    )
                ),
            )
        )
        rows = record_history.conflict_rows(self.library, c.id)
        both_live = c.mine is not None and c.theirs is not None
        self.table.blockSignals(True)
        self.table.show_rows(rows, checkable=both_live)
        if c.mine is None or c.theirs is None:
            self.table.insertRow(0)
            state = [
                QTableWidgetItem(_("State")),
                QTableWidgetItem(_("Deleted on this laptop") if c.mine is None else ""),
                QTableWidgetItem(_("Deleted on the other laptop") if c.theirs is None else ""),
            ]
            for col, cell in enumerate(state):
                cell.setFlags(Qt.ItemFlag.ItemIsEnabled)
                if col:
                    cell.setBackground(DIFF_BRUSH)
                self.table.setItem(0, col, cell)
            self.table.fields.insert(0, "")
            self.table.resizeRowsToContents()
        self.table.blockSignals(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        c = self.current()
        has = c is not None
        self.keep_mine.setEnabled(has)
        self.take_theirs.setEnabled(has)
        self.merge_ticked.setEnabled(has and bool(self.table.ticked()))
        self.undo_button.setEnabled(_top_is_resolution(self.undo_stack, undo=True))

    def resolve(self, keep: str) -> None:
        c = self.current()
        if c is None:
            return
        from desktop_app.services import resolution_undo

        library, conflict_id, fields = self.library, c.id, self.table.ticked()
        for button in (self.keep_mine, self.take_theirs, self.merge_ticked):
            button.setEnabled(False)  # one decision at a time
        text = _("Resolve the conflict over “{name}”").format(name=c.label)

        def op(_progress: Any) -> Resolution:
            return resolution_undo.resolve(library, conflict_id, keep, fields)

        def done(result: Resolution) -> None:
            stack = self.undo_stack
            if stack is not None:
                stack.push(ResolutionCommand(library, result, text=text, after=self._stepped))
            self.reload()
            self.on_resolved()

        def failed(exc: BaseException) -> bool:
            self.reload()
            show_failure(self, _("Cannot resolve"), exc)
            return True

        self.window_.writer.submit(
            text,
            op,
            on_done=done,
            on_error=failed,
        )
