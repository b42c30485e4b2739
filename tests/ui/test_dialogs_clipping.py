"""Every dialog the user opens, at 18 pt and in high contrast on a 1366×768 screen, shows its
texts whole (issue 17). The real-X run is tests/ui/dialogs_session.py; the offscreen tests
here pin the pieces it relies on where xvfb-run is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QListWidget

from desktop_app.ui import appearance, file_dialogs, text_fit
from tests.fresh_python import run_json
from tests.ui.clipping import clipped_texts

DIALOGS = [
    "connect_hub",
    "conflicts",
    "history",
    "restore_backup",
    "export_photos",
    "handout_options",
    "booklet_options",
    "signin_options",
    "returned_sheets",
    "organisation_name",
    "import_preview",
    "export_pack",
    "search",
    "pick_members",
    "pick_authors",
    "statistics",
    "news",
    "add_photos",
    "help",
    "shortcuts",
    "pack_chooser",
    "backup_chooser",
    "restore_chooser",
    "folder_chooser",
]


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (make test has it)")
def test_every_dialog_fits_its_texts_at_18_pt_and_in_high_contrast(
    demo_dir: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = run_json(
        ["-m", "tests.ui.dialogs_session", str(demo_dir), str(work)],
        {"QT_QPA_PLATFORM": "xcb", "JIANGXIN_CONFIG_DIR": str(tmp_path / "config")},
        drop_env=["QT_QPA_PLATFORM", "DISPLAY"],
        launcher=["xvfb-run", "-a", "-s", "-screen 0 1366x768x24"],
        timeout=600,
    )
    assert result["font"] == appearance.TEXT_SIZES[-1] == 18
    assert result["seen"] == {"18pt": DIALOGS, "18pt-contrast": DIALOGS}
    assert result["problems"] == [], "\n".join(result["problems"])


@pytest.fixture
def large_text(qapp: QApplication) -> Iterator[None]:
    font = QApplication.font()
    big = QApplication.font()
    big.setPointSize(18)
    QApplication.setFont(big)
    yield
    QApplication.setFont(font)


def test_a_field_is_as_wide_as_its_hint(large_text: None, qtbot: Any) -> None:
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.setPlaceholderText("在服务队、劳模工匠、技能指南、现场活动和照片说明中查找的词")
    edit.setClearButtonEnabled(True)
    text_fit.fit_placeholder(edit)
    edit.resize(edit.minimumWidth(), edit.sizeHint().height())
    edit.show()
    assert clipped_texts(edit) == []


def test_a_side_list_is_as_wide_as_its_longest_line(
    large_text: None, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The offscreen screen is 800 px wide: 40 % of it is too little for this line at 18 pt.
    monkeypatch.setattr(text_fit, "LIST_SHARE", 0.6)
    view = QListWidget()
    qtbot.addWidget(view)
    view.setSpacing(3)
    view.addItem("教育培训服务队\n服务队 · 两台电脑上都有修改。")
    text_fit.fit_list_width(view, at_least=240)
    view.resize(view.minimumWidth(), 200)
    view.show()
    assert clipped_texts(view) == []


def test_the_photo_chooser_names_its_filter_and_follows_the_font(
    large_text: None, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The photo filter of issue 17's clipped texts: "Photos (*.jpg *.jpeg … *.hif)" in Qt's
    own file dialog was cut off at 18 pt, in a dialog too small for its columns."""
    seen: list[tuple[bool, int, int]] = []

    def look_at(dialog: QFileDialog) -> int:
        seen.append(
            (
                dialog.testOption(QFileDialog.Option.HideNameFilterDetails),
                dialog.width(),
                dialog.fontMetrics().horizontalAdvance("中"),
            )
        )
        return 0  # cancelled

    monkeypatch.setattr(QFileDialog, "exec", look_at)
    assert file_dialogs.open_files(None, "添加照片", "照片 (*.jpg *.jpeg *.png)") == []
    ((hides, width, em),) = seen
    assert hides
    screen = QApplication.primaryScreen().availableGeometry().width()
    assert width >= min(file_dialogs.WIDTH_EMS * em, int(screen * 0.9))


def test_no_file_chooser_of_a_fixed_size_is_left() -> None:
    """The pack, backup, restore, export and PDF choosers were QFileDialog's static getters:
    Qt's own dialog at its fixed size, cut off at 18 pt. All go through file_dialogs now."""
    ui = Path(file_dialogs.__file__).parent
    left = [
        f"{path.relative_to(ui)}:{n}"
        for path in sorted(ui.rglob("*.py"))
        if path.name != "file_dialogs.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "QFileDialog.get" in line
    ]
    assert left == []


def _look(monkeypatch: pytest.MonkeyPatch, answer: int) -> list[QFileDialog]:
    """Replace the dialogs' exec: record each dialog, answer with `answer`."""
    seen: list[QFileDialog] = []

    def look_at(dialog: QFileDialog) -> int:
        seen.append(dialog)
        return answer

    monkeypatch.setattr(QFileDialog, "exec", look_at)
    return seen


def _fits_the_font(dialog: QFileDialog) -> bool:
    em = dialog.fontMetrics().horizontalAdvance("中")
    screen = QApplication.primaryScreen().availableGeometry().width()
    hides = dialog.testOption(QFileDialog.Option.HideNameFilterDetails)
    return hides and dialog.width() >= min(file_dialogs.WIDTH_EMS * em, int(screen * 0.9))


def test_the_save_chooser_offers_the_name_in_its_folder_and_follows_the_font(
    large_text: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _look(monkeypatch, QFileDialog.DialogCode.Accepted.value)
    proposed = tmp_path / "服务台账 20250101-20251231.pdf"
    chosen = file_dialogs.save_file(None, "导出", str(proposed), "PDF 文件 (*.pdf)")
    assert Path(chosen) == proposed  # accepted as offered
    (dialog,) = seen
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    assert Path(dialog.directory().absolutePath()) == tmp_path
    assert dialog.defaultSuffix() == "pdf"  # "台账" typed alone is saved as 台账.pdf
    assert _fits_the_font(dialog)
    cancelled = _look(monkeypatch, QFileDialog.DialogCode.Rejected.value)
    assert file_dialogs.save_file(None, "导出", str(tmp_path), "PDF 文件 (*.pdf)") == ""
    assert Path(cancelled[0].directory().absolutePath()) == tmp_path


def test_the_folder_and_single_file_choosers_follow_the_font(
    large_text: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "备份.zip").write_bytes(b"PK")
    seen = _look(monkeypatch, QFileDialog.DialogCode.Rejected.value)
    assert file_dialogs.existing_folder(None, "新文件夹放在", str(tmp_path)) == ""
    assert file_dialogs.open_file(None, "恢复备份", "备份 (*.zip)", str(tmp_path)) == ""
    folder, single = seen
    assert folder.fileMode() == QFileDialog.FileMode.Directory
    assert folder.testOption(QFileDialog.Option.ShowDirsOnly)
    assert single.fileMode() == QFileDialog.FileMode.ExistingFile
    assert Path(single.directory().absolutePath()) == tmp_path
    assert _fits_the_font(folder) and _fits_the_font(single)
