"""Photo files on the hub, addressed by their SHA-256 (docs/hub-protocol.md, `/v1/blobs`).

Behind the `BlobStore` interface so that a large hub can move them to a file or object store
(HUB.md §4); the first implementation keeps them in PostgreSQL (`hub_blob`, bytea stored
EXTERNAL: one engine and one backup, and a JPEG does not compress anyway). A blob is checked
before anything is written: its name is 64 lower-case hex digits, its size within the limit,
and its bytes hash to its name. Storing a blob twice is a no-op.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from desktop_app.core.i18n import _
from desktop_app.hub.errors import HubError
from desktop_app.hub.tables import HubBlob
from desktop_app.storage.store import ServerStore
from desktop_app.storage.versions import chunks

MAX_BLOB = 64 * 1024 * 1024  # 64 MiB: a camera's largest JPEG or HEIC is far below
MAX_MISSING_QUERY = 5000
SHA_RE = re.compile(r"^[0-9a-f]{64}$")


class BlobTooLarge(HubError):
    status = 413
    code = "too_large"


def check_name(sha: str) -> str:
    """A blob's name, or a refusal: nothing else (no path, no upper case) names a blob."""
    if not isinstance(sha, str) or not SHA_RE.match(sha):
        raise HubError(
            _("A photo file is named by its SHA-256: 64 lower-case hexadecimal digits."),
            code="bad_name",
        )
    return sha


def too_large() -> BlobTooLarge:
    return BlobTooLarge(
        _("The photo file is larger than the hub accepts ({mib} MiB).").format(
            mib=MAX_BLOB // (1024 * 1024)
        )
    )


class BlobStore(Protocol):
    """Where the hub keeps photo files."""

    def missing(self, shas: Iterable[str]) -> list[str]:
        """Which of these the hub lacks (in the order asked, each once)."""
        ...

    def put(self, sha: str, data: bytes) -> bool:
        """Store a verified blob; True if it was new."""
        ...

    def get(self, sha: str) -> bytes | None: ...

    def get_some(self, shas: list[str]) -> dict[str, bytes]:
        """The blobs of `shas` the hub has (a few at a time: each may be megabytes)."""
        ...

    def sizes(self, shas: list[str]) -> dict[str, int]:
        """The size of each blob of `shas` the hub has."""
        ...


class DatabaseBlobStore:
    """Blobs as bytea rows of `hub_blob` in the hub's database."""

    def __init__(self, store: ServerStore, *, max_size: int = MAX_BLOB) -> None:
        self.store = store
        self.max_size = max_size

    def missing(self, shas: Iterable[str]) -> list[str]:
        wanted = list(dict.fromkeys(check_name(sha) for sha in shas))
        if len(wanted) > MAX_MISSING_QUERY:
            raise HubError(
                _("Ask about at most {n} photo files at once.").format(n=MAX_MISSING_QUERY),
                code="too_large",
                status=413,
            )
        have: set[str] = set()
        with self.store.session() as s:
            for part in chunks(wanted):
                have.update(s.scalars(select(HubBlob.sha256).where(HubBlob.sha256.in_(part))))
        return [sha for sha in wanted if sha not in have]

    def put(self, sha: str, data: bytes) -> bool:
        check_name(sha)
        if len(data) > self.max_size:
            raise too_large()
        if hashlib.sha256(data).hexdigest() != sha:
            raise HubError(
                _("The photo file does not match its SHA-256; it was damaged on the way."),
                code="hash_mismatch",
            )
        with self.store.transaction() as s:
            stored = s.scalar(
                pg_insert(HubBlob)
                .values(sha256=sha, size=len(data), data=data)
                .on_conflict_do_nothing(index_elements=[HubBlob.sha256])
                .returning(HubBlob.sha256)
            )
            return stored is not None

    def get(self, sha: str) -> bytes | None:
        check_name(sha)
        with self.store.session() as s:
            data = s.scalar(select(HubBlob.data).where(HubBlob.sha256 == sha))
        return bytes(data) if data is not None else None

    def get_some(self, shas: list[str]) -> dict[str, bytes]:
        wanted = [check_name(sha) for sha in shas]
        with self.store.session() as s:
            rows = s.execute(select(HubBlob.sha256, HubBlob.data).where(HubBlob.sha256.in_(wanted)))
            return {str(sha): bytes(data) for sha, data in rows}

    def sizes(self, shas: list[str]) -> dict[str, int]:
        wanted = [check_name(sha) for sha in shas]
        with self.store.session() as s:
            rows = s.execute(select(HubBlob.sha256, HubBlob.size).where(HubBlob.sha256.in_(wanted)))
            return {str(sha): int(size) for sha, size in rows}


def reads_of(sizes: list[tuple[str, int]], max_bytes: int) -> list[list[str]]:
    """`sizes` (sha, size) in order, in groups to read at once: each at most `max_bytes`
    together, or one file alone if larger."""
    groups: list[list[str]] = []
    total = 0
    for sha, size in sizes:
        if not groups or total + size > max_bytes:
            groups.append([])
            total = 0
        groups[-1].append(sha)
        total += size
    return groups
