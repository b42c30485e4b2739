"""Reading and writing the zip files that carry libraries between laptops: packs and backups.

Nothing from outside is trusted. `SafeZip` checks a whole archive before a single byte is
used: it must be a zip, every entry name must be on an allow-list (no `../`, no absolute
paths, no backslashes, no symlinks), sizes and compression ratios are bounded (zip bombs),
entries may not overlap, and every member's SHA-256 must match the manifest when it is read.
Packs are read into validated plain dictionaries (`read_pack`); the records inside are
normalised to the exact shapes `services.records` produces, so the merge can hash and store
them as they are. Every refusal is an `ImportRejectedError` with one translated sentence.

The format is documented in `docs/pack-format.md`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import lzma
import math
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from desktop_app.core.errors import ImportRejectedError, UserError
from desktop_app.core.i18n import _
from desktop_app.core.timezones import is_known_zone, unknown_zone_message
from desktop_app.services.rules import EARLIEST_YEAR, LATEST_YEAR, RECORD_RULES
from desktop_app.storage.enums import SessionRole, TeamCategory, TeamRole
from desktop_app.storage.kinds import KIND_ORDER, upgrade_dict
from desktop_app.storage.kinds import KINDS as RECORD_KINDS
from desktop_app.storage.photostore import is_store_ext

PACK_FORMAT = "jiangxin-pack"
# 2: every record and tombstone carries its version's tag; a team's category is "category"
# (format 1 called it "kind" and carried no tags: both are still read). A session carries its
# place's time zone ("time_zone"); a session without one (format 1) is read as Asia/Shanghai
# on every laptop, not the importing laptop's zone, so that two laptops importing the same
# pack hold the same record (schema 0006 says more).
# 3 (schema 0009): a guide step's "risky" and a guide's "recognition_photo_id", written only
# when set (absent: not risky, none), so packs of format 2 read as they always did. The version
# moved because a format-2 reader ignores keys it does not know: it would take a risky step as
# an ordinary one under the same version tag, and pass that loss on to every laptop after it.
# An app that knows only format 2 refuses the pack instead ("update the app").
PACK_FORMAT_VERSION = 3
MANIFEST_NAME = "manifest.json"
TOMBSTONES_NAME = "tombstones.json"
KINDS: tuple[str, ...] = KIND_ORDER  # dependency order
RECORD_FILES: dict[str, str] = {kind: f"records/{kind}s.json" for kind in KINDS}
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    name: spec.personal for name, spec in RECORD_KINDS.items() if spec.personal
}
# Fields added after packs were first written (a guide's 识别图, schema 0009): a pack without
# them, of format 2 from an older app, reads as their default; at the default they are left
# out, as `storage.kinds` leaves them out of a record's dictionary.
SPARSE_FIELDS: dict[str, dict[str, Any]] = {
    name: dict(spec.sparse) for name, spec in RECORD_KINDS.items() if spec.sparse
}

SHA_RE = re.compile(r"^[0-9a-f]{64}$")
EXT_RE = re.compile(r"^[a-z0-9]{1,8}$")
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
TAG_RE = re.compile(r"^[0-9]{1,9}:[0-9a-f]{64}$")
PHOTO_MEMBER_RE = re.compile(r"^photos/([0-9a-f]{64})\.([a-z0-9]{1,8})$")

CHUNK = 1 << 20


@dataclass(frozen=True)
class ZipLimits:
    """Bounds that make a zip bomb harmless: refused before anything is decompressed."""

    max_entries: int = 200_000
    max_member_size: int = 512 * 1024**2  # one photo or one JSON file
    max_total_size: int = 64 * 1024**3
    max_ratio: float = 100.0  # uncompressed / compressed, for members larger than ratio_floor
    ratio_floor: int = 1 << 20
    # The bounds of one JSON file leave room for a library three times the large one of the
    # benchmarks, whose whole-library pack (20,000 sessions: 42 MB, 1.36 million values in
    # sessions.json; 50,000 photos) stood at 91% of the earlier 1.5 million values. Parsed,
    # 1.36 million values take 150 MB; 4 million of empty objects about 300 MB.
    max_json_size: int = 160 * 1024**2
    # Parsed JSON takes far more memory than its text ([{},{},…] about 25 times): a file is
    # refused before parsing when it holds more values than this (a ',', '{' or '[' each).
    max_json_values: int = 4_000_000
    max_records: int = 150_000  # records (and tombstones) of one kind in one pack


DEFAULT_LIMITS = ZipLimits()

# What zipfile and its decompressors raise on damaged or hostile archives, besides
# BadZipFile: unsupported methods, flag bits 5/6 and "zip version 7.5" (NotImplementedError),
# corrupt deflate/LZMA streams, truncated files, undecodable names, bad struct fields.
ZIP_READ_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    UnicodeError,
    struct.error,
    ValueError,
    OverflowError,
    KeyError,
    IndexError,
    OSError,
)


def reject(message: str) -> ImportRejectedError:
    return ImportRejectedError(message)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the safe archive -------------------------------------------------------------------------


SHOWN_NAME_CHARS = 80


def shown_name(name: str) -> str:
    """A member name from an untrusted zip as it may appear in a one-sentence message: line
    breaks and other unprintable characters escaped ("\\n"), cut to `SHOWN_NAME_CHARS`."""
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in name)
    return shown if len(shown) <= SHOWN_NAME_CHARS else shown[: SHOWN_NAME_CHARS - 1] + "…"


def _unsafe_name(name: str) -> bool:
    if not name or "\\" in name or "\x00" in name:
        return True
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return True
    return any(part in ("..", ".") for part in name.split("/"))


class SafeZip:
    """A zip archive whose structure has been checked; members are read with their hash checked.

    `allowed(name)` says which member names may appear (directory entries are ignored).
    """

    def __init__(
        self,
        path: Path,
        *,
        allowed: Callable[[str], bool],
        what: str,
        limits: ZipLimits = DEFAULT_LIMITS,
    ) -> None:
        self.path = Path(path)
        self.limits = limits
        self.what = what  # "knowledge pack" / "backup", already translated
        self._allowed = allowed
        try:
            is_zip = self.path.is_file() and zipfile.is_zipfile(self.path)
        except ZIP_READ_ERRORS:  # "span multiple disks" is raised, not answered False
            is_zip = False
        if not self.path.is_file():
            raise reject(_("There is no file at {path}.").format(path=self.path))
        if not is_zip:
            raise reject(
                _("{path} is not a {what} (it is not a zip file).").format(
                    path=self.path.name, what=what
                )
            )
        self._check_directory_size()
        try:
            self.zip = zipfile.ZipFile(self.path)
        except ZIP_READ_ERRORS as exc:
            raise reject(
                _("{path} is not a {what}: {reason}").format(
                    path=self.path.name, what=what, reason=exc
                )
            ) from None
        try:
            self.members: dict[str, zipfile.ZipInfo] = self._check()
        except BaseException:
            self.zip.close()
            raise

    def _check_directory_size(self) -> None:
        """Refuse a central directory too large to list, before zipfile builds it in memory."""
        try:
            with self.path.open("rb") as handle:
                end = zipfile._EndRecData(handle)  # type: ignore[attr-defined]
        except ZIP_READ_ERRORS:
            end = None
        if not end:
            return  # zipfile itself says what is wrong
        entries = end[zipfile._ECD_ENTRIES_TOTAL]  # type: ignore[attr-defined]
        size = end[zipfile._ECD_SIZE]  # type: ignore[attr-defined]
        # 46 bytes of header, a short allowed name and a zip64 field: well under 512 bytes.
        if entries > self.limits.max_entries or size > self.limits.max_entries * 512:
            raise reject(_("The {what} has too many files.").format(what=self.what))

    def _check(self) -> dict[str, zipfile.ZipInfo]:
        infos = self.zip.infolist()
        limits = self.limits
        if len(infos) > limits.max_entries:
            raise reject(_("The {what} has too many files.").format(what=self.what))
        members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename
            if _unsafe_name(name.rstrip("/")):
                raise reject(
                    _("The {what} contains an unsafe file path “{name}”; it was refused.").format(
                        what=self.what, name=shown_name(name)
                    )
                )
            mode = info.external_attr >> 16
            if info.create_system == 3 and stat.S_ISLNK(mode):
                raise reject(
                    _("The {what} contains a symbolic link “{name}”; it was refused.").format(
                        what=self.what, name=shown_name(name)
                    )
                )
            if info.is_dir():
                continue
            if info.flag_bits & 0x41:  # bit 0: encrypted; bit 6: strong encryption
                raise reject(_("The {what} is encrypted.").format(what=self.what))
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or (
                info.flag_bits & 0x20
            ):
                raise reject(
                    _(
                        "The file “{name}” in the {what} uses a kind of compression Jiangxin "
                        "does not read; it was refused."
                    ).format(name=shown_name(name), what=self.what)
                )
            if not self._allowed(name):
                raise reject(
                    _("The {what} contains an unexpected file “{name}”; it was refused.").format(
                        what=self.what, name=shown_name(name)
                    )
                )
            if name in members:
                raise reject(
                    _("The {what} contains “{name}” twice; it was refused.").format(
                        what=self.what, name=shown_name(name)
                    )
                )
            if info.file_size > limits.max_member_size:
                raise reject(
                    _("The file “{name}” in the {what} is too large.").format(
                        name=shown_name(name), what=self.what
                    )
                )
            if info.file_size > limits.ratio_floor and (
                info.compress_size == 0 or info.file_size / info.compress_size > limits.max_ratio
            ):
                raise reject(
                    _(
                        "The {what} looks like a zip bomb (“{name}” expands too much); "
                        "it was refused."
                    ).format(what=self.what, name=shown_name(name))
                )
            total += info.file_size
            members[name] = info
        if total > limits.max_total_size:
            raise reject(
                _("The {what} would unpack to more than {gb} GB; it was refused.").format(
                    what=self.what, gb=limits.max_total_size // 1024**3
                )
            )
        # Entries sharing their compressed bytes are the trick of non-recursive zip bombs.
        spans = sorted((i.header_offset, i.compress_size, i.filename) for i in infos)
        for (start, size, _name), (next_start, _s, _n) in itertools.pairwise(spans):
            if start + size > next_start:
                raise reject(
                    _("The {what} has overlapping entries (a zip bomb); it was refused.").format(
                        what=self.what
                    )
                )
        return members

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def total_size(self, names: list[str] | None = None) -> int:
        infos = self.members.values() if names is None else [self.members[n] for n in names]
        return sum(i.file_size for i in infos)

    def damaged(self, name: str, exc: BaseException) -> ImportRejectedError:
        return reject(
            _("The file “{name}” in the {what} is damaged: {reason}").format(
                name=name, what=self.what, reason=str(exc) or type(exc).__name__
            )
        )

    def chunks(self, name: str, size: int = CHUNK) -> Iterator[bytes]:
        """The member's bytes in chunks. Read errors become a refusal naming the member;
        errors of whoever consumes the chunks (a full disk...) pass through unchanged."""
        try:
            handle: IO[bytes] = self.zip.open(self.members[name])
        except ZIP_READ_ERRORS as exc:
            raise self.damaged(name, exc) from None
        with handle:
            while True:
                try:
                    chunk = handle.read(size)
                except ZIP_READ_ERRORS as exc:
                    raise self.damaged(name, exc) from None
                if not chunk:
                    return
                yield chunk

    def read_limited(self, name: str, limit: int) -> bytes:
        """At most `limit + 1` bytes of a member (the caller refuses when it gets more)."""
        parts: list[bytes] = []
        got = 0
        for chunk in self.chunks(name):
            parts.append(chunk)
            got += len(chunk)
            if got > limit:
                break
        return b"".join(parts)

    def read_bytes(self, name: str, expected_sha: str, *, max_size: int | None = None) -> bytes:
        """The whole member, refused if it is larger than allowed or its hash differs."""
        limit = self.limits.max_json_size if max_size is None else max_size
        if self.members[name].file_size > limit:
            raise reject(
                _("The file “{name}” in the {what} is too large.").format(name=name, what=self.what)
            )
        data = self.read_limited(name, limit)
        if len(data) > limit:
            raise reject(
                _("The file “{name}” in the {what} is too large.").format(name=name, what=self.what)
            )
        self._check_hash(name, sha256_bytes(data), expected_sha)
        return data

    def copy_member(
        self,
        name: str,
        expected_sha: str,
        target: IO[bytes] | None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> int:
        """Stream a member into `target` (or nowhere) checking its hash; returns its size."""
        digest = hashlib.sha256()
        size = 0
        limit = self.members[name].file_size
        for chunk in self.chunks(name):
            size += len(chunk)
            if size > limit:
                raise reject(
                    _("The file “{name}” in the {what} is damaged.").format(
                        name=name, what=self.what
                    )
                )
            digest.update(chunk)
            if target is not None:
                target.write(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
        self._check_hash(name, digest.hexdigest(), expected_sha)
        return size

    def _check_hash(self, name: str, actual: str, expected: str) -> None:
        if actual != expected:
            raise reject(
                _(
                    "The file “{name}” in the {what} does not match its checksum; "
                    "the file is damaged or was altered."
                ).format(name=name, what=self.what)
            )


def open_safe_zip(
    path: Path,
    *,
    allowed: Callable[[str], bool],
    what: str,
    limits: ZipLimits = DEFAULT_LIMITS,
) -> SafeZip:
    """Open and check an archive; see `SafeZip`."""
    return SafeZip(path, allowed=allowed, what=what, limits=limits)


def _no_constant(name: str) -> Any:
    raise ValueError(_("{value} is not a number JSON allows").format(value=name))


def json_values(data: bytes) -> int:
    """An upper bound of the values a JSON text holds, counted without parsing it."""
    # Each value but the first is preceded by a ',' or opens with '{' or '['; counting those
    # (inside strings too: an overestimate) bounds the memory the parsed result takes.
    return data.count(b",") + data.count(b"{") + data.count(b"[")


def check_importable(name: str, data: bytes, records: int, what: str) -> None:
    """Refuse to write a JSON file of `records` records that the importer would refuse
    (`DEFAULT_LIMITS`): a pack one laptop makes, every other laptop must be able to read."""
    limits = DEFAULT_LIMITS
    if (
        records > limits.max_records
        or len(data) > limits.max_json_size
        or json_values(data) > limits.max_json_values
    ):
        raise UserError(
            _(
                "The {what} would be too large for Jiangxin to read (“{name}”): export part of "
                "the library at a time (some teams, guides or sessions), or share it through "
                "a district hub."
            ).format(what=what, name=name)
        )


def parse_json(
    data: bytes, name: str, what: str, *, max_values: int = DEFAULT_LIMITS.max_json_values
) -> Any:
    """Strict JSON (no NaN or Infinity), refused before parsing when it holds too many values."""
    if json_values(data) > max_values:
        raise reject(
            _("The file “{name}” in the {what} holds too many values; it was refused.").format(
                name=name, what=what
            )
        )
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise reject(
            _("The file “{name}” in the {what} is not valid JSON: {reason}").format(
                name=name, what=what, reason=_json_reason(exc)
            )
        ) from None


def _json_reason(exc: BaseException) -> str:
    """Why JSON did not parse, in the UI language: Python's own words name its internals
    ("maximum recursion depth exceeded", "use sys.set_int_max_str_digits()")."""
    if isinstance(exc, UnicodeDecodeError):
        return _("it is not UTF-8 text")
    if isinstance(exc, RecursionError):
        return _("it is nested too deeply")
    if isinstance(exc, json.JSONDecodeError):
        return _("error at line {line}, column {column}").format(line=exc.lineno, column=exc.colno)
    if "digits" in str(exc):
        return _("a number has too many digits")
    return str(exc)  # our own, translated (`_no_constant`)


def parse_manifest_files(manifest: dict[str, Any], zf: SafeZip) -> dict[str, str]:
    """The manifest's `files` table (name -> sha256), which must list exactly the members."""
    what = zf.what
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise reject(_("The {what}'s manifest has no file list.").format(what=what))
    hashes: dict[str, str] = {}
    for name, entry in files.items():
        sha = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(sha, str) or not SHA_RE.match(sha):
            raise reject(
                _("The {what}'s manifest has no valid checksum for “{name}”.").format(
                    what=what, name=shown_name(str(name))
                )
            )
        hashes[str(name)] = sha
    present = set(zf.members) - {MANIFEST_NAME, BACKUP_MANIFEST_NAME}
    missing = sorted(set(hashes) - present)
    if missing:
        raise reject(
            _("The {what} is incomplete: “{name}” is missing.").format(
                what=what, name=shown_name(missing[0])
            )
        )
    unlisted = sorted(present - set(hashes))
    if unlisted:
        raise reject(
            _("The {what} contains “{name}”, which its manifest does not list.").format(
                what=what, name=unlisted[0]
            )
        )
    return hashes


BACKUP_MANIFEST_NAME = "backup-manifest.json"


# --- record validation and normalisation ------------------------------------------------------


class RecordRefused(Exception):
    """A field of a record is not what the format says (turned into a translated refusal)."""


_Bad = RecordRefused


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise _Bad
    try:
        v.encode("utf-8")  # a lone surrogate ("\ud800") is no text: it cannot be stored
    except UnicodeEncodeError:
        raise _Bad from None
    if "\x00" in v:  # no text either: PostgreSQL (the hub's database) cannot store it
        raise _Bad
    return v


MAX_INT = 2**53  # SQLite stores 64-bit integers; JSON readers agree up to 2**53


def _int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not -MAX_INT <= v <= MAX_INT:
        raise _Bad
    return v


def _opt_int(v: Any) -> int | None:
    return None if v is None else _int(v)


def _opt_float(v: Any) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _Bad
    try:
        number = float(v)
    except OverflowError:
        raise _Bad from None
    if not math.isfinite(number):  # 1e400 parses as infinity
        raise _Bad
    return number


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise _Bad
    return v


def _id(v: Any) -> str:
    if not isinstance(v, str) or not ID_RE.match(v):
        raise _Bad
    return v


def _opt_id(v: Any) -> str | None:
    return None if v is None else _id(v)


def _list(item: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    def check(v: Any) -> list[Any]:
        if not isinstance(v, list):
            raise _Bad
        return [item(x) for x in v]

    return check


def _ids(v: Any) -> list[str]:
    """A list of references: the store keeps each at most once (it is part of a key)."""
    ids = _list(_id)(v)
    if len(set(ids)) != len(ids):
        raise _Bad
    return ids


def _enum(values: set[Any]) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if isinstance(v, bool | list | dict) or v not in values:  # a list is not hashable
            raise _Bad
        return v

    return check


MIN_YEAR, MAX_YEAR = EARLIEST_YEAR, LATEST_YEAR  # far from datetime's limits at any offset


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _datetime(v: Any) -> str:
    """An ISO 8601 time with an offset, normalised to UTC as `records` writes it."""
    if not isinstance(v, str):
        raise _Bad
    try:
        parsed = datetime.fromisoformat(v)
        if parsed.tzinfo is None:
            raise _Bad
        # 0001-01-01T00:00+01:00 is before the first UTC instant Python can hold; and a time
        # near either end would overflow when shown in a laptop's zone (9999-12-31T20:00Z in
        # Beijing). Nothing real is that old or that far ahead.
        utc = parsed.astimezone(UTC)
        if not MIN_YEAR <= utc.year <= MAX_YEAR:
            raise _Bad
        return utc.isoformat()
    except (ValueError, OverflowError):
        raise _Bad from None


def _opt_datetime(v: Any) -> str | None:
    return None if v is None else _datetime(v)


def _zone_name(v: Any) -> str:
    """An IANA time zone name this computer knows (a pack without one: see `upgrade_dict`)."""
    if not is_known_zone(v):
        raise _Bad
    return str(v)


def _sha(v: Any) -> str:
    if not isinstance(v, str) or not SHA_RE.match(v):
        raise _Bad
    return v


def _ext(v: Any) -> str:
    if not isinstance(v, str) or not EXT_RE.match(v) or not is_store_ext(v):
        raise _Bad
    return v


def _obj(
    fields: dict[str, Callable[[Any], Any]], sparse: dict[str, Any] | None = None
) -> Callable[[Any], dict[str, Any]]:
    """A child row; `sparse` fields (added later) may be absent and are left out at their
    default, as `storage.kinds` writes them."""
    defaults = sparse or {}

    def check(v: Any) -> dict[str, Any]:
        if not isinstance(v, dict):
            raise _Bad
        out: dict[str, Any] = {}
        for name, checker in fields.items():
            if name not in v:
                if name in defaults:
                    continue
                raise _Bad(name)
            try:
                value = checker(v[name])
            except _Bad:
                raise _Bad(name) from None
            if name not in defaults or value != defaults[name]:
                out[name] = value
        return out

    return check


def _honour(v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _Bad
    return {"title": _str(v.get("title")), "year": _opt_int(v.get("year"))}


def _positive(v: Any) -> int:
    n = _int(v)
    if not 1 <= n < 10**9:  # a revision; tags allow nine digits
        raise _Bad
    return n


def _non_negative(v: Any) -> int | None:
    n = _opt_int(v)
    if n is not None and n < 0:
        raise _Bad
    return n


_COMMON: dict[str, Callable[[Any], Any]] = {
    "id": _id,
    "created_at": _datetime,
    "updated_at": _datetime,
    "revision": _positive,
    "deleted_at": _opt_datetime,
}

RECORD_SCHEMAS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "team": {
        "name": _str,
        "category": _enum({k.value for k in TeamCategory}),
        "parent_union": _str,
        "description": _str,
        "expertise": _list(_str),
        "member_count_note": _str,
        "members": _list(
            _obj({"id": _id, "member_id": _id, "role": _enum({r.value for r in TeamRole})})
        ),
    },
    "member": {
        "name": _str,
        "honours": _list(_honour),
        "specialty": _str,
        "employer": _str,
        "portrait_photo_id": _opt_id,
    },
    "guide": {
        "title": _str,
        "category": _str,
        "problem": _str,
        "season": _str,
        "materials": _list(_str),
        "key_points": _list(_str),
        "safety_notes": _list(_str),
        "common_mistakes": _list(_str),
        "tags": _list(_str),
        "team_id": _opt_id,
        "is_demo": _bool,
        "recognition_photo_id": _opt_id,  # absent before schema 0009: none
        "author_ids": _ids,
        # "risky" (schema 0009) is absent for a step that is not, and in older packs.
        "steps": _list(
            _obj(
                {"id": _id, "text": _str, "photo_ids": _ids, "risky": _bool},
                sparse={"risky": False},
            )
        ),
    },
    "session": {
        "starts_at": _datetime,
        "ends_at": _opt_datetime,
        "venue": _str,
        "gps_lat": _opt_float,
        "gps_lon": _opt_float,
        "host_organisations": _list(_str),
        "theme": _str,
        "summary": _str,
        "follow_ups": _list(_str),
        "time_zone": _zone_name,
        "team_ids": _ids,
        "attendees": _list(
            _obj(
                {
                    "id": _id,
                    "member_id": _id,
                    "role": _enum({r.value for r in SessionRole}),
                    "note": _str,
                }
            )
        ),
        "groups": _list(_obj({"id": _id, "name": _str, "count": _non_negative})),
        "agenda": _list(_obj({"id": _id, "title": _str, "time": _str, "leader": _str})),
        "guide_ids": _ids,
        "feedback": _list(_obj({"id": _id, "text": _str, "speaker": _str, "speaker_role": _str})),
        "photo_ids": _ids,
    },
    "photo": {
        "sha256": _sha,
        "ext": _ext,
        "original_name": _str,
        "byte_size": _int,
        "width": _int,
        "height": _int,
        "taken_at": _opt_datetime,
        "camera": _str,
        "gps_lat": _opt_float,
        "gps_lon": _opt_float,
        "orientation": _int,
        "rotation": _enum({0, 90, 180, 270}),
        "caption": _str,
    },
}


def references(kind: str, data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, id) of every record a record dictionary points to."""
    return RECORD_KINDS[kind].references_in(data)


def map_references(
    kind: str, data: dict[str, Any], ref_kind: str, fn: Callable[[str], str]
) -> dict[str, Any]:
    """A copy of `data` with every reference to `ref_kind` passed through `fn`."""
    return RECORD_KINDS[kind].map_references(data, ref_kind, fn)


def normalise_record(kind: str, raw: Any) -> dict[str, Any]:
    """A record from a pack in exactly the shape `records.record_to_dict` gives (or `_Bad`).

    Personal fields are kept only when present (a pack without contact details omits them).
    """
    if not isinstance(raw, dict):
        raise _Bad
    raw = upgrade_dict(kind, raw)
    sparse = SPARSE_FIELDS.get(kind, {})
    out: dict[str, Any] = {}
    for name, checker in {**_COMMON, **RECORD_SCHEMAS[kind]}.items():
        if name not in raw:
            if name in sparse:  # added after older apps wrote packs: their default
                continue
            raise _Bad(name)
        try:
            value = checker(raw[name])
        except _Bad:
            raise _Bad(name) from None
        if name not in sparse or value != sparse[name]:
            out[name] = value
    for name in PERSONAL_FIELDS.get(kind, ()):
        if name in raw:
            try:
                out[name] = _str(raw[name])
            except _Bad:
                raise _Bad(name) from None
    return out


# --- a pack read into memory ------------------------------------------------------------------


@dataclass
class PackEntry:
    """One record of a pack: in full (`data`) or as a tombstone (`data` is None)."""

    kind: str
    id: str
    data: dict[str, Any] | None
    revision: int
    ancestry: list[str]
    deleted_at: str | None = None
    tag: str = ""  # the version's tag as its library stored it ("" in format-1 packs)


class RecordBatch(Protocol):
    """What the merge needs of incoming records: a pack read from a zip, or entries that came
    over the network from the district hub (`EntryBatch`)."""

    @property
    def entries(self) -> dict[str, list[PackEntry]]: ...

    @property
    def source_id(self) -> str: ...

    @property
    def source_name(self) -> str: ...

    @property
    def include_contacts(self) -> bool: ...


@dataclass
class EntryBatch:
    """Checked entries that did not come in a zip (hub pulls and publishes)."""

    entries: dict[str, list[PackEntry]]
    source_id: str
    source_name: str
    include_contacts: bool = False


@dataclass
class Pack:
    """A checked pack: manifest facts, records by kind, tombstones, and photo members."""

    path: Path
    zip: SafeZip
    manifest: dict[str, Any]
    hashes: dict[str, str]
    entries: dict[str, list[PackEntry]] = field(default_factory=dict)
    photo_members: dict[str, str] = field(default_factory=dict)  # sha256 -> member name

    # The manifest is the sender's word: its library's id and name are shown in the window
    # and on the terminal and kept in history, so they are text of one short line (a name
    # with line breaks or terminal escapes is shown escaped), and "contacts" means `true`.
    @property
    def source_id(self) -> str:
        value = self.manifest.get("source_library", {}).get("id", "")
        return value if isinstance(value, str) and ID_RE.match(value) else ""

    @property
    def source_name(self) -> str:
        value = self.manifest.get("source_library", {}).get("name", "")
        return shown_name(value) if isinstance(value, str) else ""

    @property
    def include_contacts(self) -> bool:
        return self.manifest.get("include_contacts", False) is True

    def close(self) -> None:
        self.zip.close()


def _pack_member_allowed(name: str) -> bool:
    return (
        name in (MANIFEST_NAME, TOMBSTONES_NAME)
        or name in RECORD_FILES.values()
        or PHOTO_MEMBER_RE.match(name) is not None
    )


def _kind_label(kind: str) -> str:
    from desktop_app.services.labels import KIND_NAMES

    return _(KIND_NAMES[kind])


def read_pack(path: Path, limits: ZipLimits = DEFAULT_LIMITS) -> Pack:
    """Open and check a pack; records are validated, photo bytes are checked when copied."""
    what = _("knowledge pack")
    zf = open_safe_zip(Path(path), allowed=_pack_member_allowed, what=what, limits=limits)
    try:
        return _read_pack(zf, what)
    except BaseException:
        zf.close()
        raise


def _read_pack(zf: SafeZip, what: str) -> Pack:
    if MANIFEST_NAME not in zf.members:
        raise reject(
            _("{path} is not a knowledge pack (it has no manifest).").format(path=zf.path.name)
        )
    manifest_bytes = _read_manifest(zf)
    manifest = parse_json(manifest_bytes, MANIFEST_NAME, what, max_values=zf.limits.max_json_values)
    if not isinstance(manifest, dict) or manifest.get("format") != PACK_FORMAT:
        raise reject(_("{path} is not a knowledge pack.").format(path=zf.path.name))
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise reject(_("The knowledge pack's manifest has no valid format version."))
    if version > PACK_FORMAT_VERSION:
        raise reject(
            _(
                "The knowledge pack was made by a newer version of Jiangxin (format {version}); "
                "update the app to import it."
            ).format(version=version)
        )
    source = manifest.get("source_library")
    if not isinstance(source, dict):
        raise reject(_("The knowledge pack's manifest does not name its library."))
    hashes = parse_manifest_files(manifest, zf)
    pack = Pack(path=zf.path, zip=zf, manifest=manifest, hashes=hashes)

    for name in hashes:
        match = PHOTO_MEMBER_RE.match(name)
        if match:
            if hashes[name] != match.group(1):
                raise reject(
                    _(
                        "The photo “{name}” in the knowledge pack does not match its checksum; "
                        "the file is damaged or was altered."
                    ).format(name=name)
                )
            if match.group(1) in pack.photo_members:
                raise reject(_("The knowledge pack contains the same photo twice."))
            pack.photo_members[match.group(1)] = name

    seen: set[tuple[str, str]] = set()
    child_ids: set[str] = set()
    for kind in KINDS:
        pack.entries[kind] = []
        name = RECORD_FILES[kind]
        if name not in zf.members:
            continue
        items = parse_json(
            zf.read_bytes(name, hashes[name]), name, what, max_values=zf.limits.max_json_values
        )
        if not isinstance(items, list):
            raise reject(
                _("The file “{name}” in the knowledge pack is malformed.").format(name=name)
            )
        _check_count(zf, kind, len(items))
        for index, item in enumerate(items):
            entry = _parse_entry(kind, item, name, index)
            key = (kind, entry.id)
            if key in seen:
                raise reject(
                    _("The knowledge pack lists the {kind} {id} twice.").format(
                        kind=_kind_label(kind), id=entry.id
                    )
                )
            seen.add(key)
            assert entry.data is not None
            for child_list in ("members", "steps", "attendees", "groups", "agenda", "feedback"):
                for child in entry.data.get(child_list, []):
                    if child["id"] in child_ids:
                        raise reject(
                            _("The knowledge pack uses the row id {id} twice.").format(
                                id=child["id"]
                            )
                        )
                    child_ids.add(child["id"])
            pack.entries[kind].append(entry)

    if TOMBSTONES_NAME in zf.members:
        items = parse_json(
            zf.read_bytes(TOMBSTONES_NAME, hashes[TOMBSTONES_NAME]),
            TOMBSTONES_NAME,
            what,
            max_values=zf.limits.max_json_values,
        )
        if not isinstance(items, list):
            raise reject(
                _("The file “{name}” in the knowledge pack is malformed.").format(
                    name=TOMBSTONES_NAME
                )
            )
        _check_count(zf, "tombstone", len(items))
        for index, item in enumerate(items):
            entry = _parse_tombstone(item, index)
            key = (entry.kind, entry.id)
            if key in seen:
                raise reject(
                    _("The knowledge pack lists the {kind} {id} twice.").format(
                        kind=_kind_label(entry.kind), id=entry.id
                    )
                )
            seen.add(key)
            pack.entries[entry.kind].append(entry)

    _check_complete(pack)
    return pack


def _check_count(zf: SafeZip, kind: str, count: int) -> None:
    if count > zf.limits.max_records:
        raise reject(
            _(
                "The knowledge pack holds more than {limit} records of one kind; it was refused."
            ).format(limit=zf.limits.max_records)
        )


def _read_manifest(zf: SafeZip) -> bytes:
    """The manifest cannot carry its own hash; it is still read within the size bounds."""
    info = zf.members[MANIFEST_NAME]
    if info.file_size > zf.limits.max_json_size:
        raise reject(_("The knowledge pack's manifest is too large."))
    return zf.read_limited(MANIFEST_NAME, zf.limits.max_json_size)


def _malformed(name: str, index: int, field_name: str = "") -> ImportRejectedError:
    where = f"{name} #{index + 1}" + (f" ({field_name})" if field_name else "")
    return reject(_("The knowledge pack has a malformed record: {where}.").format(where=where))


def _ancestry(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(t, str) and TAG_RE.match(t) for t in raw):
        raise _Bad("ancestry")
    return list(dict.fromkeys(raw))


def _tag(raw: Any, revision: int) -> str:
    """A stated version tag: absent (format 1), or well formed and naming the revision."""
    if raw is None:
        return ""
    if not isinstance(raw, str) or not TAG_RE.match(raw) or int(raw.split(":")[0]) != revision:
        raise _Bad("tag")
    return raw


def _parse_entry(kind: str, item: Any, name: str, index: int) -> PackEntry:
    try:
        if not isinstance(item, dict):
            raise _Bad
        data = normalise_record(kind, item.get("record"))
        ancestry = _ancestry(item.get("ancestry"))
        tag = _tag(item.get("tag"), int(data["revision"]))
    except _Bad as exc:
        field_name = str(exc.args[0]) if exc.args else ""
        if field_name == "time_zone":
            zone_name = item["record"]["time_zone"]
            where = f"{name} #{index + 1}"
            raise reject(f"{unknown_zone_message(zone_name)} ({where})") from None
        raise _malformed(name, index, field_name) from None
    check_record_rules(kind, data)
    return PackEntry(
        kind=kind,
        id=str(data["id"]),
        data=data,
        revision=int(data["revision"]),
        ancestry=ancestry,
        deleted_at=data["deleted_at"],
        tag=tag,
    )


def _parse_tombstone(item: Any, index: int) -> PackEntry:
    try:
        if not isinstance(item, dict):
            raise _Bad
        kind = item.get("kind")
        if kind not in KINDS:
            raise _Bad("kind")
        record_id = _id(item.get("id"))
        revision = _positive(item.get("revision"))
        deleted_at = _datetime(item.get("deleted_at"))
        ancestry = _ancestry(item.get("ancestry"))
        tag = _tag(item.get("tag"), revision)
    except _Bad as exc:
        raise _malformed(TOMBSTONES_NAME, index, str(exc.args[0]) if exc.args else "") from None
    return PackEntry(
        kind=str(kind),
        id=record_id,
        data=None,
        revision=revision,
        ancestry=ancestry,
        deleted_at=deleted_at,
        tag=tag,
    )


def record_title(kind: str, data: dict[str, Any]) -> str:
    """What a person calls a record in a message: its name or title, else its id."""
    return RECORD_KINDS[kind].title(data).strip() or str(data.get("id", ""))[:8]


def check_record_rules(kind: str, data: dict[str, Any]) -> None:
    """Refuse a record that breaks a rule the app's forms apply (services.rules)."""
    errors = RECORD_RULES[kind](data)
    if errors:
        field_name, reason = next(iter(errors.items()))
        raise reject(
            _(
                "The knowledge pack was refused: the {kind} “{name}” breaks a rule "
                "(field “{field}”): {reason}"
            ).format(
                kind=_kind_label(kind),
                name=record_title(kind, data)[:60],
                field=field_name,
                reason=reason,
            )
        )


def _check_complete(pack: Pack) -> None:
    """Every reference resolves inside the pack, and every photo record has its file."""
    full: dict[str, set[str]] = {
        kind: {e.id for e in entries if e.data is not None}
        for kind, entries in pack.entries.items()
    }
    shas: set[str] = set()
    for entry in pack.entries["photo"]:
        if entry.data is None:
            continue
        sha = entry.data["sha256"]
        if sha in shas:
            raise reject(_("The knowledge pack contains the same photo twice."))
        shas.add(sha)
        member = pack.photo_members.get(sha)
        if member is None or not member.endswith("." + entry.data["ext"]):
            raise reject(
                _("The knowledge pack is incomplete: the file of photo {id} is missing.").format(
                    id=entry.id[:8]
                )
            )
    for kind, entries in pack.entries.items():
        for entry in entries:
            if entry.data is None:
                continue
            for ref_kind, ref_id in references(kind, entry.data):
                if ref_id not in full[ref_kind]:
                    raise reject(
                        _(
                            "The knowledge pack is incomplete: {kind} {id} refers to "
                            "{ref_kind} {ref_id}, which it does not contain."
                        ).format(
                            kind=_kind_label(kind),
                            id=entry.id[:8],
                            ref_kind=_kind_label(ref_kind),
                            ref_id=ref_id[:8],
                        )
                    )


# --- entries one at a time (the hub's wire format is a pack's entries: docs/hub-protocol.md) --


def entry_of(
    kind: str, obj: Any, tag: str, ancestry: Iterable[str], *, include_contacts: bool
) -> dict[str, Any]:
    """The wire form of one stored record in full (a deleted one too, `deleted_at` set)."""
    data = RECORD_KINDS[kind].to_dict(obj)
    if not include_contacts:
        for name in PERSONAL_FIELDS.get(kind, ()):
            data.pop(name, None)
    return {"kind": kind, "record": data, "tag": tag, "ancestry": sorted(ancestry)}


def tombstone_of(
    kind: str,
    record_id: str,
    revision: int,
    deleted_at: datetime,
    tag: str,
    ancestry: Iterable[str],
) -> dict[str, Any]:
    """The wire form of a deleted record that travels without its content."""
    return {
        "kind": kind,
        "id": record_id,
        "revision": revision,
        "deleted_at": deleted_at.isoformat(),
        "tag": tag,
        "ancestry": sorted(ancestry),
    }


def parse_wire_entry(item: Any, index: int, where: str = "entries") -> PackEntry:
    """Check one entry of the wire format exactly as a pack's entry is checked (shape, form
    rules, tag naming the revision); raises ImportRejectedError with a sentence."""
    if not isinstance(item, dict) or item.get("kind") not in RECORD_KINDS:
        raise _malformed(where, index, "kind")
    if "record" in item:
        return _parse_entry(str(item["kind"]), item, where, index)
    return _parse_tombstone(item, index)
