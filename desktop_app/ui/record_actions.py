"""The record actions of the main window: New, New from template, Save, Delete…, Undo, Redo.

`RecordActions` builds the six actions (the window puts them in its Record and Edit menus and
its toolbar), keeps them enabled, visible and named for what is selected and on screen
(`update`), and carries them out: a new record in the form pane after the unsaved-changes
question, a session drafted from the selected one, a save of the form on screen, a delete
that says what uses the records and lands on the undo history, and undo/redo, which first
ask before they would throw away unsaved form edits.

It sees the window as a `RecordPane`: a feature's `WindowContext` plus the lists and the
record pane, which the window (`MainWindow`, the one coordinator of selection and of what the
pane shows) keeps; every write goes through the window's `writer`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QStackedWidget, QWidget

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.ui.extensions import WindowContext

if TYPE_CHECKING:
    from desktop_app.ui.forms.base import RecordForm
    from desktop_app.ui.models import RecordTableModel


class RecordPane(WindowContext, Protocol):
    """The main window as its record actions see it: a feature's context, plus its lists and
    record pane (which record is where, and what the pane shows)."""

    @property
    def current_kind(self) -> str: ...

    @property
    def models(self) -> Mapping[str, RecordTableModel]: ...

    @property
    def forms(self) -> Mapping[str, RecordForm]:
        """The record forms by kind (built the first time one is asked for)."""
        ...

    @property
    def detail_stack(self) -> QStackedWidget: ...

    def current_form(self) -> RecordForm: ...

    def confirm_leave(self) -> bool:
        """True when the form on screen may be left (saved, discarded or unchanged)."""
        ...

    def wait_for_save(self, form: RecordForm) -> bool: ...

    def clear_list_selection(self) -> None: ...

    def show_record(self, kind: str, record_id: str | None) -> None:
        """Show a record in the pane (a new one when `record_id` is None)."""
        ...

    def show_modified(self, _dirty: bool) -> None:
        """Mark the window modified when the form on screen has unsaved edits."""
        ...


def window_action(
    window: QWidget,
    text: str,
    slot: Callable[[], object],
    shortcuts: list[QKeySequence | QKeySequence.StandardKey] | None = None,
) -> QAction:
    """An action of the window whose shortcuts work anywhere in it, with the menus closed."""
    action = QAction(text, window)
    if shortcuts:
        action.setShortcuts([QKeySequence(key) for key in shortcuts])
    action.triggered.connect(lambda _checked=False: slot())
    window.addAction(action)
    return action


class RecordActions(QObject):
    """The record actions and what they do (see the module's docstring)."""

    def __init__(self, ctx: RecordPane) -> None:
        super().__init__(ctx.window())
        self.ctx = ctx
        self.new_action = window_action(
            self.ctx.window(), _("New"), self.new_record, [QKeySequence.StandardKey.New]
        )
        self.template_action = window_action(
            self.ctx.window(),
            _("New session from template"),
            self.new_session_from_template,
            [QKeySequence("Ctrl+Shift+N")],
        )
        self.template_action.setToolTip(
            _("A new session with the teams, venue, hosts and guides of the selected one")
        )
        self.save_action = window_action(
            self.ctx.window(), _("Save"), self.save_record, [QKeySequence.StandardKey.Save]
        )
        # Del only in the record lists: in a form's own tables it must not delete the record.
        self.delete_action = QAction(_("Delete…"), self.ctx.window())
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(lambda _checked=False: self.delete_records())
        for table in self.ctx.tables.values():  # not the session filters' date fields either
            table.addAction(self.delete_action)
        self.undo_action = window_action(
            self.ctx.window(), _("Undo"), self.undo, [QKeySequence("Ctrl+Z")]
        )
        self.redo_action = window_action(
            self.ctx.window(),
            _("Redo"),
            self.redo,
            [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")],
        )
        self.ctx.undo_stack.canUndoChanged.connect(lambda _c: self.update())
        self.ctx.undo_stack.canRedoChanged.connect(lambda _c: self.update())
        self.ctx.undo_stack.undoTextChanged.connect(lambda _t: self.update())
        self.ctx.undo_stack.redoTextChanged.connect(lambda _t: self.update())

    def update(self) -> None:
        """Enable, show and name the actions for what is selected and on screen."""
        form = self.ctx.shown_form()
        kind, ids = self.ctx.current_selection() if self.ctx.models else ("", [])
        has_record = bool(ids) or (form is not None and form.record_id() is not None)
        self.save_action.setEnabled(form is not None)
        self.delete_action.setEnabled(has_record)
        self.template_action.setEnabled(kind == "session" and len(ids) == 1)
        self.template_action.setVisible(kind == "session")
        # While writes wait, the step one of them will push may be the one to undo.
        busy = self.ctx.writer.is_busy()
        self.undo_action.setEnabled(self.ctx.undo_stack.canUndo() or busy)
        self.redo_action.setEnabled(self.ctx.undo_stack.canRedo() or busy)
        undo_text = self.ctx.undo_stack.undoText()
        redo_text = self.ctx.undo_stack.redoText()
        self.undo_action.setText(
            _("Undo {what}").format(what=undo_text) if undo_text else _("Undo")
        )
        self.redo_action.setText(
            _("Redo {what}").format(what=redo_text) if redo_text else _("Redo")
        )
        # Tool buttons stay short; the full text is in the Edit menu and the tooltip.
        self.undo_action.setIconText(_("Undo"))
        self.redo_action.setIconText(_("Redo"))

    def new_record(self) -> None:
        if not self.ctx.confirm_leave():
            return
        self.ctx.clear_list_selection()
        self.ctx.show_record(self.ctx.current_kind, None)
        form = self.ctx.current_form()
        first = next(iter(form.field_widgets.values()), None)
        if first is not None:
            first.setFocus()

    def new_session_from_template(self) -> None:
        kind, ids = self.ctx.current_selection()
        if kind != "session" or len(ids) != 1:
            return
        if not self.ctx.confirm_leave():
            return
        form: Any = self.ctx.forms["session"]
        self.ctx.clear_list_selection()
        form.load_template(ids[0])
        self.ctx.detail_stack.setCurrentWidget(form)
        self.ctx.show_modified(True)
        self.update()

    def save_record(self) -> bool:
        form = self.ctx.shown_form()
        return form.save() if form is not None else False

    def delete_records(self) -> None:
        kind, ids = self.ctx.current_selection()
        form = self.ctx.shown_form()
        if not ids and form is not None and form.record_id() is not None:
            ids = [form.record_id() or ""]
        if not ids:
            return
        model = self.ctx.models[kind]
        name = form.heading.text() if form is not None and form.record_id() == ids[0] else ""
        if not name:
            row = model.row_of(ids[0])
            name = str(model.data(model.index(row, 0))) if row >= 0 else ""
        Button = QMessageBox.StandardButton
        from desktop_app.services.usage import delete_question

        # Says what uses the records (sessions that cover a guide...) and what becomes of them.
        question = delete_question(self.ctx.library, kind, ids, name)
        answer = QMessageBox.question(
            self.ctx.window(), _("Delete"), question, Button.Yes | Button.No, Button.No
        )
        if answer != Button.Yes:
            return
        if form is not None and form.record_id() in ids:
            if not self.ctx.wait_for_save(form):
                return
            form.revert()  # its edits go with the record
        from desktop_app.ui.undo import DeleteCommand, delete_records, delete_text

        library, text = self.ctx.library, delete_text(len(ids), name)

        def done(result: tuple[dict[str, str], UserError | None]) -> None:
            versions, refusal = result
            if versions:
                self.ctx.undo_stack.push(
                    DeleteCommand(
                        library, kind, versions, text=text, notify=self.ctx.record_changed
                    )
                )
            for record_id in ids:
                self.ctx.record_changed(kind, record_id)
            if refusal is not None:
                self.ctx.report(refusal)

        self.ctx.writer.submit(
            text, lambda _progress: delete_records(library, kind, ids), on_done=done
        )

    def _history_allowed(self) -> bool:
        """Undo/redo replace what the library holds: unsaved form edits would be lost."""
        form = self.ctx.shown_form()
        if form is None or not form.is_dirty() or form.saving() is not None:
            return True  # a save on its way is taken first: the step queues behind it
        Button = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.ctx.window(),
            _("Unsaved changes"),
            _(
                "Undo and redo work on saved changes. Discard the unsaved changes to “{name}”?"
            ).format(name=form.heading.text()),
            Button.Discard | Button.Cancel,
            Button.Cancel,
        )
        if answer != Button.Discard:
            return False
        form.revert()
        return True

    def undo(self) -> None:
        # While writes wait, the step they will push may be the one to undo: queue it too.
        can = self.ctx.undo_stack.canUndo() or self.ctx.writer.is_busy()
        if can and self._history_allowed():
            self.ctx.undo_stack.undo()

    def redo(self) -> None:
        can = self.ctx.undo_stack.canRedo() or self.ctx.writer.is_busy()
        if can and self._history_allowed():
            self.ctx.undo_stack.redo()
