"""The practical-guide form: what the problem is, when, with what, and the ordered steps.

Steps are a list that can be reordered by dragging or with the Up/Down buttons; the selected
step's text is edited in the box under the list, with a check box that marks it risky (⚠ on
the handout, e.g. 上梯作业). Step photos travel with their step (the photo grid for steps is
added by the photo feature); one of them can be chosen as the guide's 识别图, printed large at
the top of the handout.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
)

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.services import catalog, listing
from desktop_app.ui.forms import widgets
from desktop_app.ui.forms.base import RecordForm
from desktop_app.ui.forms.widgets import Col, StringListEditor, TableEditor

TAG_SPLIT = re.compile(r"[,，、;；]+")
RISK_MARK = "⚠"


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
                Col("risk_mark", RISK_MARK, editable=False),
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
        self.step_risky = QCheckBox(_("Risky work (marked ⚠ on the handout, e.g. on a ladder)"))
        self.step_risky.setObjectName("step_risky")
        self.step_risky.setEnabled(False)
        # The 识别图: one of the steps' photos, chosen here, printed large at the top.
        self.recognition_combo = QComboBox()
        self.recognition_combo.setObjectName("recognition_photo")
        self.recognition_combo.setToolTip(
            _("The photo that shows the problem, printed large at the top of the handout")
        )
        recognition_row = QFormLayout()
        recognition_row.setContentsMargins(0, 0, 0, 0)
        recognition_row.addRow(_("Recognition photo (识别图):"), self.recognition_combo)
        steps_box = QGroupBox(_("Steps"))
        steps_layout = QVBoxLayout(steps_box)
        steps_layout.addWidget(self.steps)
        steps_layout.addWidget(self.step_text)
        steps_layout.addWidget(self.step_risky)
        self.steps_error = self._error_label()
        self.steps_error.setObjectName("error_steps")
        steps_layout.addWidget(self.steps_error)
        self.error_labels["steps"] = self.steps_error
        self.field_widgets["steps"] = self.steps
        steps_layout.addLayout(recognition_row)
        self.recognition_error = self._error_label()
        self.recognition_error.setObjectName("error_recognition_photo_id")
        steps_layout.addWidget(self.recognition_error)
        self.error_labels["recognition_photo_id"] = self.recognition_error
        self.field_widgets["recognition_photo_id"] = self.recognition_combo
        self.body_layout.addWidget(steps_box)
        self.steps.changed.connect(self._edited)
        self.steps.view.selectionModel().currentRowChanged.connect(self._show_step)
        self.steps.model.modelReset.connect(lambda: self._show_step())
        self.step_text.textChanged.connect(self._step_text_edited)
        self.step_risky.toggled.connect(self._step_risky_edited)
        self.steps.add_button.clicked.connect(self._focus_step_text)
        self._recognition_id: str | None = None
        self._photo_labels: dict[str, str] = {}
        # The choice follows the steps' photos: added, removed, moved or reloaded.
        for signal in (
            self.steps.model.dataChanged,
            self.steps.model.rowsInserted,
            self.steps.model.rowsRemoved,
            self.steps.model.rowsMoved,
            self.steps.model.modelReset,
        ):
            signal.connect(lambda *_a: self._refresh_recognition())
        self.recognition_combo.activated.connect(self._recognition_chosen)

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
                self.step_risky.setChecked(False)
                self.step_risky.setEnabled(False)
            else:
                self.step_text.setEnabled(True)
                self.step_risky.setEnabled(True)
                self.step_risky.setChecked(bool(self.steps.model.row_dict(row).get("risky")))
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

    def _step_risky_edited(self, checked: bool) -> None:
        if self._showing_step:
            return
        row = self.steps.current_row()
        if row >= 0:
            self.steps.model.set_value(row, "risky", checked)
            self.steps.model.set_value(row, "risk_mark", RISK_MARK if checked else "")
            self._edited()

    # --- the recognition photo (识别图) -----------------------------------------------------

    def _step_photo_ids(self) -> list[tuple[int, str]]:
        """(step number, photo id) of every step photo, in order, each photo once."""
        seen: set[str] = set()
        out = []
        for n, row in enumerate(self.steps.rows(), 1):
            for pid in row.get("photo_ids") or []:
                if pid not in seen:
                    seen.add(pid)
                    out.append((n, str(pid)))
        return out

    def _photo_label(self, photo_id: str) -> str:
        if photo_id not in self._photo_labels:
            from desktop_app.services import photos  # not at start-up: the form opens fast

            try:
                info = photos.photo_info(self.library, photo_id)
                label = info.caption or info.original_name
            except UserError:
                label = ""
            self._photo_labels[photo_id] = label or photo_id[:8]
        return self._photo_labels[photo_id]

    def _refresh_recognition(self) -> None:
        """Offer the steps' photos; a chosen photo no longer on any step is no longer chosen
        (the 识别图 is always one of the guide's step photos)."""
        combo = self.recognition_combo
        combo.blockSignals(True)
        try:
            combo.clear()
            combo.addItem(_("(none)"), None)
            for n, pid in self._step_photo_ids():
                text = _("Step {n}: {photo}").format(n=n, photo=self._photo_label(pid))
                combo.addItem(text, pid)
            index = combo.findData(self._recognition_id) if self._recognition_id else 0
            if index < 0:
                self._recognition_id = None
                index = 0
            combo.setCurrentIndex(index)
            combo.setEnabled(combo.count() > 1)
        finally:
            combo.blockSignals(False)

    def _recognition_chosen(self, _index: int) -> None:
        data = self.recognition_combo.currentData()
        self._recognition_id = str(data) if data else None
        self._edited()

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
                    "risky": s.risky,
                    "risk_mark": RISK_MARK if s.risky else "",
                }
                for s in data.steps
            ]
        )
        self._photo_labels = {}
        self._recognition_id = data.recognition_photo_id
        self._refresh_recognition()
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
                    risky=bool(r.get("risky")),
                )
                for r in self.steps.rows()
            ],
            is_demo=self._is_demo,
            recognition_photo_id=self._recognition_id,
        )

    def title_of(self, data: catalog.GuideData) -> str:
        return data.title.strip() or _("(no title)")

    def new_title(self) -> str:
        return _("New skill guide")
