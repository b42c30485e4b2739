"""The pack format on its own: record normalisation, references, and entry parsing.

Only the wire entries are read from a store, SQLite or PostgreSQL (`any_store`,
tests/stores.py); everything else here is about the format, whatever store it came from."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.core.errors import ImportRejectedError
from desktop_app.services import pack_format as pf
from desktop_app.storage.kinds import KINDS, record_to_dict
from desktop_app.storage.library import Library
from tests.services.packkit import illustrate
from tests.stores import Store

SAMPLE_TAG = "3:" + "ab" * 32


@pytest.fixture(scope="module")
def samples(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One real record dictionary of each kind (the richest one), with photos on them."""
    root = tmp_path_factory.mktemp("format") / "demo"
    shutil.copytree(demo_template, root)
    library = Library.open(root, write=True)
    try:
        illustrate(library)
        out: dict[str, Any] = {}
        with library.session() as s:
            for kind, spec in KINDS.items():
                model: Any = spec.model
                dicts = [record_to_dict(kind, o) for o in s.scalars(select(model))]
                out[kind] = max(dicts, key=lambda d: len(repr(d)))
        return out
    finally:
        library.close()


# --- normalise_record -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_stored_record_normalises_to_itself(samples: dict[str, Any], kind: str) -> None:
    data = samples[kind]
    assert pf.normalise_record(kind, copy.deepcopy(data)) == data


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("drop", ["id", "revision", "created_at", "deleted_at"])
def test_a_missing_field_is_named(samples: dict[str, Any], kind: str, drop: str) -> None:
    data = copy.deepcopy(samples[kind])
    del data[drop]
    with pytest.raises(pf._Bad) as caught:
        pf.normalise_record(kind, data)
    assert caught.value.args == (drop,)


BAD_VALUES: list[tuple[str, str, Any]] = [
    # kind, field, a value the format refuses
    ("team", "name", None),
    ("team", "category", "kind-of-team"),
    ("team", "category", True),
    ("team", "expertise", "not a list"),
    ("team", "members", [{"id": "m1", "member_id": "x", "role": "boss"}]),
    ("team", "members", [{"id": "m1", "role": "member"}]),
    ("member", "honours", [{"title": 5}]),
    ("member", "portrait_photo_id", "../../etc/passwd"),
    ("guide", "is_demo", "yes"),
    ("guide", "team_id", ""),
    ("guide", "author_ids", ["ok", 7]),
    ("guide", "steps", [{"id": "s1", "text": "x"}]),
    ("session", "starts_at", "2025-04-20T09:30:00"),  # no offset
    ("session", "starts_at", "yesterday"),
    ("session", "gps_lat", "39.9"),
    ("session", "gps_lat", True),
    ("session", "groups", [{"id": "g1", "name": "职工", "count": -1}]),
    ("session", "attendees", [{"id": "a1", "member_id": "m", "role": "boss", "note": ""}]),
    ("photo", "sha256", "ABC"),
    ("photo", "ext", "../jpg"),
    ("photo", "rotation", 45),
    ("photo", "byte_size", 2**60),
    ("photo", "revision", 0),
    ("photo", "id", "a" * 37),
]


@pytest.mark.parametrize("kind,name,value", BAD_VALUES)
def test_a_bad_value_is_refused_and_named(
    samples: dict[str, Any], kind: str, name: str, value: Any
) -> None:
    data = copy.deepcopy(samples[kind])
    data[name] = value
    with pytest.raises(pf._Bad) as caught:
        pf.normalise_record(kind, data)
    assert caught.value.args == (name,)


def test_times_are_normalised_to_utc(samples: dict[str, Any]) -> None:
    data = copy.deepcopy(samples["session"])
    data["starts_at"] = "2025-04-20T09:30:00+08:00"
    assert pf.normalise_record("session", data)["starts_at"] == "2025-04-20T01:30:00+00:00"


def test_a_format_1_team_with_kind_reads_as_its_category(samples: dict[str, Any]) -> None:
    old = {("kind" if k == "category" else k): v for k, v in samples["team"].items()}
    old["kind"] = "education"
    assert pf.normalise_record("team", old)["category"] == "education"


@pytest.mark.parametrize("present", [True, False])
def test_personal_fields_are_kept_only_when_present(samples: dict[str, Any], present: bool) -> None:
    data = copy.deepcopy(samples["member"])
    if not present:
        for name in pf.PERSONAL_FIELDS["member"]:
            data.pop(name)
    out = pf.normalise_record("member", data)
    assert all((name in out) == present for name in pf.PERSONAL_FIELDS["member"])


def test_a_personal_field_of_the_wrong_type_is_refused(samples: dict[str, Any]) -> None:
    data = copy.deepcopy(samples["member"])
    data["phone"] = 13800000000
    with pytest.raises(pf._Bad) as caught:
        pf.normalise_record("member", data)
    assert caught.value.args == ("phone",)


# Issue 12 item 6: a pack's values must pass the validators the forms apply.
FORM_RULES: list[tuple[str, str, Any]] = [
    ("team", "name", "  "),
    ("session", "gps_lat", 999.0),
    ("session", "gps_lon", float("nan")),
    ("session", "ends_at", "2000-01-01T00:00:00+00:00"),  # before the start
]


@pytest.mark.parametrize("kind,name,value", FORM_RULES)
def test_values_the_forms_refuse_are_refused_in_a_pack(
    samples: dict[str, Any], kind: str, name: str, value: Any
) -> None:
    data = copy.deepcopy(samples[kind])
    data[name] = value
    # NaN is not a number a pack may carry at all; the other values are well formed but
    # break a form's rule, and the refusal names the record's field.
    with pytest.raises((pf._Bad, ImportRejectedError)) as caught:
        pf._parse_entry(kind, {"record": data}, f"records/{kind}s.json", 0)
    if caught.type is ImportRejectedError:
        assert name.split("_")[0] in str(caught.value)


# --- references -----------------------------------------------------------------------------

REFERENCE_FIELDS = {
    "photo": set(),
    "member": {"photo"},
    "team": {"member"},
    "guide": {"team", "member", "photo"},
    "session": {"team", "member", "guide", "photo"},
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_references_name_every_record_pointed_to(samples: dict[str, Any], kind: str) -> None:
    data = samples[kind]
    refs = set(pf.references(kind, data))
    expected: set[tuple[str, str]] = set()
    if kind == "member" and data["portrait_photo_id"]:
        expected.add(("photo", data["portrait_photo_id"]))
    if kind == "team":
        expected |= {("member", m["member_id"]) for m in data["members"]}
    if kind == "guide":
        expected |= {("member", m) for m in data["author_ids"]}
        expected |= {("photo", p) for st in data["steps"] for p in st["photo_ids"]}
        if data["team_id"]:
            expected.add(("team", data["team_id"]))
    if kind == "session":
        expected |= {("team", t) for t in data["team_ids"]}
        expected |= {("member", a["member_id"]) for a in data["attendees"]}
        expected |= {("guide", g) for g in data["guide_ids"]}
        expected |= {("photo", p) for p in data["photo_ids"]}
    assert refs == expected
    assert {k for k, _ in refs} <= REFERENCE_FIELDS[kind]
    if kind != "photo":
        assert refs, f"the sample {kind} should refer to something"


@pytest.mark.parametrize("kind", ["member", "guide", "session"])
def test_map_references_maps_photos_and_leaves_the_input_alone(
    samples: dict[str, Any], kind: str
) -> None:
    data = samples[kind]
    before = copy.deepcopy(data)
    mapped = pf.map_references(kind, data, "photo", lambda p: "new-" + p[:8])
    assert data == before
    photos = [r for k, r in pf.references(kind, mapped) if k == "photo"]
    assert photos and all(p.startswith("new-") for p in photos)
    others = [(k, r) for k, r in pf.references(kind, mapped) if k != "photo"]
    assert others == [(k, r) for k, r in pf.references(kind, data) if k != "photo"]


def test_map_references_keeps_an_empty_portrait_empty(samples: dict[str, Any]) -> None:
    data = dict(samples["member"], portrait_photo_id=None)
    assert pf.map_references("member", data, "photo", lambda p: "x")["portrait_photo_id"] is None


# --- entries ----------------------------------------------------------------------------------


def test_an_entry_carries_its_tag_and_ancestry(samples: dict[str, Any]) -> None:
    data = dict(samples["guide"], revision=3)
    older = "2:" + "cd" * 32
    entry = pf._parse_entry(
        "guide",
        {"record": data, "tag": SAMPLE_TAG, "ancestry": [older, older]},
        "records/guides.json",
        0,
    )
    assert (entry.kind, entry.id, entry.revision) == ("guide", data["id"], 3)
    assert entry.tag == SAMPLE_TAG and entry.ancestry == [older]
    assert entry.data == pf.normalise_record("guide", data)


def test_a_format_1_entry_has_no_tag(samples: dict[str, Any]) -> None:
    entry = pf._parse_entry("guide", {"record": samples["guide"]}, "records/guides.json", 0)
    assert entry.tag == "" and entry.ancestry == []


BAD_ENTRIES: list[tuple[str, dict[str, Any], str]] = [
    # name, changes to a good entry, the field the refusal names
    ("tag of another revision", {"tag": "4:" + "ab" * 32}, "(tag)"),
    ("tag not a tag", {"tag": "3:xyz"}, "(tag)"),
    ("ancestry not a list", {"ancestry": "2:" + "ab" * 32}, "(ancestry)"),
    ("ancestry with junk", {"ancestry": ["junk"]}, "(ancestry)"),
    ("record missing", {"record": None}, "#3"),
]


@pytest.mark.parametrize(
    "changes,named", [c[1:] for c in BAD_ENTRIES], ids=[c[0] for c in BAD_ENTRIES]
)
def test_a_bad_entry_is_refused_with_where_it_is(
    samples: dict[str, Any], changes: dict[str, Any], named: str
) -> None:
    item = {"record": dict(samples["guide"], revision=3), "tag": SAMPLE_TAG, **changes}
    with pytest.raises(ImportRejectedError) as caught:
        pf._parse_entry("guide", item, "records/guides.json", 2)
    assert "records/guides.json #3" in str(caught.value) and named in str(caught.value)


# (The id, revision and time checks of a tombstone do not name their field today: "" below.)
TOMBSTONES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown kind", {"kind": "secret"}, "(kind)"),
    ("bad id", {"id": "../x"}, ""),
    ("revision zero", {"revision": 0}, ""),
    ("no time", {"deleted_at": None}, ""),
    ("tag of another revision", {"tag": "9:" + "ab" * 32}, "(tag)"),
]


def _tombstone(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "guide",
        "id": "g-1",
        "revision": 3,
        "deleted_at": "2025-04-20T09:30:00+08:00",
        "ancestry": [],
        "tag": SAMPLE_TAG,
        **changes,
    }


def test_a_tombstone_parses(samples: dict[str, Any]) -> None:
    entry = pf._parse_tombstone(_tombstone(), 0)
    assert (entry.kind, entry.id, entry.data, entry.revision) == ("guide", "g-1", None, 3)
    assert entry.deleted_at == "2025-04-20T01:30:00+00:00" and entry.tag == SAMPLE_TAG


@pytest.mark.parametrize(
    "changes,named", [c[1:] for c in TOMBSTONES], ids=[c[0] for c in TOMBSTONES]
)
def test_a_bad_tombstone_is_refused(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(ImportRejectedError) as caught:
        pf._parse_tombstone(_tombstone(**changes), 4)
    assert "#5" in str(caught.value) and named in str(caught.value)


def test_wire_entries_read_back_as_the_records_they_came_from(any_store: Store) -> None:
    """The hub's wire format is a pack's entries one at a time: what entry_of writes,
    parse_wire_entry reads back to the same record and tag (personal fields left out). Read
    from SQLite or PostgreSQL, a stored record is already in its normal form (times too)."""
    from datetime import UTC, datetime

    with any_store.session() as s:
        for kind in KINDS:
            model: Any = KINDS[kind].model
            for obj in s.scalars(select(model).options(*KINDS[kind].loader_options())).all()[:3]:
                wire = pf.entry_of(
                    kind, obj, obj.version_tag, {"1:" + "0" * 64}, include_contacts=False
                )
                entry = pf.parse_wire_entry(wire, 0)
                expected = record_to_dict(kind, obj)
                for name in pf.PERSONAL_FIELDS.get(kind, ()):
                    expected.pop(name, None)
                assert entry.kind == kind and entry.id == obj.id and entry.tag == obj.version_tag
                assert pf.normalise_record(kind, copy.deepcopy(expected)) == expected
                assert entry.data == expected
                assert entry.ancestry == ["1:" + "0" * 64]
    gone = pf.tombstone_of("guide", "g-1", 3, datetime(2026, 1, 2, tzinfo=UTC), "3:" + "a" * 64, [])
    entry = pf.parse_wire_entry(gone, 0)
    assert entry.data is None and entry.revision == 3 and entry.tag == "3:" + "a" * 64


@pytest.mark.parametrize(
    "item",
    [None, [], {"kind": "spaceship", "record": {}}, {"kind": "guide", "record": {"id": 1}}],
)
def test_a_malformed_wire_entry_is_refused_in_words(item: Any) -> None:
    with pytest.raises(ImportRejectedError):
        pf.parse_wire_entry(item, 4)


@pytest.mark.parametrize(
    "member",
    ["../a\nb.json", "a\nEVIL\u2028x\x1b[31m.txt", "photos/" + "长" * 5000 + "\n.jpg"],
)
def test_a_hostile_member_name_is_refused_in_one_short_line(tmp_path: Path, member: str) -> None:
    """Found by atheris: a member name with line breaks (or control characters, or thousands
    of characters) went into the refusal as it was: a "sentence" of many lines."""
    import zipfile

    from desktop_app.services.backup import restore_backup

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr(member, b"x")
    with pytest.raises(ImportRejectedError) as caught:
        pf.read_pack(bad)
    with pytest.raises(ImportRejectedError) as caught_restore:
        restore_backup(bad, tmp_path / "restored")
    for message in (str(caught.value), str(caught_restore.value)):
        assert message.isprintable() and len(message) < 300, message
    assert len(member) > 80 or "\\n" in str(caught.value)  # a break is shown, escaped
    assert not (tmp_path / "restored").exists()
