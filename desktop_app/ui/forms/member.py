"""The model-worker form: name, honours (title + optional year), specialty, employer, phone."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QPlainTextEdit

from desktop_app.core.i18n import _
from desktop_app.services import catalog
from desktop_app.ui.forms.base import RecordForm
from desktop_app.ui.forms.widgets import Col, TableEditor


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
        self.add_field(_("Name"), self.name_edit, "name")
        self.add_field(_("Honours"), self.honours, "honours")
        self.add_field(_("Specialty"), self.specialty_edit, "specialty")
        self.add_field(_("Employer"), self.employer_edit, "employer")
        self.add_field(_("Phone"), self.phone_edit, "phone")
        self.add_field(_("Notes"), self.notes_edit, "notes")
        self._portrait_id: str | None = None

    def empty_data(self) -> catalog.MemberData:
        return catalog.MemberData(name="")

    def populate(self, data: catalog.MemberData) -> None:
        self.name_edit.setText(data.name)
        self.honours.set_rows([{"title": h.title, "year": h.year} for h in data.honours])
        self.specialty_edit.setText(data.specialty)
        self.employer_edit.setText(data.employer)
        self.phone_edit.setText(data.phone)
        self.notes_edit.setPlainText(data.notes)
        # The portrait is kept as it is until the photo pipeline provides a picker.
        self._portrait_id = data.portrait_photo_id

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
