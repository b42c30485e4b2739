"""The lazy record models: correct by Qt's model tester, and lazy for real."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from desktop_app.services import catalog as c
from desktop_app.storage.library import Library
from desktop_app.ui import models as ui_models
from desktop_app.ui.models import IdRole, RecordTableModel


def test_every_kind_passes_the_model_tester(demo_library: Library, qtmodeltester: Any) -> None:
    for kind in ("team", "member", "guide", "session", "photo"):
        qtmodeltester.check(RecordTableModel(demo_library, kind))


def test_rows_are_exposed_in_batches_and_built_lazily(
    empty_library: Library, monkeypatch: Any, qapp: Any
) -> None:
    monkeypatch.setattr(ui_models, "BATCH", 10)
    for i in range(35):
        c.save_member(empty_library, c.MemberData(name=f"成员{i:02d}"))
    model = RecordTableModel(empty_library, "member")
    assert model.total_count() == 35
    assert model.rowCount() == 10
    assert model.cached_row_count() == 0  # nothing built until the view asks
    assert model.data(model.index(0, 0)) == "成员00"
    assert 0 < model.cached_row_count() <= ui_models.PAGE
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 35
    assert model.data(model.index(34, 0), IdRole)


def test_sort_and_filter_run_in_sql(demo_library: Library, qapp: Any) -> None:
    model = RecordTableModel(demo_library, "guide")
    model.sort(0, Qt.SortOrder.DescendingOrder)
    titles = [model.data(model.index(r, 0)) for r in range(model.rowCount())]
    assert titles == ["月季修剪", "榆叶梅修剪", "花后修剪", "管氏肿腿蜂防治光肩星天牛"]  # pinyin
    from desktop_app.services.listing import ListFilter

    model.set_filter(ListFilter(text="月季"))
    assert model.rowCount() == 1
