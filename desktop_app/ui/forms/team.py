"""The service-team form: name, category, union, description, expertise and members with roles."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit

from desktop_app.core.i18n import _
from desktop_app.services import catalog, listing
from desktop_app.services.labels import TEAM_CATEGORY_LABELS, TEAM_ROLE_LABELS, label
from desktop_app.storage.enums import TeamCategory, TeamRole
from desktop_app.ui.forms import widgets
from desktop_app.ui.forms.base import RecordForm
from desktop_app.ui.forms.widgets import Col, StringListEditor, TableEditor


class TeamForm(RecordForm):
    kind = "team"

    def build(self) -> None:
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("team_name")
        self.category_combo = QComboBox()
        for value in TeamCategory:
            self.category_combo.addItem(label(TEAM_CATEGORY_LABELS, value), value.value)
        self.union_edit = QLineEdit()
        self.union_edit.setPlaceholderText(_("e.g. 丰台区总工会"))
        self.size_edit = QLineEdit()
        self.size_edit.setPlaceholderText(_("e.g. 10 members"))
        self.description_edit = QPlainTextEdit()
        self.description_edit.setMinimumHeight(70)
        self.description_edit.setMaximumHeight(110)
        self.expertise = StringListEditor(_("Expertise area"))
        self.members = TableEditor(
            [
                Col("member_id", _("Member"), "choice", stretch=True),
                Col("role", _("Role"), "choice"),
            ],
            on_add=self._pick_members,
            add_text=_("Add members…"),
            min_rows=3,
        )
        self.members.setObjectName("team_members")

        self.add_field(_("Name"), self.name_edit, "name")
        self.add_field(_("Category"), self.category_combo, "category")
        self.add_field(_("Union"), self.union_edit, "parent_union")
        self.add_field(_("Headcount"), self.size_edit, "member_count_note")
        self.add_field(_("Description"), self.description_edit, "description")
        self.add_field(_("Expertise"), self.expertise, "expertise")
        self.add_field(_("Team members"), self.members, "members")

    def _member_options(self) -> dict[str, str]:
        return listing.display_names(self.library, "member")

    def _pick_members(self) -> list[dict[str, Any]]:
        present = [str(r["member_id"]) for r in self.members.rows()]
        picked = widgets.pick_records(
            self, _("Add members"), self._member_options(), exclude=present
        )
        return [{"member_id": mid, "role": TeamRole.MEMBER.value} for mid in picked]

    def empty_data(self) -> catalog.TeamData:
        return catalog.TeamData(name="", category=TeamCategory.TECHNICAL.value)

    def populate(self, data: catalog.TeamData) -> None:
        self.members.model.options = {
            "member_id": self._member_options(),
            "role": {r.value: label(TEAM_ROLE_LABELS, r) for r in TeamRole},
        }
        self.name_edit.setText(data.name)
        self.category_combo.setCurrentIndex(max(0, self.category_combo.findData(data.category)))
        self.union_edit.setText(data.parent_union)
        self.size_edit.setText(data.member_count_note)
        self.description_edit.setPlainText(data.description)
        self.expertise.set_values(data.expertise)
        self.members.set_rows([{"member_id": m.member_id, "role": m.role} for m in data.members])

    def collect(self) -> catalog.TeamData:
        return catalog.TeamData(
            name=self.name_edit.text(),
            category=str(self.category_combo.currentData()),
            parent_union=self.union_edit.text(),
            description=self.description_edit.toPlainText(),
            expertise=self.expertise.values(),
            member_count_note=self.size_edit.text(),
            members=[
                catalog.Membership(str(r["member_id"]), str(r["role"])) for r in self.members.rows()
            ],
        )

    def title_of(self, data: catalog.TeamData) -> str:
        return data.name.strip() or _("(no name)")

    def new_title(self) -> str:
        return _("New service team")
