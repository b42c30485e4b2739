"""A table as CSV in UTF-8 with a byte-order mark, so Excel and WPS open Chinese correctly.

Without the BOM, Excel on a Chinese Windows reads a CSV as GBK and shows mojibake. Dates are
written as ISO text (2025-08-15 09:30), which both read back as dates; a figure that was not
recorded is an empty field, not a 0. Notes follow the table after an empty line.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop_app.core.errors import UserError
from desktop_app.core.fsutil import atomic_write_bytes, check_destination
from desktop_app.core.i18n import _
from desktop_app.services.reports.tables import DATE, DATETIME, Table


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if kind == DATE else "%Y-%m-%d %H:%M")
    return str(value)


def csv_text(table: Table) -> str:
    buffer = io.StringIO()
    # Excel writes CRLF line ends; quoting only where needed keeps numbers numbers.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.title for c in table.columns])
    kinds = [c.kind for c in table.columns]
    for row in table.rows:
        writer.writerow([_cell(v, k) for v, k in zip(row, kinds, strict=True)])
    if table.notes:
        writer.writerow([])
        for note in table.notes:
            writer.writerow([note])
    return buffer.getvalue()


def write_csv(target: Path, table: Table) -> Path:
    """Write `table` to `target` (UTF-8 with BOM) atomically."""
    check_destination(Path(target))  # never over a file of a library
    data = csv_text(table).encode("utf-8-sig")
    try:
        atomic_write_bytes(Path(target), data)
    except OSError as exc:
        raise UserError(
            _("Cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc)
        ) from None
    return Path(target)


__all__ = ["DATETIME", "csv_text", "write_csv"]
