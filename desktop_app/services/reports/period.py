"""Reporting periods: from one calendar day to another, in the laptop's time zone.

A period is inclusive of both days, as people say it ("1 to 31 August"); in the database it is a
half-open range of stored UTC texts. Months are cut at local midnight too, so a session at 00:30
on 1 September (Beijing) counts in September although it is stored as 31 August UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.storage.timestamps import to_db_text

PRESETS = ("month", "quarter", "year")


def local_midnight(day: date) -> datetime:
    """The start of `day` in the laptop's time zone, as an aware datetime."""
    return datetime.combine(day, time()).astimezone()


@dataclass(frozen=True)
class Bucket:
    """One bar of a chart: a month or a year of the period, with its stored-text bounds."""

    label: str  # "2025-08" or "2025"
    lo: str
    hi: str


@dataclass(frozen=True)
class Period:
    start: date  # first day, included
    end: date  # last day, included

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise UserError(
                _("The period ends ({end}) before it starts ({start}).").format(
                    start=self.start.isoformat(), end=self.end.isoformat()
                )
            )

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def bounds(self) -> tuple[str, str]:
        """Stored-text bounds: `lo <= starts_at < hi`."""
        return (
            to_db_text(local_midnight(self.start)),
            to_db_text(local_midnight(self.end + timedelta(days=1))),
        )

    def buckets(self) -> list[Bucket]:
        """The chart's bars: months, or years when the period spans more than two years."""
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        out: list[Bucket] = []
        if months > 24:
            for year in range(self.start.year, self.end.year + 1):
                lo = max(self.start, date(year, 1, 1))
                hi = min(self.end + timedelta(days=1), date(year + 1, 1, 1))
                out.append(_bucket(str(year), lo, hi))
            return out
        year, month = self.start.year, self.start.month
        for _i in range(months):
            first = date(year, month, 1)
            nxt = date(year + (month == 12), month % 12 + 1, 1)
            lo = max(self.start, first)
            hi = min(self.end + timedelta(days=1), nxt)
            out.append(_bucket(f"{year:04d}-{month:02d}", lo, hi))
            year, month = nxt.year, nxt.month
        return out


def _bucket(label: str, lo: date, hi: date) -> Bucket:
    return Bucket(label, to_db_text(local_midnight(lo)), to_db_text(local_midnight(hi)))


def preset(name: str, today: date | None = None) -> Period:
    """This month, this quarter or this year, up to its last day (not only up to today)."""
    day = today or date.today()
    if name == "month":
        start = day.replace(day=1)
        nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    elif name == "quarter":
        first_month = (day.month - 1) // 3 * 3 + 1
        start = date(day.year, first_month, 1)
        nxt = date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    elif name == "year":
        start = date(day.year, 1, 1)
        nxt = date(day.year + 1, 1, 1)
    else:
        raise UserError(_("Unknown period “{name}”; use month, quarter or year.").format(name=name))
    return Period(start, nxt - timedelta(days=1))


def parse_day(text: str) -> date:
    """A day typed by a user: 2025-08-15 (also 2025/8/15 and 2025.8.15)."""
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    parts = cleaned.split("-")
    try:
        if len(parts) != 3:
            raise ValueError(text)
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise UserError(
            _("“{text}” is not a date; write it as 2025-08-15.").format(text=text)
        ) from None
