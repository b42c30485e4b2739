"""What every command shares: opening the library, printing, failing with one line."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.core import paths

if TYPE_CHECKING:
    from desktop_app.storage.library import Library


@dataclass
class CliContext:
    library_option: str | None
    lang: str | None

    @property
    def library_dir(self) -> Path:
        return paths.resolve_library_dir(self.library_option)

    def open_library(self, *, write: bool = False) -> Library:
        from desktop_app.storage.library import Library

        return Library.open(self.library_dir, write=write)


def fail(message: str, code: int = 1) -> int:
    print(f"jiangxin: {message}", file=sys.stderr)
    return code


def _finite(data: Any) -> Any:
    """NaN and infinity are not JSON (json.dumps would print them anyway): null instead."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    return data


def print_json(data: Any) -> None:
    print(json.dumps(_finite(data), ensure_ascii=False, indent=2, default=str, allow_nan=False))


def display_width(text: str) -> int:
    """Terminal columns taken by a string (CJK characters are two wide)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [display_width(h) for h in headers]
    for row in rows:
        widths = [max(w, display_width(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell + " " * (w - display_width(cell)) for cell, w in zip(cells, widths, strict=True)
        ).rstrip()

    print(line(headers))
    for row in rows:
        print(line(row))
