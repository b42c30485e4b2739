"""The field-session form: when and where, who came and what each did, what was covered.

The "Photos" group box (`photos_box`) is filled by the photo feature with its grid; the form
keeps the session's photo ids in `photo_ids` and saves them unchanged unless that feature
updates the list.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import RecordNotFoundError, ValidationError
from desktop_app.core.i18n import _
from desktop_app.core.timezones import (
    COMMON_ZONES,
    all_zone_names,
    from_wall_time,
    in_zone,
    is_known_zone,
    unknown_zone_message,
    zone_label,
)
from desktop_app.services import catalog, listing
from desktop_app.services.labels import SESSION_ROLE_LABELS, label
from desktop_app.storage.enums import SessionRole
from desktop_app.ui.combos import SearchableComboBox
from desktop_app.ui.forms import widgets
from desktop_app.ui.forms.base import RecordForm
from desktop_app.ui.forms.widgets import Col, StringListEditor, TableEditor

DATETIME_FORMAT = "yyyy-MM-dd HH:mm"


# How far (in hours of sun time) a photo's longitude may be from its session's UTC offset and
# still count as taken there: China keeps UTC+8 from 73°E (sun time +4.9 h) to 135°E.
GPS_ZONE_SLACK_HOURS = 3.5


def gps_fits_utc_offset(longitude: float, offset_hours: float) -> bool:
    """Whether a place at `longitude` can keep clocks at UTC+`offset_hours` (sun time is
    longitude/15 hours; zones stray from it by a few hours at most)."""
    gap = abs(longitude / 15 - offset_hours) % 24
    return min(gap, 24 - gap) <= GPS_ZONE_SLACK_HOURS


def now_to_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


# The date/time editors hold the wall time at the session's place. They are set to UTC only so
# that Qt never applies the *laptop's* zone to that wall time (02:30 on the night New York
# springs forward does not exist there, but may well exist in Beijing).
def to_qdatetime(value: datetime, zone_name: str) -> QDateTime:
    """An instant as the wall time at the place, for the editors."""
    wall = in_zone(value, zone_name)
    return QDateTime(
        QDate(wall.year, wall.month, wall.day),
        QTime(wall.hour, wall.minute, wall.second),
        QTimeZone.utc(),
    )


def from_qdatetime(value: QDateTime, zone_name: str) -> datetime:
    """The wall time in an editor, typed for the place, as an instant."""
    d, t = value.date(), value.time()
    wall = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second())
    return from_wall_time(wall, zone_name)


class ZoneComboBox(SearchableComboBox):
    """The session's time zone: the common ones first with names a team knows ("北京时间
    (UTC+08:00)"), then every IANA name; type part of a name (Kathmandu, 加德满都 is not
    known) to find it. `zone_name()` is the IANA name chosen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("session_time_zone")
        self.setToolTip(
            _(
                "The time zone of the place: the times above are its wall times, and every "
                "laptop shows and prints them so."
            )
        )
        for name in COMMON_ZONES:
            self.addItem(name, name)
        self.insertSeparator(self.count())
        self._rest_from = self.count()
        for name in all_zone_names():
            if name not in COMMON_ZONES:
                self.addItem(name, name)
        self.relabel(datetime.now(UTC))

    def relabel(self, at: datetime) -> None:
        """Show the common zones' offsets in force at `at` (summer time)."""
        for index in range(self._rest_from):
            name = self.itemData(index)
            if isinstance(name, str):
                self.setItemText(index, zone_label(name, at))

    def set_zone(self, name: str) -> None:
        index = self.findData(name)
        if index < 0:  # a name this computer's database lacks: kept, and refused at saving
            self.addItem(name, name)
            index = self.count() - 1
        self.setCurrentIndex(index)

    def settle(self) -> None:
        """An IANA name typed in full ("Asia/Shanghai") picks its zone, as its label does."""
        index = self.findData(self.currentText().strip())
        if index >= 0:
            self.setCurrentIndex(index)
            self.setEditText(self.itemText(index))
            return
        super().settle()

    def zone_name(self) -> str:
        self.settle()
        name = self.currentData()
        return str(name) if isinstance(name, str) else self.currentText().strip()


def template_from(library: Any, session_id: str) -> catalog.SessionData:
    """A new session with the teams, venue, hosts and guides of an earlier one (dated now);
    teams and guides deleted since are not carried into the new session."""
    earlier = catalog.load_session(library, session_id)

    def live(kind: str, ids: list[str]) -> list[str]:
        names = listing.reference_names(library, kind, ids)
        return [i for i in ids if i in names and names[i].state == listing.LIVE]

    return catalog.SessionData(
        starts_at=now_to_minute(),
        venue=earlier.venue,
        host_organisations=list(earlier.host_organisations),  # the same hosts, as a rule
        gps_lat=earlier.gps_lat,
        gps_lon=earlier.gps_lon,
        team_ids=live("team", earlier.team_ids),
        guide_ids=live("guide", earlier.guide_ids),
        time_zone=earlier.time_zone,  # same place, same zone
    )


class SessionForm(RecordForm):
    kind = "session"
    returnedTo = Signal(str)  # a template draft was discarded: the session it came from

    def build(self) -> None:
        self.photo_ids: list[str] = []
        self.template_source: str | None = None

        # When and where.
        when = self._group(_("When and where"))
        self.starts_edit = QDateTimeEdit()
        self.starts_edit.setObjectName("session_starts")
        self.starts_edit.setCalendarPopup(True)
        self.starts_edit.setDisplayFormat(DATETIME_FORMAT)
        self.has_end = QCheckBox(_("Ends at"))
        self.ends_edit = QDateTimeEdit()
        self.ends_edit.setCalendarPopup(True)
        self.ends_edit.setDisplayFormat(DATETIME_FORMAT)
        self.ends_edit.setEnabled(False)
        self.has_end.toggled.connect(self.ends_edit.setEnabled)
        end_row = QWidget()
        end_layout = QHBoxLayout(end_row)
        end_layout.setContentsMargins(0, 0, 0, 0)
        end_layout.addWidget(self.has_end)
        end_layout.addWidget(self.ends_edit, 1)
        self.watch(self.has_end)
        self.watch(self.ends_edit)
        for edit in (self.starts_edit, self.ends_edit):
            edit.setTimeZone(QTimeZone.utc())  # wall time at the place: see to_qdatetime
        self.zone_combo = ZoneComboBox()
        self.watch(self.zone_combo)
        self.venue_edit = QLineEdit()
        self.venue_edit.setObjectName("session_venue")
        self.lat_edit = QLineEdit()
        # Short hints, readable whole at the largest text size; the examples in the tooltips.
        self.lat_edit.setPlaceholderText(_("Latitude"))
        self.lat_edit.setToolTip(_("Latitude, e.g. 39.8687"))
        self.lon_edit = QLineEdit()
        self.lon_edit.setPlaceholderText(_("Longitude"))
        self.lon_edit.setToolTip(_("Longitude, e.g. 116.1825"))
        gps_row = QWidget()
        gps_layout = QHBoxLayout(gps_row)
        gps_layout.setContentsMargins(0, 0, 0, 0)
        gps_layout.addWidget(self.lat_edit)
        gps_layout.addWidget(self.lon_edit)
        self.gps_button = QPushButton(_("From photos"))
        self.gps_button.setToolTip(_("Take the position from the first photo that has GPS"))
        self.gps_button.clicked.connect(lambda: self.fill_gps_from_photos(only_if_empty=False))
        gps_layout.addWidget(self.gps_button)
        self.watch(self.lat_edit)
        self.watch(self.lon_edit)
        self.hosts = StringListEditor(_("Host organisation"))
        self.add_field(_("Starts at"), self.starts_edit, "starts_at", form=when)
        self.add_field("", end_row, "ends_at", form=when)
        self.add_field(_("Time zone"), self.zone_combo, "time_zone", form=when)
        self.add_field(_("Venue"), self.venue_edit, "venue", form=when)
        self.add_field(_("GPS (optional)"), gps_row, "gps", form=when)
        self.add_field(_("Hosts"), self.hosts, "host_organisations", form=when)

        # What.
        what = self._group(_("Theme and content"))
        self.theme_edit = QLineEdit()
        self.theme_edit.setObjectName("session_theme")
        self.summary_edit = QPlainTextEdit()
        self.summary_edit.setMinimumHeight(70)
        self.summary_edit.setMaximumHeight(120)
        self.guides = TableEditor(
            [Col("guide_id", _("Guide"), "choice", stretch=True)],
            on_add=self._pick_guides,
            add_text=_("Add guides…"),
            min_rows=1,
            max_rows=5,
        )
        self.guides.view.horizontalHeader().setVisible(False)
        self.guides._fit_height()
        self.agenda = TableEditor(
            [
                Col("time", _("Time")),
                Col("title", _("Segment"), stretch=True),
                Col("leader", _("Led by")),
            ],
            add_text=_("Add segment"),
        )
        self.add_field(_("Theme"), self.theme_edit, "theme", form=what)
        self.add_field(_("Summary"), self.summary_edit, "summary", form=what)
        self.add_field(_("Guides covered"), self.guides, "guides", form=what)
        self.add_field(_("Agenda"), self.agenda, "agenda", form=what)

        # Who.
        who = self._group(_("Teams and people"))
        self.teams = TableEditor(
            [Col("team_id", _("Team"), "choice", stretch=True)],
            on_add=self._pick_teams,
            add_text=_("Add teams…"),
            min_rows=1,
            max_rows=5,
        )
        self.teams.view.horizontalHeader().setVisible(False)
        self.teams._fit_height()
        self.attendees = TableEditor(
            [
                Col("member_id", _("Member"), "choice"),
                Col("role", _("Did"), "choice"),
                Col("note", _("Note"), stretch=True),
            ],
            on_add=self._pick_attendees,
            add_text=_("Add members…"),
        )
        self.groups = TableEditor(
            [Col("name", _("Participant group"), stretch=True), Col("count", _("Count"), "int")],
            add_text=_("Add group"),
        )
        self.add_field(_("Teams"), self.teams, "teams", form=who)
        self.add_field(_("Members present"), self.attendees, "attendees", form=who)
        self.add_field(_("Participants"), self.groups, "groups", form=who)

        # Afterwards.
        after = self._group(_("Feedback and follow-ups"))
        self.feedback = TableEditor(
            [
                Col("text", _("Quote"), stretch=True),
                Col("speaker", _("Said by")),
                Col("speaker_role", _("Who they are")),
            ],
            add_text=_("Add quote"),
        )
        self.follow_ups = StringListEditor(_("Follow-up"))
        self.add_field(_("Trainee feedback"), self.feedback, "feedback", form=after)
        self.add_field(_("Follow-ups"), self.follow_ups, "follow_ups", form=after)

        # Filled by the photo feature with its grid.
        self.photos_box = QGroupBox(_("Photos"))
        self.photos_box.setObjectName("photos_box")
        self.photos_box.setLayout(QVBoxLayout())
        self.body_layout.addWidget(self.photos_box)

    def _group(self, title: str) -> Any:
        box = QGroupBox(title)
        form = self.new_form_layout()
        box.setLayout(form)
        self.body_layout.addWidget(box)
        return form

    # --- pickers ----------------------------------------------------------------------------

    def _options(self) -> dict[str, dict[str, str]]:
        return {
            "team_id": listing.display_names(self.library, "team"),
            "member_id": listing.display_names(self.library, "member"),
            "guide_id": listing.display_names(self.library, "guide"),
            "role": {r.value: label(SESSION_ROLE_LABELS, r) for r in SessionRole},
        }

    def _pick(self, editor: TableEditor, key: str, title: str) -> list[str]:
        present = [str(r[key]) for r in editor.rows()]
        return widgets.pick_records(self, title, self._options()[key], exclude=present)

    def _pick_teams(self) -> list[dict[str, Any]]:
        return [{"team_id": t} for t in self._pick(self.teams, "team_id", _("Add teams"))]

    def _pick_guides(self) -> list[dict[str, Any]]:
        return [{"guide_id": g} for g in self._pick(self.guides, "guide_id", _("Add guides"))]

    def _pick_attendees(self) -> list[dict[str, Any]]:
        picked = self._pick(self.attendees, "member_id", _("Add members present"))
        return [{"member_id": m, "role": SessionRole.LECTURE.value, "note": ""} for m in picked]

    # --- data -------------------------------------------------------------------------------

    def empty_data(self) -> catalog.SessionData:
        return catalog.SessionData(starts_at=now_to_minute())

    def _set_choices(self, ids: dict[str, list[str]]) -> None:
        """Name the teams, members and guides in the lists; `ids` are those the rows hold, so
        that a deleted one shows its name marked as deleted."""
        options = self._options()
        for key, kind, editor in (
            ("team_id", "team", self.teams),
            ("member_id", "member", self.attendees),
            ("guide_id", "guide", self.guides),
        ):
            live = options[key]
            editor.model.set_choices(key, live, self.stale_labels(kind, live, ids[key]))
        self.attendees.model.set_choices("role", options["role"])

    def refresh_references(self) -> None:
        self._set_choices(
            {
                key: [self._text(r, key) for r in editor.rows()]
                for key, editor in (
                    ("team_id", self.teams),
                    ("member_id", self.attendees),
                    ("guide_id", self.guides),
                )
            }
        )

    def populate(self, data: catalog.SessionData) -> None:
        self._set_choices(
            {
                "team_id": data.team_ids,
                "member_id": [a.member_id for a in data.attendees],
                "guide_id": data.guide_ids,
            }
        )
        zone_name = data.time_zone
        self.zone_combo.relabel(data.starts_at)
        self.zone_combo.set_zone(zone_name)
        self.starts_edit.setDateTime(to_qdatetime(data.starts_at, zone_name))
        self.has_end.setChecked(data.ends_at is not None)
        self.ends_edit.setDateTime(to_qdatetime(data.ends_at or data.starts_at, zone_name))
        self.venue_edit.setText(data.venue)
        self.lat_edit.setText("" if data.gps_lat is None else f"{data.gps_lat:.6f}")
        self.lon_edit.setText("" if data.gps_lon is None else f"{data.gps_lon:.6f}")
        self.hosts.set_values(data.host_organisations)
        self.theme_edit.setText(data.theme)
        self.summary_edit.setPlainText(data.summary)
        self.guides.set_rows([{"guide_id": g} for g in data.guide_ids])
        self.agenda.set_rows(
            [{"time": a.time, "title": a.title, "leader": a.leader} for a in data.agenda]
        )
        self.teams.set_rows([{"team_id": t} for t in data.team_ids])
        self.attendees.set_rows(
            [{"member_id": a.member_id, "role": a.role, "note": a.note} for a in data.attendees]
        )
        self.groups.set_rows([{"name": g.name, "count": g.count} for g in data.groups])
        self.feedback.set_rows(
            [
                {"text": f.text, "speaker": f.speaker, "speaker_role": f.speaker_role}
                for f in data.feedback
            ]
        )
        self.follow_ups.set_values(data.follow_ups)
        self.photo_ids = list(data.photo_ids)
        self.gps_button.setEnabled(self._id is not None)  # a new session has no photos yet

    def fill_gps_from_photos(self, *, only_if_empty: bool = True) -> bool:
        """Put the EXIF GPS of the session's photos into the GPS fields (the photo feature
        calls this after an import; the button calls it with `only_if_empty=False`).

        Filled without asking only when the position fits the session's place, judged by its
        time zone (a photo taken on another continent, say a phone set to another region or
        an old picture, is asked about); the button is the user asking, so it just fills."""
        if only_if_empty and (self.lat_edit.text().strip() or self.lon_edit.text().strip()):
            return False
        position = None
        if self._id is not None and self.photo_ids:
            from desktop_app.services import photos

            position = photos.gps_of_session_photos(self.library, self._id)
        if position is None:
            if not only_if_empty:
                self.show_errors(
                    {"gps": _("None of this session's saved photos has a GPS position.")}
                )
            return False
        if only_if_empty and not self._gps_fits_zone(position) and not self.ask_far_gps(position):
            return False
        self.error_labels["gps"].hide()
        self.lat_edit.setText(f"{position[0]:.6f}")
        self.lon_edit.setText(f"{position[1]:.6f}")
        return True

    def _gps_fits_zone(self, position: tuple[float, float]) -> bool:
        starts = from_qdatetime(self.starts_edit.dateTime(), self.zone_combo.zone_name())
        offset = in_zone(starts, self.zone_combo.zone_name()).utcoffset()
        hours = offset.total_seconds() / 3600 if offset is not None else 0.0
        return gps_fits_utc_offset(position[1], hours)

    def ask_far_gps(self, position: tuple[float, float]) -> bool:
        """Whether a photo position far from the session's place goes into its GPS fields
        (tests replace this)."""
        Button = QMessageBox.StandardButton
        venue = self.venue_edit.text().strip() or _("the session's place")
        answer = QMessageBox.question(
            self,
            _("GPS from the photos"),
            _(
                "The photos were taken at {lat:.4f}, {lon:.4f}, far from {venue} "
                "(another time zone). Use this position for the session anyway?"
            ).format(lat=position[0], lon=position[1], venue=venue),
            Button.Yes | Button.No,
            Button.No,
        )
        return answer == Button.Yes

    def _gps(self) -> tuple[float | None, float | None]:
        lat_text = self.lat_edit.text().strip().replace("，", ".")
        lon_text = self.lon_edit.text().strip().replace("，", ".")
        if not lat_text and not lon_text:
            return None, None
        if not lat_text or not lon_text:
            raise ValidationError({"gps": _("Enter both the latitude and the longitude.")})
        try:
            return float(lat_text), float(lon_text)
        except ValueError:
            raise ValidationError(
                {"gps": _("Enter GPS as decimal degrees, e.g. 39.8687 and 116.1825.")}
            ) from None

    @staticmethod
    def _text(row: dict[str, Any], key: str) -> str:
        return str(row.get(key) or "")

    def collect(self) -> catalog.SessionData:
        lat, lon = self._gps()
        t = self._text
        # The wall times typed are the place's: a zone changed here moves the instants, not
        # the 09:30 on screen.
        zone_name = self.zone_combo.zone_name()
        if not is_known_zone(zone_name):
            raise ValidationError({"time_zone": unknown_zone_message(zone_name)})
        ends = self.ends_edit.dateTime()
        return catalog.SessionData(
            starts_at=from_qdatetime(self.starts_edit.dateTime(), zone_name),
            ends_at=from_qdatetime(ends, zone_name) if self.has_end.isChecked() else None,
            time_zone=zone_name,
            theme=self.theme_edit.text(),
            venue=self.venue_edit.text(),
            gps_lat=lat,
            gps_lon=lon,
            host_organisations=self.hosts.values(),
            summary=self.summary_edit.toPlainText(),
            follow_ups=self.follow_ups.values(),
            team_ids=[t(r, "team_id") for r in self.teams.rows()],
            attendees=[
                catalog.AttendeeData(t(r, "member_id"), t(r, "role"), t(r, "note"))
                for r in self.attendees.rows()
            ],
            groups=[
                catalog.GroupData(t(r, "name"), r.get("count"))
                for r in self.groups.rows()
                if t(r, "name").strip() or r.get("count") is not None
            ],
            agenda=[
                catalog.AgendaData(t(r, "title"), t(r, "time"), t(r, "leader"))
                for r in self.agenda.rows()
                if any(t(r, k).strip() for k in ("title", "time", "leader"))
            ],
            guide_ids=[t(r, "guide_id") for r in self.guides.rows()],
            feedback=[
                catalog.FeedbackData(t(r, "text"), t(r, "speaker"), t(r, "speaker_role"))
                for r in self.feedback.rows()
                if any(t(r, k).strip() for k in ("text", "speaker", "speaker_role"))
            ],
            photo_ids=list(self.photo_ids),
        )

    def title_of(self, data: catalog.SessionData) -> str:
        when = in_zone(data.starts_at, data.time_zone).strftime("%Y-%m-%d")
        return f"{when} {data.theme.strip() or data.venue.strip()}".strip()

    def new_title(self) -> str:
        return _("New field session")

    def load(self, record_id: str | None) -> None:
        self.template_source = None
        super().load(record_id)

    def load_template(self, session_id: str) -> None:
        self.load_draft(template_from(self.library, session_id))
        self.template_source = session_id  # "Discard changes" goes back to it

    def discard(self) -> None:
        source = self.template_source
        if self._id is None and source is not None:
            try:
                self.load(source)
            except RecordNotFoundError:  # deleted meanwhile: an empty new form, as before
                self.load(None)
                return
            self.returnedTo.emit(source)
            return
        super().discard()
