"""The dialogs of knowledge packs: what to export, and what an import would change.

`ExportPackDialog` picks the records (the selection, or everything of its kinds) and the
file; `ImportPreviewDialog` lists what a pack would add, update or leave in conflict, records
before photos, before anything is written. They only ask; `pack_actions` does the work.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.i18n import N_, _
from desktop_app.services.labels import KIND_NAMES
from desktop_app.ui import appearance, file_dialogs

if TYPE_CHECKING:
    # Packs and merges need the ORM: imported where used, not at start-up.
    from desktop_app.services import packs

PACK_FILTER = N_("Knowledge packs (*.jxpack)")
BACKUP_FILTER = N_("Backups (*.zip)")
EXPORTABLE = {"team": "teams", "guide": "guides", "session": "sessions"}
SELECTION_TEXT = {
    "team": N_("The selected teams ({n}), with their members and guides"),
    "guide": N_("The selected guides ({n})"),
    "session": N_("The selected field sessions ({n}), with the guides they cover"),
}


# --- export ---------------------------------------------------------------------------------


class PathRow(QWidget):
    """A file name with a "Choose…" button that opens the save dialog."""

    def __init__(self, path: Path, title: str, file_filter: str, suffix: str) -> None:
        super().__init__()
        self.title = title
        self.file_filter = file_filter
        self.suffix = suffix
        self.edit = QLineEdit(str(path))
        self.edit.setObjectName("path")
        self.edit.setMinimumWidth(340)
        button = QPushButton(_("Choose…"))
        button.clicked.connect(self._choose)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(button)

    def _choose(self) -> None:
        chosen = file_dialogs.save_file(self, self.title, self.edit.text(), self.file_filter)
        if chosen:
            self.edit.setText(chosen)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        return (
            path if path.suffix.lower() == self.suffix else path.with_name(path.name + self.suffix)
        )


class ExportPackDialog(QDialog):
    """What to put in the pack, whether contact details go too, and where to write it."""

    def __init__(
        self, parent: QWidget | None, *, kind: str, selected: list[str], target: Path
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Export knowledge pack"))
        self.kind = kind
        self.selected = selected
        self.whole = QRadioButton(_("The whole library"))
        self.whole.setObjectName("scope_library")
        self.some = QRadioButton()
        self.some.setObjectName("scope_selection")
        group = QButtonGroup(self)
        group.addButton(self.whole)
        group.addButton(self.some)
        if kind in EXPORTABLE and selected:
            self.some.setText(_(SELECTION_TEXT[kind]).format(n=len(selected)))
            self.some.setChecked(True)
        else:
            self.some.setText(_("Selected teams, guides or sessions (select them in the list)"))
            self.some.setEnabled(False)
            self.whole.setChecked(True)
        self.contacts = QCheckBox(_("Include contact details (members' phone numbers and notes)"))
        self.contacts.setObjectName("include_contacts")
        hint = QLabel(
            _(
                "Photos the records use always go with them. Without contact details, "
                "the other laptop keeps whatever it already knows."
            )
        )
        hint.setWordWrap(True)
        appearance.set_text_role(hint, "hint")
        from desktop_app.services.packs import PACK_SUFFIX

        self.path_row = PathRow(
            target, _("Save the knowledge pack as"), _(PACK_FILTER), PACK_SUFFIX
        )
        form = QFormLayout()
        scope = QVBoxLayout()
        scope.addWidget(self.whole)
        scope.addWidget(self.some)
        form.addRow(_("What:"), scope)
        form.addRow("", self.contacts)
        form.addRow(_("File:"), self.path_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Export"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(buttons)

    def selection(self) -> dict[str, list[str]]:
        """Keyword arguments for `packs.export_pack` (empty: the whole library)."""
        if self.some.isChecked() and self.kind in EXPORTABLE:
            return {EXPORTABLE[self.kind]: list(self.selected)}
        return {}

    def target(self) -> Path | None:
        return self.path_row.path()


# --- import preview -------------------------------------------------------------------------


def kind_label(kind: str) -> str:
    return _(KIND_NAMES[kind])


# The preview lists records first (teams, members, guides, sessions), photos last: the photos
# are many and say little, the records are what the user checks.
PREVIEW_KIND_ORDER = ["team", "member", "guide", "session", "photo"]


def preview_order(item: Any) -> tuple[int, str, str]:
    """Sort key of a change in the import preview: by kind (photos last), then by name."""
    kind = str(item.kind)
    # Kinds not listed (none today) go between the records and the photos.
    order = {k: i for i, k in enumerate(PREVIEW_KIND_ORDER)}
    rank = order.get(kind, len(PREVIEW_KIND_ORDER) - 1)
    if kind == "photo":
        rank = len(PREVIEW_KIND_ORDER)
    from desktop_app.storage.sortkeys import pinyin_key  # the order of the lists: by pinyin

    return rank, pinyin_key(str(item.label)), str(item.label)


class ImportPreviewDialog(QDialog):
    """What an import would change, before anything changes."""

    def __init__(self, parent: QWidget | None, report: packs.ImportReport, path: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Import knowledge pack"))
        self.resize(640, 460)
        made = report.created_at[:16].replace("T", " ")
        header = QLabel(
            "<b>{}</b><br>{}".format(
                html.escape(path.name),
                html.escape(
                    _("From the library “{name}”, made {time}.").format(
                        name=report.source_name, time=made
                    )
                ),
            )
        )
        header.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("changes")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels([_("Record"), _("Kind"), _("Why")])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.groups: dict[str, QTreeWidgetItem] = {}
        sections = [
            ("added", _("Added"), report.added),
            ("updated", _("Updated (changed only on the other laptop)"), report.updated),
            ("conflicts", _("Conflicts (changed on both; yours is kept)"), report.conflicts),
            ("deleted", _("Deleted"), report.deleted),
        ]
        for key, title, items in sections:
            group = QTreeWidgetItem([f"{title}: {len(items)}"])
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            for item in sorted(items, key=preview_order):
                QTreeWidgetItem(group, [item.label, kind_label(item.kind), item.reason])
            self.tree.addTopLevelItem(group)
            group.setFirstColumnSpanned(True)
            group.setExpanded(bool(items) and len(items) <= 50)
            self.groups[key] = group
        lines = [_("Unchanged: {n}").format(n=report.unchanged)]
        if report.new_photo_files:
            lines.append(
                _("New photo files: {n} ({mb:.1f} MB)").format(
                    n=report.new_photo_files, mb=report.new_photo_bytes / 1024**2
                )
            )
        lines += report.notes
        if report.changes:
            lines.append(_("The library is backed up before the import."))
        else:
            lines.append(_("Nothing in this pack is new to this library."))
        footer = QLabel("\n".join(lines))
        footer.setObjectName("footer")
        footer.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = buttons.addButton(_("Import"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("import")
        self.import_button.setEnabled(report.changes)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.tree, 1)
        layout.addWidget(footer)
        layout.addWidget(buttons)
