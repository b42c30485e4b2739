"""Where original photos live: `photos/<first two hex>/<sha256>.<ext>`, never modified."""

from __future__ import annotations

from pathlib import Path


def photo_relpath(sha256: str, ext: str) -> Path:
    return Path(sha256[:2]) / f"{sha256}.{ext.lstrip('.').lower()}"


def photo_path(photos_dir: Path, sha256: str, ext: str) -> Path:
    return photos_dir / photo_relpath(sha256, ext)
