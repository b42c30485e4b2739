"""`jiangxin check`: the database and the photo store agree and are undamaged.

Finds: SQLite corruption (integrity_check), broken foreign keys, photo records whose file is
missing or whose bytes no longer match their SHA-256, files in the store that no record uses
(orphans, e.g. left by a crash), and leftover temporary files. `repair=True` removes orphans
and temporary files; it never deletes a record or a file a record points to.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from desktop_app.core.errors import LibraryDamagedError, UserError
from desktop_app.core.i18n import _
from desktop_app.storage.library import Library, read_only_uri
from desktop_app.storage.models import Photo
from desktop_app.storage.photostore import StoredPathError, photo_path


@dataclass
class Problem:
    # database_corrupt, foreign_key, record_damaged, photo_record_invalid, photo_missing,
    # photo_corrupt, orphan_file, temp_file, search_index
    code: str
    message: str
    path: str = ""
    repaired: bool = False


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    photos_checked: int = 0

    @property
    def damaged(self) -> bool:
        return any(not p.repaired for p in self.problems)


# Other services (search index...) add their own checks here: f(library, report, repair).
EXTRA_CHECKS: list[Callable[[Library, CheckReport, bool], None]] = []


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _database_damaged(db_path: Path, detail: object) -> Problem:
    # SQLite's report can run over many lines ("*** in database main ***\nPage 22 is never
    # used..."): one line, and not a page of it, for a message.
    text = " ".join(str(detail).split())
    text = text if len(text) <= 200 else text[:200] + "…"
    return Problem(
        "database_corrupt",
        _("The database is damaged: {detail}").format(detail=text),
        str(db_path),
    )


def check_database_file(db_path: Path) -> list[Problem]:
    """Run SQLite's own integrity and foreign-key checks on a database file."""
    problems: list[Problem] = []
    try:
        if db_path.is_file() and db_path.stat().st_size == 0:
            # SQLite reads an empty file as an empty database; for a library it is damage.
            return [_database_damaged(db_path, _("the file is empty"))]
        conn = sqlite3.connect(read_only_uri(db_path), uri=True)
        # Damaged text must be reported, not crash the check: read it as bytes.
        conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if rows != ["ok"]:
                problems.append(_database_damaged(db_path, "; ".join(map(str, rows[:3]))))
            for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check"):
                problems.append(
                    Problem(
                        "foreign_key",
                        _("Row {rowid} of {table} points to a missing {parent} record.").format(
                            rowid=rowid, table=table, parent=parent
                        ),
                    )
                )
        finally:
            conn.close()
    except (sqlite3.Error, OSError, UnicodeError) as exc:
        problems.append(_database_damaged(db_path, exc))
    return problems


def _check_records(library: Library, report: CheckReport) -> None:
    """Every record reads back in the shape a pack carries (what export and sharing rely on)."""
    from desktop_app.services.labels import KIND_NAMES
    from desktop_app.services.pack_format import KINDS, RecordRefused, normalise_record
    from desktop_app.storage.kinds import KINDS as RECORD_KINDS
    from desktop_app.storage.kinds import record_to_dict

    # What a damaged row raises on the way from SQLite to a dictionary: a date that is no
    # date, text that is no UTF-8, JSON that is no JSON, a value of the wrong type.
    damaged = (RecordRefused, ValueError, TypeError, UnicodeError, KeyError, AttributeError)

    def problem(kind: str, record_id: str, exc: BaseException) -> Problem:
        return Problem(
            "record_damaged",
            _("The {kind} record {id} is damaged: {detail}").format(
                kind=_(KIND_NAMES[kind]), id=str(record_id)[:8], detail=exc
            ),
        )

    for kind in KINDS:
        spec = RECORD_KINDS[kind]
        model: Any = spec.model
        try:
            with library.session() as s:
                # Child rows in one query per relationship, not one per record.
                query = select(model).order_by(model.id).options(*spec.loader_options())
                for obj in s.scalars(query):
                    try:
                        normalise_record(kind, record_to_dict(kind, obj))
                    except damaged as exc:
                        report.problems.append(problem(kind, obj.id, exc))
            continue
        except damaged:
            pass  # a row that cannot even be loaded: find it (and any others) one by one
        with library.session() as s:
            ids = list(s.scalars(select(model.id).order_by(model.id)))
        for record_id in ids:
            try:
                with library.session() as s:
                    normalise_record(kind, record_to_dict(kind, s.get(model, record_id)))
            except damaged as exc:
                report.problems.append(problem(kind, record_id, exc))


@contextlib.contextmanager
def reading_stored_records() -> Iterator[None]:
    """Around code that loads records to send them somewhere (a pack export): a row that is
    damaged (a date that is no date, text that is no UTF-8) is a damaged library, said in
    words and pointing to `jiangxin check`, not an internal error."""
    try:
        yield
    except (ValueError, TypeError, UnicodeError, DBAPIError, sqlite3.DatabaseError) as exc:
        if isinstance(exc, UserError):
            raise
        raise LibraryDamagedError(
            _("The library's database is damaged; run “jiangxin check” to see where.")
        ) from exc


def _check_photo_rows(library: Library, report: CheckReport, verify_hashes: bool) -> set[Path]:
    with library.session() as s:
        photos = s.execute(select(Photo.id, Photo.sha256, Photo.ext, Photo.deleted_at)).all()
    expected: set[Path] = set()
    for photo_id, sha, ext, deleted_at in photos:
        try:
            path = photo_path(library.photos_dir, sha, ext)
        except StoredPathError:
            # A crafted or damaged row must not make any tool touch a file outside the store.
            report.problems.append(
                Problem(
                    "photo_record_invalid",
                    _(
                        "Photo {id} names a file that cannot be in the photo store "
                        "(checksum “{sha}”, type “{ext}”)."
                    ).format(id=str(photo_id)[:8], sha=str(sha)[:80], ext=str(ext)[:20]),
                )
            )
            continue
        expected.add(path)
        if deleted_at is not None and not path.is_file():
            continue  # a tombstone: clean-up removed its file (services/photos.py)
        report.photos_checked += 1
        if not path.is_file():
            report.problems.append(
                Problem(
                    "photo_missing",
                    _("Photo {id} is missing its file.").format(id=photo_id[:8]),
                    str(path),
                )
            )
        elif verify_hashes and sha256_of(path) != sha:
            report.problems.append(
                Problem(
                    "photo_corrupt",
                    _("The file of photo {id} has changed or is damaged.").format(id=photo_id[:8]),
                    str(path),
                )
            )
    return expected


def check_library(
    library: Library, *, repair: bool = False, verify_hashes: bool = True
) -> CheckReport:
    report = CheckReport()
    report.problems.extend(check_database_file(library.db_path))
    if any(p.code == "database_corrupt" for p in report.problems):
        return report  # the rows cannot be trusted; stop before reading them

    try:
        expected = _check_photo_rows(library, report, verify_hashes)
        _check_records(library, report)
    except (DBAPIError, sqlite3.Error, UnicodeError) as exc:
        # Rows SQLite itself calls fine can still hold what the app cannot read (bad text).
        report.problems.append(_database_damaged(library.db_path, getattr(exc, "orig", exc)))
        return report
    if any(p.code == "photo_record_invalid" for p in report.problems):
        repair = False  # the store cannot be trusted to tell orphans from victims

    if library.photos_dir.is_dir():
        for path in sorted(library.photos_dir.rglob("*")):
            if not path.is_file() or path in expected:
                continue
            temp = path.name.startswith(".") or path.suffix == ".part"
            problem = Problem(
                "temp_file" if temp else "orphan_file",
                (_("Leftover temporary file.") if temp else _("A photo file no record uses.")),
                str(path),
            )
            if repair and not library.read_only:
                path.unlink(missing_ok=True)
                problem.repaired = True
            report.problems.append(problem)
    if library.tmp_dir.is_dir():
        for path in sorted(library.tmp_dir.rglob("*")):
            if path.is_file():
                problem = Problem("temp_file", _("Leftover temporary file."), str(path))
                if repair and not library.read_only:
                    path.unlink(missing_ok=True)
                    problem.repaired = True
                report.problems.append(problem)

    for extra in EXTRA_CHECKS:
        try:
            extra(library, report, repair)
        except (DBAPIError, sqlite3.Error, UnicodeError) as exc:
            report.problems.append(_database_damaged(library.db_path, getattr(exc, "orig", exc)))
    return report
