"""Only the UI layer and the composition root may import Qt."""

from __future__ import annotations

import ast
from pathlib import Path

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
