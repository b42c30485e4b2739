"""The news draft dialog: a session's 通讯稿 as editable text, with Copy and Save.

The draft comes from `services.reports.news`; the publicity officer edits it here and copies it
into the newsletter or saves it as a text file (UTF-8 with a BOM, so Notepad and WPS read it).
What is copied or saved is the text as edited.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.services.reports import news
from desktop_app.ui import appearance, file_dialogs


class NewsDialog(QDialog):
    def __init__(
        self,
        parent: Any,
        text: str,
        default_name: str,
        *,
        photo_count: int = 0,
        export_photos: Callable[[Path], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("news_dialog")
        self.setWindowTitle(_("News draft"))
        self.default_name = default_name
        self.editor = QPlainTextEdit(text)
        self.editor.setObjectName("news_text")
        appearance.set_font_scale(self.editor, 1.15)  # the draft reads like a page
        self.status = QLabel(_("Edit the draft here; Copy and Save take the text as shown."))
        self.status.setWordWrap(True)
        # "Plus its chosen photos exported beside it": a folder next to the saved draft.
        self.export_photos = export_photos
        self.photos_box = QCheckBox(
            _("Also export the session's {n} photos beside the draft").format(n=photo_count)
        )
        self.photos_box.setChecked(photo_count > 0 and export_photos is not None)
        self.photos_box.setVisible(photo_count > 0 and export_photos is not None)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(_("Copy"))
        self.save_button = QPushButton(_("Save…"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(lambda: self.save())
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.photos_box)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(720, 620)

    def text(self) -> str:
        return self.editor.toPlainText()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self.status.setText(_("Copied to the clipboard."))

    def save(self, target: Path | None = None) -> Path | None:
        if target is None:
            chosen = file_dialogs.save_file(
                self, _("Save the news draft"), self.default_name, _("Text files (*.txt)")
            )
            if not chosen:
                return None
            target = Path(chosen)
        try:
            news.write_news(target, self.text())
        except UserError as exc:
            QMessageBox.warning(self, _("News draft"), str(exc))
            return None
        self.status.setText(_("Wrote {path}.").format(path=target))
        if self.photos_box.isChecked() and self.export_photos is not None:
            self.export_photos(photo_folder(target))
        return target


def photo_folder(draft: Path) -> Path:
    """Where a saved draft's photos go: `稿件_照片/` beside `稿件.txt`."""
    return draft.with_name(draft.stem + "_" + _("photos"))
