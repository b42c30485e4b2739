"""A generated library of a few thousand rows: the lists load lazily, and start-up stays light."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QTableView

from desktop_app.services import listing
from desktop_app.services.largegen import generate_large
from desktop_app.storage.library import Library
from desktop_app.ui import models
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.models import RecordTableModel
from desktop_app.ui.workers import SynchronousRunner
from tests.fresh_python import run_json

SESSIONS = 2000  # scale 0.1


@pytest.fixture(scope="module")
def large_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("large") / "lib"
    generate_large(root, scale=0.1)
    return root


@pytest.fixture
def large_library(large_template: Path) -> Iterator[Library]:
    library = Library.open(large_template, write=False)
    yield library
    library.close()


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of every fetch_rows call the models make."""
    calls: list[int] = []
    real = listing.fetch_rows

    def counting(library: Library, kind: str, ids: Any) -> Any:
        calls.append(len(ids))
        return real(library, kind, ids)

    monkeypatch.setattr(listing, "fetch_rows", counting)
    return calls


def test_the_session_list_does_not_fetch_every_row(
    large_library: Library, fetched: list[int], qtbot: Any, qtmodeltester: Any
) -> None:
    model = RecordTableModel(large_library, "session")
    assert model.total_count() == SESSIONS
    assert model.rowCount() == models.BATCH < SESSIONS
    assert fetched == []  # ids only until a row is shown
    view = QTableView()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)
    view.grab()  # paint now: the view asks for the rows on screen
    first_screen = sum(fetched)
    assert 0 < first_screen <= 2 * models.PAGE
    assert model.data(model.index(0, 2))  # the theme of the first row is there
    # Jumping to the end exposes all ids but builds only the rows that come on screen.
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == SESSIONS
    before = sum(fetched)
    view.scrollToBottom()
    view.grab()
    assert 0 < sum(fetched) - before <= 2 * models.PAGE
    assert model.data(model.index(SESSIONS - 1, 2))
    assert max(fetched) <= models.PAGE
    assert sum(fetched) <= 4 * models.PAGE
    qtmodeltester.check(model)


def test_the_window_opens_on_the_large_library_without_loading_all_rows(
    large_library: Library, fetched: list[int], qtbot: Any
) -> None:
    window = MainWindow(large_library, runner=SynchronousRunner())
    qtbot.addWidget(window)
    window.show()
    window.sidebar.setCurrentRow(3)
    qtbot.waitExposed(window)
    model = window.current_model()
    assert window.current_kind == "session"
    assert model.total_count() == SESSIONS
    assert model.loaded_count() <= models.BATCH
    assert sum(fetched) <= 4 * models.PAGE  # a page or two per section that was painted


def test_start_up_does_not_import_heavy_modules(large_template: Path, tmp_path: Path) -> None:
    # The real program path (run_gui), closed after its first paint, in a fresh interpreter:
    # the first screen is painted from plain sqlite3, before SQLAlchemy or any heavy module.
    script = (
        "import json, sys\n"
        "from desktop_app.app import run_gui\n"
        f"code = run_gui({str(large_template)!r}, 'en')\n"
        "heavy = [m for m in ('reportlab', 'pillow_heif', 'PIL', 'alembic', 'sqlalchemy')"
        " if m in sys.modules]\n"
        "print(json.dumps({'code': code, 'heavy': heavy}))\n"
    )
    result = run_json(
        ["-c", script],
        {
            "QT_QPA_PLATFORM": "offscreen",
            "JIANGXIN_QUIT_AFTER_SHOWN": "1",
            "JIANGXIN_CONFIG_DIR": str(tmp_path / "config"),
        },
    )
    assert result["code"] == 0
    assert result["heavy"] == [], result
