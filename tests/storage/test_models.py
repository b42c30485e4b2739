"""Constraints the database itself enforces, whatever code writes to it: on SQLite and on
PostgreSQL (`any_empty_store`, tests/stores.py)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import IntegrityError

from desktop_app.storage.models import (
    Member,
    Photo,
    ServiceTeam,
    TeamMembership,
    utcnow,
)
from tests.stores import Store


def test_records_get_uuid_ids_and_audit_fields(any_empty_store: Store) -> None:
    with any_empty_store.transaction() as s:
        team = ServiceTeam(name="专业技术服务2队")
        s.add(team)
        s.flush()
        assert uuid.UUID(team.id).version == 4
        assert team.revision == 1
        assert team.created_at.tzinfo is not None
        assert team.deleted_at is None


def test_live_team_names_are_unique_but_a_deleted_team_frees_its_name(
    any_empty_store: Store,
) -> None:
    with any_empty_store.transaction() as s:
        s.add(ServiceTeam(name="综合管理服务队"))
    with pytest.raises(IntegrityError), any_empty_store.transaction() as s:
        s.add(ServiceTeam(name="综合管理服务队"))
    with any_empty_store.transaction() as s:
        team = s.query(ServiceTeam).one()
        team.deleted_at = utcnow()
    with any_empty_store.transaction() as s:
        s.add(ServiceTeam(name="综合管理服务队"))


def test_database_refuses_a_second_captain(any_empty_store: Store) -> None:
    with any_empty_store.transaction() as s:
        team = ServiceTeam(name="A")
        a, b = Member(name="甲"), Member(name="乙")
        s.add_all([team, a, b])
        s.flush()
        s.add(TeamMembership(team_id=team.id, member_id=a.id, role="captain"))
        team_id, b_id = team.id, b.id
    with pytest.raises(IntegrityError), any_empty_store.transaction() as s:
        s.add(TeamMembership(team_id=team_id, member_id=b_id, role="captain"))


def test_unknown_team_kind_and_photo_rotation_are_refused(any_empty_store: Store) -> None:
    with pytest.raises(IntegrityError), any_empty_store.transaction() as s:
        s.add(ServiceTeam(name="X", category="pirates"))
    with pytest.raises(IntegrityError), any_empty_store.transaction() as s:
        s.add(Photo(sha256="0" * 64, ext="jpg", rotation=45))


def test_foreign_keys_are_enforced(any_empty_store: Store) -> None:
    with pytest.raises(IntegrityError), any_empty_store.transaction() as s:
        s.add(TeamMembership(team_id="nope", member_id="nope"))


def test_json_lists_keep_chinese_readable_in_the_database(any_empty_store: Store) -> None:
    with any_empty_store.transaction() as s:
        s.add(ServiceTeam(name="T", expertise=["园林绿地规划建设"]))
    with any_empty_store.engine.connect() as conn:
        # As text on both engines: what LIKE and a plain dump see.
        raw = conn.exec_driver_sql("SELECT CAST(expertise AS TEXT) FROM service_team").scalar_one()
    assert "园林绿地规划建设" in raw
