"""Where original photos live: `photos/<first two hex>/<sha256>.<ext>`, never modified.

The two path components come from database rows, and a database can come from outside (a
restored backup, a copied folder, a damaged disk). So they are checked here, where every path
is made, not only where photos are imported: a SHA-256 is 64 lowercase hex digits and an
extension is one of the image types the store holds. Anything else raises
`StoredPathError` (a user error naming the bad value), so no caller can be made to read, write
or delete a file outside the store (`../../victim/important.docx`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from desktop_app.core.errors import LibraryDamagedError
from desktop_app.core.i18n import _

SHA256_RE = re.compile(r"[0-9a-f]{64}")
# What imaging stores (jpg, png, tif, webp, heic) and the other spellings of those types.
STORE_EXTENSIONS = frozenset(
    {"jpg", "jpeg", "jpe", "jfif", "png", "tif", "tiff", "webp", "heic", "heif", "hif"}
)


class StoredPathError(LibraryDamagedError):
    """A photo row names a file that cannot be in the store: the library is damaged."""


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and SHA256_RE.fullmatch(value) is not None


def is_store_ext(value: object) -> bool:
    return isinstance(value, str) and value.lstrip(".").lower() in STORE_EXTENSIONS


def check_sha256(sha256: object) -> str:
    """`sha256` itself, or `StoredPathError` when it is not 64 lowercase hex digits."""
    if not is_sha256(sha256):
        raise StoredPathError(
            _(
                "The library has a damaged photo record (checksum “{value}”); run “jiangxin check”."
            ).format(value=str(sha256)[:80])
        )
    assert isinstance(sha256, str)
    return sha256


def check_ext(ext: object) -> str:
    """The normalised extension, or `StoredPathError` when it is not a known image type."""
    if not is_store_ext(ext):
        raise StoredPathError(
            _(
                "The library has a damaged photo record (file type “{value}”); "
                "run “jiangxin check”."
            ).format(value=str(ext)[:80])
        )
    assert isinstance(ext, str)
    return ext.lstrip(".").lower()


def photo_relpath(sha256: str, ext: str) -> Path:
    sha = check_sha256(sha256)
    return Path(sha[:2]) / f"{sha}.{check_ext(ext)}"


def photo_path(photos_dir: Path, sha256: str, ext: str) -> Path:
    return photos_dir / photo_relpath(sha256, ext)


class StoredFiles:
    """Which photo files the store holds, asked for many at a time (a pack import or a
    first sync asks about each of tens of thousands): one directory listing per folder,
    made when first needed, instead of a `stat` per file (seconds at 50,000 photos).

    A snapshot: files placed after a folder was listed are not seen. Ask before placing."""

    def __init__(self, photos_dir: Path) -> None:
        self._photos_dir = photos_dir
        self._listed: dict[str, frozenset[str]] = {}

    def has(self, sha256: str, ext: str) -> bool:
        sha, ext = check_sha256(sha256), check_ext(ext)
        names = self._listed.get(sha[:2])
        if names is None:
            try:
                names = frozenset(os.listdir(self._photos_dir / sha[:2]))
            except (FileNotFoundError, NotADirectoryError):
                names = frozenset()
            self._listed[sha[:2]] = names
        return f"{sha}.{ext}" in names
