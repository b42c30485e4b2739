"""The photo bundle of a period: one zip, one folder per session, upright resized photos.

For the union's publicity files: every session of the period that has photos gets a folder
named by its date and venue (`2025-08-15_园博园`), holding its photos as upright JPEGs resized to
the export size and named by date, place in the session and caption, exactly as Record ▸ Export
photos… names them. The photos are prepared by `services.photos` (both cores), collected in a
temporary folder, then zipped into place atomically: a failed or cancelled bundle leaves
nothing at the target.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from desktop_app.core.errors import UserError
from desktop_app.core.fsutil import atomic_writer, check_destination
from desktop_app.core.i18n import _
from desktop_app.core.progress import NullProgress, Progress
from desktop_app.services import photos
from desktop_app.services.reports.period import Period
from desktop_app.services.reports.tables import local_naive
from desktop_app.storage.library import Library


@dataclass(frozen=True)
class BundleResult:
    path: Path
    sessions: int
    photos: int


def _sessions_with_photos(library: Library, period: Period) -> list[tuple[str, str, str]]:
    """(id, local date, venue or theme) of the period's sessions that have photos.

    "Photos" as the session's photo grid shows them (`photos.session_photos`), which is what
    gets exported."""
    lo, hi = period.bounds()
    rows = library.reader().execute(
        "SELECT s.id, s.starts_at, s.venue, s.theme FROM field_session s"
        " WHERE s.deleted_at IS NULL AND s.starts_at >= ? AND s.starts_at < ?"
        " AND EXISTS (SELECT 1 FROM session_photo sp WHERE sp.session_id = s.id)"
        " ORDER BY s.starts_at, s.id",
        (lo, hi),
    )
    out = []
    for sid, starts, venue, theme in rows:
        day = local_naive(starts)
        out.append((sid, f"{day:%Y-%m-%d}" if day else "", venue or theme or ""))
    return out


def folder_name(day: str, place: str, used: set[str]) -> str:
    """`2025-08-15_园博园`, made safe for every file system and unique within the bundle."""
    base = "_".join(p for p in (day, photos.safe_filename_part(place, 40)) if p) or "session"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base}_{n}"
        n += 1
    used.add(name.lower())
    return name


def build_bundle(
    library: Library,
    period: Period,
    target: Path,
    *,
    long_edge: int = 1600,
    progress: Progress | None = None,
) -> BundleResult:
    """Write the period's photo bundle to `target` (a .zip)."""
    progress = progress or NullProgress()
    check_destination(Path(target), libraries=[library.root])  # never over a file of a library
    sessions = _sessions_with_photos(library, period)
    if not sessions:
        raise UserError(_("No session of this period has photos."))
    used: set[str] = set()
    count = 0
    work = Path(tempfile.mkdtemp(prefix="jiangxin-bundle-"))
    try:
        entries: list[tuple[Path, str]] = []
        for i, (sid, day, place) in enumerate(sessions):
            progress.check_cancelled()
            progress.step(i, len(sessions), _("Exporting photos…"))
            folder = folder_name(day, place, used)
            for path in photos.export_session_photos(library, sid, work / folder, long_edge):
                entries.append((path, f"{folder}/{path.name}"))
                count += 1
        progress.check_cancelled()
        try:
            # The JPEGs are compressed already: store them, do not deflate them again.
            with (
                atomic_writer(Path(target)) as handle,
                zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as bundle,
            ):
                for path, name in entries:
                    bundle.write(path, name)
        except OSError as exc:
            raise UserError(
                _("Cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc)
            ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    progress.step(len(sessions), len(sessions), _("Exporting photos…"))
    return BundleResult(Path(target), len(sessions), count)
