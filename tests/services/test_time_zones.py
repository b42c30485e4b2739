"""A session's time is the place's time: the same wall time on every laptop, whatever its clock.

The demo session was held at 09:30 Beijing time. These tests run with the laptop's zone set
(TZ, then `time.tzset()`) to UTC and to New York, where 09:30 Beijing is 01:30 and 21:30 the day
before, and check every place that shows or prints the time.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from desktop_app.cli import main
from desktop_app.core import timezones
from desktop_app.core.errors import ImportRejectedError, ValidationError
from desktop_app.services import catalog, listing, packs, search
from desktop_app.services.describe import describe
from desktop_app.services.handouts import build_session_pack, build_session_report
from desktop_app.services.records import get_record, record_to_dict
from desktop_app.storage.kinds import KINDS
from desktop_app.storage.library import Library
from tests.services.packkit import edit_records, library_state, read_members, write_pack


def set_laptop_zone(value: str | None) -> None:
    if value is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = value
    time.tzset()


SetZone = Callable[[str | None], None]


@pytest.fixture
def laptop_zone() -> Iterator[SetZone]:
    """Set the laptop's clock zone as a user would (TZ); the original comes back after."""
    before = os.environ.get("TZ")
    yield set_laptop_zone
    set_laptop_zone(before)


ZONES = ["UTC", "America/New_York"]


def text_of(pdf: Path, first: int, last: int) -> str:
    """The page's text as poppler's pdftotext reads it (what a reader copies, not what we drew)."""
    args = ["pdftotext", "-enc", "UTF-8", "-f", str(first), "-l", str(last), str(pdf), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def demo_session_id(library: Library) -> str:
    (sid,) = listing.list_ids(library, "session")
    return sid


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_the_laptop_zone_really_is_set(laptop_zone: SetZone) -> None:
    # Guards the tests below: under this TZ a Beijing 09:30 is a New York 21:30.
    laptop_zone("America/New_York")
    moment = datetime(2025, 8, 15, 1, 30, tzinfo=UTC)
    assert moment.astimezone().strftime("%d %H:%M") == "14 21:30"


@pytest.mark.parametrize("zone", ZONES)
def test_demo_session_shows_0930_in_the_list_and_in_show(
    demo_library: Library, laptop_zone: SetZone, zone: str
) -> None:
    laptop_zone(zone)
    (row,) = listing.list_rows(demo_library, "session")
    assert row["starts_at"] == "2025-08-15 09:30"
    assert row["time_zone"] == "Asia/Shanghai"
    with demo_library.session() as s:
        data = record_to_dict("session", get_record(s, "session", row["id"]))
    lines = dict(describe(demo_library, "session", data))
    assert lines["Date"] == "2025-08-15 09:30–11:30"
    assert lines["Time zone"] == "Beijing time (UTC+08:00)"
    # The title used in history and conflicts is the place's date too.
    assert KINDS["session"].title(data) == "2025-08-15 绿色养护提质增效"


@pytest.mark.parametrize("zone", ZONES)
def test_cli_json_gives_times_with_the_places_offset(
    demo_dir: Path, capsys: pytest.CaptureFixture[str], laptop_zone: SetZone, zone: str
) -> None:
    laptop_zone(zone)
    lib = str(demo_dir)
    (row,) = json.loads(cli(capsys, "--library", lib, "list", "sessions", "--json"))
    assert row["starts_at"] == "2025-08-15T09:30:00+08:00"
    assert row["time_zone"] == "Asia/Shanghai"
    assert "starts_at_iso" not in row
    shown = json.loads(cli(capsys, "--library", lib, "show", "session", row["id"], "--json"))
    assert shown["starts_at"] == "2025-08-15T09:30:00+08:00"
    assert shown["ends_at"] == "2025-08-15T11:30:00+08:00"
    assert shown["time_zone"] == "Asia/Shanghai"
    # The same instant as stored (UTC), only written with the place's offset.
    assert datetime.fromisoformat(shown["starts_at"]) == datetime(2025, 8, 15, 1, 30, tzinfo=UTC)
    human = cli(capsys, "--library", lib, "show", "session", row["id"])
    assert "2025-08-15 09:30–11:30" in human


@pytest.mark.parametrize("zone", ZONES)
def test_session_report_and_pack_print_the_places_time(
    demo_library: Library, tmp_path: Path, laptop_zone: SetZone, zone: str
) -> None:
    laptop_zone(zone)
    sid = demo_session_id(demo_library)
    report = tmp_path / "report.pdf"
    build_session_report(demo_library, sid, report)
    text = " ".join(text_of(report, 1, 1).split())  # handouts are Chinese by default
    assert "2025年8月15日 09:30–11:30（北京时间）" in text
    assert "01:30" not in text and "21:30" not in text
    take_home = tmp_path / "pack.pdf"
    build_session_pack(demo_library, sid, take_home)
    cover = " ".join(text_of(take_home, 1, 1).split())
    assert "2025年8月15日" in cover and "8月14日" not in cover


def test_session_report_in_english_names_the_zone(
    demo_library: Library, tmp_path: Path, laptop_zone: SetZone
) -> None:
    laptop_zone("UTC")
    from desktop_app.services.handouts import HandoutOptions

    report = tmp_path / "report.pdf"
    build_session_report(
        demo_library, demo_session_id(demo_library), report, HandoutOptions(language="en")
    )
    text = " ".join(text_of(report, 1, 1).split())
    assert "August 15, 2025 9:30 AM–11:30 AM (Beijing time)" in text.replace("\u202f", " ")


def test_search_label_shows_the_places_date(demo_library: Library, laptop_zone: SetZone) -> None:
    # 07:00 in Beijing on the 16th is still the 15th in UTC and in New York.
    laptop_zone("America/New_York")
    catalog.save_session(
        demo_library,
        catalog.SessionData(
            starts_at=timezones.from_wall_time(datetime(2025, 8, 16, 7, 0), "Asia/Shanghai"),
            theme="清晨嫁接示范",
            time_zone="Asia/Shanghai",
        ),
    )
    (hit,) = search.search(demo_library, "嫁接示范", ["session"])
    assert hit.title == "2025-08-16 清晨嫁接示范"


def test_a_session_keeps_its_wall_time_on_a_laptop_in_another_zone(
    demo_library: Library, empty_library: Library, tmp_path: Path, laptop_zone: SetZone
) -> None:
    # Laptop A, in Berlin, creates a session at 09:30 (its default zone is Berlin's).
    laptop_zone("Europe/Berlin")
    data = catalog.SessionData(
        starts_at=timezones.from_wall_time(datetime(2026, 4, 18, 9, 30), "Europe/Berlin"),
        theme="柏林交流",
    )
    assert data.time_zone == "Europe/Berlin"
    sid = catalog.save_session(demo_library, data)
    pack = packs.export_pack(demo_library, tmp_path / "a.jxpack").path

    # Laptop B, in Tokyo, imports it: still 09:30, Berlin's summer offset.
    laptop_zone("Asia/Tokyo")
    packs.import_pack(empty_library, pack)
    rows = {r["id"]: r for r in listing.list_rows(empty_library, "session")}
    assert rows[sid]["starts_at"] == "2026-04-18 09:30"
    assert rows[sid]["starts_at_iso"] == "2026-04-18T09:30:00+02:00"
    loaded = catalog.load_session(empty_library, sid)
    assert loaded.time_zone == "Europe/Berlin"
    assert loaded.starts_at == datetime(2026, 4, 18, 7, 30, tzinfo=UTC)


def test_a_pack_without_time_zones_reads_as_beijing_time(
    demo_library: Library, empty_library: Library, tmp_path: Path, laptop_zone: SetZone
) -> None:
    # An older pack has no time zone; the importing laptop's own zone does not matter.
    laptop_zone("America/New_York")
    members = read_members(packs.export_pack(demo_library, tmp_path / "a.jxpack").path)

    def drop_zone(items: list[dict[str, object]]) -> None:
        for item in items:
            record = item["record"]
            assert isinstance(record, dict)
            del record["time_zone"]

    edit_records(members, "session", drop_zone)
    packs.import_pack(empty_library, write_pack(tmp_path / "old.jxpack", members))
    (row,) = listing.list_rows(empty_library, "session")
    assert (row["time_zone"], row["starts_at"]) == ("Asia/Shanghai", "2025-08-15 09:30")


def test_a_pack_with_an_unknown_zone_is_refused_with_a_sentence(
    demo_library: Library, empty_library: Library, tmp_path: Path
) -> None:
    members = read_members(packs.export_pack(demo_library, tmp_path / "a.jxpack").path)

    def mars(items: list[dict[str, object]]) -> None:
        record = items[0]["record"]
        assert isinstance(record, dict)
        record["time_zone"] = "Mars/Olympus_Mons"

    edit_records(members, "session", mars)
    before = library_state(empty_library)
    with pytest.raises(ImportRejectedError) as caught:
        packs.import_pack(empty_library, write_pack(tmp_path / "bad.jxpack", members))
    message = str(caught.value)
    assert "“Mars/Olympus_Mons” is not a time zone name" in message
    assert "\n" not in message
    assert library_state(empty_library) == before


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "", "../../etc/passwd", "/etc/localtime"])
def test_saving_an_unknown_zone_is_refused(demo_library: Library, bad: str) -> None:
    sid = demo_session_id(demo_library)
    data = catalog.load_session(demo_library, sid)
    data.time_zone = bad
    with pytest.raises(ValidationError) as caught:
        catalog.save_session(demo_library, data, sid)
    assert "is not a time zone name" in caught.value.fields["time_zone"]
    assert catalog.load_session(demo_library, sid).time_zone == "Asia/Shanghai"


def test_changing_the_zone_moves_the_instant_not_the_wall_time(demo_library: Library) -> None:
    sid = demo_session_id(demo_library)
    data = catalog.load_session(demo_library, sid)
    # What the form does when the zone is changed to Tokyo with 09:30 on screen.
    wall = timezones.in_zone(data.starts_at, data.time_zone).replace(tzinfo=None)
    data.starts_at = timezones.from_wall_time(wall, "Asia/Tokyo")
    data.ends_at = None
    data.time_zone = "Asia/Tokyo"
    catalog.save_session(demo_library, data, sid)
    (row,) = listing.list_rows(demo_library, "session")
    assert row["starts_at"] == "2025-08-15 09:30"
    assert row["starts_at_iso"] == "2025-08-15T09:30:00+09:00"


@pytest.mark.parametrize(
    ("tz", "laptop", "default"),
    [
        ("UTC", "UTC", "Asia/Shanghai"),  # a clock set to UTC names no place
        ("Etc/UTC", "Etc/UTC", "Asia/Shanghai"),
        ("America/New_York", "America/New_York", "America/New_York"),
        (":Asia/Tokyo", "Asia/Tokyo", "Asia/Tokyo"),
        ("/usr/share/zoneinfo/Europe/Berlin", "Europe/Berlin", "Europe/Berlin"),
        ("CST-8", None, "Asia/Shanghai"),  # a POSIX rule: no place name to be had
        ("Nowhere/Land", None, "Asia/Shanghai"),
    ],
)
def test_default_zone_of_new_sessions(
    laptop_zone: SetZone, tz: str, laptop: str | None, default: str
) -> None:
    laptop_zone(tz)
    assert timezones.local_zone_name() == laptop
    assert timezones.default_zone_name() == default
    assert catalog.SessionData(starts_at=datetime.now(UTC)).time_zone == default


def test_default_zone_from_the_system_setting(laptop_zone: SetZone) -> None:
    laptop_zone(None)  # no TZ: the system's setting, through tzlocal
    name = timezones.local_zone_name()
    assert name is None or timezones.is_known_zone(name)
    assert timezones.is_known_zone(timezones.default_zone_name())


def test_wall_times_that_do_not_exist_or_happen_twice() -> None:
    # New York springs forward at 02:00 on 2026-03-08 and falls back at 02:00 on 2026-11-01.
    gap = timezones.from_wall_time(datetime(2026, 3, 8, 2, 30), "America/New_York")
    assert gap == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # read with the offset before
    twice = timezones.from_wall_time(datetime(2026, 11, 1, 1, 30), "America/New_York")
    assert twice == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # the first 01:30
    assert timezones.format_offset(timezones.in_zone(twice, "Asia/Kathmandu").utcoffset()) == (
        "UTC+05:45"
    )


def test_date_filter_takes_each_sessions_day_at_its_place(
    demo_library: Library, laptop_zone: SetZone
) -> None:
    laptop_zone("America/New_York")
    # Both start at 23:30 UTC on the 15th: the 16th in Tokyo, still the 15th in Reykjavik.
    instant = datetime(2025, 8, 15, 23, 30, tzinfo=UTC)
    tokyo = catalog.save_session(
        demo_library, catalog.SessionData(starts_at=instant, theme="东京", time_zone="Asia/Tokyo")
    )
    london = catalog.save_session(
        demo_library,
        catalog.SessionData(starts_at=instant, theme="雷克雅未克", time_zone="Atlantic/Reykjavik"),
    )
    demo = [i for i in listing.list_ids(demo_library, "session") if i not in (tokyo, london)]

    def days(first: date | None, last: date | None) -> set[str]:
        flt = listing.ListFilter(first_day=first, last_day=last)
        return set(listing.list_ids(demo_library, "session", flt))

    assert days(date(2025, 8, 16), date(2025, 8, 16)) == {tokyo}
    assert days(date(2025, 8, 15), date(2025, 8, 15)) == {london, *demo}
    assert days(date(2025, 8, 16), None) == {tokyo}
    assert days(None, date(2025, 8, 15)) == {london, *demo}


@pytest.mark.parametrize("zone", ZONES)
def test_a_photo_taken_for_a_session_reads_its_camera_time_in_the_sessions_zone(
    demo_library: Library, laptop_zone: SetZone, zone: str, tmp_path: Path
) -> None:
    """Cameras keep local time without a zone. A photo taken at 09:30 at a Beijing session,
    imported on a laptop set to UTC (or New York), was stored as 09:30 there: 17:30 (or
    21:30 the next day) in Beijing, far from the session. Imported for the session, it is
    read in the session's zone; a picture that states its offset keeps it."""
    from PIL import Image

    from desktop_app.services import photos

    laptop_zone(zone)
    sid = demo_session_id(demo_library)
    plain, stated = tmp_path / "plain.jpg", tmp_path / "stated.jpg"
    for path, offset in ((plain, None), (stated, "+02:00")):
        exif = Image.Exif()
        exif[0x0132] = "2025:08:15 09:30:00"
        if offset:
            exif.get_ifd(0x8769)[0x9003] = "2025:08:15 09:30:00"
            exif.get_ifd(0x8769)[0x9011] = offset
        Image.new("RGB", (32, 24), (90, 140, 60) if offset else (60, 90, 140)).save(
            path, "JPEG", exif=exif
        )
    results = photos.import_photos(
        demo_library, [plain, stated], photos.ImportTarget(session_id=sid)
    )
    assert [r.status for r in results] == ["imported", "imported"]
    taken = {p.original_name: p.taken_at for p in photos.session_photos(demo_library, sid)}
    assert taken["plain.jpg"] == datetime(2025, 8, 15, 1, 30, tzinfo=UTC)  # 09:30 Beijing
    assert taken["stated.jpg"] == datetime(2025, 8, 15, 7, 30, tzinfo=UTC)  # 09:30 at +02:00
