"""The main window: sections in a sidebar, a lazy list, and the selected record beside it."""

from __future__ import annotations

import html
import importlib
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QToolBar,
    QWidget,
)

from desktop_app import __version__
from desktop_app.core.i18n import N_, _
from desktop_app.core.settings import Settings
from desktop_app.services import listing
from desktop_app.services.describe import describe
from desktop_app.services.records import get_record, record_to_dict
from desktop_app.storage.library import Library
from desktop_app.ui import extensions
from desktop_app.ui.models import RecordTableModel
from desktop_app.ui.workers import BackgroundRunner


@dataclass(frozen=True)
class Section:
    kind: str
    title: str  # N_-marked


SECTIONS = [
    Section("team", N_("Service teams")),
    Section("member", N_("Model workers")),
    Section("guide", N_("Skill guides")),
    Section("session", N_("Field sessions")),
]


class RecordDetailView(QTextBrowser):
    """The selected record, read-only, as labelled lines."""

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.setOpenExternalLinks(False)

    def show_record(self, kind: str, record_id: str | None) -> None:
        if record_id is None:
            self.setHtml(f"<p style='color:#666'>{html.escape(_('Nothing selected.'))}</p>")
            return
        with self.library.session() as s:
            data = record_to_dict(kind, get_record(s, kind, record_id))
        rows = "".join(
            f"<tr><th align='left' valign='top' style='padding-right:12px;color:#555'>"
            f"{html.escape(key)}</th><td>{html.escape(value)}</td></tr>"
            for key, value in describe(self.library, kind, data)
            if key != "ID"
        )
        self.setHtml(f"<table cellspacing='4'>{rows}</table>")


class MainWindow(QMainWindow):
    def __init__(
        self,
        library: Library,
        *,
        settings: Settings | None = None,
        runner: BackgroundRunner | None = None,
    ) -> None:
        super().__init__()
        self.library = library
        self.runner = runner or BackgroundRunner(parent=self)
        self.settings = settings or Settings()
        self.qsettings = QSettings()
        self.setWindowTitle(_("Jiangxin Classroom — {name}").format(name=library.name))
        self.resize(1280, 720)

        self.models: dict[str, RecordTableModel] = {}
        self.tables: dict[str, QTableView] = {}

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setMaximumWidth(180)
        for section in SECTIONS:
            QListWidgetItem(_(section.title), self.sidebar)

        self.list_stack = QStackedWidget()
        for section in SECTIONS:
            self.list_stack.addWidget(self._make_table(section.kind))

        self.detail = RecordDetailView(library)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.list_stack)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.setCentralWidget(self.splitter)

        self._build_actions()
        self.library_label = QLabel(_("Library: {path}").format(path=library.root))
        self.statusBar().addPermanentWidget(self.library_label)
        self.count_label = QLabel()
        self.statusBar().addWidget(self.count_label)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(200)
        self._filter_timer.timeout.connect(self._apply_filter)

        self.sidebar.currentRowChanged.connect(self._on_section_changed)
        for module_name in extensions.INSTALLERS:
            importlib.import_module(module_name).install(self)
        self._restore_state()
        if self.sidebar.currentRow() < 0:
            self.sidebar.setCurrentRow(0)

    # --- construction -----------------------------------------------------------------------

    def _make_table(self, kind: str) -> QTableView:
        model = RecordTableModel(self.library, kind, self)
        view = QTableView()
        view.setObjectName(f"table_{kind}")
        view.setModel(model)
        default_key, descending = listing.DEFAULT_SORT[kind]
        keys = [c.key for c in model.columns]
        view.horizontalHeader().setSortIndicator(
            keys.index(default_key),
            Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder,
        )
        view.setSortingEnabled(True)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setAlternatingRowColors(True)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setDefaultSectionSize(26)
        view.horizontalHeader().setStretchLastSection(True)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.horizontalHeader().setDefaultSectionSize(140)
        view.horizontalHeader().setSortIndicatorShown(True)
        view.selectionModel().currentRowChanged.connect(
            lambda current, _previous, k=kind: self._on_current_changed(k, current)
        )
        self.models[kind] = model
        self.tables[kind] = view
        return view

    def _build_actions(self) -> None:
        toolbar = QToolBar(_("Main"))
        toolbar.setObjectName("main_toolbar")
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        self.toolbar = toolbar
        bar = self.menuBar()
        self.menus = {
            "file": bar.addMenu(_("&File")),
            "edit": bar.addMenu(_("&Edit")),
            "record": bar.addMenu(_("&Record")),
            "tools": bar.addMenu(_("&Tools")),
            "help": bar.addMenu(_("&Help")),
        }

        self.search_box = QLineEdit()
        self.search_box.setObjectName("search_box")
        self.search_box.setPlaceholderText(_("Search the current list…"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMaximumWidth(320)
        self.search_box.textChanged.connect(lambda _text: self._filter_timer.start())

        self.find_action = QAction(_("Find"), self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.triggered.connect(self._focus_search)
        self.addAction(self.find_action)

        for i, _section in enumerate(SECTIONS):
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _checked=False, row=i: self.sidebar.setCurrentRow(row))
            self.addAction(action)

        self.about_action = QAction(_("About Jiangxin"), self)
        self.about_action.triggered.connect(self.show_about)

        self.menus["help"].addAction(self.about_action)
        self.quit_action = QAction(_("Quit"), self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        self.menus["file"].addAction(self.quit_action)

        toolbar.addWidget(QLabel(" "))
        toolbar.addWidget(self.search_box)

    # --- behaviour --------------------------------------------------------------------------

    @property
    def current_kind(self) -> str:
        return SECTIONS[max(0, self.sidebar.currentRow())].kind

    def current_model(self) -> RecordTableModel:
        return self.models[self.current_kind]

    def current_table(self) -> QTableView:
        return self.tables[self.current_kind]

    def current_selection(self) -> tuple[str, list[str]]:
        """The current section's kind and the ids of the selected rows, in row order."""
        table = self.current_table()
        model = self.current_model()
        rows = sorted({index.row() for index in table.selectionModel().selectedRows()})
        ids = [rid for rid in (model.id_at(r) for r in rows) if rid is not None]
        return self.current_kind, ids

    def refresh(self, kind: str | None = None) -> None:
        """Reload lists after the library changed (all kinds when `kind` is None)."""
        for k, model in self.models.items():
            if kind is None or k == kind:
                model.reload()
        self._on_current_changed(self.current_kind, self.current_table().currentIndex())

    def _on_section_changed(self, row: int) -> None:
        if row < 0:
            return
        self.list_stack.setCurrentIndex(row)
        self._apply_filter()
        table = self.current_table()
        index = table.currentIndex()
        self._on_current_changed(self.current_kind, index)

    def _on_current_changed(self, kind: str, current: QModelIndex) -> None:
        if kind != self.current_kind:
            return
        record_id = self.models[kind].id_at(current.row()) if current.isValid() else None
        self.detail.show_record(kind, record_id)

    def _apply_filter(self) -> None:
        model = self.current_model()
        text = self.search_box.text().strip()
        if model.filter.text != text:
            model.set_filter(listing.ListFilter(text=text))
        self.count_label.setText(_("{n} records").format(n=model.total_count()))

    def _focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def select_record(self, kind: str, record_id: str) -> bool:
        self.sidebar.setCurrentRow([s.kind for s in SECTIONS].index(kind))
        row = self.models[kind].row_of(record_id)
        if row < 0:
            return False
        table = self.tables[kind]
        index = self.models[kind].index(row, 0)
        table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        table.scrollTo(index)
        return True

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            _("About Jiangxin"),
            "<h3>{}</h3><p>{}</p><p>{}</p>".format(
                html.escape(_("Jiangxin Classroom")),
                html.escape(_("Version {version}").format(version=__version__)),
                html.escape(_("Library: {path}").format(path=self.library.root)),
            ),
        )

    # --- state ------------------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self.qsettings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = self.qsettings.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([150, 700, 430])
        for kind, table in self.tables.items():
            header = self.qsettings.value(f"tables/{kind}")
            if isinstance(header, QByteArray):
                table.horizontalHeader().restoreState(header)
        section = self.qsettings.value("window/section", 0)
        self.sidebar.setCurrentRow(int(section) if str(section).isdigit() else 0)

    def save_state(self) -> None:
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        self.qsettings.setValue("window/splitter", self.splitter.saveState())
        self.qsettings.setValue("window/section", self.sidebar.currentRow())
        for kind, table in self.tables.items():
            self.qsettings.setValue(f"tables/{kind}", table.horizontalHeader().saveState())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        event.accept()
