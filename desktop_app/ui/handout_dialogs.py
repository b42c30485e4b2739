"""What the user is asked before a handout is made: which one, on what paper, where to.

The kinds of handout (`GUIDE`, `REPORT`, ... with their labels) and the dialogs of
`handout_actions`: `ExportDialog` (kind, paper, file, a report's photos), `PhotoChoiceDialog`
(which photos a session report prints, in order) and `BookletDialog` (which guides a booklet
holds, in order, and its title). They only ask; `handout_actions` builds and prints.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.i18n import N_, _
from desktop_app.services import handouts
from desktop_app.ui import appearance, pack_dialogs

GUIDE, REPORT, PACK, BOOKLET = "guide", "report", "pack", "booklet"
SIGNIN, FEEDBACK = "signin", "feedback"
KIND_LABELS = {
    GUIDE: N_("Guide handout"),
    REPORT: N_("Session report (for the union's records)"),
    PACK: N_("Take-home pack (cover and every guide covered)"),
    BOOKLET: N_("Guide booklet"),
    SIGNIN: N_("Sign-in sheet (blank, with the session's code)"),
    FEEDBACK: N_("Feedback form for trainees (blank, with the session's code)"),
}
SESSION_KINDS = [REPORT, PACK, SIGNIN, FEEDBACK]


# --- dialogs --------------------------------------------------------------------------------


class PaperBox(QComboBox):
    def __init__(self, paper: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paper")
        self.addItem(_("A4 (standard)"), "A4")
        self.addItem(_("A5 (booklet size)"), "A5")
        self.setCurrentIndex(max(0, self.findData(paper)))

    def paper(self) -> str:
        return str(self.currentData())


class PathRow(pack_dialogs.PathRow):
    """The PDF's file name with a "Choose…" button (a pack's path row, for a PDF)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _("Save the PDF as"), _("PDF files (*.pdf)"), ".pdf")


class ExportDialog(QDialog):
    """Which document (for a session), which paper, and where (export) — or just print."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        choices: list[str],
        paper: str,
        target: Path | None,
        printing: bool,
        photos: list[handouts.PhotoChoice] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Print") if printing else _("Export PDF"))
        form = QFormLayout()
        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[str, QRadioButton] = {}
        if len(choices) > 1:
            column = QVBoxLayout()
            for i, kind in enumerate(choices):
                button = QRadioButton(_(KIND_LABELS[kind]))
                button.setObjectName(f"kind_{kind}")
                button.setChecked(i == 0)
                self.kind_group.addButton(button, i)
                self.kind_buttons[kind] = button
                column.addWidget(button)
            form.addRow(_("Document:"), column)
        else:
            form.addRow(_("Document:"), QLabel(_(KIND_LABELS[choices[0]])))
        self.choices = choices
        # A session report's photos: all in the session's order until the user chooses.
        self.photos = photos or []
        self.photo_ids: list[str] | None = None
        self.photos_label: QLabel | None = None
        self.photos_button: QPushButton | None = None
        if REPORT in choices and self.photos:
            self.photos_label = QLabel()
            self.photos_label.setObjectName("photos_summary")
            self.photos_button = QPushButton(_("Choose photos…"))
            self.photos_button.setObjectName("choose_photos")
            self.photos_button.clicked.connect(self.choose_photos)
            row = QHBoxLayout()
            row.addWidget(self.photos_label, 1)
            row.addWidget(self.photos_button)
            form.addRow(_("Photos in the report:"), row)
            self.kind_group.buttonToggled.connect(lambda *_a: self._photos_enabled())
            self._show_photo_count()
            self._photos_enabled()
        self.paper_box = PaperBox(paper)
        form.addRow(_("Paper:"), self.paper_box)
        self.path_row: PathRow | None = None
        if not printing and target is not None:
            self.path_row = PathRow(target)
            form.addRow(_("File:"), self.path_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(_("Preview…") if printing else _("Export"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _photos_enabled(self) -> None:
        if self.photos_button is not None and self.photos_label is not None:
            on = self.kind() == REPORT
            self.photos_button.setEnabled(on)
            self.photos_label.setEnabled(on)

    def _show_photo_count(self) -> None:
        if self.photos_label is None:
            return
        total = len(self.photos)
        if self.photo_ids is None:
            text = _("All {n}, in the session's order").format(n=total)
        else:
            text = _("{n} of {total}").format(n=len(self.photo_ids), total=total)
        self.photos_label.setText(text)

    def choose_photos(self) -> None:
        dialog = PhotoChoiceDialog(self, self.photos, self.photo_ids)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            chosen = dialog.chosen_ids()
            everything = [p.id for p in self.photos]
            self.photo_ids = None if chosen == everything else chosen
            self._show_photo_count()

    def kind(self) -> str:
        for kind, button in self.kind_buttons.items():
            if button.isChecked():
                return kind
        return self.choices[0]

    def target(self) -> Path | None:
        return self.path_row.path() if self.path_row else None


class OrderedChecklist(QWidget):
    """A list to tick and put in order: Space ticks, Move up / Move down (Ctrl+↑ / Ctrl+↓)."""

    def __init__(self, items: list[tuple[str, str, bool]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("items")
        self.list.setDragDropMode(QListWidget.DragDropMode.InternalMove)
        for key, text, checked in items:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        up = QPushButton(_("Move up"))
        up.setObjectName("up")
        down = QPushButton(_("Move down"))
        down.setObjectName("down")
        up.clicked.connect(lambda: self.move(-1))
        down.clicked.connect(lambda: self.move(1))
        self.list.installEventFilter(self)
        every = QPushButton(_("Tick all"))
        every.setObjectName("all")
        every.clicked.connect(lambda: self.tick_all(True))
        none = QPushButton(_("Tick none"))
        none.setObjectName("none")
        none.clicked.connect(lambda: self.tick_all(False))
        side = QVBoxLayout()
        for button in (up, down, every, none):
            side.addWidget(button)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(side)

    # Named as the buttons say it; Qt's move(x, y) is never used on this widget.
    def move(self, delta: int) -> None:  # type: ignore[override]
        row = self.list.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Ctrl+↑ / Ctrl+↓ move the current item; plain arrows still move the selection.
        if (
            watched is self.list
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            delta = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1}.get(Qt.Key(event.key()))
            if delta is not None:
                self.move(delta)
                return True
        return super().eventFilter(watched, event)

    def tick_all(self, checked: bool) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        for row in range(self.list.count()):
            self.list.item(row).setCheckState(state)

    def chosen(self) -> list[str]:
        out = []
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out


class PhotoChoiceDialog(QDialog):
    """Which of a session's photos go into its report, and in what order."""

    def __init__(
        self,
        parent: QWidget | None,
        photos: list[handouts.PhotoChoice],
        chosen: list[str] | None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Photos in the report"))
        self.resize(560, 440)
        by_id = {p.id: p for p in photos}
        # The chosen ones first, in their order, then the others in the session's order.
        order = [i for i in chosen if i in by_id] if chosen is not None else []
        order += [p.id for p in photos if p.id not in order]
        ticked = set(chosen) if chosen is not None else set(by_id)
        self.checklist = OrderedChecklist(
            [(i, self.describe(by_id[i]), i in ticked) for i in order], self
        )
        self.list = self.checklist.list
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("OK"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        hint = QLabel(
            _(
                "Tick the photos to print (Space) and put them in order (Ctrl+↑ / Ctrl+↓). "
                "They print in this order, each with its caption and time."
            )
        )
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.checklist, 1)
        layout.addWidget(buttons)
        self.list.setFocus()

    @staticmethod
    def describe(photo: handouts.PhotoChoice) -> str:
        parts = [photo.label]
        if photo.taken:
            parts.append(_("taken {when}").format(when=photo.taken))
        text = " · ".join(parts)
        if photo.days_off is not None:
            text = (
                "⚠ " + text + "  " + _("({days} days from the session)").format(days=photo.days_off)
            )
        return text

    def chosen_ids(self) -> list[str]:
        return self.checklist.chosen()


class BookletDialog(QDialog):
    """Pick guides, put them in order, give the booklet a title; then export or print."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        guides: list[tuple[str, str]],
        selected: list[str],
        paper: str,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Booklet from selected guides"))
        self.resize(520, 480)
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("title")
        self.title_edit.setPlaceholderText(_("e.g. Pruning flowering shrubs"))
        self.list = QListWidget()
        self.list.setObjectName("guides")
        self.list.setDragDropMode(QListWidget.DragDropMode.InternalMove)
        titles = dict(guides)
        # Chosen guides first, in the order they were selected, then the others.
        ordered = [g for g in selected if g in titles] + [
            g for g, _t in guides if g not in selected
        ]
        for guide_id in ordered:
            item = QListWidgetItem(titles[guide_id])
            item.setData(Qt.ItemDataRole.UserRole, guide_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = guide_id in selected
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        up = QPushButton(_("Move up"))
        up.setObjectName("up")
        down = QPushButton(_("Move down"))
        down.setObjectName("down")
        up.clicked.connect(lambda: self.move(-1))
        down.clicked.connect(lambda: self.move(1))
        side = QVBoxLayout()
        side.addWidget(up)
        side.addWidget(down)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.list, 1)
        middle.addLayout(side)
        self.paper_box = PaperBox(paper)
        form = QFormLayout()
        form.addRow(_("Title:"), self.title_edit)
        form.addRow(_("Paper:"), self.paper_box)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(
            _("Export PDF…"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.print_button = self.buttons.addButton(
            _("Print…"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.printing = False
        self.export_button.clicked.connect(lambda: self._finish(False))
        self.print_button.clicked.connect(lambda: self._finish(True))
        self.buttons.rejected.connect(self.reject)
        self.message = QLabel()
        self.message.setObjectName("message")
        appearance.set_text_role(self.message, "alert")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(_("Tick the guides to include and put them in order:")))
        layout.addLayout(middle, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    # Named as the buttons say it; Qt's move(x, y) is never used on this widget.
    def move(self, delta: int) -> None:  # type: ignore[override]
        row = self.list.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)

    def chosen_ids(self) -> list[str]:
        ids = []
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                ids.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return ids

    def title(self) -> str:
        return self.title_edit.text().strip()

    def _finish(self, printing: bool) -> None:
        if not self.chosen_ids():
            self.message.setText(_("Tick at least one guide."))
            return
        if not self.title():
            self.message.setText(_("Give the booklet a title."))
            self.title_edit.setFocus()
            return
        self.printing = printing
        self.accept()
