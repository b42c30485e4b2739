"""The record-kind registry: each kind's shape declared once, and everything else agreeing."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import inspect

from desktop_app.services.pack_format import RECORD_SCHEMAS
from desktop_app.services.records import RECORD_FIELDS
from desktop_app.storage.kinds import KIND_ORDER, KINDS, upgrade_dict


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
