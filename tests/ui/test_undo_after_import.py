"""Issue 12, defect 3, in the window's own undo stack: Ctrl+Z after an import or a "take
theirs" must not overwrite a version the step did not make (see also the service-level model
in tests/services/test_sharing_regressions.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from desktop_app.core.errors import UserError
from desktop_app.services import catalog, merge, packs
from desktop_app.storage.library import Library
from desktop_app.storage.models import Guide
from desktop_app.ui.undo import SaveCommand

DEFECT = "issue 12 defect 3: the window's undo overwrites a version it did not make"


def _guide(library: Library) -> str:
    with library.session() as s:
        return str(s.scalars(select(Guide.id).order_by(Guide.title)).first())


def _send(source: Library, target: Library, tmp: Path, name: str) -> None:
    packs.import_pack(target, packs.export_pack(source, tmp / f"{name}.jxpack").path)


def _edit_in_window(
    library: Library, stack: QUndoStack, reports: list[UserError], gid: str, season: str
) -> None:
    """What the guide form does on save: save, then push the undo command."""
    before = catalog.load_guide(library, gid)
    after = catalog.load_guide(library, gid)
    after.season = season
    catalog.save_guide(library, after, gid)
    stack.push(
        SaveCommand(
            library,
            "guide",
            gid,
            before=before,
            after=after,
            text="edit",
            notify=lambda _k, _i: None,
            report=reports.append,
        )
    )


@pytest.fixture
def laptops(demo_dir: Path, tmp_path: Path, qapp: QApplication) -> tuple[Library, Library]:
    a = Library.open(demo_dir, write=True)
    b = Library.create(tmp_path / "b")
    _send(a, b, tmp_path, "first")
    yield a, b
    a.close()
    b.close()


@pytest.mark.xfail(strict=True, reason=DEFECT)
def test_ctrl_z_after_importing_the_colleagues_edit_keeps_their_edit(
    laptops: tuple[Library, Library], tmp_path: Path
) -> None:
    a, b = laptops
    gid = _guide(a)
    stack, reports = QUndoStack(), []
    _edit_in_window(a, stack, reports, gid, "我的改动")
    _send(a, b, tmp_path, "a1")
    theirs = catalog.load_guide(b, gid)
    theirs.problem = "同事的改动"
    catalog.save_guide(b, theirs, gid)
    _send(b, a, tmp_path, "b1")
    stack.undo()
    assert catalog.load_guide(a, gid).problem == "同事的改动"
    assert len(reports) == 1  # the refusal, in a sentence
    _send(a, b, tmp_path, "a2")
    assert catalog.load_guide(b, gid).problem == "同事的改动"


@pytest.mark.xfail(strict=True, reason=DEFECT)
def test_ctrl_z_after_taking_theirs_keeps_theirs(
    laptops: tuple[Library, Library], tmp_path: Path
) -> None:
    a, b = laptops
    gid = _guide(a)
    stack, reports = QUndoStack(), []
    _edit_in_window(a, stack, reports, gid, "A 的季节")
    theirs = catalog.load_guide(b, gid)
    theirs.season = "B 的季节"
    catalog.save_guide(b, theirs, gid)
    _send(b, a, tmp_path, "b1")
    (conflict,) = merge.list_conflicts(a)
    merge.resolve_conflict(a, conflict.id, "theirs")
    stack.undo()
    assert catalog.load_guide(a, gid).season == "B 的季节"
    assert len(reports) == 1


def test_ctrl_z_of_an_edit_nobody_else_touched_still_undoes(
    laptops: tuple[Library, Library], tmp_path: Path
) -> None:
    a, _b = laptops
    gid = _guide(a)
    original = catalog.load_guide(a, gid).season
    stack, reports = QUndoStack(), []
    _edit_in_window(a, stack, reports, gid, "临时")
    stack.undo()
    assert catalog.load_guide(a, gid).season == original
    stack.redo()
    assert catalog.load_guide(a, gid).season == "临时"
    assert reports == []
