"""Asking the photo store which files it holds, many at a time (pack imports, first syncs)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from desktop_app.storage.photostore import StoredFiles, StoredPathError, photo_path


def _sha(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def test_stored_files_answers_as_the_files_on_disk_do(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    present = [(_sha(n), "jpg") for n in range(0, 40, 2)] + [(_sha(99), "heic")]
    for sha, ext in present:
        path = photo_path(photos, sha, ext)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    stored = StoredFiles(photos)
    for n in range(40):
        assert stored.has(_sha(n), "jpg") == photo_path(photos, _sha(n), "jpg").exists()
    assert stored.has(_sha(99), "HEIC")  # extensions are compared as stored (lower case)
    assert not stored.has(_sha(99), "jpg")  # the same photo as another type is another file
    assert not StoredFiles(tmp_path / "no such folder").has(_sha(1), "jpg")


@pytest.mark.parametrize(("sha", "ext"), [("../" * 20 + "etc", "jpg"), (_sha(1), "exe")])
def test_stored_files_refuses_a_name_that_cannot_be_in_the_store(
    tmp_path: Path, sha: str, ext: str
) -> None:
    with pytest.raises(StoredPathError):
        StoredFiles(tmp_path).has(sha, ext)
