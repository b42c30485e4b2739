"""The large library (`jiangxin dev generate-large`, scale 1): start-up, search, opening
records, scrolling and memory. Every figure has a floor measured in the same run.

- start-up to the first painted window with data (the session list of 20,000 rows), in a fresh
  interpreter each time, against a bare QApplication + empty QMainWindow shown;
- search latency for 1-, 2- and 4-character Chinese queries and a two-word query, against the
  raw FTS5 match of the same expression (no ranking, no snippets);
- opening a guide and a session with 50 photos in the window, against loading the same record
  through the catalog service (no widgets);
- peak RSS after scrolling the whole session list and the 500-photo grid, against the bare
  window; and the time per page while scrolling the session list.

The GUI figures run in subprocesses (offscreen), so each starts from a clean interpreter.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.harness import BenchResult, format_table, measure

REPO = Path(__file__).resolve().parents[2]
STARTUP_RUNS = 5
SEARCH_QUERIES = [
    ("search 1-char 蜂", "蜂"),
    ("search 2-char 修剪", "修剪"),
    ("search 4-char 月季修剪", "月季修剪"),
    ("search two words “月季 修剪”", "月季 修剪"),
    ("search very common 学员 (~every session)", "学员"),
]
SEARCH_GOAL_MS = 30.0
OPEN_GOAL_MS = 100.0
STARTUP_GOAL_RATIO = 4.0
RSS_GOAL_MB = 400.0


def library_dir() -> Path:
    """The generated large library, reused between runs (JIANGXIN_BENCH_LIBRARY overrides)."""
    configured = os.environ.get("JIANGXIN_BENCH_LIBRARY")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "jiangxin-bench-large"


def ensure_library(root: Path) -> float | None:
    """Generate the library unless it is already there; returns the seconds it took."""
    if (root / "library.sqlite3").is_file() and (root / ".generated").is_file():
        import sqlite3

        from desktop_app.storage import schema

        conn = sqlite3.connect(root / "library.sqlite3")
        try:
            current = schema.current_revision(conn)
        finally:
            conn.close()
        if current == schema.HEAD:  # else regenerate rather than time a migration
            return None
    import shutil

    from desktop_app.services.largegen import generate_large

    shutil.rmtree(root, ignore_errors=True)
    report = generate_large(root, scale=1.0)
    (root / ".generated").write_text(json.dumps(report.counts))
    return report.seconds


def _env(config: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        JIANGXIN_CONFIG_DIR=str(config),
        XDG_CONFIG_HOME=str(config / "xdg"),
        PYTHONPATH=str(REPO),
    )
    env.pop("JIANGXIN_QUIT_AFTER_SHOWN", None)
    # An installed or packaged app starts from compiled bytecode; a shell that forbids
    # writing .pyc files would otherwise make every run recompile the whole app.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _child(args: list[str], config: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_large", *args],
        cwd=REPO,
        env=_env(config),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {args[0]} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# --- children (run in a fresh interpreter) --------------------------------------------------

_PAINT_FILTER = """
from PySide6.QtCore import QEvent, QObject, QTimer
class _FirstPaint(QObject):
    def __init__(self, window, app):
        super().__init__(window)
        self.window, self.app, self.at = window, app, None
    def eventFilter(self, watched, event):
        if watched is self.window and event.type() == QEvent.Type.Paint and self.at is None:
            QTimer.singleShot(0, self._done)  # after this frame is painted
        return False
    def _done(self):
        if self.at is None:
            self.at = time.time()
            self.app.quit()
"""


def child_bare() -> dict[str, Any]:
    """Floor: a bare QApplication and an empty QMainWindow, shown and painted once."""
    import resource

    namespace: dict[str, Any] = {"time": time}
    from PySide6.QtWidgets import QApplication, QMainWindow

    exec(_PAINT_FILTER, namespace)
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.resize(1280, 720)
    watcher = namespace["_FirstPaint"](window, app)
    window.installEventFilter(watcher)
    window.show()
    app.exec()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"painted_at": watcher.at, "peak_rss_mb": peak}


def _open_window(root: Path, section: int = 3) -> tuple[Any, Any, Any]:
    """The app's own start-up path: translations, fonts, library, main window on a section."""
    from desktop_app.app import create_application, install_qt_translations
    from desktop_app.core.i18n import current_language, set_language
    from desktop_app.storage.library import Library
    from desktop_app.ui import layout_state

    set_language("zh_CN")
    app = create_application()
    install_qt_translations(app, current_language())
    layout_state.layout_settings().setValue(
        layout_state.WINDOW_SECTION, section
    )  # open on the 20,000 sessions
    library = Library.open(root, write=True)
    from desktop_app.ui.main_window import MainWindow

    window = MainWindow(library)
    return app, library, window


def _start_until_painted(root: Path) -> tuple[Any, Any, Any, float]:
    """The app's start-up path, run until its window's first paint: (app, library, window,
    the time of that paint)."""
    namespace: dict[str, Any] = {"time": time}
    exec(_PAINT_FILTER, namespace)
    app, library, window = _open_window(root)
    watcher = namespace["_FirstPaint"](window, app)
    window.installEventFilter(watcher)
    window.show()
    app.exec()  # quits right after the first paint
    return app, library, window, watcher.at


def child_startup(root: Path) -> dict[str, Any]:
    _app, library, window, painted = _start_until_painted(root)
    model = window.current_model()
    result = {
        "painted_at": painted,
        "kind": window.current_kind,
        "total": model.total_count(),
        "loaded": model.loaded_count(),
        "cached": model.cached_row_count(),
        "heavy": [m for m in ("reportlab", "pillow_heif") if m in sys.modules],
    }
    window.close()
    library.close()
    return result


def child_first_record(root: Path) -> dict[str, Any]:
    """Start-up, then a click on the first session as soon as the list is painted: the form
    needs the ORM, which is still being imported in the background at that moment."""
    _app, library, window, painted = _start_until_painted(root)
    window.current_table().selectRow(0)
    form = window.shown_form()
    if form is None or form.record_id() is None:
        raise RuntimeError("the first session did not open")
    window.repaint()
    opened = time.time()
    window.close()
    library.close()
    return {"painted_at": painted, "opened_at": opened}


def _session_ids_with_photos(root: Path, count: int) -> list[str]:
    import sqlite3

    conn = sqlite3.connect(f"{(root / 'library.sqlite3').as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT session_id FROM session_photo GROUP BY session_id HAVING COUNT(*) = ?"
            " ORDER BY session_id LIMIT 4",
            (count,),
        ).fetchall()
    finally:
        conn.close()
    return [r[0] for r in rows]


def child_open(root: Path) -> dict[str, Any]:
    from desktop_app.services import catalog, listing

    app, library, window = _open_window(root)
    window.show()
    app.processEvents()
    sessions = _session_ids_with_photos(root, 50)
    guides = listing.list_ids(library, "guide")[:4]

    def opener(kind: str, ids: list[str]) -> Any:
        state = {"i": 0}

        def open_next() -> None:
            # A different record each time, as a user clicking down a list.
            record_id = ids[state["i"] % len(ids)]
            state["i"] += 1
            if not window.select_record(kind, record_id):
                raise RuntimeError(f"cannot open {kind} {record_id}")
            app.processEvents()  # layout and paint of the form

        return open_next

    from PySide6.QtWidgets import QWidget

    out = {
        "guide_ms": measure(opener("guide", guides), repeat=9),
        "session_ms": measure(opener("session", sessions), repeat=9),
        "guide_floor_ms": measure(lambda: catalog.load_guide(library, guides[0]), repeat=9),
        "session_floor_ms": measure(lambda: catalog.load_session(library, sessions[0]), repeat=9),
        "photos_in_session": 50,
        # The session form (and its grid) is built when the first session is shown.
        "grid": window.findChild(QWidget, "session_photo_grid") is not None,
    }
    window.close()
    library.close()
    return out


def child_memory(root: Path) -> dict[str, Any]:
    import resource

    from PySide6.QtWidgets import QListView, QWidget

    app, library, window = _open_window(root)
    window.resize(1366, 740)
    window.show()
    app.processEvents()
    table = window.current_table()
    model = window.current_model()
    bar = table.verticalScrollBar()
    steps: list[float] = []
    # Page down through the whole list, as fast as the view allows, painting every page.
    while True:
        start = time.perf_counter()
        bar.setValue(bar.value() + bar.pageStep())
        app.processEvents()
        table.viewport().repaint()
        steps.append((time.perf_counter() - start) * 1000)
        if bar.value() >= bar.maximum() and not model.canFetchMore():
            break
    list_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    big = _session_ids_with_photos(root, 500)
    grid_rows = 0
    grid_model: Any = None
    grid_steps: list[float] = []
    grid: Any = None
    if big:
        window.select_record("session", big[0])
        app.processEvents()
        grid = window.findChild(QWidget, "session_photo_grid")
    if grid is not None:
        view = grid.findChild(QListView)
        grid_model = view.model()
        grid_rows = grid_model.rowCount()
        gbar = view.verticalScrollBar()
        for _ in range(5):  # let the form lay out the grid before reading its scroll range
            app.processEvents()
        while True:
            start = time.perf_counter()
            gbar.setValue(gbar.value() + gbar.pageStep())
            app.processEvents()
            # grab() paints the viewport even where the form's scroll area clips it.
            view.viewport().grab()
            app.processEvents()
            grid_steps.append((time.perf_counter() - start) * 1000)
            # Let the background thumbnail loads of this page finish (bounded wait).
            deadline = time.perf_counter() + 5
            while grid_model.loads_pending() and time.perf_counter() < deadline:
                app.processEvents()
                time.sleep(0.002)
            if gbar.value() >= gbar.maximum():
                break
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "rows": model.rowCount(),
        "pages": len(steps),
        "page_ms_median": statistics.median(steps),
        "page_ms_max": max(steps),
        "cached_rows": model.cached_row_count(),
        "list_rss_mb": list_rss,
        "grid": grid is not None,
        "grid_rows": grid_rows,
        "grid_page_ms_median": statistics.median(grid_steps) if grid_steps else None,
        "grid_pages": len(grid_steps),
        "grid_cached_pixmaps": len(grid_model.cache) if grid_rows else 0,
        "peak_rss_mb": peak,
    }
    window.runner.wait(10000)
    window.close()
    library.close()
    return result


# --- the figures ----------------------------------------------------------------------------


def bench_startup(root: Path, config: Path) -> list[BenchResult]:
    import compileall

    compileall.compile_dir(str(REPO / "desktop_app"), quiet=1)
    bare: list[float] = []
    app: list[float] = []
    info: dict[str, Any] = {}
    for _ in range(STARTUP_RUNS):
        for kind, out in (("bare", bare), ("startup", app)):
            args = [f"child-{kind}"] + ([] if kind == "bare" else [str(root)])
            started = time.time()
            result = _child(args, config)
            out.append((result["painted_at"] - started) * 1000)
            if kind == "startup":
                info = result
    floor = statistics.median(bare)
    median = statistics.median(app)
    ratio = median / floor
    first: list[float] = []
    for _ in range(STARTUP_RUNS):
        started = time.time()
        result = _child(["child-first-record", str(root)], config)
        first.append((result["opened_at"] - started) * 1000)
    print(
        f"  start-up: first screen of {info.get('kind')} list, {info.get('loaded')} of "
        f"{info.get('total')} rows exposed, {info.get('cached')} rows built; "
        f"heavy modules loaded: {info.get('heavy') or 'none'}",
        file=sys.stderr,
    )
    return [
        BenchResult(
            "start-up to first painted window (20,000 sessions)",
            median,
            "ms",
            "bare QApplication + empty QMainWindow",
            floor,
            f"<= {STARTUP_GOAL_RATIO:g}x floor",
            ratio <= STARTUP_GOAL_RATIO,
        ),
        BenchResult(
            "start-up, then the first session opened at once (form + ORM loaded)",
            statistics.median(first),
            "ms",
            "bare QApplication + empty QMainWindow",
            floor,
            "",
            None,
        ),
    ]


def bench_search(root: Path) -> list[BenchResult]:
    from desktop_app.services import search
    from desktop_app.storage import searchtext
    from desktop_app.storage.library import Library

    results = []
    with Library.open(root, write=False) as library, library.engine.connect() as conn:
        for name, query in SEARCH_QUERIES:
            expression = searchtext.match_expression(query)

            def raw(expression: str | None = expression) -> None:
                conn.exec_driver_sql(
                    "SELECT count(*) FROM search_fts WHERE search_fts MATCH ?", (expression,)
                ).scalar()

            def full(query: str = query) -> None:
                search.search(library, query)

            median = measure(full, repeat=11, warmup=2)
            results.append(
                BenchResult(
                    name,
                    median,
                    "ms",
                    "raw FTS5 match count",
                    measure(raw, repeat=11, warmup=2),
                    f"< {SEARCH_GOAL_MS:g} ms",
                    median < SEARCH_GOAL_MS,
                )
            )
    return results


def bench_open(root: Path, config: Path) -> list[BenchResult]:
    out = _child(["child-open", str(root)], config)
    return [
        BenchResult(
            "open a guide in the window",
            out["guide_ms"],
            "ms",
            "catalog.load_guide (no widgets)",
            out["guide_floor_ms"],
            f"< {OPEN_GOAL_MS:g} ms",
            out["guide_ms"] < OPEN_GOAL_MS,
        ),
        BenchResult(
            "open a session with 50 photos"
            + (" (with photo grid)" if out["grid"] else " (no photo grid yet)"),
            out["session_ms"],
            "ms",
            "catalog.load_session (no widgets)",
            out["session_floor_ms"],
            f"< {OPEN_GOAL_MS:g} ms",
            out["session_ms"] < OPEN_GOAL_MS,
        ),
    ]


def bench_memory(root: Path, config: Path) -> list[BenchResult]:
    floor = _child(["child-bare"], config)["peak_rss_mb"]
    out = _child(["child-memory", str(root)], config)
    grid = (
        f"and the {out['grid_rows']}-photo grid"
        if out["grid"] and out["grid_rows"]
        else "(no photo grid: list only)"
    )
    print(
        f"  memory: {out['rows']} rows scrolled in {out['pages']} pages "
        f"(max {out['page_ms_max']:.1f} ms/page), {out['cached_rows']} rows cached; "
        f"RSS after the list {out['list_rss_mb']:.0f} MB; grid: {out['grid_pages']} pages, "
        f"median {out['grid_page_ms_median']} ms/page (thumbnail loads waited for)",
        file=sys.stderr,
    )
    return [
        BenchResult(
            "scroll the session list: one page",
            out["page_ms_median"],
            "ms",
            "",
            None,
            "< 16 ms (60 fps)",
            out["page_ms_median"] < 16,
        ),
        BenchResult(
            f"peak RSS after scrolling 20,000 sessions {grid}",
            out["peak_rss_mb"],
            "MB",
            "bare QApplication + empty QMainWindow",
            floor,
            f"< {RSS_GOAL_MB:g} MB",
            out["peak_rss_mb"] < RSS_GOAL_MB,
        ),
    ]


def run() -> list[BenchResult]:
    root = library_dir()
    seconds = ensure_library(root)
    results: list[BenchResult] = []
    if seconds is not None:
        results.append(
            BenchResult("generate-large (scale 1)", seconds, "s", "", None, "< 60 s", seconds < 60)
        )
    with tempfile.TemporaryDirectory(prefix="jiangxin-bench-config-") as tmp:
        config = Path(tmp)
        results += bench_startup(root, config)
        results += bench_search(root)
        results += bench_open(root, config)
        results += bench_memory(root, config)
    return results


def _main(argv: list[str]) -> int:
    if argv and argv[0].startswith("child-"):
        name = argv[0]
        root = Path(argv[1]) if len(argv) > 1 else Path()
        children = {
            "child-bare": lambda: child_bare(),
            "child-startup": lambda: child_startup(root),
            "child-first-record": lambda: child_first_record(root),
            "child-open": lambda: child_open(root),
            "child-memory": lambda: child_memory(root),
        }
        print(json.dumps(children[name]()))
        return 0
    print(format_table(run()))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
