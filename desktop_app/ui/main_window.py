"""The main window: sections in a sidebar, a lazy list, and the selected record's form beside it.

The right pane is the editable form of the record selected in the list (or a new one). Every
change goes through the forms' validated saves or soft deletes and lands on one undo `History`.
Leaving a form with unsaved changes (another record, another section, closing the window)
asks Save / Discard / Cancel first.

Every write to the library started from the window (saves, deletes, undo and redo, photo
edits, imports, conflict resolutions, clean-up, backups) goes through `writer`, the window's
one `LibraryWriter`: one at a time, in order, off the GUI thread. A save made while a long
import runs waits for it (the form and the status bar say so) instead of failing on SQLite's
busy timeout. Reads go to `runner`.

Feature modules (packs, handouts, photos...) see the window only as an
`extensions.WindowContext`: menus, toolbar, `runner` and `writer`, `current_selection()`,
`refresh()` after they changed the library, `when_form_built` to add to a record form and
`after_first_paint` for their start-up checks. `_install_features` keeps what each one's
`install` returns as a typed attribute.

Start-up is kept short on large libraries: the lists read through plain `sqlite3`, the forms
(which need the ORM) are built the first time a record is shown, and once the first screen is
painted a background thread imports the ORM and the forms, so the first click does not wait.

The window is the coordinator: the lists themselves are `record_lists`' (sections, tables,
sort arrows), the lazily built forms `record_pane`'s, the record actions (new, from template,
save, delete, undo, redo) `record_actions`', and every menu beyond File → Quit, Edit, Record
and Help's About comes from a feature module.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QByteArray, QItemSelectionModel, QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import RecordNotFoundError, UserError
from desktop_app.core.i18n import _, ngettext
from desktop_app.core.settings import Settings
from desktop_app.services import listing
from desktop_app.storage.library import Library
from desktop_app.ui import appearance, layout_state
from desktop_app.ui.extensions import WindowContext
from desktop_app.ui.first_paint import after_first_paint
from desktop_app.ui.history import History
from desktop_app.ui.models import RecordTableModel
from desktop_app.ui.ops import WriterStatus, show_failure, wait_for_writes
from desktop_app.ui.record_actions import RecordActions, window_action
from desktop_app.ui.record_lists import SECTIONS, make_record_table, select_row
from desktop_app.ui.record_pane import FORM_CLASSES, WARM_UP_MODULES, LazyForms, import_quietly
from desktop_app.ui.session_filters import SessionFilterBar
from desktop_app.ui.workers import BackgroundRunner, LibraryWriter

if TYPE_CHECKING:
    from desktop_app.ui.appearance import ViewActions
    from desktop_app.ui.forms.base import RecordForm
    from desktop_app.ui.handout_actions import HandoutActions
    from desktop_app.ui.help_actions import HelpActions
    from desktop_app.ui.help_window import HelpWindow, ShortcutsDialog
    from desktop_app.ui.hub_actions import HubActions
    from desktop_app.ui.pack_actions import PackActions
    from desktop_app.ui.report_actions import ReportActions
    from desktop_app.ui.restore_actions import RestoreActions
    from desktop_app.ui.search_panel import SearchPanel
    from desktop_app.ui.version_history import HistoryActions

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """The window; to its feature modules an `extensions.WindowContext`."""

    record_actions: RecordActions  # New, Save, Delete…, Undo...: built with the menus
    # The feature modules' objects, kept by `_install_features` (tests reach them here).
    view_actions: ViewActions
    handout_actions: HandoutActions
    language_actions: dict[str, QAction]
    pack_actions: PackActions
    photo_actions: dict[str, QAction]
    search_panel: SearchPanel
    search_everything_action: QAction
    report_actions: ReportActions
    history_actions: HistoryActions
    hub_actions: HubActions
    restore_actions: RestoreActions
    help_actions: HelpActions
    about_action: QAction
    guide_action: QAction
    shortcuts_action: QAction

    def __init__(
        self,
        library: Library,
        *,
        settings: Settings | None = None,
        runner: BackgroundRunner | None = None,
    ) -> None:
        super().__init__()
        self.library = library
        # A window opened on another library (`open_library`) closes it; the first window's
        # library is closed by whoever opened it (`app.run_gui`).
        self.owns_library = False
        self.runner = runner or BackgroundRunner(parent=self)
        # One thread for every write (inline when the runner is a tests' SynchronousRunner).
        self.writer = LibraryWriter(self.runner.serial(), parent=self)
        self.writer.report = self._report_failure
        self.settings = settings or Settings()
        self.qsettings = layout_state.layout_settings()
        self.undo_stack = History(self.writer, self)
        stack = self.undo_stack
        # The stack is destroyed with the window and announces its last state on the way out;
        # by then the actions it would update are gone.
        self.destroyed.connect(lambda _obj=None: stack.blockSignals(True))
        self.setWindowTitle(library.name + "[*]")  # Qt adds the app's display name
        self.resize(1280, 720)
        self._syncing = False  # True while the window itself moves selections around
        self._section_row = -1

        self.models: dict[str, RecordTableModel] = {}
        self.tables: dict[str, QTableView] = {}

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setMaximumWidth(180)
        for section in SECTIONS:
            QListWidgetItem(_(section.title), self.sidebar)

        self.session_filters = SessionFilterBar(library)
        self.session_filters.changed.connect(self.apply_filter)
        self.list_stack = QStackedWidget()
        for section in SECTIONS:
            table = self._make_table(section.kind)
            if section.kind == "session":
                page = QWidget()
                column = QVBoxLayout(page)
                column.setContentsMargins(0, 0, 0, 0)
                column.addWidget(self.session_filters)
                column.addWidget(table, 1)
                self.list_stack.addWidget(page)
            else:
                self.list_stack.addWidget(table)

        self.empty_page = QLabel(_("Select a record in the list, or press Ctrl+N for a new one."))
        self.empty_page.setObjectName("empty_page")
        self.empty_page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_page.setWordWrap(True)
        appearance.set_text_role(self.empty_page, "empty")
        self.detail_stack = QStackedWidget()
        self.detail_stack.addWidget(self.empty_page)
        self._form_hooks: dict[str, list[Callable[[RecordForm], object]]] = {}
        self._first_paint_hooks: list[Callable[[], None]] = []
        self.forms = LazyForms(self._build_form)
        self.warm_up_thread: threading.Thread | None = None
        self._warm_up_stop = threading.Event()

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.list_stack)
        self.splitter.addWidget(self.detail_stack)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setStretchFactor(2, 3)
        self.setCentralWidget(self.splitter)

        self._build_actions()
        self.writer_label = WriterStatus(self.writer)
        self.statusBar().addPermanentWidget(self.writer_label)
        self.library_label = QLabel(_("Library: {path}").format(path=library.root))
        self.statusBar().addPermanentWidget(self.library_label)
        self.count_label = QLabel()
        self.statusBar().addWidget(self.count_label)
        self.writer.changed.connect(self.record_actions.update)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(200)
        self._filter_timer.timeout.connect(self.apply_filter)

        self.sidebar.currentRowChanged.connect(self._on_section_changed)
        self._install_features()
        self._restore_state()
        if self.sidebar.currentRow() < 0:
            self.sidebar.setCurrentRow(0)
        after_first_paint(self, self._after_first_paint)

    # --- construction -----------------------------------------------------------------------

    def _make_table(self, kind: str) -> QTableView:
        model, view = make_record_table(self.library, kind, self, self.qsettings)
        view.selectionModel().currentRowChanged.connect(
            lambda current, _previous, k=kind: self._on_current_changed(k, current)
        )
        view.selectionModel().selectionChanged.connect(lambda *_args: self.record_actions.update())
        self.models[kind] = model
        self.tables[kind] = view
        return view

    def _build_form(self, kind: str) -> RecordForm:
        module, class_name = FORM_CLASSES[kind]
        form_class = getattr(importlib.import_module(module), class_name)
        form: RecordForm = form_class(
            self.library, undo_stack=self.undo_stack, writer=self.writer, notify=self.record_changed
        )
        form.setObjectName(f"form_{kind}")
        form.saved.connect(lambda record_id, k=kind: self._on_saved(k, record_id))
        form.dirtyChanged.connect(self.show_modified)
        if kind == "member":
            form.runner = self.runner  # type: ignore[attr-defined]  # portrait thumbnails
        if kind == "session":
            form.returnedTo.connect(self._returned_to)  # type: ignore[attr-defined]
        self.detail_stack.addWidget(form)
        for hook in self._form_hooks.get(kind, []):
            hook(form)
        return form

    def when_form_built(self, kind: str, hook: Callable[[RecordForm], object]) -> None:
        """Call `hook(form)` when the form of `kind` is built (now, if it already is)."""
        self._form_hooks.setdefault(kind, []).append(hook)
        if self.forms.is_built(kind):
            hook(self.forms[kind])

    def after_first_paint(self, hook: Callable[[], None]) -> None:
        """Run `hook` once the window's first screen is painted (start-up checks)."""
        self._first_paint_hooks.append(hook)

    def _install_features(self) -> None:
        """Each feature module adds its menus and actions, seeing the window only as an
        `extensions.WindowContext`; what it returns is kept here, typed."""
        from desktop_app.ui import (
            handout_actions,
            help_actions,
            hub_actions,
            language_actions,
            pack_actions,
            photo_actions,
            report_actions,
            restore_actions,
            search_panel,
            version_history,
        )

        context: WindowContext = self
        self.view_actions = appearance.install(context)
        self.handout_actions = handout_actions.install(context)
        self.language_actions = language_actions.install(context)
        self.pack_actions = pack_actions.install(context)
        self.photo_actions = photo_actions.install(context)
        self.search_panel = search_panel.install(context)
        self.search_everything_action = self.search_panel.search_everything_action
        self.report_actions = report_actions.install(context)
        self.history_actions = version_history.install(context)
        self.hub_actions = hub_actions.install(context)
        # After the others: Restore backup… sits beside Back up library…
        self.restore_actions = restore_actions.install(context)
        self.help_actions = help_actions.install(context)
        self.about_action = self.help_actions.about_action
        self.guide_action = self.help_actions.guide_action
        self.shortcuts_action = self.help_actions.shortcuts_action

    @property
    def help_window(self) -> HelpWindow | None:
        return self.help_actions.help_window

    @property
    def shortcuts_dialog(self) -> ShortcutsDialog | None:
        return self.help_actions.shortcuts_dialog

    def add_status_widget(self, widget: QWidget) -> None:
        self.statusBar().addPermanentWidget(widget)

    def show_conflicts(self) -> None:
        self.pack_actions.show_conflicts()

    def update_conflict_count(self) -> None:
        self.pack_actions.update_conflict_count()

    def add_shortcut(self, action: QAction) -> None:
        """`action`'s shortcut works anywhere in the window, with the menus closed."""
        self.addAction(action)

    def show_status(self, text: str, msecs: int = 6000) -> None:
        self.statusBar().showMessage(text, msecs)

    def _after_first_paint(self) -> None:
        if not self.isVisible():  # closed right after its first paint (smoke tests)
            return
        hooks, self._first_paint_hooks = self._first_paint_hooks, []
        for hook in hooks:
            hook()
        self._warm_up()

    def _warm_up(self) -> None:
        """Import the ORM and the forms in the background while the user looks at the list."""
        self.warm_up_thread = threading.Thread(
            target=import_quietly,
            args=(WARM_UP_MODULES, self._warm_up_stop),
            name="jiangxin-warm-up",
        )
        self.warm_up_thread.start()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._stop_warm_up)

    def _stop_warm_up(self) -> None:
        # Joined before the interpreter shuts down: an import cut off by shutdown fails.
        self._warm_up_stop.set()
        if self.warm_up_thread is not None:
            self.warm_up_thread.join()

    def _build_actions(self) -> None:
        toolbar = QToolBar(_("Main"))
        toolbar.setObjectName("main_toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(toolbar)
        self.toolbar = toolbar
        bar = self.menuBar()
        self.menus = {
            "file": bar.addMenu(_("&File")),
            "edit": bar.addMenu(_("&Edit")),
            "record": bar.addMenu(_("&Record")),
            "view": bar.addMenu(_("&View")),
            "tools": bar.addMenu(_("&Tools")),
            "help": bar.addMenu(_("&Help")),
        }

        self.search_box = QLineEdit()
        self.search_box.setObjectName("search_box")
        self.search_box.setPlaceholderText(_("Search the current list…"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMaximumWidth(320)
        self.search_box.textChanged.connect(lambda _text: self._filter_timer.start())

        self.record_actions = RecordActions(self)
        actions = self.record_actions
        self.new_action, self.template_action = actions.new_action, actions.template_action
        self.save_action, self.delete_action = actions.save_action, actions.delete_action
        self.undo_action, self.redo_action = actions.undo_action, actions.redo_action

        self.find_action = window_action(
            self, _("Find"), self._focus_search, [QKeySequence.StandardKey.Find]
        )
        for i, section in enumerate(SECTIONS):
            action = QAction(_("Go to {section}").format(section=_(section.title)), self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _checked=False, row=i: self.sidebar.setCurrentRow(row))
            self.addAction(action)

        self.quit_action = QAction(_("Quit"), self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)

        self.menus["file"].addAction(self.quit_action)
        for action in (self.undo_action, self.redo_action):
            self.menus["edit"].addAction(action)
        self.menus["edit"].addSeparator()
        self.menus["edit"].addAction(self.find_action)
        for action in (self.new_action, self.template_action, self.save_action):
            self.menus["record"].addAction(action)
        self.menus["record"].addSeparator()
        self.menus["record"].addAction(self.delete_action)

        for action in (self.new_action, self.save_action, self.delete_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.undo_action)
        toolbar.addAction(self.redo_action)
        toolbar.addSeparator()
        toolbar.addAction(self.template_action)
        toolbar.addWidget(QLabel(" "))
        toolbar.addWidget(self.search_box)
        self.record_actions.update()

    # --- where we are -----------------------------------------------------------------------

    @property
    def current_kind(self) -> str:
        return SECTIONS[max(0, self.sidebar.currentRow())].kind

    def current_model(self) -> RecordTableModel:
        return self.models[self.current_kind]

    def current_table(self) -> QTableView:
        return self.tables[self.current_kind]

    def current_form(self) -> RecordForm:
        return self.forms[self.current_kind]

    def shown_form(self) -> RecordForm | None:
        """The form on screen (None when the right pane shows no record)."""
        widget = self.detail_stack.currentWidget()
        return None if widget is self.empty_page or widget is None else cast("RecordForm", widget)

    def current_selection(self) -> tuple[str, list[str]]:
        """The current section's kind and the ids of the selected rows, in row order."""
        table = self.current_table()
        model = self.current_model()
        rows = sorted({index.row() for index in table.selectionModel().selectedRows()})
        ids = [rid for rid in (model.id_at(r) for r in rows) if rid is not None]
        return self.current_kind, ids

    # --- lists ------------------------------------------------------------------------------

    def refresh(self, kind: str | None = None) -> None:
        """Reload lists after the library changed (all kinds when `kind` is None).

        Selections are kept, and the form on screen is reloaded unless it has unsaved edits.
        """
        self._reload_lists(None if kind is None else [kind])
        form = self.shown_form()
        if form is not None and not form.is_dirty() and form.record_id() is not None:
            self.show_record(form.kind, form.record_id())

    def reload_list(self, kind: str) -> None:
        """Reload one list (say, the sessions' photo counts), keeping its selection."""
        self._reload_lists([kind])

    def _reload_lists(self, kinds: list[str] | None = None) -> None:
        self.session_filters.reload_options()
        self._syncing = True
        try:
            for kind, model in self.models.items():
                if kinds is not None and kind not in kinds:
                    continue
                table = self.tables[kind]
                index = table.currentIndex()
                keep = model.id_at(index.row()) if index.isValid() else None
                model.reload()
                if keep is not None:
                    self._select_row(kind, keep)
        finally:
            self._syncing = False
        self._update_count()

    def _select_row(self, kind: str, record_id: str) -> bool:
        return select_row(self.tables[kind], self.models[kind], record_id)

    def clear_list_selection(self) -> None:
        self._syncing = True
        try:
            table = self.current_table()
            table.selectionModel().clearSelection()
            table.selectionModel().setCurrentIndex(
                QModelIndex(), QItemSelectionModel.SelectionFlag.NoUpdate
            )
        finally:
            self._syncing = False

    def apply_filter(self) -> None:
        """Filter the current list by the search box (and the session filters) now."""
        kind = self.current_kind
        model = self.models[kind]
        text = self.search_box.text().strip()
        if kind == "session":
            flt = self.session_filters.filter_for(text)
        else:
            flt = listing.ListFilter(text=text)
        if model.filter != flt:
            form = self.shown_form()
            shown = form.record_id() if form is not None and form.kind == kind else None
            self._syncing = True
            try:
                model.set_filter(flt)
                listed = shown is not None and self._select_row(kind, shown)
            finally:
                self._syncing = False
            if shown is not None and not listed and form is not None:
                # Filtered out: the form goes with it, unless it holds edits (never lost).
                if form.is_dirty() or form.saving() is not None:
                    self.statusBar().showMessage(
                        _("The record being edited is hidden by the filter."), 8000
                    )
                else:
                    self._show_empty()
        self._update_count()

    def _update_count(self) -> None:
        n = self.current_model().total_count()
        self.count_label.setText(ngettext("{n} record", "{n} records", n).format(n=n))

    def _focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    # --- showing records --------------------------------------------------------------------

    def _on_section_changed(self, row: int) -> None:
        if row < 0 or self._syncing or row == self._section_row:
            return
        if not self.confirm_leave():
            self.sidebar.blockSignals(True)
            self.sidebar.setCurrentRow(self._section_row)
            self.sidebar.blockSignals(False)
            return
        self._section_row = row
        self.list_stack.setCurrentIndex(row)
        self.apply_filter()
        index = self.current_table().currentIndex()
        record_id = self.current_model().id_at(index.row()) if index.isValid() else None
        if record_id is None:
            self._show_empty()
        else:
            self.show_record(self.current_kind, record_id)
        self.record_actions.update()

    def _on_current_changed(self, kind: str, current: QModelIndex) -> None:
        if self._syncing or kind != self.current_kind:
            return
        record_id = self.models[kind].id_at(current.row()) if current.isValid() else None
        form = self.forms[kind]
        on_screen = self.shown_form() is form
        if on_screen and record_id is not None and form.record_id() == record_id:
            return
        if record_id is None:
            if not (on_screen and (form.is_dirty() or form.is_new())):
                self._show_empty()
            return
        if not self.confirm_leave():
            self._reselect_shown()
            return
        self.show_record(kind, record_id)

    def _reselect_shown(self) -> None:
        """Put the list selection back on the record whose edits the user kept."""
        form = self.shown_form()
        self._syncing = True
        try:
            if form is not None and form.record_id() is not None:
                self._select_row(form.kind, form.record_id() or "")
            else:
                self.current_table().selectionModel().clearSelection()
        finally:
            self._syncing = False

    def show_record(self, kind: str, record_id: str | None) -> None:
        form = self.forms[kind]
        try:
            form.load(record_id)
        except RecordNotFoundError:
            self._show_empty()
            return
        self.detail_stack.setCurrentWidget(form)
        self.record_actions.update()

    def _show_empty(self) -> None:
        self.detail_stack.setCurrentWidget(self.empty_page)
        self.setWindowModified(False)
        self.record_actions.update()

    def select_record(self, kind: str, record_id: str) -> bool:
        """Go to a record's section and select it (the form shows it)."""
        self.sidebar.setCurrentRow([s.kind for s in SECTIONS].index(kind))
        if self.current_kind != kind:
            return False
        return self._select_row(kind, record_id)

    # --- unsaved changes --------------------------------------------------------------------

    def confirm_leave(self) -> bool:
        """True when the form on screen may be left: saved, discarded or never changed."""
        form = self.shown_form()
        if form is None:
            return True
        if not self.wait_for_save(form):
            return False
        if not form.is_dirty():
            return True
        Button = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self,
            _("Unsaved changes"),
            _("Save the changes to “{name}”?").format(name=form.heading.text()),
            Button.Save | Button.Discard | Button.Cancel,
            Button.Save,
        )
        if answer == Button.Save:
            return form.save() and self.wait_for_save(form) and not form.is_dirty()
        if answer == Button.Discard:
            form.revert()
            return True
        return False

    def wait_for_save(self, form: RecordForm) -> bool:
        """A save still on its way (behind an import) is waited for before the form is left."""
        write = form.saving()
        if write is None:
            return True
        return wait_for_writes(
            self, self.writer, write, _("Saving “{name}”…").format(name=form.heading.text())
        )

    def show_modified(self, _dirty: bool) -> None:
        form = self.shown_form()
        self.setWindowModified(form is not None and form.is_dirty())

    # --- actions ----------------------------------------------------------------------------

    def undo(self) -> None:
        """Edit → Undo, for the features too (asks about unsaved form edits first)."""
        self.record_actions.undo()

    def redo(self) -> None:
        """Edit → Redo (as `undo`)."""
        self.record_actions.redo()

    def _returned_to(self, record_id: str) -> None:
        """A template draft was discarded: the session it came from is selected again."""
        self._syncing = True
        try:
            self._select_row("session", record_id)
        finally:
            self._syncing = False
        self.show_modified(False)
        self.record_actions.update()

    def _on_saved(self, kind: str, record_id: str) -> None:
        self._reload_lists()
        self._syncing = True
        try:
            if kind == self.current_kind and not self._select_row(kind, record_id):
                # Saved but hidden by the current filter: say so rather than lose it silently.
                self.statusBar().showMessage(
                    _("Saved. The record is hidden by the current filter."), 8000
                )
            else:
                self.statusBar().showMessage(_("Saved."), 4000)
        finally:
            self._syncing = False
        self.show_modified(False)
        self.record_actions.update()

    def record_changed(self, kind: str, record_id: str) -> None:
        """An undo command changed a record: update the lists and show the record."""
        self._reload_lists()
        form = self.shown_form()
        if kind != self.current_kind:
            if form is not None and form.record_id() == record_id and not form.is_dirty():
                self.show_record(form.kind, record_id)
            return
        self._syncing = True
        try:
            visible = self._select_row(kind, record_id)
        finally:
            self._syncing = False
        if visible:
            self.show_record(kind, record_id)
        elif form is not None and form.record_id() == record_id:
            self._show_empty()
        self.record_actions.update()

    def report(self, err: UserError) -> None:
        """Why something cannot be done, as its one sentence."""
        QMessageBox.warning(self, _("Cannot do that"), str(err))

    def _report_failure(self, label: str, exc: BaseException) -> None:
        """How a write that failed is shown (see `ops.show_failure`)."""
        show_failure(self, _("Cannot do that"), exc)

    # --- another library -------------------------------------------------------------------

    def open_library(self, root: Path) -> MainWindow | None:
        """Switch to the library at `root`: a window on it replaces this one, whose library
        is closed (its lock freed). None, and this window stays, when the user keeps unsaved
        edits or the library cannot be opened (said in one sentence)."""
        if not self.confirm_leave():
            return None
        if self.writer.is_busy() and not wait_for_writes(
            self, self.writer, None, _("Finishing the changes before closing…")
        ):
            return None
        try:
            library = Library.open(root, write=True)
        except UserError as exc:
            self.report(exc)
            return None
        window = MainWindow(library, settings=self.settings)
        window.owns_library = True
        window.show()
        if not self.close():
            window.close()  # cannot happen after confirm_leave; never two windows on one stick
            return None
        self.library.close()
        return window

    # --- state ------------------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self.qsettings.value(layout_state.WINDOW_GEOMETRY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = self.qsettings.value(layout_state.WINDOW_SPLITTER)
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([130, 540, 696])
        for kind, table in self.tables.items():
            header = self.qsettings.value(layout_state.table_header(kind))
            if isinstance(header, QByteArray):
                table.horizontalHeader().restoreState(header)
        section = self.qsettings.value(layout_state.WINDOW_SECTION, 0)
        self.sidebar.setCurrentRow(int(str(section)) if str(section).isdigit() else 0)

    def save_state(self) -> None:
        self.qsettings.setValue(layout_state.WINDOW_GEOMETRY, self.saveGeometry())
        self.qsettings.setValue(layout_state.WINDOW_SPLITTER, self.splitter.saveState())
        self.qsettings.setValue(layout_state.WINDOW_SECTION, self.sidebar.currentRow())
        for kind, table in self.tables.items():
            self.qsettings.setValue(
                layout_state.table_header(kind), table.horizontalHeader().saveState()
            )

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirm_leave():
            event.ignore()
            return
        # Waiting changes are the user's: they are written before the window goes.
        if self.writer.is_busy() and not wait_for_writes(
            self, self.writer, None, _("Finishing the changes before closing…")
        ):
            event.ignore()
            return
        self.save_state()
        self._stop_warm_up()
        self.runner.shutdown()
        if self.owns_library:
            self.library.close()
        event.accept()
