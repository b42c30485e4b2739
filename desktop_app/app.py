"""Composition root: language, fonts, the library, the services, and the main window."""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QObject, Qt, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QIcon
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop_app import APP_NAME, __version__
from desktop_app.core import paths
from desktop_app.core.crashlog import log_internal_error
from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _, current_language, set_language
from desktop_app.core.settings import Settings
from desktop_app.storage.library import HOLDER_WINDOW, Library, set_lock_holder
from desktop_app.ui.first_paint import after_first_paint

log = logging.getLogger(__name__)
UI_FONT_FAMILY = "Noto Sans SC"
DESKTOP_FILE_NAME = "cn.jiangxin.Jiangxin"  # packaging/linux/<this>.desktop


def load_fonts(app: QApplication) -> None:
    """Bundled CJK font, so Chinese never shows as boxes on a machine without CJK fonts."""
    font_dir = paths.resources_dir() / "fonts"
    for name in ("NotoSansSC-Regular.ttf", "NotoSansSC-Bold.ttf"):
        if QFontDatabase.addApplicationFont(str(font_dir / name)) < 0:
            log.warning("could not load font %s", name)
    font = QFont(UI_FONT_FAMILY)
    font.setPointSize(10)
    app.setFont(font)


def set_qt_locale(lang: str) -> None:
    """Qt's locale follows the UI language, not the system's: the calendar popup's month and
    weekday names, and dates Qt formats itself. Before any widget exists (widgets take the
    default locale when they are made)."""
    QLocale.setDefault(QLocale(QT_LOCALES.get(lang, lang)))


QT_LOCALES = {"en": "en_US"}
# Our own Qt strings (`qt_extra_<lang>.ts`): Qt's catalog lacks strings that newer Qt changed,
# such as the file dialog's "&Look in:" and "Files of &type:" (it has them without the "&").
QT_EXTRA_CATALOG = "qt_extra"


def install_qt_translations(app: QApplication, lang: str) -> list[QTranslator]:
    """Qt's own strings (standard buttons and dialogs) in the UI language."""
    translators: list[QTranslator] = []
    if lang == "en":
        return translators
    qt_lang = QLocale(lang)
    own = paths.resources_dir() / "translations" / "qt"
    for directory in (own, Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))):
        translator = QTranslator(app)
        if translator.load(qt_lang, "qtbase", "_", str(directory)):
            app.installTranslator(translator)
            translators.append(translator)
            break
    extra = QTranslator(app)
    if extra.load(qt_lang, QT_EXTRA_CATALOG, "_", str(own)):
        app.installTranslator(extra)  # installed last, so it is asked first
        translators.append(extra)
    return translators


def open_or_create_library(library_dir: Path) -> Library:
    """Open the library; on first run of the default library, create it with the demo."""
    set_lock_holder(HOLDER_WINDOW)  # named to a command that finds the library locked
    if not (library_dir / paths.DATABASE_NAME).exists() and (
        not library_dir.exists() or not any(library_dir.iterdir())
    ):
        from desktop_app.services.demo import fill_demo

        library = Library.create(library_dir)
        fill_demo(library)
        return library
    return Library.open(library_dir, write=True)


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv or sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setApplicationDisplayName(_("Jiangxin Classroom"))
    app.setDesktopFileName(DESKTOP_FILE_NAME)  # Wayland: the menu entry's icon and name
    icon = paths.resources_dir() / "icons" / "jiangxin.png"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    load_fonts(app)
    return app


def install_error_hook() -> None:
    """Unexpected exceptions: traceback to the log file, one plain sentence to the user."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: object) -> None:
        if isinstance(exc, UserError):
            QMessageBox.warning(QApplication.activeWindow(), _("Jiangxin Classroom"), str(exc))
            return
        log_path = log_internal_error(exc)
        QMessageBox.critical(
            QApplication.activeWindow(),
            _("Jiangxin Classroom"),
            _("Internal error; details are in {path}").format(path=log_path),
        )

    sys.excepthook = hook


# --- one window per library -------------------------------------------------------------------
# A second start on a library that already has a window (a double-click on the desktop icon
# while the window hides behind another) brings that window forward instead of saying the
# library is locked. The window listens on a local socket named after the library's path.


def instance_key(library_dir: Path) -> str:
    """The local socket name of the window on `library_dir` (per user: sockets are shared)."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name (a bare container): the uid is as good
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    path = str(Path(library_dir).expanduser().absolute())
    digest = hashlib.sha256(f"{user}\0{path}".encode()).hexdigest()[:24]
    return f"jiangxin-{digest}"


def bring_forward_running(library_dir: Path, timeout_ms: int = 1000) -> bool:
    """Ask the window already open on `library_dir` to come forward; False when none is."""
    socket = QLocalSocket()
    socket.connectToServer(instance_key(library_dir))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(b"raise\n")
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


def raise_window(window: QWidget) -> None:
    if window.isMinimized():
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()


class InstanceServer(QObject):
    """Listens for second starts on this library and raises the window that is showing."""

    def __init__(self, library_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = instance_key(library_dir)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self.server.listen(self.key):
            # Nobody answered on it (bring_forward_running came first): a crashed window's
            # socket file. Remove it and listen again.
            QLocalServer.removeServer(self.key)
            if not self.server.listen(self.key):
                log.warning("second starts cannot find this window: %s", self.server.errorString())
        self.server.newConnection.connect(self._connected)

    def _connected(self) -> None:
        while self.server.hasPendingConnections():
            connection = self.server.nextPendingConnection()
            connection.disconnected.connect(connection.deleteLater)
            window = self.window()
            if window is not None:
                raise_window(window)

    @staticmethod
    def window() -> QWidget | None:
        """The main window on screen (after File → Restore backup it is a newer one)."""
        from desktop_app.ui.main_window import MainWindow

        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        visible = [w for w in shown if w.isVisible()]
        candidates = visible or shown
        return candidates[-1] if candidates else None


QUIT_AFTER_SHOWN_ENV = "JIANGXIN_QUIT_AFTER_SHOWN"


def quit_after_shown(window: QWidget) -> None:
    """For the built program's smoke test (packaging/smoke_test.py): with
    JIANGXIN_QUIT_AFTER_SHOWN=1 the window closes itself after its first paint and the program
    exits 0; a value ending in `.png` also saves a screenshot of the window there."""
    value = os.environ.get(QUIT_AFTER_SHOWN_ENV, "")
    if not value:
        return
    screenshot = value if value.lower().endswith(".png") else None

    def close() -> None:
        if screenshot:
            window.grab().save(screenshot)
        # The normal way out: the window saves its state, then run_gui closes the library.
        window.close()

    after_first_paint(window, close)


def run_gui(library_option: str | None, lang: str | None) -> int:
    settings = Settings()
    set_language(lang or settings.get("language") or None)
    set_qt_locale(current_language())
    app = create_application()
    install_qt_translations(app, current_language())
    from desktop_app.ui import appearance

    appearance.apply_saved(settings)  # before the window is built: it is laid out once
    install_error_hook()
    library_dir = paths.resolve_library_dir(library_option)
    if bring_forward_running(library_dir):
        return 0
    instance = InstanceServer(library_dir, app)
    try:
        library = open_or_create_library(library_dir)
    except UserError as exc:
        QMessageBox.critical(None, _("Cannot open the library"), str(exc))
        return 1
    from desktop_app.ui.main_window import MainWindow

    window = MainWindow(library, settings=settings)
    window.show()
    quit_after_shown(window)
    try:
        return app.exec()
    finally:
        library.close()
        instance.server.close()
