"""`jiangxin check`: the database and the photo store agree and are undamaged.

Finds: SQLite corruption (integrity_check), broken foreign keys, photo records whose file is
missing or whose bytes no longer match their SHA-256, files in the store that no record uses
(orphans, e.g. left by a crash), and leftover temporary files. `repair=True` removes orphans
and temporary files; it never deletes a record or a file a record points to.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from desktop_app.core.i18n import _
from desktop_app.storage.library import Library
from desktop_app.storage.models import Photo
from desktop_app.storage.photostore import photo_path


@dataclass
class Problem:
    code: str  # database_corrupt, foreign_key, photo_missing, photo_corrupt, orphan_file, temp_file
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


def check_database_file(db_path: Path) -> list[Problem]:
    """Run SQLite's own integrity and foreign-key checks on a database file."""
    problems: list[Problem] = []
    try:
        conn = sqlite3.connect(f"{db_path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if rows != ["ok"]:
                problems.append(
                    Problem(
                        "database_corrupt",
                        _("The database is damaged: {detail}").format(detail="; ".join(rows[:3])),
                        str(db_path),
                    )
                )
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
    except sqlite3.DatabaseError as exc:
        problems.append(
            Problem(
                "database_corrupt",
                _("The database is damaged: {detail}").format(detail=exc),
                str(db_path),
            )
        )
    return problems


def check_library(
    library: Library, *, repair: bool = False, verify_hashes: bool = True
) -> CheckReport:
    report = CheckReport()
    report.problems.extend(check_database_file(library.db_path))
    if any(p.code == "database_corrupt" for p in report.problems):
        return report  # the rows cannot be trusted; stop before reading them

    with library.session() as s:
        photos = s.execute(select(Photo.id, Photo.sha256, Photo.ext, Photo.deleted_at)).all()
    expected: set[Path] = set()
    for photo_id, sha, ext, deleted_at in photos:
        path = photo_path(library.photos_dir, sha, ext)
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
        extra(library, report, repair)
    return report
