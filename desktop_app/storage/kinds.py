"""The record kinds: what each kind of record that travels between laptops is, declared once.

A *record kind* (team, member, guide, session, photo) is an aggregate: one row with a UUID,
audit times, a revision and a soft-delete mark, plus child rows that belong to it and are
replaced with it. Everything that needs to know the shape of a kind reads it from `KINDS`
here: its model and table, its own fields, its child relations, how it becomes a plain
dictionary (for packs, history and `show --json`) and back, which fields point to other
records, which fields are personal (left out of packs by default), what a person calls one
record and many, the columns of its list (`services/listing.py`) and its search document
(`storage/searchindex.py`).

"Kind" always means a record kind in this code; a team's own classification (专业技术,
教育培训...) is its *category*.

This module does not import SQLAlchemy (the models are imported when first needed): the pack
reader and the window's first paint use the declarations without paying ~300 ms for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from desktop_app.core.i18n import N_
from desktop_app.core.timezones import DEFAULT_ZONE, in_zone

if TYPE_CHECKING:
    from sqlalchemy.orm.strategy_options import _AbstractLoad

    from desktop_app.storage.models import RecordMixin


def _models() -> Any:
    return importlib.import_module("desktop_app.storage.models")


# Identity and audit fields every record dictionary starts with.
RECORD_FIELDS = ("id", "created_at", "updated_at", "revision", "deleted_at")
# What says *when* and *which* rather than *what*: left out of a version's content hash.
META_FIELDS = ("revision", "created_at", "updated_at", "deleted_at")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC: an instant reads the same whether it was just set (a form's +08:00)
    or read back from the database, so a version's hash does not depend on which."""
    if value is None:
        return None
    return (value.astimezone(UTC) if value.tzinfo is not None else value).isoformat()


def parse_dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


# --- lists and search documents -----------------------------------------------------------------
# Declared here so that each kind's list and search text live beside its fields. They name
# stored columns (SQL), never ORM attributes: the lists and the search index are plain SQL.


@dataclass(frozen=True)
class RowValue:
    """One value of a list's display row: which stored column(s) it is made from, and how.

    Formats (made by `services/listing.py`): "text" (as stored), "count" (child rows in
    `source` = "table.key_column"), "local_time" (on the laptop's clock), "place_time" and
    "place_iso" (`source` = "time,zone_column": wall time at the place / ISO 8601 with its
    offset), "honour_titles", "team_category" (the category's label), "team_names" (a
    session's teams, deleted ones marked), "pixels" (`source` = "width,height").
    """

    key: str
    source: str
    format: str = "text"


@dataclass(frozen=True)
class ListColumn:
    """A column of a kind's list: the window's table and `jiangxin list`."""

    key: str  # the display row's key, and the name `sort=` takes
    title: str  # marked with N_, translated by the caller
    sort: str  # SQL expression over the kind's table to order by
    shown: str = ""  # the row key shown in the column when it is not `key` (a label)
    machine: str = ""  # the row key `--json` gives under `key` (an instant with its offset)

    @property
    def shown_key(self) -> str:
        return self.shown or self.key


@dataclass(frozen=True)
class ListSpec:
    """How the records of a kind are listed, filtered and named in pickers."""

    rows: tuple[RowValue, ...]  # the display row after id and revision, in order
    columns: tuple[ListColumn, ...]
    default_sort: tuple[str, bool]  # (column key, descending)
    filter_fields: tuple[str, ...]  # fields the list's simple text filter searches
    # (name field, its pinyin sort column): how pickers and references name a record.
    name: tuple[str, str] | None = None
    # WHERE terms (over the kind's table, one "?" each) for "of this team" / "of this guide".
    of_team: str = ""
    of_guide: str = ""
    dated_by: str = ""  # the time column date filters apply to (with its zone column)
    zone_column: str = ""


@dataclass(frozen=True)
class SearchChild:
    """Child rows whose text joins the parent's search document, one body line per row."""

    table: str
    key: str  # the column holding the parent's id
    columns: tuple[str, ...]  # read in this order (rows in `position` order)
    text: Callable[[tuple[Any, ...]], str]


@dataclass(frozen=True)
class SearchDocument:
    """What the full-text index holds for one record of a kind.

    The search triggers (migration 0002) watch the kind's table and every child table named
    here; tests/storage/test_kinds.py checks that a migrated library's triggers agree.
    """

    # The kind's place among kinds: the order of search results and its docid range in the
    # index. Stored in every library's index: never renumber, only add.
    slot: int
    title: str  # the field whose text is the document's title (ranked ten times the body)
    body: tuple[str, ...]  # fields in the body, in order (list fields give one line per item)
    children: tuple[SearchChild, ...] = ()
    label_fields: tuple[str, ...] = ()  # further fields `label` reads
    # How a hit is named in result lists, from the fields read (field -> stored value); None:
    # the title. Stored in the index as it is made here...
    label: Callable[[dict[str, Any]], str] | None = None
    # ... and shown through this, when the stored label is not the text shown (a session's
    # date is shown at its place, in the laptop's language).
    shown_label: Callable[[str], str] | None = None

    def fields_read(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.title, *self.body, *self.label_fields)))

    def label_of(self, values: dict[str, Any]) -> str:
        return str(values[self.title] or "") if self.label is None else self.label(values)


@dataclass(frozen=True)
class ShownField:
    """A line of a record as people read it (`jiangxin show`, the window's detail view): a
    field of the record dictionary, its label and how its value reads.

    Formats (made by `services/describe.py`): "text"; "join" (a list, `arg` between items);
    "enum" (a label from the enumeration `arg`); "ref" / "refs" (the name(s) of the record(s)
    of kind `arg` it points to; never an id); "lines" (one line per item of a list) and
    "ref_lines"; "count" (how many); a few shapes of their own: "honours", "team_members",
    "steps" (the label numbers them: "{n}"), "attendees", "groups", "agenda", "feedback",
    "session_when", "time_zone", "photo_size".
    """

    label: str  # marked with N_
    field: str
    format: str = "text"
    arg: str = ""


@dataclass(frozen=True)
class RecordKind:
    """One kind of record: everything the rest of the code needs to know about its shape."""

    name: str
    model_name: str  # the class in storage/models.py
    # The record's own columns, in dictionary order (after RECORD_FIELDS).
    fields: tuple[str, ...]
    # Relationship attributes holding child rows, replaced as a whole with the record.
    children: tuple[str, ...]
    # Fields that point to other records: ("field" | "list[].field", kind of the target).
    references: tuple[tuple[str, str], ...]
    # Fields that stay home unless the user asks for contact details.
    personal: tuple[str, ...]
    # The dictionary of a record: own columns, then child rows (ids only for references).
    child_dicts: Callable[[Any], dict[str, Any]]
    # Child rows built from a dictionary's child entries.
    child_rows: Callable[[dict[str, Any]], dict[str, list[Any]]]
    # A short human name (title, name, date and theme...) from a record dictionary.
    title: Callable[[dict[str, Any]], str]
    # Datetime-valued own fields (stored aware, written as ISO 8601 text).
    datetime_fields: tuple[str, ...] = ()
    # List-valued own fields (JSON columns): copied, never shared, when assigned.
    list_fields: tuple[str, ...] = ()
    # --- how people see it (declared below, with each kind)
    table: str = ""  # the aggregate's table in the database
    label: str = ""  # one record, in messages ("service team"); marked with N_
    label_plural: str = ""  # a group of them, as a heading ("Service teams"); marked with N_
    list_name: str = ""  # the word `jiangxin list` takes ("teams")
    listing: ListSpec | None = None
    search: SearchDocument | None = None
    shown: tuple[ShownField, ...] = ()  # the lines of `show`, after its id and revision
    # Stored column names that differ from the field's name (a team's category is stored
    # in the column "kind", its first name).
    stored_as: tuple[tuple[str, str], ...] = ()

    def column(self, field: str) -> str:
        """The stored column of a field (SQL)."""
        return dict(self.stored_as).get(field, field)

    @property
    def list_spec(self) -> ListSpec:
        assert self.listing is not None, self.name
        return self.listing

    @property
    def search_document(self) -> SearchDocument:
        assert self.search is not None, self.name
        return self.search

    # Own fields added after records of the kind were already shared, with the value every
    # older record has: left out of the dictionary while they hold it, so an older record's
    # dictionary, content hash and stored tag stay exactly what they were (and a pack from an
    # older app, which has no such key, reads as that value).
    sparse: tuple[tuple[str, Any], ...] = ()

    @property
    def model(self) -> type[RecordMixin]:
        model: type[RecordMixin] = getattr(_models(), self.model_name)
        return model

    def loader_options(self) -> list[_AbstractLoad]:
        """Eager loads for the child rows, so that a thousand records are a few queries."""
        from sqlalchemy.orm import selectinload

        options: list[_AbstractLoad] = []
        for rel in self.children:
            load = selectinload(getattr(self.model, rel))
            if self.name == "guide" and rel == "steps":
                load = load.selectinload(_models().GuideStep.photos)
            options.append(load)
        return options

    def to_dict(self, obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        defaults = dict(self.sparse)
        for name in RECORD_FIELDS + self.fields:
            value = getattr(obj, name)
            if name in defaults and value == defaults[name]:
                continue
            if name.endswith("_at") or isinstance(value, datetime):
                value = iso(value)
            elif name in self.list_fields:
                value = list(value) if name != "honours" else [dict(h) for h in value]
            out[name] = value
        out.update(self.child_dicts(obj))
        return out

    def assign(self, obj: Any, data: dict[str, Any], *, contacts: bool) -> None:
        """Make `obj` say exactly what `data` says; child rows are replaced.

        Personal fields are taken only when `contacts` is set and the incoming value is not
        empty: contact details never erase what is known here.
        """
        data = upgrade_dict(self.name, data)
        for name in META_FIELDS:
            setattr(obj, name, data[name] if name == "revision" else parse_dt(data[name]))
        defaults = dict(self.sparse)
        for name in self.fields:
            if name in defaults:
                setattr(obj, name, data.get(name, defaults[name]))
            elif name in self.personal:
                if contacts and data.get(name):
                    setattr(obj, name, data[name])
                elif getattr(obj, name, None) is None:
                    setattr(obj, name, "")
            elif name in self.datetime_fields:
                setattr(obj, name, parse_dt(data[name]))
            elif name in self.list_fields:
                value = data[name]
                setattr(obj, name, [dict(v) if isinstance(v, dict) else v for v in value])
            else:
                setattr(obj, name, data[name])
        for rel, rows in self.child_rows(data).items():
            setattr(obj, rel, rows)

    def references_in(self, data: dict[str, Any]) -> Iterator[tuple[str, str]]:
        """(kind, id) of every record a dictionary of this kind points to."""
        for path, ref_kind in self.references:
            if "[]." in path:
                outer, inner = path.split("[].")
                for child in data.get(outer, []):
                    value = child.get(inner)
                    for ref in value if isinstance(value, list) else [value]:
                        if ref:
                            yield ref_kind, ref
            else:
                value = data.get(path)
                for ref in value if isinstance(value, list) else [value]:
                    if ref:
                        yield ref_kind, ref

    def map_references(
        self, data: dict[str, Any], ref_kind: str, fn: Callable[[str], str]
    ) -> dict[str, Any]:
        """A copy of `data` with every reference to `ref_kind` passed through `fn`.

        Only the containers on the way to a reference are copied; `data` is not changed.
        """
        out = dict(data)
        for path, rk in self.references:
            if rk != ref_kind:
                continue
            if "[]." in path:
                outer, inner = path.split("[].")
                children = []
                for child in out.get(outer, []):
                    copy_ = dict(child)
                    value = copy_.get(inner)
                    if isinstance(value, list):
                        copy_[inner] = [fn(x) for x in value]
                    elif value:
                        copy_[inner] = fn(value)
                    children.append(copy_)
                out[outer] = children
            else:
                value = out.get(path)
                if isinstance(value, list):
                    out[path] = [fn(x) for x in value]
                elif value:
                    out[path] = fn(value)
        return out


# --- the kinds --------------------------------------------------------------------------------


def _team_children(team: Any) -> dict[str, Any]:
    return {
        "members": [
            {"id": m.id, "member_id": m.member_id, "role": m.role} for m in team.memberships
        ]
    }


def _team_rows(data: dict[str, Any]) -> dict[str, list[Any]]:
    TeamMembership = _models().TeamMembership
    return {
        "memberships": [
            TeamMembership(id=m["id"], member_id=m["member_id"], role=m["role"], position=i)
            for i, m in enumerate(data["members"])
        ]
    }


def _step_dict(step: Any) -> dict[str, Any]:
    out = {"id": step.id, "text": step.text, "photo_ids": [p.photo_id for p in step.photos]}
    # Only a risky step says so (schema 0009): every older step's dictionary, and so its
    # guide's content hash and stored tag, stays what it was.
    if step.risky:
        out["risky"] = True
    return out


def _guide_children(guide: Any) -> dict[str, Any]:
    return {
        "author_ids": [a.member_id for a in guide.authors],
        "steps": [_step_dict(s) for s in guide.steps],
    }


def _guide_rows(data: dict[str, Any]) -> dict[str, list[Any]]:
    models = _models()
    GuideAuthor, GuideStep, GuideStepPhoto = (
        models.GuideAuthor,
        models.GuideStep,
        models.GuideStepPhoto,
    )
    return {
        "authors": [GuideAuthor(member_id=m, position=i) for i, m in enumerate(data["author_ids"])],
        "steps": [
            GuideStep(
                id=st["id"],
                text=st["text"],
                risky=bool(st.get("risky", False)),
                position=i,
                photos=[
                    GuideStepPhoto(photo_id=p, position=j) for j, p in enumerate(st["photo_ids"])
                ],
            )
            for i, st in enumerate(data["steps"])
        ],
    }


def _session_children(fs: Any) -> dict[str, Any]:
    return {
        "team_ids": [t.team_id for t in fs.teams],
        "attendees": [
            {"id": a.id, "member_id": a.member_id, "role": a.role, "note": a.note}
            for a in fs.attendees
        ],
        "groups": [{"id": g.id, "name": g.name, "count": g.count} for g in fs.groups],
        "agenda": [
            {"id": a.id, "title": a.title, "time": a.time, "leader": a.leader} for a in fs.agenda
        ],
        "guide_ids": [g.guide_id for g in fs.guides],
        "feedback": [
            {"id": f.id, "text": f.text, "speaker": f.speaker, "speaker_role": f.speaker_role}
            for f in fs.feedback
        ],
        "photo_ids": [p.photo_id for p in fs.photos],
    }


def _session_rows(data: dict[str, Any]) -> dict[str, list[Any]]:
    models = _models()
    SessionTeam, SessionAttendee, ParticipantGroup = (
        models.SessionTeam,
        models.SessionAttendee,
        models.ParticipantGroup,
    )
    AgendaItem, SessionGuide, FeedbackQuote, SessionPhoto = (
        models.AgendaItem,
        models.SessionGuide,
        models.FeedbackQuote,
        models.SessionPhoto,
    )
    return {
        "teams": [SessionTeam(team_id=t, position=i) for i, t in enumerate(data["team_ids"])],
        "attendees": [
            SessionAttendee(
                id=a["id"], member_id=a["member_id"], role=a["role"], note=a["note"], position=i
            )
            for i, a in enumerate(data["attendees"])
        ],
        "groups": [
            ParticipantGroup(id=g["id"], name=g["name"], count=g["count"], position=i)
            for i, g in enumerate(data["groups"])
        ],
        "agenda": [
            AgendaItem(id=a["id"], title=a["title"], time=a["time"], leader=a["leader"], position=i)
            for i, a in enumerate(data["agenda"])
        ],
        "guides": [SessionGuide(guide_id=g, position=i) for i, g in enumerate(data["guide_ids"])],
        "feedback": [
            FeedbackQuote(
                id=f["id"],
                text=f["text"],
                speaker=f["speaker"],
                speaker_role=f["speaker_role"],
                position=i,
            )
            for i, f in enumerate(data["feedback"])
        ],
        "photos": [SessionPhoto(photo_id=p, position=i) for i, p in enumerate(data["photo_ids"])],
    }


def _no_children(_obj: Any) -> dict[str, Any]:
    return {}


def _no_rows(_data: dict[str, Any]) -> dict[str, list[Any]]:
    return {}


def _session_title(data: dict[str, Any]) -> str:
    starts = data.get("starts_at")
    zone = str(data.get("time_zone") or DEFAULT_ZONE)
    moment = parse_dt(starts) if isinstance(starts, str) and starts else None
    date = in_zone(moment, zone).date().isoformat() if moment else ""  # the place's date
    return " ".join(filter(None, (date, str(data.get("theme") or data.get("venue") or ""))))


def _stored_utc_iso(value: Any) -> str:
    """A stored (naive UTC) time as ISO text."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat()
    return "" if value is None else str(value)


def _session_search_label(row: dict[str, Any]) -> str:
    # "<UTC time>|<zone>\t<theme>": shown with the date at the place (_session_shown_label).
    return f"{_stored_utc_iso(row['starts_at'])}|{row['time_zone']}\t{row['theme'] or row['venue']}"


def _session_shown_label(label: str) -> str:
    """A session's stored search label as shown: its date at the place, then its theme.
    (Labels indexed before sessions had zones have none: they are Beijing times, as schema
    0006 decided.)"""
    if "\t" not in label:
        return label
    stamp, theme = label.split("\t", 1)
    stamp, _sep, zone_name = stamp.partition("|")
    try:
        when = in_zone(datetime.fromisoformat(stamp).replace(tzinfo=UTC), zone_name or DEFAULT_ZONE)
    except ValueError:
        return theme
    return f"{when:%Y-%m-%d} {theme}".strip()


def _agenda_line(row: tuple[Any, ...]) -> str:
    return " ".join(p for p in row if p)


def _feedback_line(row: tuple[Any, ...]) -> str:
    text, speaker = row
    return f"{text}（{speaker}）" if speaker else str(text)


def _first(row: tuple[Any, ...]) -> str:
    return str(row[0] or "")


# Sort expressions of list columns that are not stored columns.
_PHOTO_COUNT = "(SELECT count(*) FROM session_photo sp WHERE sp.session_id = field_session.id)"
# A session sorts by its first team's name (pinyin); ~80 ms for 20,000 sessions.
_FIRST_TEAM_KEY = (
    "(SELECT t.name_key FROM session_team st JOIN service_team t ON t.id = st.team_id"
    " WHERE st.session_id = field_session.id ORDER BY st.position LIMIT 1)"
)
_MEMBER_COUNT = "(SELECT count(*) FROM team_membership tm WHERE tm.team_id = service_team.id)"


KINDS: dict[str, RecordKind] = {
    kind.name: kind
    for kind in (
        # Dependency order: a kind refers only to kinds before it (or to itself: none does).
        RecordKind(
            name="photo",
            model_name="Photo",
            fields=(
                "sha256",
                "ext",
                "original_name",
                "byte_size",
                "width",
                "height",
                "taken_at",
                "camera",
                "gps_lat",
                "gps_lon",
                "orientation",
                "rotation",
                "caption",
            ),
            children=(),
            references=(),
            personal=(),
            child_dicts=_no_children,
            child_rows=_no_rows,
            title=lambda d: str(d.get("original_name") or str(d.get("sha256", ""))[:12]),
            datetime_fields=("taken_at",),
            table="photo",
            label=N_("photo"),
            label_plural=N_("Photos"),
            list_name="photos",
            listing=ListSpec(
                rows=(
                    RowValue("original_name", "original_name"),
                    RowValue("taken_at", "taken_at", "local_time"),
                    RowValue("caption", "caption"),
                    RowValue("size", "width,height", "pixels"),
                    RowValue("sha256", "sha256"),
                ),
                columns=(
                    ListColumn("original_name", N_("File"), "original_name"),
                    ListColumn("taken_at", N_("Taken"), "taken_at"),
                    ListColumn("caption", N_("Caption"), "caption"),
                    ListColumn("size", N_("Size"), "byte_size"),
                ),
                default_sort=("taken_at", True),
                filter_fields=("original_name", "caption", "camera"),
            ),
            shown=(
                ShownField(N_("File"), "original_name"),
                ShownField(N_("SHA-256"), "sha256"),
                ShownField(N_("Taken"), "taken_at"),
                ShownField(N_("Camera"), "camera"),
                ShownField(N_("Size"), "width", "photo_size"),
                ShownField(N_("Caption"), "caption"),
            ),
            search=SearchDocument(
                slot=4,
                title="caption",
                body=("original_name",),
                label=lambda row: str(row["caption"] or row["original_name"] or ""),
            ),
        ),
        RecordKind(
            name="member",
            model_name="Member",
            fields=(
                "name",
                "honours",
                "specialty",
                "employer",
                "phone",
                "notes",
                "portrait_photo_id",
            ),
            children=(),
            references=(("portrait_photo_id", "photo"),),
            personal=("phone", "notes"),
            child_dicts=_no_children,
            child_rows=_no_rows,
            title=lambda d: str(d.get("name", "")),
            list_fields=("honours",),
            table="member",
            label=N_("member"),
            label_plural=N_("Model workers"),
            list_name="members",
            listing=ListSpec(
                rows=(
                    RowValue("name", "name"),
                    RowValue("honours", "honours", "honour_titles"),
                    RowValue("specialty", "specialty"),
                    RowValue("employer", "employer"),
                ),
                columns=(
                    ListColumn("name", N_("Name"), "name_key"),
                    ListColumn("honours", N_("Honours"), "honours"),
                    ListColumn("specialty", N_("Specialty"), "specialty"),
                    ListColumn("employer", N_("Employer"), "employer"),
                ),
                default_sort=("name", False),
                filter_fields=("name", "specialty", "employer", "honours"),
                name=("name", "name_key"),
                of_team="id IN (SELECT member_id FROM team_membership WHERE team_id = ?)",
            ),
            shown=(
                ShownField(N_("Name"), "name"),
                ShownField(N_("Honours"), "honours", "honours"),
                ShownField(N_("Specialty"), "specialty"),
                ShownField(N_("Employer"), "employer"),
                ShownField(N_("Phone"), "phone"),
            ),
            search=SearchDocument(slot=1, title="name", body=("honours", "specialty")),
        ),
        RecordKind(
            name="team",
            model_name="ServiceTeam",
            fields=(
                "name",
                "category",
                "parent_union",
                "description",
                "expertise",
                "member_count_note",
            ),
            children=("memberships",),
            references=(("members[].member_id", "member"),),
            personal=(),
            child_dicts=_team_children,
            child_rows=_team_rows,
            title=lambda d: str(d.get("name", "")),
            list_fields=("expertise",),
            table="service_team",
            label=N_("service team"),
            label_plural=N_("Service teams"),
            list_name="teams",
            listing=ListSpec(
                rows=(
                    RowValue("name", "name"),
                    RowValue("category", "category"),
                    RowValue("category_label", "category", "team_category"),
                    RowValue("parent_union", "parent_union"),
                    RowValue("members", "team_membership.team_id", "count"),
                ),
                columns=(
                    ListColumn("name", N_("Name"), "name_key"),  # pinyin order (sortkeys.py)
                    ListColumn("category", N_("Category"), "kind", shown="category_label"),
                    ListColumn("parent_union", N_("Union"), "parent_union"),
                    ListColumn("members", N_("Members"), _MEMBER_COUNT),
                ),
                default_sort=("name", False),
                filter_fields=("name", "parent_union", "description"),
                name=("name", "name_key"),
            ),
            shown=(
                ShownField(N_("Name"), "name"),
                ShownField(N_("Category"), "category", "enum", "team_category"),
                ShownField(N_("Union"), "parent_union"),
                ShownField(N_("Description"), "description"),
                ShownField(N_("Expertise"), "expertise", "join", "、"),
                ShownField(N_("Member"), "members", "team_members"),
            ),
            search=SearchDocument(
                slot=0, title="name", body=("description", "expertise", "parent_union")
            ),
            stored_as=(("category", "kind"),),
        ),
        RecordKind(
            name="guide",
            model_name="Guide",
            fields=(
                "title",
                "category",
                "problem",
                "season",
                "materials",
                "key_points",
                "safety_notes",
                "common_mistakes",
                "tags",
                "team_id",
                "is_demo",
                "recognition_photo_id",
            ),
            children=("steps", "authors"),
            references=(
                ("team_id", "team"),
                ("author_ids", "member"),
                ("steps[].photo_ids", "photo"),
                ("recognition_photo_id", "photo"),
            ),
            personal=(),
            child_dicts=_guide_children,
            child_rows=_guide_rows,
            title=lambda d: str(d.get("title", "")),
            list_fields=("materials", "key_points", "safety_notes", "common_mistakes", "tags"),
            table="guide",
            label=N_("guide"),
            label_plural=N_("Skill guides"),
            list_name="guides",
            listing=ListSpec(
                rows=(
                    RowValue("title", "title"),
                    RowValue("category", "category"),
                    RowValue("season", "season"),
                    RowValue("steps", "guide_step.guide_id", "count"),
                    RowValue("updated_at", "updated_at", "local_time"),
                ),
                columns=(
                    ListColumn("title", N_("Title"), "title_key"),
                    ListColumn("category", N_("Category"), "category"),
                    ListColumn("season", N_("Season"), "season"),
                    ListColumn("revision", N_("Revision"), "revision"),
                    ListColumn("updated_at", N_("Updated"), "updated_at"),
                ),
                default_sort=("title", False),
                filter_fields=("title", "category", "problem", "tags"),
                name=("title", "title_key"),
                of_team="team_id = ?",
            ),
            shown=(
                ShownField(N_("Title"), "title"),
                ShownField(N_("Team"), "team_id", "ref", "team"),
                ShownField(N_("Authors"), "author_ids", "refs", "member"),
                ShownField(N_("Category"), "category"),
                ShownField(N_("Problem"), "problem"),
                ShownField(N_("Season"), "season"),
                ShownField(N_("Materials and tools"), "materials", "join", "、"),
                ShownField(N_("Key points"), "key_points", "join", "；"),
                ShownField(N_("Step {n}"), "steps", "steps"),
                ShownField(N_("Safety notes"), "safety_notes", "join", "；"),
                ShownField(N_("Common mistakes"), "common_mistakes", "join", "；"),
                ShownField(N_("Tags"), "tags", "join", "、"),
            ),
            search=SearchDocument(
                slot=2,
                title="title",
                body=(
                    "category",
                    "problem",
                    "season",
                    "materials",
                    "key_points",
                    "safety_notes",
                    "common_mistakes",
                    "tags",
                ),
                children=(SearchChild("guide_step", "guide_id", ("text",), _first),),
            ),
            sparse=(("recognition_photo_id", None),),  # schema 0009
        ),
        RecordKind(
            name="session",
            model_name="FieldSession",
            fields=(
                "starts_at",
                "ends_at",
                "venue",
                "gps_lat",
                "gps_lon",
                "host_organisations",
                "theme",
                "summary",
                "follow_ups",
                "time_zone",
            ),
            children=("teams", "attendees", "groups", "agenda", "guides", "feedback", "photos"),
            references=(
                ("team_ids", "team"),
                ("attendees[].member_id", "member"),
                ("guide_ids", "guide"),
                ("photo_ids", "photo"),
            ),
            personal=(),
            child_dicts=_session_children,
            child_rows=_session_rows,
            title=_session_title,
            datetime_fields=("starts_at", "ends_at"),
            list_fields=("host_organisations", "follow_ups"),
            table="field_session",
            label=N_("field session"),
            label_plural=N_("Field sessions"),
            list_name="sessions",
            listing=ListSpec(
                rows=(
                    RowValue("starts_at", "starts_at,time_zone", "place_time"),
                    RowValue("starts_at_iso", "starts_at,time_zone", "place_iso"),
                    RowValue("time_zone", "time_zone"),
                    RowValue("venue", "venue"),
                    RowValue("theme", "theme"),
                    RowValue("teams", "session_team", "team_names"),
                    RowValue("photos", "session_photo.session_id", "count"),
                ),
                columns=(
                    ListColumn("starts_at", N_("Date"), "starts_at", machine="starts_at_iso"),
                    ListColumn("venue", N_("Venue"), "venue"),
                    ListColumn("theme", N_("Theme"), "theme"),
                    ListColumn("teams", N_("Teams"), _FIRST_TEAM_KEY),
                    ListColumn("photos", N_("Photos"), _PHOTO_COUNT),
                ),
                default_sort=("starts_at", True),  # newest first
                filter_fields=("theme", "venue", "summary"),
                of_team="id IN (SELECT session_id FROM session_team WHERE team_id = ?)",
                of_guide="id IN (SELECT session_id FROM session_guide WHERE guide_id = ?)",
                dated_by="starts_at",
                zone_column="time_zone",
            ),
            shown=(
                ShownField(N_("Date"), "starts_at", "session_when"),
                ShownField(N_("Time zone"), "time_zone", "time_zone"),
                ShownField(N_("Venue"), "venue"),
                ShownField(N_("Theme"), "theme"),
                ShownField(N_("Hosts"), "host_organisations", "join", "、"),
                ShownField(N_("Teams"), "team_ids", "refs", "team"),
                ShownField(N_("Present"), "attendees", "attendees"),
                ShownField(N_("Participants"), "groups", "groups"),
                ShownField(N_("Agenda"), "agenda", "agenda"),
                ShownField(N_("Guide"), "guide_ids", "ref_lines", "guide"),
                ShownField(N_("Feedback"), "feedback", "feedback"),
                ShownField(N_("Follow-up"), "follow_ups", "lines"),
                ShownField(N_("Photos"), "photo_ids", "count"),
            ),
            search=SearchDocument(
                slot=3,
                title="theme",
                body=("venue", "summary", "host_organisations", "follow_ups"),
                children=(
                    SearchChild("agenda_item", "session_id", ("title", "leader"), _agenda_line),
                    SearchChild("participant_group", "session_id", ("name",), _first),
                    SearchChild(
                        "feedback_quote", "session_id", ("text", "speaker"), _feedback_line
                    ),
                ),
                label_fields=("starts_at", "time_zone", "venue"),
                label=_session_search_label,
                shown_label=_session_shown_label,
            ),
        ),
    )
}

KIND_ORDER: tuple[str, ...] = tuple(KINDS)  # dependency order: photo, member, team, guide, session
# The order people see kinds in (search results, menus): team, member, guide, session, photo.
DISPLAY_ORDER: tuple[str, ...] = tuple(sorted(KINDS, key=lambda k: KINDS[k].search_document.slot))
# What `jiangxin list` takes ("teams") -> the kind.
LIST_NAMES: dict[str, str] = {KINDS[name].list_name: name for name in DISPLAY_ORDER}


def upgrade_dict(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A record dictionary written by an older version (a format-1 pack, a stored conflict,
    a history row) in today's shape: a team's category was called "kind" then, and a session
    had no time zone (schema 0006 explains why such a session is in Beijing time)."""
    if kind == "team" and "kind" in data and "category" not in data:
        data = {("category" if k == "kind" else k): v for k, v in data.items()}
    if kind == "session" and "starts_at" in data and "time_zone" not in data:
        data = {**data, "time_zone": DEFAULT_ZONE}
    return data


def record_to_dict(kind: str, obj: Any) -> dict[str, Any]:
    return KINDS[kind].to_dict(obj)
