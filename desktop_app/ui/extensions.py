"""What a feature module may use of the main window: the `WindowContext` protocol.

Feature modules (packs, handouts, photos, reports, search, history, the hub, appearance,
language, restore, help) add their menus and actions to the main window without editing it.
Each has `install(ctx: WindowContext) -> <its feature object>`, called by
`MainWindow._install_features`, which keeps what it returns as a typed attribute
(`window.pack_actions`...): a feature never attaches attributes to the window, never imports
it and never calls its private methods (`tests/test_architecture.py` checks that).

The window is the implementation (`MainWindow` satisfies the protocol); the protocol is the
whole of what a feature may rely on, so the window can change behind it. `ctx.window()` (the
one every QWidget has) is the parent for a feature's dialogs and actions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLineEdit, QListWidget, QMenu, QTableView, QToolBar, QWidget

from desktop_app.core.errors import UserError
from desktop_app.core.settings import Settings
from desktop_app.storage.library import Library
from desktop_app.ui.history import History
from desktop_app.ui.workers import BackgroundRunner, LibraryWriter

if TYPE_CHECKING:
    from desktop_app.ui.forms.base import RecordForm


class WindowContext(Protocol):
    """The main window as its feature modules see it."""

    # --- the window and what it works on --------------------------------------------------

    def window(self) -> QWidget:
        """The parent of a feature's dialogs, actions and helper objects."""
        ...

    @property
    def library(self) -> Library: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def runner(self) -> BackgroundRunner:
        """Reads in the background (`ops.run_with_progress(via=ctx.runner)`)."""
        ...

    @property
    def writer(self) -> LibraryWriter:
        """The window's one writer: every library write goes through it."""
        ...

    @property
    def undo_stack(self) -> History: ...

    def undo(self) -> None:
        """The window's Undo (asks about unsaved form edits first)."""
        ...

    def redo(self) -> None: ...

    # --- where features add themselves ----------------------------------------------------

    @property
    def menus(self) -> Mapping[str, QMenu]:
        """By name: "file", "edit", "record", "view", "tools", "help"."""
        ...

    @property
    def toolbar(self) -> QToolBar: ...

    @property
    def search_box(self) -> QLineEdit:
        """The toolbar's box that filters the current list."""
        ...

    @property
    def sidebar(self) -> QListWidget: ...

    @property
    def tables(self) -> Mapping[str, QTableView]:
        """The record lists by kind (their look follows the text size)."""
        ...

    @property
    def quit_action(self) -> QAction:
        """File → Quit (features put their File entries above it)."""
        ...

    def add_status_widget(self, widget: QWidget) -> None:
        """A permanent widget at the right of the status bar."""
        ...

    def add_shortcut(self, action: QAction) -> None:
        """Make `action`'s shortcut work anywhere in the window, menus closed."""
        ...

    def when_form_built(self, kind: str, hook: Callable[[RecordForm], object]) -> None:
        """Call `hook(form)` when the form of `kind` is built (now, if it already is)."""
        ...

    def after_first_paint(self, hook: Callable[[], None]) -> None:
        """Run `hook` once the window's first screen is painted (start-up checks)."""
        ...

    # --- what is selected, and telling the window what changed ------------------------------

    def current_selection(self) -> tuple[str, list[str]]:
        """The current section's kind and the selected records' ids, in row order."""
        ...

    def shown_form(self) -> RecordForm | None:
        """The form on screen (None when no record is shown)."""
        ...

    def refresh(self, kind: str | None = None) -> None:
        """Reload the lists (one kind, or all) after the library changed."""
        ...

    def reload_list(self, kind: str) -> None: ...

    def record_changed(self, kind: str, record_id: str) -> None:
        """A feature (or its undo step) changed a record: update the lists and show it."""
        ...

    def select_record(self, kind: str, record_id: str) -> bool:
        """Go to a record's section and select it; False when the list does not show it."""
        ...

    def apply_filter(self) -> None:
        """Filter the current list by the search box now (not after its debounce)."""
        ...

    def show_conflicts(self) -> None:
        """The conflicts dialog (records changed both here and elsewhere)."""
        ...

    def update_conflict_count(self) -> None:
        """Conflicts may have come or gone (a sync): the count the window shows follows."""
        ...

    def show_status(self, text: str, msecs: int = 6000) -> None:
        """A line in the status bar."""
        ...

    def report(self, err: UserError) -> None:
        """Show why something cannot be done: its one sentence in a message box."""
        ...

    def open_library(self, root: Path) -> object | None:
        """Switch to the library at `root` (a new window); None when the user stayed."""
        ...
