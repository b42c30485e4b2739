"""The record-kind registry: each kind's shape declared once, and everything else agreeing.

Records go through the database on SQLite and on PostgreSQL (`any_empty_store`,
tests/stores.py); the search index is SQLite's FTS5, in laptop libraries only, so its tests
stay on SQLite."""

from __future__ import annotations

import copy
import re
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import inspect

from desktop_app.services import search
from desktop_app.services.pack_format import RECORD_SCHEMAS
from desktop_app.services.records import RECORD_FIELDS
from desktop_app.storage import searchindex
from desktop_app.storage.kinds import DISPLAY_ORDER, KIND_ORDER, KINDS, LIST_NAMES, upgrade_dict
from desktop_app.storage.library import Library
from tests.stores import Store

MSGIDS = set(
    re.findall(
        r'^msgid "(.+)"$',
        (
            Path(__file__).parents[2] / "resources/translations/zh_CN/LC_MESSAGES/jiangxin.po"
        ).read_text(encoding="utf-8"),
        re.M,
    )
)


def test_every_kind_is_declared_in_dependency_order() -> None:
    position = {name: i for i, name in enumerate(KIND_ORDER)}
    for name, spec in KINDS.items():
        for _path, target in spec.references:
            assert position[target] < position[name], (name, target)


def test_declared_fields_are_the_models_columns_and_relations() -> None:
    for spec in KINDS.values():
        mapper = inspect(spec.model)
        columns = {attr.key for attr in mapper.column_attrs}
        assert set(RECORD_FIELDS + spec.fields) <= columns, spec.name
        owned = {rel.key for rel in mapper.relationships if rel.cascade.delete_orphan}
        assert set(spec.children) == owned, spec.name
        for name in spec.personal + spec.list_fields + spec.datetime_fields:
            assert name in spec.fields


def test_the_pack_schema_covers_exactly_the_record_dictionary() -> None:
    """A field added to a kind and forgotten in the pack reader (or the other way round)
    would be silently dropped on every exchange."""
    for name, spec in KINDS.items():
        empty = SimpleNamespace(**{key: [] for key in spec.children})
        child_keys = set(spec.child_dicts(empty))
        own = set(spec.fields) - set(spec.personal)
        assert set(RECORD_SCHEMAS[name]) == own | child_keys, name


def test_a_teams_category_from_an_older_writer_is_read_as_category() -> None:
    old = {"id": "t", "name": "队", "kind": "education"}
    assert upgrade_dict("team", old) == {"id": "t", "name": "队", "category": "education"}
    assert upgrade_dict("guide", {"kind": "x"}) == {"kind": "x"}


# --- every field of every kind, through the registry -----------------------------------------

STAMP = "2025-03-04T05:06:07+00:00"


def _word(n: int) -> str:
    """A distinct Latin search word per field ("zqbx", "zqcx"...): no prefix of another."""
    return "zq" + "".join(chr(ord("a") + int(d)) for d in str(n)) + "x"


def _full_dicts() -> dict[str, dict[str, Any]]:
    """One record of every kind with every field and child filled, each text a distinct word,
    the references forming a chain (session -> guide -> team -> member -> photo)."""
    words = iter(_word(n) for n in range(1000))

    def rec(rid: str) -> dict[str, Any]:
        return {"id": rid, "created_at": STAMP, "updated_at": STAMP, "revision": 3,
                "deleted_at": None}  # fmt: skip

    sha = "ab" * 32
    return {
        "photo": rec("p1") | {
            "sha256": sha, "ext": "jpg", "original_name": next(words), "byte_size": 10,
            "width": 4, "height": 3, "taken_at": STAMP, "camera": next(words),
            "gps_lat": 39.9, "gps_lon": 116.4, "orientation": 1, "rotation": 90,
            "caption": next(words),
        },
        "member": rec("m1") | {
            "name": next(words), "honours": [{"title": next(words), "year": 2020}],
            "specialty": next(words), "employer": next(words), "phone": "13800000000",
            "notes": next(words), "portrait_photo_id": "p1",
        },
        "team": rec("t1") | {
            "name": next(words), "category": "education", "parent_union": next(words),
            "description": next(words), "expertise": [next(words), next(words)],
            "member_count_note": next(words),
            "members": [{"id": "tm1", "member_id": "m1", "role": "captain"}],
        },
        "guide": rec("g1") | {
            "title": next(words), "category": next(words), "problem": next(words),
            "season": next(words), "materials": [next(words)], "key_points": [next(words)],
            "safety_notes": [next(words)], "common_mistakes": [next(words)],
            "tags": [next(words)], "team_id": "t1", "is_demo": False,
            "author_ids": ["m1"], "recognition_photo_id": "p1",
            "steps": [{"id": "gs1", "text": next(words), "photo_ids": ["p1"], "risky": True}],
        },
        "session": rec("s1") | {
            "starts_at": STAMP, "ends_at": "2025-03-04T07:06:07+00:00", "venue": next(words),
            "gps_lat": 39.9, "gps_lon": 116.4, "host_organisations": [next(words)],
            "theme": next(words), "summary": next(words), "follow_ups": [next(words)],
            "time_zone": "Asia/Shanghai", "team_ids": ["t1"],
            "attendees": [{"id": "sa1", "member_id": "m1", "role": "coach", "note": next(words)}],
            "groups": [{"id": "pg1", "name": next(words), "count": 12}],
            "agenda": [{"id": "ai1", "title": next(words), "time": "09:30",
                        "leader": next(words)}],
            "guide_ids": ["g1"],
            "feedback": [{"id": "fq1", "text": next(words), "speaker": next(words),
                          "speaker_role": next(words)}],
            "photo_ids": ["p1"],
        },
    }  # fmt: skip


def test_the_full_records_fill_every_declared_field() -> None:
    for name, data in _full_dicts().items():
        spec = KINDS[name]
        empty = SimpleNamespace(**{key: [] for key in spec.children})
        assert set(data) == set(RECORD_FIELDS + spec.fields) | set(spec.child_dicts(empty))


@pytest.mark.parametrize("name", KIND_ORDER)
def test_every_field_round_trips_through_a_record_in_memory(name: str) -> None:
    spec = KINDS[name]
    data = _full_dicts()[name]
    obj = spec.model(id=data["id"])
    spec.assign(obj, data, contacts=True)
    assert spec.to_dict(obj) == data
    # Personal fields stay home unless contacts are asked for.
    bare = spec.model(id=data["id"])
    spec.assign(bare, data, contacts=False)
    for field in spec.personal:
        assert getattr(bare, field) == ""


def test_every_field_round_trips_through_the_database(any_empty_store: Store) -> None:
    full = _full_dicts()
    with any_empty_store.transaction() as s:
        for name in KIND_ORDER:  # dependency order: references exist when inserted
            obj = KINDS[name].model(id=full[name]["id"])
            KINDS[name].assign(obj, full[name], contacts=True)
            s.add(obj)
    with any_empty_store.session() as s:
        for name in KIND_ORDER:
            spec = KINDS[name]
            obj = s.get(spec.model, full[name]["id"], options=spec.loader_options())
            got = spec.to_dict(obj)
            for meta in ("revision", "updated_at"):  # stamped by the version writer on save
                got.pop(meta), full[name].pop(meta)
            assert got == full[name], name


def test_references_are_found_and_mapped_for_every_declared_path() -> None:
    full = _full_dicts()
    expected = {
        "photo": set(),
        "member": {("photo", "p1")},
        "team": {("member", "m1")},
        "guide": {("team", "t1"), ("member", "m1"), ("photo", "p1")},
        "session": {("team", "t1"), ("member", "m1"), ("guide", "g1"), ("photo", "p1")},
    }
    for name, spec in KINDS.items():
        data = full[name]
        assert set(spec.references_in(data)) == expected[name], name
        assert {target for _path, target in spec.references} == {k for k, _ in expected[name]}
        for target in {k for k, _ in expected[name]}:
            before = copy.deepcopy(data)
            mapped = spec.map_references(data, target, lambda rid: "new-" + rid)
            assert data == before  # the input is not changed
            refs = set(spec.references_in(mapped))
            assert (target, "new-" + dict(expected[name])[target]) in refs
            assert all(rid.startswith("new-") for k, rid in refs if k == target)
            assert {(k, r) for k, r in refs if k != target} == {
                (k, r) for k, r in expected[name] if k != target
            }


# --- how people see a kind: names, lists and search documents ---------------------------------


def test_every_kind_has_its_names_and_a_list_word() -> None:
    assert DISPLAY_ORDER == ("team", "member", "guide", "session", "photo")
    assert {KINDS[k].list_name: k for k in DISPLAY_ORDER} == LIST_NAMES and len(LIST_NAMES) == 5
    for spec in KINDS.values():
        assert spec.table and spec.label and spec.label_plural, spec.name
        # Both are translated: the names come from the catalogue, never English on screen.
        assert spec.label in MSGIDS and spec.label_plural in MSGIDS, spec.name


def test_every_list_column_and_filter_names_what_the_kind_has() -> None:
    for spec in KINDS.values():
        lst = spec.list_spec
        row_keys = {"id", "revision"} | {v.key for v in lst.rows}
        assert len(row_keys) == len(lst.rows) + 2, spec.name  # no key twice
        for column in lst.columns:
            assert {column.key, column.shown_key} <= row_keys, (spec.name, column.key)
            assert not column.machine or column.machine in row_keys
        assert lst.default_sort[0] in {c.key for c in lst.columns}
        assert set(lst.filter_fields) <= set(spec.fields), spec.name
        if lst.name:
            assert lst.name[0] in spec.fields
        for value in lst.rows:
            if value.format not in ("count", "team_names"):
                assert set(value.source.split(",")) <= set(spec.fields) | set(RECORD_FIELDS)


def test_search_documents_name_fields_of_their_kind_and_distinct_slots() -> None:
    slots = sorted(spec.search_document.slot for spec in KINDS.values())
    assert slots == list(range(len(KINDS)))
    for spec in KINDS.values():
        doc = spec.search_document
        assert set(doc.fields_read()) <= set(spec.fields), spec.name


def _triggers(db: Path) -> set[tuple[str, str, str, str]]:
    """(table, operation, kind, id column) of every search trigger in a library's database."""
    found = set()
    with sqlite3.connect(db) as conn:
        for name, table, sql in conn.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
        ):
            if not name.endswith("_fts"):
                continue
            op = re.search(r"AFTER (\w+) ON", sql).group(1).lower()  # type: ignore[union-attr]
            for kind, row, column in re.findall(r"VALUES \('(\w+)', (NEW|OLD)\.(\w+)\)", sql):
                assert row == ("OLD" if op == "delete" else row)
                found.add((table, op, kind, column))
    return found


def test_the_search_triggers_watch_exactly_what_the_search_documents_read(
    empty_library: Library,
) -> None:
    """A field or child table added to a search document without a migration for its trigger
    would leave the index stale on every edit of it."""
    expected = {
        (table, op, kind, column)
        for table, (kind, column) in searchindex.trigger_sources().items()
        for op in ("insert", "update", "delete")
    }
    assert _triggers(empty_library.root / "library.sqlite3") == expected
    # Every table a document reads from is watched: the kind's own and its children's.
    for name, spec in KINDS.items():
        tables = {spec.table} | {c.table for c in spec.search_document.children}
        assert {(t, "update", name) for t in tables} <= {e[:3] for e in expected}


def test_every_field_a_search_document_declares_is_found(empty_library: Library) -> None:
    full = _full_dicts()
    with empty_library.transaction() as s:
        for name in KIND_ORDER:
            obj = KINDS[name].model(id=full[name]["id"])
            KINDS[name].assign(obj, full[name], contacts=True)
            s.add(obj)
    for name, spec in KINDS.items():
        doc = spec.search_document
        words = [full[name][f] for f in (doc.title, *doc.body)]
        child_keys = {"guide_step": "steps", "agenda_item": "agenda"}
        child_keys |= {"participant_group": "groups", "feedback_quote": "feedback"}
        for child in doc.children:
            for row in full[name][child_keys[child.table]]:
                words += [row[c] for c in child.columns]
        flat: list[str] = []
        for w in words:
            flat += (
                [h["title"] for h in w]
                if name == "member" and isinstance(w, list)
                else (w if isinstance(w, list) else [w])
            )
        assert flat, name
        for word in flat:
            assert [(h.kind, h.id) for h in search.search(empty_library, word)] == [
                (name, full[name]["id"])
            ], (name, word)
    # Fields a document does not declare are not searchable (a member's notes stay private).
    assert search.search(empty_library, full["member"]["notes"]) == []
    assert search.verify_index(empty_library).ok


def test_every_shown_line_names_a_field_of_the_record_and_a_known_format() -> None:
    from desktop_app.services.describe import ENUM_LABELS, FORMATS

    full = _full_dicts()
    for name, spec in KINDS.items():
        assert spec.shown, name
        for line in spec.shown:
            assert line.field in full[name], (name, line.field)
            assert line.format in FORMATS, (name, line.format)
            assert line.label in MSGIDS, line.label
            if line.format in ("ref", "refs", "ref_lines"):
                assert (line.field, line.arg) in spec.references, (name, line.field)
            if line.format == "enum":
                assert line.arg in ENUM_LABELS


def test_show_reads_every_kind_with_names_for_references(any_empty_store: Store) -> None:
    """`jiangxin show` of a record with every field filled: each declared line is there, and
    a reference reads as the name of what it points to, never its id."""
    from desktop_app.services.describe import describe

    full = _full_dicts()
    with any_empty_store.transaction() as s:
        for name in KIND_ORDER:
            obj = KINDS[name].model(id=full[name]["id"])
            KINDS[name].assign(obj, full[name], contacts=True)
            s.add(obj)
    member_name, team_name = full["member"]["name"], full["team"]["name"]
    for name, spec in KINDS.items():
        lines = describe(any_empty_store, name, full[name])
        labels = [label for label, _value in lines]
        assert labels[:2] == ["ID", "Revision"]
        expected = [line.label.format(n=1) for line in spec.shown]
        assert [lb for lb in labels[2:] if lb in expected] == [
            lb for lb in expected if lb in labels
        ]  # in the declared order
        text = "\n".join(value for _label, value in lines[1:])
        for rid in ("p1", "m1", "t1", "g1"):
            assert rid not in text.split(), (name, rid)
    session = dict(describe(any_empty_store, "session", full["session"]))
    assert session["Teams"] == team_name
    assert session["Present"].startswith(member_name)
    assert session["Guide"] == full["guide"]["title"]
    assert session["Photos"] == "1"
    guide = dict(describe(any_empty_store, "guide", full["guide"]))
    assert guide["Team"] == team_name and guide["Authors"] == member_name
    assert guide["Step 1"] == full["guide"]["steps"][0]["text"]
    photo = dict(describe(any_empty_store, "photo", full["photo"]))
    assert photo["Size"] == "4×3, 10 B" and photo["SHA-256"] == "ab" * 32
    team = dict(describe(any_empty_store, "team", full["team"]))
    assert team["Category"] == "Education and training"
    assert team["Member"] == f"{member_name}（Captain）"
