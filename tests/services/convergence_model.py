"""A randomized model of laptops sharing a catalog through knowledge packs (issue 12's proof).

`SharingModel` is a hypothesis state machine that drives three real libraries (folders in a
temporary directory) through the services the window and the CLI use: creating, editing every
field of every record kind, deleting and undeleting; importing, captioning, rotating, linking
and unlinking photos and cleaning up unused ones; undo and redo as the window's undo stack does
them; exporting whole and partial packs and importing them (old ones too) in any order; and
resolving conflicts at random. After a run, every library exchanges full packs with every other
until nothing changes (resolving what conflicts remain on one laptop at a time), and then:

- every library holds the same records with the same content (the stored content hash) and the
  same tombstones, and each stored tag is the tag of what the record says;
- every version that was ever current on any library is, on every library, the current
  version, in that record's history (its history rows or the lineage its current version
  supersedes), or in a conflict; and its content is kept on at least one library;
- no conflict is left open and `check` is clean everywhere.

Undo follows `desktop_app/ui/undo.py` without Qt (undoing an edit saves the previous data
again; undoing a creation soft-deletes it; undoing a delete restores it) with issue 12's rule:
an undo or redo step whose record was changed since by someone else (an import, a resolution,
another edit) is refused and dropped. The step remembers the version it made and passes it as
`expected_version`.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import os
import shutil
import tempfile
import types
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from PIL import Image
from sqlalchemy import select

from desktop_app.core.errors import UserError
from desktop_app.services import catalog, merge, packs, photos, record_history
from desktop_app.services.integrity import check_library
from desktop_app.storage import models, versions
from desktop_app.storage.enums import SessionRole, TeamCategory, TeamRole
from desktop_app.storage.kinds import KINDS, record_to_dict
from desktop_app.storage.library import Library
from desktop_app.storage.models import (
    Member,
    MergeConflict,
    Photo,
    RecordAncestry,
    RecordHistory,
)

LIBRARIES = 3
# What the runs exercised, summed over the examples of a test session: a model that never
# makes a conflict proves nothing about resolving them (tests/services/test_convergence.py).
COVERAGE: collections.Counter[str] = collections.Counter()
EDITABLE = ("team", "member", "guide", "session")

SAVERS: dict[str, Any] = {
    "team": catalog.save_team,
    "member": catalog.save_member,
    "guide": catalog.save_guide,
    "session": catalog.save_session,
}
LOADERS: dict[str, Any] = {
    "team": catalog.load_team,
    "member": catalog.load_member,
    "guide": catalog.load_guide,
    "session": catalog.load_session,
}

# --- profiles -------------------------------------------------------------------------------
# "default" runs in the suite in about a minute: derandomized (the same examples every run, so
# an xfail marker is reliable) and without shrinking (shrinking a failing run of real library
# work takes many minutes; the failure is printed step by step as found).
# JIANGXIN_HYPOTHESIS_PROFILE=release, before a release: random examples, many more and longer
# runs, and a failure is shrunk to a minimal sequence of steps.
# Health checks: every step does real file and database work, so steps are slow by design, and
# drawing inside rules (st.data) makes large examples; neither is a fault of the strategies.
SLOW_BY_DESIGN = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

PROFILES: dict[str, settings] = {
    "default": settings(
        max_examples=int(os.environ.get("JIANGXIN_MODEL_EXAMPLES", "10")),
        stateful_step_count=40,
        deadline=None,
        derandomize=True,
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=SLOW_BY_DESIGN,
    ),
    "release": settings(
        max_examples=int(os.environ.get("JIANGXIN_MODEL_EXAMPLES", "200")),
        stateful_step_count=60,
        deadline=None,
        suppress_health_check=SLOW_BY_DESIGN,
        print_blob=True,
    ),
}


def profile() -> settings:
    return PROFILES[os.environ.get("JIANGXIN_HYPOTHESIS_PROFILE", "default")]


# --- values ---------------------------------------------------------------------------------

WORDS = st.sampled_from(["修剪", "施肥", "安全", "电工", "Z", "ok", "新版", "园林 养护"])
TEXT = st.one_of(st.just(""), WORDS, st.text(alphabet="甲乙丙ab 1", max_size=6))
WORD_LISTS = st.lists(WORDS, max_size=3)
CLASHING_TEAM_NAMES = st.sampled_from(["一队", "二队", "专业技术服务2队"])
PHONES = st.sampled_from(["", "010-12345678", "138 0000 0000"])
START = datetime(2025, 4, 20, 1, 30, tzinfo=UTC)
TIMES = st.integers(0, 20).map(lambda h: START + timedelta(hours=h * 7))
COORDS = st.one_of(st.none(), st.sampled_from([39.9, -33.5, 0.0]))
ROUNDS_TO_CONVERGE = 8


@dataclass
class Step:
    """One undoable edit, as the window's undo stack holds it."""

    action: str  # "save" (before None: a creation) or "delete"
    kind: str
    record_id: str
    before: Any  # the form data before the save (None for a creation)
    after: Any  # the form data saved
    made: str  # the version this step (or its last undo/redo) made


def take_step(library: Library, step: Step, *, undo: bool) -> bool:
    """Undo (or redo) one step as the window's undo stack does, refusing it when its record
    was changed since by someone else; False when refused (the stack then drops it)."""
    kind, rid, made = step.kind, step.record_id, step.made
    try:
        if step.action == "delete":
            if undo:
                catalog.restore_record(library, kind, rid, expected_version=made)
            else:
                catalog.delete_record(library, kind, rid, expected_version=made)
        elif step.before is None:  # a creation
            if undo:
                catalog.delete_record(library, kind, rid, expected_version=made)
            else:
                catalog.restore_record(library, kind, rid, expected_version=made)
        else:
            form = step.before if undo else step.after
            SAVERS[kind](library, form, rid, expected_version=made)
    except UserError:
        return False
    step.made = catalog.current_version(library, kind, rid)
    return True


class SharingModel(RuleBasedStateMachine):
    """Three laptops sharing records through packs, driven at random.

    Team names are unique across the laptops here (a counter); `SharingModelWithNameClashes`
    lets laptops give different teams the same name, which the import renames.
    """

    clashing_names = False

    def __init__(self) -> None:
        super().__init__()
        # Record ids from a counter, so that a run does the same with the same draws (ids
        # order the lists the rules pick from) and hypothesis can replay and shrink it.
        counter = itertools.count()
        models.uuid = types.SimpleNamespace(  # type: ignore[assignment]
            uuid4=lambda: uuid.UUID(bytes=hashlib.sha256(b"%d" % next(counter)).digest()[:16])
        )
        self.tmp = Path(tempfile.mkdtemp(prefix="jiangxin-model-"))
        self.libs = [
            Library.create(self.tmp / f"lib{i}", name=f"laptop {i}") for i in range(LIBRARIES)
        ]
        self.undo: list[list[Step]] = [[] for _ in self.libs]
        self.redo: list[list[Step]] = [[] for _ in self.libs]
        self.packs: list[Path] = []
        self.pictures = itertools.count()
        self.team_names = itertools.count(1)
        # Every version ever current anywhere: (kind, record id) -> tags.
        self.saved: dict[tuple[str, str], set[str]] = {}

    # --- helpers ----------------------------------------------------------------------------

    def ids(self, lib: int, kind: str, *, deleted: bool = False) -> list[str]:
        model: Any = KINDS[kind].model
        with self.libs[lib].session() as s:
            query = select(model.id).order_by(model.id)
            query = query.where(
                model.deleted_at.is_not(None) if deleted else model.deleted_at.is_(None)
            )
            return list(s.scalars(query))

    def some(self, data: st.DataObject, lib: int, kind: str, *, most: int = 3) -> list[str]:
        ids = self.ids(lib, kind)
        if not ids:
            return []
        return data.draw(st.lists(st.sampled_from(ids), max_size=most, unique=True))

    def remember(self, *libs: int) -> None:
        """Log the current version of every record of these libraries."""
        for lib in libs or range(LIBRARIES):
            with self.libs[lib].session() as s:
                for kind, spec in KINDS.items():
                    model: Any = spec.model
                    for rid, tag in s.execute(select(model.id, model.version_tag)):
                        self.saved.setdefault((kind, rid), set()).add(tag)

    def picture(self) -> Path:
        """A tiny JPEG no other picture of this run has the bytes of."""
        n = next(self.pictures)
        path = self.tmp / "pictures" / f"IMG_{n:04d}.jpg"
        path.parent.mkdir(exist_ok=True)
        img = Image.new("RGB", (24, 16), ((n * 53) % 256, (n * 97) % 256, (n * 31) % 256))
        img.putpixel((n % 24, (n // 24) % 16), (255, 255, 255))
        img.save(path, "JPEG", quality=95)
        return path

    def push(self, lib: int, step: Step) -> None:
        self.undo[lib].append(step)
        self.redo[lib].clear()  # as QUndoStack: a new command drops what could be redone

    # --- drawing form data ------------------------------------------------------------------

    def draw_field(self, data: st.DataObject, lib: int, kind: str, form: Any, name: str) -> None:
        """Give one field of a form a new random (valid) value."""
        draw = data.draw
        if kind == "team":
            values: dict[str, Any] = {
                "name": (
                    CLASHING_TEAM_NAMES
                    if self.clashing_names
                    else st.just(f"服务{next(self.team_names)}队")
                ),
                "category": st.sampled_from([c.value for c in TeamCategory]),
                "parent_union": TEXT,
                "description": TEXT,
                "expertise": WORD_LISTS,
                "member_count_note": TEXT,
            }
            if name == "members":
                ids = self.some(data, lib, "member")
                roles = [draw(st.sampled_from([r.value for r in TeamRole])) for _ in ids]
                if roles.count(TeamRole.CAPTAIN.value) > 1:
                    roles = [TeamRole.MEMBER.value] * len(ids)
                form.members = [catalog.Membership(m, r) for m, r in zip(ids, roles, strict=True)]
                return
        elif kind == "member":
            values = {
                "name": WORDS,
                "specialty": TEXT,
                "employer": TEXT,
                "phone": PHONES,
                "notes": TEXT,
            }
            if name == "honours":
                form.honours = [
                    catalog.Honour(t, y)
                    for t, y in draw(
                        st.lists(
                            st.tuples(WORDS, st.one_of(st.none(), st.integers(1949, 2100))),
                            max_size=2,
                        )
                    )
                ]
                return
            if name == "portrait_photo_id":
                form.portrait_photo_id = draw(st.sampled_from([None, *self.ids(lib, "photo")]))
                return
        elif kind == "guide":
            values = {
                "title": WORDS,
                "category": TEXT,
                "problem": TEXT,
                "season": TEXT,
                "materials": WORD_LISTS,
                "key_points": WORD_LISTS,
                "safety_notes": WORD_LISTS,
                "common_mistakes": WORD_LISTS,
                "tags": WORD_LISTS,
                "is_demo": st.booleans(),
            }
            if name == "team_id":
                form.team_id = draw(st.sampled_from([None, *self.ids(lib, "team")]))
                return
            if name == "author_ids":
                form.author_ids = self.some(data, lib, "member")
                return
            if name == "steps":
                form.steps = [
                    catalog.StepData(text=t, photo_ids=self.some(data, lib, "photo", most=2))
                    for t in draw(st.lists(WORDS, max_size=3))
                ]
                return
        else:
            values = {
                "venue": TEXT,
                "gps_lat": COORDS,
                "gps_lon": COORDS,
                "host_organisations": WORD_LISTS,
                "summary": TEXT,
                "follow_ups": WORD_LISTS,
            }
            if name in ("theme", "starts_at", "ends_at"):
                form.theme = draw(WORDS)  # a session needs a theme or a venue
                form.starts_at = draw(TIMES)
                form.ends_at = draw(
                    st.one_of(
                        st.none(),
                        st.integers(0, 5).map(lambda h: form.starts_at + timedelta(hours=h)),
                    )
                )
                return
            ref = {"team_ids": "team", "guide_ids": "guide", "photo_ids": "photo"}
            if name in ref:
                setattr(form, name, self.some(data, lib, ref[name]))
                return
            if name == "attendees":
                form.attendees = [
                    catalog.AttendeeData(
                        m, draw(st.sampled_from([r.value for r in SessionRole])), draw(TEXT)
                    )
                    for m in self.some(data, lib, "member")
                ]
                return
            if name == "groups":
                form.groups = [
                    catalog.GroupData(n, c)
                    for n, c in draw(
                        st.lists(
                            st.tuples(WORDS, st.one_of(st.none(), st.integers(0, 90))), max_size=2
                        )
                    )
                ]
                return
            if name == "agenda":
                form.agenda = [
                    catalog.AgendaData(t, draw(TEXT), draw(TEXT))
                    for t in draw(st.lists(WORDS, max_size=2))
                ]
                return
            if name == "feedback":
                form.feedback = [
                    catalog.FeedbackData(t, draw(TEXT), draw(TEXT))
                    for t in draw(st.lists(WORDS, max_size=2))
                ]
                return
        setattr(form, name, draw(values[name]))

    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "team": (
            "name",
            "category",
            "parent_union",
            "description",
            "expertise",
            "member_count_note",
            "members",
        ),
        "member": (
            "name",
            "honours",
            "specialty",
            "employer",
            "phone",
            "notes",
            "portrait_photo_id",
        ),
        "guide": (
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
            "author_ids",
            "steps",
        ),
        "session": (
            "theme",
            "venue",
            "gps_lat",
            "gps_lon",
            "host_organisations",
            "summary",
            "follow_ups",
            "team_ids",
            "attendees",
            "groups",
            "agenda",
            "guide_ids",
            "feedback",
            "photo_ids",
            "starts_at",
            "ends_at",
        ),
    }

    def new_form(self, data: st.DataObject, lib: int, kind: str) -> Any:
        empty: dict[str, Any] = {
            "team": catalog.TeamData(name=""),
            "member": catalog.MemberData(name=""),
            "guide": catalog.GuideData(title=""),
            "session": catalog.SessionData(starts_at=START),
        }
        form = empty[kind]
        for name in self.FIELDS[kind]:
            self.draw_field(data, lib, kind, form, name)
        return form

    # --- rules: the catalog -----------------------------------------------------------------

    @rule(data=st.data(), lib=st.integers(0, LIBRARIES - 1), kind=st.sampled_from(EDITABLE))
    def create(self, data: st.DataObject, lib: int, kind: str) -> None:
        form = self.new_form(data, lib, kind)
        try:
            rid = SAVERS[kind](self.libs[lib], form)
        except UserError:
            return  # refused by validation (a team name taken here): the form stays open
        made = catalog.current_version(self.libs[lib], kind, rid)
        self.push(lib, Step("save", kind, rid, None, form, made))
        self.remember(lib)

    @rule(data=st.data(), lib=st.integers(0, LIBRARIES - 1), kind=st.sampled_from(EDITABLE))
    def edit(self, data: st.DataObject, lib: int, kind: str) -> None:
        ids = self.ids(lib, kind)
        if not ids:
            return
        self._edit(data, lib, kind, data.draw(st.sampled_from(ids)))

    @rule(
        data=st.data(),
        libs=st.permutations(range(LIBRARIES)),
        kind=st.sampled_from(EDITABLE),
        delete_one=st.booleans(),
    )
    def edit_on_two(
        self, data: st.DataObject, libs: list[int], kind: str, delete_one: bool
    ) -> None:
        """The same record changed on two laptops before they meet again (or changed on one
        and deleted on the other): what makes conflicts. Drawn at random from all records, two
        laptops almost never pick the same one."""
        first, second = libs[0], libs[1]
        common = sorted(set(self.ids(first, kind)) & set(self.ids(second, kind)))
        if not common:
            # Let them meet first (a whole pack one way), so they share what to change.
            path = self.tmp / "packs" / f"{len(self.packs):03d}-meet-{first}-{second}.jxpack"
            path.parent.mkdir(exist_ok=True)
            packs.export_pack(self.libs[first], path)
            self.packs.append(path)
            self._import(second, path)
            common = sorted(set(self.ids(first, kind)) & set(self.ids(second, kind)))
            if not common:
                return
        rid = data.draw(st.sampled_from(common))
        self._edit(data, first, kind, rid)
        if delete_one:
            library = self.libs[second]
            loaded = catalog.current_version(library, kind, rid)
            catalog.delete_record(library, kind, rid, expected_version=loaded)
            made = catalog.current_version(library, kind, rid)
            self.push(second, Step("delete", kind, rid, None, None, made))
            self.remember(second)
        else:
            self._edit(data, second, kind, rid)
        if data.draw(st.booleans()):
            # They meet at once and the first laptop sorts it out (mine, theirs, or by field).
            path = self.tmp / "packs" / f"{len(self.packs):03d}-back-{second}-{first}.jxpack"
            packs.export_pack(self.libs[second], path)
            self.packs.append(path)
            self._import(first, path)
            self._resolve_one(data, first)

    def _edit(self, data: st.DataObject, lib: int, kind: str, rid: str) -> None:
        library = self.libs[lib]
        loaded = catalog.current_version(library, kind, rid)
        before = LOADERS[kind](library, rid)
        form = replace(before)
        for name in data.draw(st.lists(st.sampled_from(self.FIELDS[kind]), min_size=1, max_size=3)):
            self.draw_field(data, lib, kind, form, name)
        try:
            SAVERS[kind](library, form, rid, expected_version=loaded)
        except UserError:
            return
        made = catalog.current_version(library, kind, rid)
        if made != loaded:
            self.push(lib, Step("save", kind, rid, before, form, made))
        self.remember(lib)

    @rule(data=st.data(), lib=st.integers(0, LIBRARIES - 1), kind=st.sampled_from(EDITABLE))
    def delete(self, data: st.DataObject, lib: int, kind: str) -> None:
        ids = self.ids(lib, kind)
        if not ids:
            return
        rid = data.draw(st.sampled_from(ids))
        library = self.libs[lib]
        loaded = catalog.current_version(library, kind, rid)
        catalog.delete_record(library, kind, rid, expected_version=loaded)
        made = catalog.current_version(library, kind, rid)
        self.push(lib, Step("delete", kind, rid, None, None, made))
        self.remember(lib)

    @rule(data=st.data(), lib=st.integers(0, LIBRARIES - 1), kind=st.sampled_from(EDITABLE))
    def undelete(self, data: st.DataObject, lib: int, kind: str) -> None:
        """Restore a deleted record from the list of deleted ones (not through undo)."""
        ids = self.ids(lib, kind, deleted=True)
        if not ids:
            return
        rid = data.draw(st.sampled_from(ids))
        try:
            catalog.restore_record(self.libs[lib], kind, rid)
        except UserError:
            return  # a team whose name is taken now
        self.remember(lib)

    # --- rules: undo and redo ---------------------------------------------------------------

    def _step(self, lib: int, step: Step, *, undo: bool) -> bool:
        taken = take_step(self.libs[lib], step, undo=undo)
        if taken:
            self.remember(lib)
        return taken

    @rule(lib=st.integers(0, LIBRARIES - 1))
    def undo_last(self, lib: int) -> None:
        if self.undo[lib]:
            step = self.undo[lib].pop()
            if self._step(lib, step, undo=True):
                self.redo[lib].append(step)

    @rule(lib=st.integers(0, LIBRARIES - 1))
    def redo_last(self, lib: int) -> None:
        if self.redo[lib]:
            step = self.redo[lib].pop()
            if self._step(lib, step, undo=False):
                self.undo[lib].append(step)

    # --- rules: photos ----------------------------------------------------------------------

    @rule(data=st.data(), lib=st.integers(0, LIBRARIES - 1))
    def import_photo(self, data: st.DataObject, lib: int) -> None:
        where = data.draw(st.sampled_from(["store", "session", "guide", "member"]))
        target = None
        if where != "store":
            ids = self.ids(lib, where)
            if ids:
                rid = data.draw(st.sampled_from(ids))
                target = photos.ImportTarget(**{f"{where}_id": rid})
        (result,) = photos.import_photos(self.libs[lib], [self.picture()], target)
        assert result.status == "imported", result.reason
        self.remember(lib)

    @rule(data=st.data(), lib=st.integers(0, LIBRARIES - 1))
    def caption_or_rotate(self, data: st.DataObject, lib: int) -> None:
        ids = self.ids(lib, "photo")
        if not ids:
            return
        pid = data.draw(st.sampled_from(ids))
        if data.draw(st.booleans()):
            photos.set_caption(self.libs[lib], pid, data.draw(TEXT))
        else:
            photos.set_rotation(self.libs[lib], pid, data.draw(st.sampled_from([0, 90, 180, 270])))
        self.remember(lib)

    @rule(data=st.data(), lib=st.integers(0, LIBRARIES - 1))
    def link_or_unlink(self, data: st.DataObject, lib: int) -> None:
        sessions = self.ids(lib, "session")
        if not sessions:
            return
        sid = data.draw(st.sampled_from(sessions))
        library = self.libs[lib]
        current = catalog.load_session(library, sid).photo_ids
        if current and data.draw(st.booleans()):
            photos.remove_from_session(library, sid, data.draw(st.sampled_from(current)))
        else:
            ids = self.some(data, lib, "photo", most=2)
            if ids:
                photos.add_to_session(library, sid, ids)
        self.remember(lib)

    @rule(lib=st.integers(0, LIBRARIES - 1))
    def clean_up(self, lib: int) -> None:
        photos.cleanup_unused(self.libs[lib])
        self.remember(lib)

    # --- rules: packs and conflicts ---------------------------------------------------------

    @rule(data=st.data(), lib=st.integers(0, LIBRARIES - 1))
    def export(self, data: st.DataObject, lib: int) -> None:
        selection: dict[str, list[str]] = {}
        if data.draw(st.booleans()):  # a partial pack
            for kind, key in (("team", "teams"), ("guide", "guides"), ("session", "sessions")):
                everything = self.ids(lib, kind) + self.ids(lib, kind, deleted=True)
                if everything:
                    selection[key] = data.draw(
                        st.lists(st.sampled_from(sorted(everything)), max_size=2, unique=True)
                    )
        path = self.tmp / "packs" / f"{len(self.packs):03d}-from-{lib}.jxpack"
        path.parent.mkdir(exist_ok=True)
        contacts = data.draw(st.booleans())  # contact details shared, or left at home
        packs.export_pack(self.libs[lib], path, include_contacts=contacts, **selection)
        self.packs.append(path)

    @precondition(lambda self: bool(self.packs))
    @rule(data=st.data(), lib=st.integers(0, LIBRARIES - 1))
    def import_(self, data: st.DataObject, lib: int) -> None:
        """Import any pack made so far (an old one too, or the library's own)."""
        self._import(lib, data.draw(st.sampled_from(self.packs)))

    def _import(self, lib: int, path: Path) -> None:
        report = packs.import_pack(self.libs[lib], path, backup=False)
        COVERAGE["imports"] += 1
        COVERAGE["conflicts made by imports during the run"] += len(report.conflicts)
        self.remember(lib)

    @rule(data=st.data(), lib=st.integers(0, LIBRARIES - 1))
    def resolve(self, data: st.DataObject, lib: int) -> None:
        # The drawn laptop, or the next one that has conflicts (a laptop drawn at random
        # rarely holds one at that moment).
        order = [*range(lib, LIBRARIES), *range(lib)]
        holder = next((i for i in order if merge.list_conflicts(self.libs[i])), None)
        if holder is not None:
            self._resolve_one(data, holder)

    def _resolve_one(self, data: st.DataObject, lib: int) -> None:
        conflicts = merge.list_conflicts(self.libs[lib])
        if not conflicts:
            return
        COVERAGE["conflicts resolved during the run"] += 1
        conflict = data.draw(st.sampled_from(conflicts))
        how = data.draw(st.sampled_from(["mine", "theirs", "fields"]))
        try:
            if how == "fields":
                # Some fields from theirs, the rest kept (the conflicts dialog's ticks).
                names = record_history.field_names(conflict.kind)
                fields = data.draw(st.sets(st.sampled_from(names), min_size=1))
                merge.resolve_conflict_fields(self.libs[lib], conflict.id, fields)
            else:
                merge.resolve_conflict(self.libs[lib], conflict.id, how)
        except UserError:
            return  # a team name taken here (rename first); a deleted side (whole record)
        self.remember(lib)

    # --- after the run ----------------------------------------------------------------------

    def exchange_until_settled(self) -> None:
        """Full packs between every pair until nothing changes; what conflicts remain are
        resolved ("keep mine") on one laptop at a time, as people sorting it out would."""
        last: list[str] = []
        for n in range(ROUNDS_TO_CONVERGE):
            changed = False
            last = []
            for i, j in itertools.permutations(range(LIBRARIES), 2):
                path = self.tmp / "packs" / f"settle-{n}-{i}-{j}.jxpack"
                path.parent.mkdir(exist_ok=True)
                packs.export_pack(self.libs[i], path, include_contacts=True)
                report = packs.import_pack(self.libs[j], path, backup=False)
                changed = changed or report.changes
                for what, items in (
                    ("added", report.added),
                    ("updated", report.updated),
                    ("deleted", report.deleted),
                    ("conflict", report.conflicts),
                ):
                    last += [f"{i}->{j} {what} {c.kind} {c.id[:8]} {c.reason}" for c in items]
                self.remember(j)
            for lib in range(LIBRARIES):
                conflicts = merge.list_conflicts(self.libs[lib])
                if conflicts:
                    for conflict in conflicts:
                        merge.resolve_conflict(self.libs[lib], conflict.id, "mine")
                    self.remember(lib)
                    last.append(f"resolved {len(conflicts)} on {lib}")
                    changed = True
                    break
            if not changed:
                return
        raise AssertionError(
            f"the libraries did not settle in {ROUNDS_TO_CONVERGE} rounds; the last: {last}"
        )

    def teardown(self) -> None:
        try:
            self.exchange_until_settled()
            check_converged(self.libs, self.saved, contacts=True)
        finally:
            for library in self.libs:
                library.close()
            shutil.rmtree(self.tmp, ignore_errors=True)
            models.uuid = uuid  # type: ignore[assignment]

    @invariant()
    def tags_are_true(self) -> None:
        for library in getattr(self, "libs", []):
            assert_tags_true(library)


# --- the properties -------------------------------------------------------------------------


def state(library: Library, *, contacts: bool = False) -> dict[tuple[str, str], str]:
    """(kind, id) -> content hash of the current version, from the stored tags (and a
    member's contact details).

    A deleted record is "deleted" whether its row is here or only its tombstone (a deletion
    of something this library never held is remembered as a tag, not as a row).
    """
    out: dict[tuple[str, str], str] = {}
    with library.session() as s:
        for kind, spec in KINDS.items():
            model: Any = spec.model
            for rid, deleted_at, tag in s.execute(
                select(model.id, model.deleted_at, model.version_tag)
            ):
                out[(kind, rid)] = "deleted" if deleted_at is not None else versions.tag_hash(tag)
        # Contact details are outside a version's content, yet libraries that shared them
        # must hold the same ones (`contacts`: the settling exchanges included them).
        if contacts:
            live = select(Member.id, Member.phone, Member.notes).where(Member.deleted_at.is_(None))
            for rid, phone, notes in s.execute(live):
                out[("member", rid)] += f"|{phone}|{notes}"
        for kind, rid, tag in s.execute(
            select(RecordAncestry.kind, RecordAncestry.record_id, RecordAncestry.tag)
        ):
            if (kind, rid) not in out and tag == versions.tombstone_tag(
                kind, rid, versions.tag_revision(tag)
            ):
                out[(kind, rid)] = "deleted"
    return out


def assert_tags_true(library: Library) -> None:
    """Every record's stored tag names its revision and the hash of what it says now."""
    with library.session() as s:
        sha = dict(s.execute(select(Photo.id, Photo.sha256)).all())
        for kind, spec in KINDS.items():
            model: Any = spec.model
            for obj in s.scalars(select(model).options(*spec.loader_options())):
                data = record_to_dict(kind, obj)
                expected = versions.record_tag(kind, data, lambda p: sha.get(p, p))
                assert obj.version_tag == expected, (
                    f"{library.name}: {kind} {obj.id} says {expected} but its stored tag is "
                    f"{obj.version_tag}"
                )


def known_versions(
    library: Library,
) -> tuple[dict[tuple[str, str], set[str]], set[tuple[str, str, str]]]:
    """Per record, every tag this library accounts for (current, history rows, lineage,
    conflicts); and the (kind, id, tag) whose content it holds (current, history, conflicts)."""
    known: dict[tuple[str, str], set[str]] = {}
    content: set[tuple[str, str, str]] = set()
    with library.session() as s:
        for kind, spec in KINDS.items():
            model: Any = spec.model
            for rid, tag in s.execute(select(model.id, model.version_tag)):
                known.setdefault((kind, rid), set()).add(tag)
                content.add((kind, rid, tag))
        for kind, rid, tag in s.execute(
            select(RecordHistory.kind, RecordHistory.record_id, RecordHistory.version_tag)
        ):
            known.setdefault((kind, rid), set()).add(tag)
            content.add((kind, rid, tag))
        for kind, rid, tag in s.execute(
            select(RecordAncestry.kind, RecordAncestry.record_id, RecordAncestry.tag)
        ):
            known.setdefault((kind, rid), set()).add(tag)
        for row in s.scalars(select(MergeConflict)):
            tag = str(row.incoming.get("tag", ""))
            known.setdefault((row.kind, row.record_id), set()).add(tag)
            if row.incoming.get("record") is not None:
                content.add((row.kind, row.record_id, tag))
    return known, content


def check_converged(
    libs: list[Library], saved: dict[tuple[str, str], set[str]], *, contacts: bool = False
) -> None:
    states = [state(library, contacts=contacts) for library in libs]
    for library, st_ in zip(libs[1:], states[1:], strict=True):
        missing = sorted(set(states[0]) ^ set(st_))
        assert not missing, f"{libs[0].name} and {library.name} hold other records: {missing}"
        differ = sorted(k for k in st_ if st_[k] != states[0][k])
        assert not differ, f"{libs[0].name} and {library.name} differ in {differ}: " + "; ".join(
            f"{k}: {states[0][k]} / {st_[k]}" for k in differ
        )
    anywhere: set[tuple[str, str, str]] = set()
    for library in libs:
        known, content = known_versions(library)
        anywhere |= content
        for key, tags in saved.items():
            lost = tags - known.get(key, set())
            assert not lost, f"{library.name} has lost versions of {key}: {sorted(lost)}"
        assert merge.list_conflicts(library) == [], f"{library.name} has open conflicts"
        report = check_library(library)
        assert not report.problems, f"{library.name}: {[p.message for p in report.problems]}"
    for (kind, rid), tags in saved.items():
        for tag in tags:
            assert (kind, rid, tag) in anywhere, f"no library keeps {kind} {rid} {tag}"


class SharingModelWithNameClashes(SharingModel):
    """The same, with teams on different laptops named alike ("一队" on two laptops)."""

    clashing_names = True

    @initialize(names=st.lists(CLASHING_TEAM_NAMES, min_size=LIBRARIES, max_size=LIBRARIES))
    def teams_named_alike(self, names: list[str]) -> None:
        """Each laptop starts with a team of its own, named from the same few names."""
        for lib, name in enumerate(names):
            catalog.save_team(self.libs[lib], catalog.TeamData(name=name))
        self.remember()


# --- the district hub as one more peer ------------------------------------------------------


class SharingModelWithHub(SharingModel):
    """The same laptops, also connected to a district hub (a real one: the hub app over a
    fresh PostgreSQL database, reached in process through Starlette's test client instead of
    TLS): a laptop syncs with the hub at random moments, interleaved with the pack exchanges.
    At the end every laptop syncs and exchanges packs until nothing changes; then the laptops
    hold the same records as each other and as the hub, and no saved version is lost.

    `cluster` (a tests.pgserver.Cluster) is set by the test before it runs."""

    cluster: ClassVar[Any] = None
    URL = "https://hub.test"

    def __init__(self) -> None:
        super().__init__()
        from starlette.testclient import TestClient

        from desktop_app.hub import accounts
        from desktop_app.hub.app import create_app
        from desktop_app.hub.database import HubStore, migrate_hub
        from desktop_app.services import hub_client, hub_sync

        assert self.cluster is not None, "set SharingModelWithHub.cluster first"
        url = self.cluster.create_database()
        migrate_hub(url, name="区中心")
        self.hub = HubStore.open(url)
        with self.hub.transaction() as s:
            accounts.create_user(s, "admin", "admin", "model-password-1")
        self.http = TestClient(create_app(self.hub), base_url=self.URL)
        self._open_client = hub_sync.open_client

        def in_process(url: str, certificate: str, token: str) -> hub_client.HubClient:
            return hub_client.HubClient(url, token=token, http=self.http)

        hub_sync.open_client = in_process
        for library in self.libs:
            self._connect(library)

    def _connect(self, library: Library) -> None:
        from desktop_app.services import hub_sync
        from desktop_app.services.hub_client import HubClient
        from desktop_app.storage.models import HubLink

        client = HubClient(self.URL, http=self.http)
        hello = client.hello()
        answer = client.login("admin", "model-password-1", library.name)
        hub_sync.save_token(library.library_id, hello["hub_id"], answer["token"])
        with library.transaction() as s:
            s.add(
                HubLink(
                    id=1,
                    url=self.URL,
                    hub_id=hello["hub_id"],
                    hub_name=hello.get("hub_name", ""),
                    fingerprint="",
                    certificate="",
                    user_name="admin",
                    device_id=str(answer.get("device_id", "")),
                    cursor=0,
                )
            )

    def sync_one(self, lib: int) -> bool:
        """Sync a laptop with the hub; whether anything moved either way."""
        from desktop_app.services import hub_sync

        report = hub_sync.sync(self.libs[lib], backup=False)
        assert not report.refused, [r.to_json() for r in report.refused]
        self.remember(lib)
        return bool(report.pulled or report.published or report.conflicts)

    @rule(lib=st.integers(0, LIBRARIES - 1))
    def sync(self, lib: int) -> None:
        self.sync_one(lib)

    @rule(order=st.permutations(list(range(LIBRARIES))))
    def sync_all(self, order: list[int]) -> None:
        for lib in order:
            self.sync_one(lib)

    def exchange_until_settled(self) -> None:
        """Sync every laptop with the hub until nothing moves (settling leftover conflicts
        one laptop at a time, "keep mine"), then exchange packs as without a hub, then sync
        once more: packs and the hub must agree."""
        for _round in range(ROUNDS_TO_CONVERGE):
            changed = False
            for lib in range(LIBRARIES):
                changed = self.sync_one(lib) or changed
            for lib in range(LIBRARIES):
                conflicts = merge.list_conflicts(self.libs[lib])
                if conflicts:
                    for conflict in conflicts:
                        merge.resolve_conflict(self.libs[lib], conflict.id, "mine")
                    self.remember(lib)
                    changed = True
                    break
            if not changed:
                break
        else:
            raise AssertionError(f"the laptops did not settle with the hub in {ROUNDS_TO_CONVERGE}")
        super().exchange_until_settled()
        for lib in range(LIBRARIES):
            self.sync_one(lib)
        for lib in range(LIBRARIES):
            assert not self.sync_one(lib), f"laptop {lib} still syncs changes after settling"
        hub_state = state(self.hub)  # type: ignore[arg-type]
        lib_state = state(self.libs[0])
        assert hub_state == lib_state, sorted(
            k for k in set(hub_state) | set(lib_state) if hub_state.get(k) != lib_state.get(k)
        )

    def teardown(self) -> None:
        from desktop_app.services import hub_sync

        try:
            super().teardown()
        finally:
            hub_sync.open_client = self._open_client
            self.http.close()
            self.hub.close()


class SharingModelWithHubRestores(SharingModelWithHub):
    """The hub is backed up at random moments (and once at the start) and restored from one of
    its backups at others (a copy of its database put back in its place under the same name,
    as pg_dump and pg_restore do): laptops must notice by themselves, start over, and in the
    end still converge with nothing lost (docs/hub-protocol.md, "Starting over")."""

    def __init__(self) -> None:
        super().__init__()
        self.backups: list[str] = []
        self.back_up_the_hub()

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(
            host=str(self.cluster.socket_dir), user="postgres", dbname="postgres", autocommit=True
        )

    def _hub_name(self) -> str:
        return str(self.hub.engine.url.database)

    def back_up_the_hub(self) -> None:
        name = "b_" + uuid.uuid4().hex[:12]
        self.hub.engine.dispose()  # a template database must have no other sessions
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._hub_name()}"')
        self.backups.append(name)

    @rule(lib=st.integers(0, LIBRARIES - 1))
    def sync_then_back_up(self, lib: int) -> None:
        self.sync_one(lib)
        self.back_up_the_hub()

    def _restore(self, backup: str) -> None:
        from starlette.testclient import TestClient

        from desktop_app.hub.app import create_app
        from desktop_app.hub.database import HubStore

        before = state(self.hub)  # type: ignore[arg-type]
        url = self.hub.engine.url.render_as_string(hide_password=False)
        name = self._hub_name()
        self.http.close()
        self.hub.close()
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{backup}"')
        self.hub = HubStore.open(url)  # notices it is another database: a new epoch
        self.http = TestClient(create_app(self.hub), base_url=self.URL)
        COVERAGE["hub restores"] += 1
        if state(self.hub) != before:  # type: ignore[arg-type]
            COVERAGE["hub restores that lost something"] += 1

    @rule(data=st.data())
    def restore_the_hub(self, data: st.DataObject) -> None:
        self._restore(data.draw(st.sampled_from(self.backups)))

    @rule()
    def restore_the_hub_from_the_first_backup(self) -> None:
        self._restore(self.backups[0])

    def teardown(self) -> None:
        try:
            super().teardown()
        finally:
            with self._admin() as conn:
                for name in self.backups:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
