"""The base of every record form: load, edit, dirty tracking, validated save with undo.

A form works on the catalog's input dataclasses (`TeamData`, `GuideData`...): `populate()` puts
one into the widgets and `collect()` reads it back. The form is dirty when what the widgets
say differs from what was loaded, so typing a letter and deleting it again is not a change.

`save()` submits the catalog save to the window's one writer (`LibraryWriter`): behind a long
import it waits, and the form says so (fields locked, "Waiting for … to finish", the Save
button becomes "Cancel saving"). A `ValidationError` is shown next to the fields it names (a
red line under each field, keyed by the field name in `err.fields`); any other `UserError`
appears at the top of the form. Nothing is ever dropped silently, and no traceback reaches the
user. A successful save is pushed on the undo history.

The save names the version the form was loaded from; if the record was changed since (an
imported pack, a resolved conflict, an undo), nothing is overwritten: the form lists what
changed and offers to reload, or to keep the edits on screen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import StaleRecordError, UserError, ValidationError
from desktop_app.core.i18n import _
from desktop_app.core.progress import Cancelled
from desktop_app.services import catalog, listing
from desktop_app.storage.library import Library
from desktop_app.ui import appearance
from desktop_app.ui.forms.widgets import TableEditor
from desktop_app.ui.history import History
from desktop_app.ui.ops import show_failure, waiting_text
from desktop_app.ui.undo import LOADERS, Notify, SaveCommand, save_and_version
from desktop_app.ui.workers import LibraryWriter, SynchronousRunner, WriteOp

SAVING_SHOWN_AFTER_MS = 300  # a save that runs longer says "Saving…"
GENERAL = ""  # key of the error line at the top of the form


def _ignore(*_args: Any) -> None:
    return None


class RecordForm(QWidget):
    """Edit one record of `kind`; subclasses build the widgets and map data to them."""

    kind = ""
    # The form's scroll area. The name hides QWidget.scroll(dx, dy), which forms never use.
    scroll: QScrollArea  # type: ignore[assignment]
    dirtyChanged = Signal(bool)
    saved = Signal(str)
    loaded = Signal()  # after load()/load_draft(): a record (or a new one) is on screen

    def __init__(
        self,
        library: Library,
        *,
        undo_stack: History | None = None,
        writer: LibraryWriter | None = None,
        notify: Notify | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self.undo_stack = undo_stack
        if writer is None:  # a form on its own (tests): a writer of its own, inline
            writer = LibraryWriter(SynchronousRunner(), self)
            writer.report = lambda label, exc: show_failure(self, _("Cannot save"), exc)
        self.writer = writer
        self.notify: Notify = notify or _ignore
        self._id: str | None = None
        self._stored: Any = None  # the data as loaded from the library (None for a new record)
        self._version: str | None = None  # the stored version that `_stored` is
        self._saving: WriteOp | None = None
        self.field_labels: dict[str, str] = {}
        self._baseline: Any = None  # what collect() said right after loading
        self._dirty = False
        self._loading = False
        self.error_labels: dict[str, QLabel] = {}
        self.field_widgets: dict[str, QWidget] = {}

        self.heading = QLabel()
        appearance.set_font_scale(self.heading, 1.25, bold=True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.heading.setMinimumWidth(50)
        self.heading.setWordWrap(True)  # a long title at a large text size: two lines, not cut
        self.revision_label = QLabel()
        self.revision_label.setObjectName("revision_label")
        appearance.set_text_role(self.revision_label, "hint")
        header = QHBoxLayout()
        header.addWidget(self.heading, 1)
        header.addWidget(self.revision_label)

        self.general_error = self._error_label()
        self.error_labels[GENERAL] = self.general_error

        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(4, 4, 12, 4)
        self.form = self.new_form_layout()
        self.body_layout.addLayout(self.form)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        # Sideways only when the fields cannot fit (the largest text sizes): never cut off.
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.scroll.setWidget(self.body)

        self.save_button = QPushButton(_("Save"))
        self.save_button.setObjectName("form_save")
        self.revert_button = QPushButton(_("Discard changes"))
        self.save_button.clicked.connect(self._save_clicked)
        self.revert_button.clicked.connect(lambda: self.discard())
        footer = QHBoxLayout()
        footer.addStretch(1)
        footer.addWidget(self.revert_button)
        footer.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 4, 6)
        layout.addLayout(header)
        layout.addWidget(self.general_error)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(footer)

        self.build()
        self.body_layout.addStretch(1)
        self._update_buttons()
        self._references_stale = False
        if undo_stack is not None:
            # Undo and redo delete and bring back records that this form may refer to.
            undo_stack.indexChanged.connect(self._history_changed)

    # --- for subclasses ---------------------------------------------------------------------

    def build(self) -> None:
        """Create the fields (call `add_field` for each)."""
        raise NotImplementedError

    def empty_data(self) -> Any:
        raise NotImplementedError

    def populate(self, data: Any) -> None:
        raise NotImplementedError

    def collect(self) -> Any:
        """The data the widgets hold; raise `ValidationError` for input that cannot be read."""
        raise NotImplementedError

    def title_of(self, data: Any) -> str:
        raise NotImplementedError

    def new_title(self) -> str:
        raise NotImplementedError

    def refresh_references(self) -> None:
        """Re-read the names of the records the widgets refer to (a deleted one is marked),
        without changing the values; forms with references override this."""

    # --- references to other records --------------------------------------------------------

    def stale_labels(self, kind: str, live: dict[str, str], ids: Iterable[str]) -> dict[str, str]:
        """Labels for the ids among `ids` that are not in `live`: a deleted record's name
        marked as deleted, "(unknown record)" for one the library does not hold."""
        missing = [i for i in ids if i and i not in live]
        return listing.reference_labels(self.library, kind, missing) if missing else {}

    def _history_changed(self, _index: int) -> None:
        if self.isVisible():
            self._refresh_references()
        else:
            self._references_stale = True

    def showEvent(self, event: QShowEvent) -> None:
        if self._references_stale:
            self._refresh_references()
        super().showEvent(event)

    def _refresh_references(self) -> None:
        self._references_stale = False
        loading = self._loading
        self._loading = True  # new labels are no edit
        try:
            self.refresh_references()
        finally:
            self._loading = loading

    # --- building helpers -------------------------------------------------------------------

    @staticmethod
    def new_form_layout() -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        return form

    @staticmethod
    def _error_label() -> QLabel:
        label = QLabel()
        appearance.set_text_role(label, "error")
        label.setWordWrap(True)
        label.hide()
        return label

    def add_field(
        self,
        label: str,
        widget: QWidget,
        key: str | None = None,
        *,
        form: QFormLayout | None = None,
    ) -> QWidget:
        """Add a labelled field with an error line under it (keyed by `key`)."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        if key is not None:
            error = self._error_label()
            error.setObjectName(f"error_{key}")
            column.addWidget(error)
            self.error_labels[key] = error
            self.field_widgets[key] = widget
            self.field_labels[key] = label.rstrip(":：")
        (form or self.form).addRow(label, box)
        self.watch(widget)
        return box

    def watch(self, widget: QWidget) -> None:
        """Recompute the dirty flag whenever `widget` changes."""
        if isinstance(widget, (QLineEdit, QPlainTextEdit)):
            widget.textChanged.connect(self._edited)
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(self._edited)
        elif isinstance(widget, QDateTimeEdit):
            widget.dateTimeChanged.connect(self._edited)
        elif isinstance(widget, QCheckBox):
            widget.toggled.connect(self._edited)
        elif isinstance(widget, QSpinBox):
            widget.valueChanged.connect(self._edited)
        elif isinstance(widget, TableEditor):
            widget.changed.connect(self._edited)

    # --- state ------------------------------------------------------------------------------

    def record_id(self) -> str | None:
        return self._id

    def is_new(self) -> bool:
        return self._id is None

    def is_dirty(self) -> bool:
        return self._dirty

    def load(self, record_id: str | None) -> None:
        """Show a record from the library, or an empty new one for None."""
        another = record_id is None or record_id != self._id
        self._id = record_id
        if record_id is None:
            data = self.empty_data()
            self._stored = None
            self._version = None
        else:
            data = LOADERS[self.kind](self.library, record_id)
            self._stored = data
            self._version = catalog.current_version(self.library, self.kind, record_id)
        self._fill(data)
        self._baseline = self._collect_or_none()
        self.clear_errors()
        self._update_header(data)
        self._set_dirty(False)
        # Another record (or a new one) starts at its top, title in view; not where the
        # previous one was scrolled to. The same one reloaded (after a photo was removed)
        # stays where the user is.
        if another:
            self.scroll.verticalScrollBar().setValue(0)
        self.loaded.emit()

    def adopt_current_version(self) -> None:
        """The record's new version was made from this form (its photo grid): a save from the
        form builds on it rather than being refused as based on an older version."""
        if self._id is not None:
            self._version = catalog.current_version(self.library, self.kind, self._id)

    def load_draft(self, data: Any) -> None:
        """A new record prefilled with `data` (from a template): dirty until saved."""
        self.load(None)
        self._fill(data)
        self._edited()

    def revert(self) -> None:
        self.load(self._id)

    def discard(self) -> None:
        """The "Discard changes" button: back to what the library holds."""
        self.revert()

    def _fill(self, data: Any) -> None:
        self._loading = True
        try:
            self.populate(data)
        finally:
            self._loading = False
        # List editors changed their heights: lay the form out now, not after the first paint.
        self.body_layout.activate()

    def _collect_or_none(self) -> Any:
        try:
            return self.collect()
        except ValidationError:
            return None

    def _edited(self, *_args: Any) -> None:
        if self._loading:
            return
        current = self._collect_or_none()
        self._set_dirty(current is None or current != self._baseline)

    def _set_dirty(self, dirty: bool) -> None:
        changed = dirty != self._dirty
        self._dirty = dirty
        self._update_buttons()
        if changed:
            self.dirtyChanged.emit(dirty)

    def _update_buttons(self) -> None:
        if self._saving is not None:
            waiting = self._saving.state == WriteOp.WAITING
            self.save_button.setText(_("Cancel saving") if waiting else _("Save"))
            self.save_button.setEnabled(waiting)
            self.revert_button.setEnabled(False)
            return
        self.save_button.setText(_("Save"))
        self.save_button.setEnabled(self._dirty or self._id is None)
        self.revert_button.setEnabled(self._dirty)

    def _update_header(self, data: Any) -> None:
        if self._id is None:
            self.heading.setText(self.new_title())
            self.revision_label.setText(_("Not saved yet"))
        else:
            self.heading.setText(self.title_of(data))
            revision = catalog.revision_of(self.library, self.kind, self._id)
            self.revision_label.setText(_("Revision {n}").format(n=revision))

    # --- errors -----------------------------------------------------------------------------

    def clear_errors(self) -> None:
        for label in self.error_labels.values():
            label.clear()
            label.hide()

    def show_errors(self, fields: dict[str, str]) -> None:
        """Each message next to its field; a message for an unknown field at the top."""
        self.clear_errors()
        first: QWidget | None = None
        for key, message in fields.items():
            label = self.error_labels.get(key, self.general_error)
            text = f"{label.text()} {message}".strip() if label.text() else message
            label.setText(text)
            label.show()
            if first is None:
                first = self.field_widgets.get(key, label)
        if first is not None:
            self.scroll.ensureWidgetVisible(first)

    def error_text(self, key: str) -> str:
        label = self.error_labels.get(key)
        return label.text() if label is not None and not label.isHidden() else ""

    # --- saving ---------------------------------------------------------------------------

    def saving(self) -> WriteOp | None:
        """The save on its way to the library (waiting for another write, or running)."""
        return self._saving

    def _save_clicked(self) -> None:
        if self._saving is not None:
            self._saving.cancel()  # "Cancel saving": only while it waits
        else:
            self.save()

    def save(self) -> bool:
        """Validate and submit the save; False (errors shown) when refused.

        True once saved, or while the save waits its turn on the writer (`saving()`).
        """
        if self._saving is not None:
            return True
        self.clear_errors()
        try:
            data = self.collect()
        except ValidationError as err:
            self.show_errors(err.fields)
            return False
        library, kind, record_id = self.library, self.kind, self._id
        stored, expected = self._stored, self._version
        title = self.title_of(data)
        label = _("Save “{name}”").format(name=title)

        def op(_progress: Any) -> tuple[str, str]:
            return save_and_version(library, kind, data, record_id, expected)

        def done(result: tuple[str, str]) -> None:
            self._end_saving()
            saved_id, version = result
            if self.undo_stack is not None:
                if stored is None:
                    text = _("Create “{name}”").format(name=title)
                else:
                    text = _("Edit “{name}”").format(name=title)
                self.undo_stack.push(
                    SaveCommand(
                        library,
                        kind,
                        saved_id,
                        before=stored,
                        after=data,
                        version=version,
                        text=text,
                        notify=self.notify,
                    )
                )
            self._reload_after_save(saved_id, data)
            self.saved.emit(saved_id)

        def failed(exc: BaseException) -> bool:
            self._end_saving()
            if isinstance(exc, Cancelled):
                self.show_errors({GENERAL: _("Not saved: saving was cancelled.")})
            elif isinstance(exc, StaleRecordError):
                self._changed_underneath(exc)
            elif isinstance(exc, ValidationError):
                self.show_errors(exc.fields)
            elif isinstance(exc, UserError):
                self.show_errors({GENERAL: str(exc)})
            else:
                return False  # a bug: the writer logs it and says "internal error"
            return True

        write = self.writer.submit(label, op, on_done=done, on_error=failed)
        if write.is_pending():
            self._begin_saving(write)
            return True
        return write.state == WriteOp.DONE

    def _begin_saving(self, write: WriteOp) -> None:
        self._saving = write
        self._show_saving()
        write.started.connect(self._show_saving)

    def _show_saving(self) -> None:
        """Waiting behind another write: say so, and lock the fields (the save has their
        values). Running: a save takes milliseconds, so nothing flashes unless it takes long;
        what is typed meanwhile is kept (see `_reload_after_save`)."""
        write = self._saving
        if write is None:
            return
        waiting = write.state == WriteOp.WAITING
        self.body.setEnabled(not waiting)
        if waiting:
            self.revision_label.setText(waiting_text(self.writer, write))
        else:
            QTimer.singleShot(SAVING_SHOWN_AFTER_MS, lambda: self._still_saving(write))
        self._update_buttons()

    def _still_saving(self, write: WriteOp) -> None:
        if self._saving is write:
            self.revision_label.setText(_("Saving…"))

    def _reload_after_save(self, saved_id: str, saved: Any) -> None:
        """Show the saved record; edits typed while it was written stay, as unsaved edits."""
        typed = self._collect_or_none()
        self.load(saved_id)
        if typed is not None and typed != saved:
            self._fill(typed)
            self._edited()

    def _end_saving(self) -> None:
        if self._saving is None:
            return
        self._saving = None
        self.body.setEnabled(True)
        self.revision_label.setText(
            _("Not saved yet")
            if self._id is None
            else _("Revision {n}").format(n=catalog.revision_of(self.library, self.kind, self._id))
        )
        self._update_buttons()

    # --- changed underneath -----------------------------------------------------------------

    def changed_fields(self, newer: Any) -> list[str]:
        """Labels of the fields in which `newer` differs from the version this form loaded."""
        if self._stored is None or not dataclasses.is_dataclass(newer):
            return []
        names = []
        for f in dataclasses.fields(newer):
            if getattr(newer, f.name) != getattr(self._stored, f.name, None):
                names.append(self.field_labels.get(f.name, f.name))
        return names

    def _changed_underneath(self, err: StaleRecordError) -> None:
        """The record changed since it was loaded: offer to reload instead of overwriting."""
        record_id = self._id
        if record_id is None:
            self.show_errors({GENERAL: str(err)})
            return
        try:
            newer = LOADERS[self.kind](self.library, record_id)
        except UserError:  # deleted meanwhile
            self.show_errors({GENERAL: str(err)})
            return
        changed = self.changed_fields(newer)
        detail = (
            _("Changed: {fields}.").format(fields=_(", ").join(changed))
            if changed
            else _("Only its history changed.")
        )
        self.show_errors(
            {
                GENERAL: _(
                    "Not saved: this record was changed since you opened it. {detail}"
                ).format(detail=detail)
            }
        )
        Button = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self,
            _("Changed since you opened it"),
            _(
                "“{name}” was changed since you opened it (by an imported pack, a resolved "
                "conflict or an undo). {detail}\n\nReload it to see the newer version? Your "
                "unsaved edits are then discarded; choose No to keep them on screen."
            ).format(name=self.heading.text(), detail=detail),
            Button.Yes | Button.No,
            Button.Yes,
        )
        if answer == Button.Yes:
            self.load(record_id)
