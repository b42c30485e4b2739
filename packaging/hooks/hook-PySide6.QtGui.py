"""Replaces PyInstaller's hook for PySide6.QtGui: the same Qt plugins, less those the app has no
use for (see `specinfo.keep_binary`). Filtering here, before PyInstaller follows the plugins'
library dependencies, also keeps out what only those plugins load (GTK for the GTK theme
plugin, the EGLFS libraries for kiosk displays)."""

import specinfo

hiddenimports, binaries, datas = specinfo.qt_hook_dependencies(__file__)
