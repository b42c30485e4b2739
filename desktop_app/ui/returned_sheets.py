"""File ▸ Enter returned sheets…: head counts and trainee quotes from the paper, quickly.

After a session the sign-in sheets and feedback forms come back. This dialog asks only for
what they hold — how many people of each participant group signed in, and what trainees wrote
— without scrolling through the whole session form, and works from the keyboard alone: Tab
moves from count to count and on to the quotes, Ctrl+Enter adds another quote row, Enter
saves. Saving goes through the catalog like any edit and is pushed on the window's undo stack,
so Ctrl+Z takes it back.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.services import catalog
from desktop_app.services.session_code import session_code
from desktop_app.ui import appearance, text_fit

if TYPE_CHECKING:
    from desktop_app.ui.extensions import WindowContext

NOT_COUNTED = -1  # the spin box's "not counted" value (a group whose count is unknown)
MAX_COUNT = 100_000


class QuoteRow(QWidget):
    """One quote from a feedback form: what was written, and (optionally) who wrote it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLineEdit()
        self.text.setObjectName("quote_text")
        self.text.setPlaceholderText(_("What the trainee wrote"))
        self.speaker = QLineEdit()
        self.speaker.setObjectName("quote_speaker")
        self.speaker.setPlaceholderText(_("Name (optional)"))
        self.role = QLineEdit()
        self.role.setObjectName("quote_role")
        self.role.setPlaceholderText(_("Group or job (optional)"))
        for edit in (self.speaker, self.role):
            text_fit.fit_placeholder(edit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 3)
        layout.addWidget(self.speaker, 1)
        layout.addWidget(self.role, 1)

    def value(self) -> catalog.FeedbackData | None:
        text = self.text.text().strip()
        if not text:
            return None
        return catalog.FeedbackData(text, self.speaker.text().strip(), self.role.text().strip())


class ReturnedSheetsDialog(QDialog):
    """Counts per group and new quotes for one session; `result_data()` is what to save."""

    def __init__(self, parent: QWidget | None, data: catalog.SessionData, code: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Enter returned sheets"))
        self.data = data
        title = QLabel(
            _("{theme} · session code {code}").format(
                theme=data.theme or data.venue or _("(untitled)"), code=code
            )
        )
        title.setObjectName("sheet_title")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        counts_box = QGroupBox(_("Signed in, by group (from the sign-in sheets)"))
        form = QFormLayout(counts_box)
        self.counts: list[QSpinBox] = []
        for group in data.groups:
            spin = QSpinBox()
            spin.setObjectName("count")
            spin.setRange(NOT_COUNTED, MAX_COUNT)
            spin.setSpecialValueText(_("not counted"))
            spin.setValue(NOT_COUNTED if group.count is None else group.count)
            spin.setSuffix(_(" people"))
            self.counts.append(spin)
            form.addRow(group.name + "：", spin)
        self.new_group = QLineEdit()
        self.new_group.setObjectName("new_group")
        self.new_group.setPlaceholderText(_("Another group, if someone not listed signed in"))
        text_fit.fit_placeholder(self.new_group)
        self.new_count = QSpinBox()
        self.new_count.setObjectName("new_count")
        self.new_count.setRange(0, MAX_COUNT)
        self.new_count.setSuffix(_(" people"))
        extra = QHBoxLayout()
        extra.addWidget(self.new_group, 1)
        extra.addWidget(self.new_count)
        form.addRow(_("New group:"), extra)

        quotes_box = QGroupBox(_("Quotes from the feedback forms (Ctrl+Enter adds a row)"))
        self.quotes_layout = QVBoxLayout(quotes_box)
        self.quotes: list[QuoteRow] = []
        add = QPushButton(_("Add a quote"))
        add.setObjectName("add_quote")
        add.setAutoDefault(False)
        add.clicked.connect(self.add_quote)
        self.quotes_layout.addWidget(add)
        self.add_quote(focus=False)

        self.message = QLabel()
        self.message.setObjectName("message")
        appearance.set_text_role(self.message, "alert")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(counts_box)
        layout.addWidget(quotes_box)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        if self.counts:
            self.counts[0].setFocus()
            self.counts[0].selectAll()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Ctrl+Enter adds a quote row (Enter alone saves, as the default button).
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.add_quote()
            event.accept()
            return
        super().keyPressEvent(event)

    def add_quote(self, focus: bool = True) -> None:
        row = QuoteRow(self)
        self.quotes.append(row)
        self.quotes_layout.insertWidget(self.quotes_layout.count() - 1, row)
        if focus:
            row.text.setFocus()

    def result_data(self) -> catalog.SessionData:
        """The session as loaded, with the counts entered and the quotes added."""
        data = copy.deepcopy(self.data)
        for group, spin in zip(data.groups, self.counts, strict=True):
            group.count = None if spin.value() == NOT_COUNTED else spin.value()
        name = " ".join(self.new_group.text().split())
        if name:
            data.groups.append(catalog.GroupData(name, self.new_count.value()))
        data.feedback += [q for q in (row.value() for row in self.quotes) if q is not None]
        return data


def enter_returned_sheets(ctx: WindowContext, session_id: str) -> bool:
    """Open the dialog for a session and save what was entered; True when a save was submitted
    (the window's writer runs it, and shows a refusal as a sentence)."""
    from desktop_app.ui.undo import SaveCommand, save_and_version

    form = ctx.shown_form()
    if form is not None and form.record_id() == session_id and form.is_dirty():
        ctx.report(UserError(_("Save or discard the changes to this session first.")))
        return False
    library = ctx.library
    try:
        before = catalog.load_session(library, session_id)
        # What the entries are based on: a change made meanwhile (a pack import, another
        # window) is not silently replaced; the save is refused with a plain sentence.
        version = catalog.current_version(library, "session", session_id)
    except UserError as err:
        ctx.report(err)
        return False
    dialog = ReturnedSheetsDialog(ctx.window(), before, session_code(session_id))
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    after = dialog.result_data()
    if after == before:
        return False
    label = _("Enter returned sheets")

    def op(_progress: Any) -> tuple[str, str]:
        # On the library's one writer, like every save from the window.
        return save_and_version(library, "session", after, session_id, version)

    def done(result: tuple[str, str]) -> None:
        _saved_id, made = result
        ctx.undo_stack.push(
            SaveCommand(
                library,
                "session",
                session_id,
                before=before,
                after=after,
                version=made,
                text=label,
                notify=ctx.record_changed,
            )
        )
        ctx.record_changed("session", session_id)
        ctx.show_status(_("Head counts and quotes saved."), 8000)

    refused: list[UserError] = []

    def failed(exc: BaseException) -> bool:
        if isinstance(exc, UserError):  # e.g. the session changed meanwhile: one sentence
            refused.append(exc)
            ctx.report(exc)
            return True
        return False

    ctx.writer.submit(label, op, on_done=done, on_error=failed)
    return not refused  # (a queued save that is refused later is reported then)
