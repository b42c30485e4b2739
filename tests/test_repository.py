"""The repository itself: no file carries a half-done merge (a README did once)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)


def test_no_tracked_text_file_has_merge_conflict_markers() -> None:
    names = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    found = []
    for name in names:
        path = REPO / name
        if (
            path.suffix in {".png", ".jpg", ".mo", ".qm", ".ttf", ".ico", ".zip"}
            or not path.is_file()
        ):
            continue
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        if MARKER.search(text):
            found.append(name)
    assert found == []
