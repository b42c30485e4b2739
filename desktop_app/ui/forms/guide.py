"""The practical-guide form: what the problem is, when, with what, and the ordered steps.

Steps are a list that can be reordered by dragging or with the Up/Down buttons; the selected
step's text is edited in the box under the list. Step photos travel with their step (the photo
grid for steps is added by the photo feature).
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGroupBox, QLineEdit, QPlainTextEdit, QVBoxLayout

from desktop_app.core.i18n import _
from desktop_app.services import catalog, listing
from desktop_app.ui.forms import widgets
from desktop_app.ui.forms.base import RecordForm
from desktop_app.ui.forms.widgets import Col, StringListEditor, TableEditor

TAG_SPLIT = re.compile(r"[,，、;；]+")


class GuideForm(RecordForm):
    kind = "guide"

    def build(self) -> None:
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("guide_title")
        self.category_edit = QLineEdit()
        self.category_edit.setPlaceholderText(_("e.g. 生物防治, 修剪"))
        self.problem_edit = QPlainTextEdit()
        self.problem_edit.setMinimumHeight(80)
        self.problem_edit.setMaximumHeight(140)
        self.season_edit = QLineEdit()
        self.season_edit.setPlaceholderText(_("When to do it, e.g. 6月至9月"))
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText(_("Separate tags with commas"))
        self.team_combo = QComboBox()
        self.authors = TableEditor(
            [Col("member_id", _("Author"), "choice", stretch=True)],
            on_add=self._pick_authors,
            add_text=_("Add authors…"),
            min_rows=1,
            max_rows=5,
        )
        self.authors.view.horizontalHeader().setVisible(False)
        self.authors._fit_height()

        self.add_field(_("Title"), self.title_edit, "title")
        self.add_field(_("Category"), self.category_edit, "category")
        self.add_field(_("Problem"), self.problem_edit, "problem")
        self.add_field(_("Season"), self.season_edit, "season")
        self.add_field(_("Tags"), self.tags_edit, "tags")
        self.add_field(_("Team"), self.team_combo, "team_id")
        self.add_field(_("Authors"), self.authors, "authors")

        # Steps: the list, then the selected step's text.
        self.steps = TableEditor(
            [
                Col("text", _("Step"), editable=False, stretch=True),
                Col("photos", _("Photos"), "int", editable=False),
            ],
            add_text=_("Add step"),
            min_rows=4,
            max_rows=10,
        )
        self.steps.setObjectName("guide_steps")
        self.steps.view.setEditTriggers(self.steps.view.EditTrigger.NoEditTriggers)
        self.step_text = QPlainTextEdit()
        self.step_text.setObjectName("step_text")
        self.step_text.setPlaceholderText(_("Select a step, then write what to do here."))
        self.step_text.setMinimumHeight(70)
        self.step_text.setMaximumHeight(120)
        self.step_text.setEnabled(False)
        steps_box = QGroupBox(_("Steps"))
        steps_layout = QVBoxLayout(steps_box)
        steps_layout.addWidget(self.steps)
        steps_layout.addWidget(self.step_text)
        self.steps_error = self._error_label()
        self.steps_error.setObjectName("error_steps")
        steps_layout.addWidget(self.steps_error)
        self.error_labels["steps"] = self.steps_error
        self.field_widgets["steps"] = self.steps
        self.body_layout.addWidget(steps_box)
        self.steps.changed.connect(self._edited)
        self.steps.view.selectionModel().currentRowChanged.connect(self._show_step)
        self.steps.model.modelReset.connect(lambda: self._show_step())
        self.step_text.textChanged.connect(self._step_text_edited)
        self.steps.add_button.clicked.connect(self._focus_step_text)

        lists_box = QGroupBox(_("Materials, key points and cautions"))
        lists_form = self.new_form_layout()
        lists_box.setLayout(lists_form)
        self.materials = StringListEditor(_("Material or tool"))
        self.key_points = StringListEditor(_("Key point"))
        self.safety_notes = StringListEditor(_("Safety note"))
        self.common_mistakes = StringListEditor(_("Common mistake"))
        self.add_field(_("Materials and tools"), self.materials, "materials", form=lists_form)
        self.add_field(_("Key points"), self.key_points, "key_points", form=lists_form)
        self.add_field(_("Safety notes"), self.safety_notes, "safety_notes", form=lists_form)
        self.add_field(
            _("Common mistakes"), self.common_mistakes, "common_mistakes", form=lists_form
        )
        self.body_layout.addWidget(lists_box)
        self._is_demo = False
        self._showing_step = False

    # --- steps ------------------------------------------------------------------------------

    def _show_step(self, *_args: Any) -> None:
        row = self.steps.current_row()
        self._showing_step = True
        try:
            if row < 0:
                self.step_text.setPlainText("")
                self.step_text.setEnabled(False)
            else:
                self.step_text.setEnabled(True)
                text = str(self.steps.model.row_dict(row).get("text") or "")
                if self.step_text.toPlainText() != text:
                    self.step_text.setPlainText(text)
                if not self._loading:
                    self.scroll.ensureWidgetVisible(self.step_text)
        finally:
            self._showing_step = False

    def _step_text_edited(self) -> None:
        if self._showing_step:
            return
        row = self.steps.current_row()
        if row >= 0:
            self.steps.model.set_value(row, "text", self.step_text.toPlainText())

    def _focus_step_text(self) -> None:
        self._show_step()
        self.step_text.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- pickers ----------------------------------------------------------------------------

    def _member_options(self) -> dict[str, str]:
        return listing.display_names(self.library, "member")

    def _pick_authors(self) -> list[dict[str, Any]]:
        present = [str(r["member_id"]) for r in self.authors.rows()]
        picked = widgets.pick_records(
            self, _("Add authors"), self._member_options(), exclude=present
        )
        return [{"member_id": mid} for mid in picked]

    # --- data -------------------------------------------------------------------------------

    def empty_data(self) -> catalog.GuideData:
        return catalog.GuideData(title="")

    def _set_choices(self, team_id: str | None, author_ids: list[str]) -> None:
        live = self._member_options()
        self.authors.model.set_choices(
            "member_id", live, self.stale_labels("member", live, author_ids)
        )
        self.team_combo.clear()
        self.team_combo.addItem(_("(no team)"), None)
        teams = listing.display_names(self.library, "team")
        for tid, name in teams.items():
            self.team_combo.addItem(name, tid)
        # A deleted team stays the guide's team, named and marked, until the user picks
        # another: without this entry the combo would show "(no team)" and a save would
        # quietly drop it.
        for tid, text in self.stale_labels("team", teams, [team_id or ""]).items():
            self.team_combo.addItem(text, tid)
        self.team_combo.setCurrentIndex(max(0, self.team_combo.findData(team_id)))

    def refresh_references(self) -> None:
        team = self.team_combo.currentData()
        self._set_choices(
            str(team) if team else None,
            [str(r.get("member_id") or "") for r in self.authors.rows()],
        )

    def populate(self, data: catalog.GuideData) -> None:
        self._set_choices(data.team_id, data.author_ids)
        self.title_edit.setText(data.title)
        self.category_edit.setText(data.category)
        self.problem_edit.setPlainText(data.problem)
        self.season_edit.setText(data.season)
        self.tags_edit.setText("，".join(data.tags))
        self.authors.set_rows([{"member_id": mid} for mid in data.author_ids])
        self.steps.set_rows(
            [
                {
                    "text": s.text,
                    "photo_ids": list(s.photo_ids),
                    "id": s.id,
                    "photos": len(s.photo_ids),
                }
                for s in data.steps
            ]
        )
        self.materials.set_values(data.materials)
        self.key_points.set_values(data.key_points)
        self.safety_notes.set_values(data.safety_notes)
        self.common_mistakes.set_values(data.common_mistakes)
        self._is_demo = data.is_demo

    def collect(self) -> catalog.GuideData:
        team = self.team_combo.currentData()
        return catalog.GuideData(
            title=self.title_edit.text(),
            category=self.category_edit.text(),
            problem=self.problem_edit.toPlainText(),
            season=self.season_edit.text(),
            materials=self.materials.values(),
            key_points=self.key_points.values(),
            safety_notes=self.safety_notes.values(),
            common_mistakes=self.common_mistakes.values(),
            tags=[t.strip() for t in TAG_SPLIT.split(self.tags_edit.text()) if t.strip()],
            team_id=str(team) if team else None,
            author_ids=[str(r["member_id"]) for r in self.authors.rows()],
            steps=[
                catalog.StepData(
                    text=str(r.get("text") or ""),
                    photo_ids=list(r.get("photo_ids") or []),
                    id=r.get("id") or None,
                )
                for r in self.steps.rows()
            ],
            is_demo=self._is_demo,
        )

    def title_of(self, data: catalog.GuideData) -> str:
        return data.title.strip() or _("(no title)")

    def new_title(self) -> str:
        return _("New skill guide")
