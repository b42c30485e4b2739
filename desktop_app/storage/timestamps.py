"""Datetimes as the library stores them: naive UTC text, "2025-08-15 01:30:00.000000".

That is what SQLAlchemy's SQLite `DateTime` writes for `models.UTCDateTime`. Code that reads or
writes the tables without the ORM (the lists, `generate-large`) converts with these two, so the
text compares correctly with what the ORM stored.
"""

from __future__ import annotations

from datetime import UTC, datetime


def to_db_text(value: datetime) -> str:
    """An aware datetime as stored text."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def from_db_text(text: str | None) -> datetime | None:
    """Stored text as an aware UTC datetime (None stays None)."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)
