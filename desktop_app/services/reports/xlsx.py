"""The period's tables as an Excel workbook (.xlsx), for union offices that live in Excel/WPS.

One sheet per table (summary, sessions, attendance, participant groups, feedback) with the
column titles in the report's language, the header row frozen, columns wide enough for their
Chinese text (a CJK character takes two columns' width), dates and times as real spreadsheet
dates, and numbers as numbers. A figure that was not recorded is an empty cell, not a 0. The
summary's notes (sessions left out of a figure, and why) sit under its table.

Written with XlsxWriter into memory, then put in place atomically: a failed export leaves no
half-written workbook behind.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop_app.core.errors import UserError
from desktop_app.core.fsutil import atomic_write_bytes, check_destination
from desktop_app.core.i18n import _
from desktop_app.services.reports.tables import DATE, DATETIME, FLOAT, INT, Table

MAX_WIDTH = 60  # characters; longer text wraps in Excel's cell on demand
SHEET_NAME_MAX = 31  # Excel's limit
_FORBIDDEN_IN_SHEET_NAMES = str.maketrans({c: "_" for c in "[]:*?/\\"})


def text_width(text: str) -> int:
    """Columns a text needs: ASCII 1, CJK 2. Estimated from its UTF-8 length (a CJK character
    is 3 bytes) because measuring 20,000 rows character by character takes too long."""
    return (len(text) + len(text.encode("utf-8"))) // 2


def _width(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind == DATETIME:
        return 16
    if kind == DATE:
        return 10
    if kind in (INT, FLOAT):
        return len(str(value))
    return text_width(str(value))


def _sheet_name(name: str, used: set[str]) -> str:
    base = name.translate(_FORBIDDEN_IN_SHEET_NAMES)[:SHEET_NAME_MAX] or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def workbook_bytes(tables: list[Table]) -> bytes:
    """The workbook as bytes (each table a sheet, in the given order)."""
    import xlsxwriter  # only exports need it

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    header = book.add_format({"bold": True, "bg_color": "#EFEFEF", "bottom": 1})
    formats = {
        DATETIME: book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        DATE: book.add_format({"num_format": "yyyy-mm-dd"}),
        FLOAT: book.add_format({"num_format": "0.0#"}),
        INT: book.add_format({"num_format": "0"}),
    }
    note_format = book.add_format({"italic": True, "font_color": "#555555"})
    used: set[str] = set()
    for table in tables:
        sheet = book.add_worksheet(_sheet_name(table.name, used))
        widths = [text_width(c.title) + 2 for c in table.columns]
        # Each column's writer method and number format, chosen once rather than per cell.
        writers: list[tuple[Callable[..., Any], Any]] = []
        for column in table.columns:
            if column.kind in (DATETIME, DATE):
                writers.append((sheet.write_datetime, formats[column.kind]))
            elif column.kind in (INT, FLOAT):
                writers.append((sheet.write_number, formats[column.kind]))
            else:
                writers.append((sheet.write_string, None))
        for c, column in enumerate(table.columns):
            sheet.write_string(0, c, column.title, header)
        kinds = [c.kind for c in table.columns]
        for r, row in enumerate(table.rows, start=1):
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue  # not recorded: an empty cell, never a 0
                write, fmt = writers[c]
                write(r, c, value, fmt)
                w = _width(value, kinds[c])
                if w > widths[c]:
                    widths[c] = w
        for c, w in enumerate(widths):
            sheet.set_column(c, c, min(w + 1, MAX_WIDTH))
        sheet.freeze_panes(1, 0)
        if table.rows:
            sheet.autofilter(0, 0, len(table.rows), len(table.columns) - 1)
        for i, note in enumerate(table.notes):
            sheet.write_string(len(table.rows) + 2 + i, 0, note, note_format)
    book.close()
    return buffer.getvalue()


def write_xlsx(target: Path, tables: list[Table]) -> Path:
    """Write the workbook to `target` atomically."""
    check_destination(Path(target))  # never over a file of a library
    data = workbook_bytes(tables)
    try:
        atomic_write_bytes(Path(target), data)
    except OSError as exc:
        raise UserError(
            _("Cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc)
        ) from None
    return Path(target)
