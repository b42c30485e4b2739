"""Retake the user guide's screenshots (resources/help/zh_CN/*.png) from the real app.

    QT_QPA_PLATFORM=offscreen python packaging/tools/help_screenshots.py [OUT_DIR]

A demo library in Chinese at 1366×768, a few test photos in one session; each shot scaled
down and reduced to 256 colours so the guide stays small.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from desktop_app.core.i18n import set_language  # noqa: E402

TESTDATA = ROOT / ".." / "shared" / "testdata" / "photos"


def wait(app: QApplication, ms: int = 300) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        app.processEvents()


def shot(widget: QWidget, path: Path, scale: float = 0.62) -> None:
    pixmap = widget.grab()
    pixmap = pixmap.scaledToWidth(
        int(pixmap.width() * scale), Qt.TransformationMode.SmoothTransformation
    )
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    import io

    image = Image.open(io.BytesIO(bytes(buffer.data().data()))).convert("RGB")
    image.quantize(256).save(path, optimize=True)


def main(out: Path) -> None:
    set_language("zh_CN")
    from desktop_app.app import create_application, install_qt_translations
    from desktop_app.core.settings import Settings
    from desktop_app.services import listing, photos
    from desktop_app.services.demo import fill_demo
    from desktop_app.storage.library import Library
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.workers import SynchronousRunner

    app = create_application()
    install_qt_translations(app, "zh_CN")
    out.mkdir(parents=True, exist_ok=True)
    library = Library.create(Path(tempfile.mkdtemp()) / "示范资料库")
    fill_demo(library)
    session_id = str(listing.list_rows(library, "session")[0]["id"])
    files = sorted(TESTDATA.glob("*.jpg"))[:4]
    photos.import_photos(library, files, photos.ImportTarget(session_id=session_id))
    window = MainWindow(library, runner=SynchronousRunner(), settings=Settings())
    window.resize(1366, 740)
    window.show()
    wait(app)
    window.sidebar.setCurrentRow(0)
    window.current_table().selectRow(0)
    wait(app)
    shot(window, out / "window.png")
    window.select_record("session", session_id)
    wait(app)
    form = window.shown_form()
    box = getattr(form, "photos_box", None)
    if form is not None and box is not None:
        form.scroll.ensureWidgetVisible(box)
        wait(app)
    shot(window.detail_stack, out / "session.png", 0.8)
    for key, name in (("file", "file_menu.png"),):
        menu = window.menus[key]
        menu.popup(window.mapToGlobal(window.menuBar().pos()))
        wait(app)
        shot(menu, out / name, 1.0)
        menu.hide()
    from desktop_app.ui.restore_actions import RestoreDialog

    dialog = RestoreDialog(window, start_dir=Path.home(), library_parent=Path.home())
    dialog.set_source(Path.home() / "示范资料库-20261201-0930.zip")
    dialog.show()
    wait(app)
    shot(dialog, out / "restore.png", 1.0)
    dialog.close()
    window.close()
    library.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "resources" / "help" / "zh_CN")
