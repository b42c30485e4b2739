"""The model-worker form: name, honours (title + optional year), specialty, employer, phone,
and a portrait.

Picking a portrait imports the image into the photo store in the background (the photo
pipeline checks and copies it) and shows its thumbnail; the member points at it once the form
is saved, so the change is undoable like any other edit and works for a member not saved yet.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.core.progress import Progress
from desktop_app.services import catalog, listing
from desktop_app.ui import appearance, file_dialogs
from desktop_app.ui.forms.base import RecordForm
from desktop_app.ui.forms.widgets import Col, TableEditor
from desktop_app.ui.workers import BackgroundRunner, SynchronousRunner

log = logging.getLogger(__name__)
PORTRAIT_EDGE = 120
IMAGE_FILTER = "*.jpg *.jpeg *.png *.tif *.tiff *.webp *.heic *.heif"


def choose_image(parent: QWidget | None) -> str:
    """The image file the user picked, or "" (tests monkeypatch this)."""
    files = file_dialogs.open_files(
        parent,
        _("Choose a portrait"),
        _("Images ({patterns})").format(patterns=IMAGE_FILTER),
        many=False,
    )
    return files[0] if files else ""


def _import_portrait(library: Any, path: str, progress: Progress) -> tuple[str, str, str | None]:
    from desktop_app.services import photos

    (result,) = photos.import_photos(library, [Path(path)], photos.ImportTarget(), progress)
    return result.status, result.reason, result.photo_id


def _thumbnail(library: Any, photo_id: str) -> str:
    from desktop_app.services import photos

    return str(photos.thumbnail_file(library, photo_id))


class PortraitLabel(QLabel):
    """The portrait thumbnail; an image file dropped on it from the file manager is used."""

    fileDropped = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)

    @staticmethod
    def _local_file(event: QDragEnterEvent | QDropEvent) -> str | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        files = [u.toLocalFile() for u in urls if u.isLocalFile()]
        return files[0] if len(files) == 1 and Path(files[0]).is_file() else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._local_file(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._local_file(event)
        if path:
            event.acceptProposedAction()
            self.fileDropped.emit(path)


class MemberForm(RecordForm):
    kind = "member"

    def build(self) -> None:
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("member_name")
        self.honours = TableEditor(
            [Col("title", _("Honour"), stretch=True), Col("year", _("Year"), "int")],
            add_text=_("Add honour"),
        )
        self.specialty_edit = QLineEdit()
        self.employer_edit = QLineEdit()
        self.phone_edit = QLineEdit()
        self.phone_edit.setPlaceholderText(_("e.g. 010-12345678 or 138 0000 0000"))
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setMaximumHeight(110)
        self.add_field(_("Full name"), self.name_edit, "name")
        self.add_field(_("Honours"), self.honours, "honours")
        self.add_field(_("Specialty"), self.specialty_edit, "specialty")
        self.add_field(_("Employer"), self.employer_edit, "employer")
        self.add_field(_("Phone"), self.phone_edit, "phone")
        self.add_field(_("Notes"), self.notes_edit, "notes")
        # Read-only: memberships are edited on the team's form (its member list).
        self.teams_label = QLabel()
        self.teams_label.setObjectName("member_teams")
        self.teams_label.setWordWrap(True)
        self.teams_label.setToolTip(_("Add or remove members on the team's form."))
        self.form.addRow(_("Teams"), self.teams_label)
        self.runner: BackgroundRunner = SynchronousRunner()  # the window gives its own
        self._portrait_id: str | None = None
        self.portrait_label = PortraitLabel()
        self.portrait_label.fileDropped.connect(self.import_portrait)
        self.portrait_label.setToolTip(_("Choose a picture, or drop one here."))
        self.portrait_label.setObjectName("portrait")
        self.portrait_label.setFixedSize(PORTRAIT_EDGE, PORTRAIT_EDGE)
        self.portrait_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        appearance.set_text_role(self.portrait_label, "missing", "border: 1px solid palette(mid);")
        self.portrait_label.setWordWrap(True)
        self.choose_portrait = QPushButton(_("Choose picture…"))
        self.remove_portrait = QPushButton(_("Remove picture"))
        self.choose_portrait.clicked.connect(self.pick_portrait)
        self.remove_portrait.clicked.connect(lambda: self._set_portrait(None))
        buttons = QVBoxLayout()
        buttons.addWidget(self.choose_portrait)
        buttons.addWidget(self.remove_portrait)
        buttons.addStretch(1)
        portrait_row = QWidget()
        row = QHBoxLayout(portrait_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.portrait_label)
        row.addLayout(buttons)
        row.addStretch(1)
        self.add_field(_("Portrait"), portrait_row, "portrait")

    # --- portrait ---------------------------------------------------------------------------

    def pick_portrait(self) -> None:
        path = choose_image(self)
        if path:
            self.import_portrait(path)

    def import_portrait(self, path: str) -> None:
        """Import the picture at `path` in the background and show it as the portrait."""
        self.error_labels["portrait"].hide()
        self.choose_portrait.setEnabled(False)
        self.portrait_label.setText(_("Importing…"))
        library = self.library
        self.writer.submit(
            _("Import the picture"),
            lambda progress: _import_portrait(library, path, progress),
            on_done=self._portrait_imported,
            on_error=self._portrait_failed,
        )

    def _portrait_imported(self, outcome: tuple[str, str, str | None]) -> None:
        self.choose_portrait.setEnabled(True)
        status, reason, photo_id = outcome
        if photo_id is None:
            self._show_portrait()
            self.show_errors({"portrait": reason or status})
            return
        self._set_portrait(photo_id)

    def _portrait_failed(self, exc: BaseException) -> bool:
        self.choose_portrait.setEnabled(True)
        self._show_portrait()
        if isinstance(exc, UserError):
            message = str(exc)
        else:
            log.error("portrait import failed", exc_info=exc)
            message = _("Internal error while importing the picture; see the log file.")
        self.show_errors({"portrait": message})
        return True

    def _set_portrait(self, photo_id: str | None) -> None:
        self._portrait_id = photo_id
        self._show_portrait()
        self._edited()

    def _show_portrait(self) -> None:
        photo_id = self._portrait_id
        self.remove_portrait.setEnabled(photo_id is not None)
        self.portrait_label.setPixmap(QPixmap())
        if photo_id is None:
            self.portrait_label.setText(_("No picture"))
            return
        self.portrait_label.setText(_("Loading…"))

        def shown(path: str) -> None:
            if self._portrait_id != photo_id:
                return  # another portrait was chosen meanwhile
            pixmap = QPixmap(path)
            if pixmap.isNull():
                self.portrait_label.setText(_("Picture cannot be shown"))
                return
            self.portrait_label.setPixmap(
                pixmap.scaled(
                    PORTRAIT_EDGE - 2,
                    PORTRAIT_EDGE - 2,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

        def failed(exc: BaseException) -> None:
            if self._portrait_id == photo_id:
                self.portrait_label.setText(_("Picture cannot be shown"))

        self.runner.run(
            lambda _progress: _thumbnail(self.library, photo_id), on_done=shown, on_error=failed
        )

    def empty_data(self) -> catalog.MemberData:
        return catalog.MemberData(name="")

    def populate(self, data: catalog.MemberData) -> None:
        self.name_edit.setText(data.name)
        self.honours.set_rows([{"title": h.title, "year": h.year} for h in data.honours])
        self.specialty_edit.setText(data.specialty)
        self.employer_edit.setText(data.employer)
        self.phone_edit.setText(data.phone)
        self.notes_edit.setPlainText(data.notes)
        self._portrait_id = data.portrait_photo_id
        self._show_portrait()
        teams = listing.teams_of_member(self.library, self._id) if self._id else []
        self.teams_label.setText("、".join(teams) if teams else _("Not in a team yet"))

    def collect(self) -> catalog.MemberData:
        honours = []
        for row in self.honours.rows():
            title = str(row.get("title") or "")
            year = row.get("year")
            if not title.strip() and year is None:
                continue  # a blank row the user added and left empty
            honours.append(catalog.Honour(title, year if isinstance(year, int) else None))
        return catalog.MemberData(
            name=self.name_edit.text(),
            honours=honours,
            specialty=self.specialty_edit.text(),
            employer=self.employer_edit.text(),
            phone=self.phone_edit.text(),
            notes=self.notes_edit.toPlainText(),
            portrait_photo_id=self._portrait_id,
        )

    def title_of(self, data: catalog.MemberData) -> str:
        return data.name.strip() or _("(no name)")

    def new_title(self) -> str:
        return _("New model worker")
