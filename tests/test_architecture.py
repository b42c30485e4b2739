"""Only the UI layer and the composition root may import Qt."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "desktop_app"
ALLOWED = {PACKAGE / "app.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_ui_and_app_import_qt() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path in ALLOWED or (PACKAGE / "ui") in path.parents:
            continue
        if any(name.split(".")[0] in {"PySide6", "shiboken6"} for name in _imports(path)):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_ui_never_runs_raw_sql() -> None:
    """The UI calls services; it does not build queries itself."""
    offenders = []
    for path in (PACKAGE / "ui").rglob("*.py"):
        imported = _imports(path)
        if any(name == "sqlalchemy" or name.startswith("sqlalchemy.") for name in imported):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_the_architecture_test_sees_qt_imports(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from PySide6.QtCore import QObject\n")
    assert "PySide6.QtCore" in _imports(sample)


def test_window_layout_keys_live_in_one_module() -> None:
    """Issue 17: every QSettings key is declared once, in ui/layout_state.py."""
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name != "layout_state.py" and re.search(r"\bQSettings\b", p.read_text("utf-8"))
    ]
    assert offenders == []


def test_the_window_layout_is_stored_in_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JIANGXIN_CONFIG_DIR moves the window's layout too, not only settings.json."""
    from desktop_app.ui import layout_state

    monkeypatch.setenv("JIANGXIN_CONFIG_DIR", str(tmp_path / "cfg"))
    settings = layout_state.layout_settings()
    settings.setValue(layout_state.WINDOW_SECTION, 3)
    settings.sync()
    assert (tmp_path / "cfg" / "layout.ini").is_file()
    assert layout_state.layout_settings().value(layout_state.WINDOW_SECTION) in (3, "3")


WINDOW_NAMES = {"window", "window_", "main_window", "ctx"}


def _window_privates(tree: ast.AST) -> list[str]:
    """`window._report(...)`, `self.window._after_change`: private names reached on a window."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        if node.attr.startswith("__"):
            continue
        base = node.value
        name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
        if name in WINDOW_NAMES:
            found.append(f"{name}.{node.attr}")
    return found


def test_feature_modules_see_the_window_only_through_its_context() -> None:
    """Issue 17: a feature module takes an `extensions.WindowContext`; it never imports the
    main window, reaches for its private names, or attaches attributes to it."""
    offenders = []
    for path in (PACKAGE / "ui").rglob("*.py"):
        if path.name == "main_window.py":
            continue
        rel = str(path.relative_to(PACKAGE))
        tree = ast.parse(path.read_text("utf-8"))
        if "desktop_app.ui.main_window" in _imports(path):
            offenders.append(f"{rel} imports main_window")
        offenders += [f"{rel} uses {name}" for name in _window_privates(tree)]
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "install":
                first = node.args.args[0].annotation if node.args.args else None
                if not (isinstance(first, ast.Name) and first.id == "WindowContext"):
                    offenders.append(f"{rel}: install() does not take a WindowContext")
    assert offenders == []


def test_the_window_check_sees_private_names() -> None:
    tree = ast.parse("window._report(e)\nself.window._after_change(k, i)\nself._own()\n")
    assert _window_privates(tree) == ["window._report", "window._after_change"]
