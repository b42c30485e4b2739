"""The printable service ledger (服务台账) of a period, and the pieces it shares with other reports.

Page one: the title, the period, the summary table (one row per team, member or guide and the
total), the notes on sessions left out of a figure, then the charts: sessions and trainees by
month and by group. Then the ledger proper, one row per session, and a sign-off block (who
filled it in, who checked it, the unit's seal, the date) for the union office's files.

Built from the same `Statistics` and `Table` values as the workbook, so the printed figures are
the exported ones. ReportLab is imported with this module, never at app start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Table, TableStyle

from desktop_app.core.fsutil import check_destination
from desktop_app.core.i18n import N_
from desktop_app.core.progress import NullProgress, Progress
from desktop_app.services.handouts.document import PageInfo, write_pdf
from desktop_app.services.handouts.flowables import Rule, Spacer, esc
from desktop_app.services.handouts.fonts import BOLD, REGULAR
from desktop_app.services.handouts.styles import INK, RULE, TINT, Styles, make_styles
from desktop_app.services.reports import charts
from desktop_app.services.reports.stats import Statistics
from desktop_app.services.reports.tables import GROUP_BY_TITLE, sessions_table
from desktop_app.services.reports.tables import Table as DataTable
from desktop_app.storage.library import Library

Translator = Callable[[str], str]

KICKER = N_("Service ledger")
PERIOD_LINE = N_("Period: {start} to {end}")
GROUPED_BY = N_("Grouped by {what}")
PRINTED = N_("{library} · printed on {date}")
PAGE_LABEL = N_("Page {page} of {pages}")
FIGURES = N_("Figures")
LEFT_OUT = N_("Sessions left out of a figure")
NOTHING_LEFT_OUT = N_("Every session of the period has what each figure is made of.")
CHARTS = N_("Charts")
SESSIONS_BY_MONTH = N_("Sessions by month")
TRAINEES_BY_MONTH = N_("Trainees by month")
SESSIONS_BY_YEAR = N_("Sessions by year")
TRAINEES_BY_YEAR = N_("Trainees by year")
SESSIONS_BY = N_("Sessions by {what} (first {n})")
TRAINEES_BY = N_("Trainees by {what} (first {n})")
LEDGER = N_("Sessions of the period")
NO_SESSIONS = N_("No sessions in this period.")
SIGN_OFF = N_("Sign-off")
FILLED_BY = N_("Filled in by")
CHECKED_BY = N_("Checked by")
UNIT_SEAL = N_("Unit (seal)")
SIGN_DATE = N_("Date")
COL_NAME = N_("Name")
COL_SESSIONS = N_("Sessions held")
COL_HOURS = N_("Hours served")
COL_TRAINEES = N_("People trained")
COL_HOSTS = N_("Hosts served")
COL_PEOPLE = N_("People")
COL_HOURS_SHORT = N_("hours")
COL_GUIDES = N_("Guides")
COL_PHOTOS = N_("Photos")
COL_DATE = N_("Date")
COL_VENUE = N_("Venue")
COL_THEME = N_("Theme")
COL_TEAMS = N_("Service teams")
NOT_RECORDED = "—"  # a figure not recorded: a dash, never a 0
CHART_GROUPS = 12  # the longest group bar chart that still fits half a page


def number(value: float | int | None) -> str:
    if value is None:
        return NOT_RECORDED
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
    return str(value)


def grid(rows: list[list[Flowable]], widths: list[float], *, total_row: bool = False) -> Table:
    """A ruled table with a bold-ruled header that repeats on every page."""
    t = Table(rows, colWidths=widths, repeatRows=1, splitInRow=1, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.9, INK),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [None, TINT]),
    ]
    if total_row:
        commands += [
            ("LINEABOVE", (0, -1), (-1, -1), 0.9, INK),
            ("BACKGROUND", (0, -1), (-1, -1), None),
        ]
    t.setStyle(TableStyle(commands))
    return t


def sign_off(
    styles: Styles, tr: Translator, labels: tuple[str, str, str, str] | None = None
) -> Flowable:
    """Four labelled blanks to sign by hand (two rows of two); kept together on one page."""
    width = styles.layout.frame_width
    cell = styles.table_cell
    names = [esc(tr(x)) + "：" for x in labels or (FILLED_BY, CHECKED_BY, UNIT_SEAL, SIGN_DATE)]
    rows = [
        [Paragraph(names[0], cell), "", Paragraph(names[1], cell), ""],
        [Paragraph(names[2], cell), "", Paragraph(names[3], cell), ""],
    ]
    # The labels' own width (a seal's label is long), so none of them wraps.
    label_w = max(stringWidth(n, REGULAR, cell.fontSize) for n in names) + 8
    field_w = width / 2 - label_w
    t = Table(rows, colWidths=[label_w, field_w, label_w, field_w], rowHeights=[15 * mm] * 2)
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, -1), 0.6, INK),
                ("LINEBELOW", (3, 0), (3, -1), 0.6, INK),
            ]
        )
    )
    return KeepTogether(
        [
            Spacer(10),
            Paragraph(esc(tr(SIGN_OFF)), styles.h2),
            Rule(thickness=0.6, color=INK, space=2),
            t,
        ]
    )


def heading(text: str, styles: Styles) -> list[Flowable]:
    return [Paragraph(esc(text), styles.h1), Rule(thickness=0.6, color=INK, space=4)]


def summary_flowables(stats: Statistics, styles: Styles, tr: Translator) -> list[Flowable]:
    head, cell, num = styles.table_head, styles.table_cell, styles.table_num
    width = styles.layout.frame_width
    titles = [COL_NAME, COL_SESSIONS, COL_HOURS, COL_TRAINEES, COL_HOSTS, COL_GUIDES, COL_PHOTOS]
    name_title = tr(GROUP_BY_TITLE[stats.by])
    rows: list[list[Flowable]] = [
        [Paragraph(esc(name_title), head)]
        + [Paragraph(esc(tr(t)), head.clone("hr", alignment=2)) for t in titles[1:]]
    ]
    bold_cell = cell.clone("total", fontName=BOLD)
    bold_num = num.clone("total_num", fontName=BOLD)
    for f in [*stats.groups, stats.total]:
        c, n = (bold_cell, bold_num) if f is stats.total else (cell, num)
        rows.append(
            [
                Paragraph(esc(f.name), c),
                Paragraph(number(f.sessions), n),
                Paragraph(number(round(f.hours, 1) if f.counted("hours") else None), n),
                Paragraph(number(f.trainees if f.counted("trainees") else None), n),
                Paragraph(number(f.hosts), n),
                Paragraph(number(f.guides), n),
                Paragraph(number(f.photos), n),
            ]
        )
    number_w = 19 * mm
    widths = [width - 6 * number_w] + [number_w] * 6
    story: list[Flowable] = [*heading(tr(FIGURES), styles), grid(rows, widths, total_row=True)]
    story += heading(tr(LEFT_OUT), styles)
    notes = stats.total.notes(tr)
    for note in notes or [tr(NOTHING_LEFT_OUT)]:
        story.append(Paragraph(esc(note), styles.bullet, bulletText="•"))
    return story


def chart_flowables(stats: Statistics, styles: Styles, tr: Translator) -> list[Flowable]:
    width = styles.layout.frame_width
    yearly = bool(stats.buckets) and len(stats.buckets[0].name) == 4
    labels = [b.name for b in stats.buckets]
    half = (width - 8 * mm) / 2
    month_charts = Table(
        [
            [
                charts.column_chart(
                    tr(SESSIONS_BY_YEAR if yearly else SESSIONS_BY_MONTH),
                    labels,
                    [b.sessions for b in stats.buckets],
                    width=half,
                    height=62 * mm,
                ),
                charts.column_chart(
                    tr(TRAINEES_BY_YEAR if yearly else TRAINEES_BY_MONTH),
                    labels,
                    [b.trainees for b in stats.buckets],
                    width=half,
                    height=62 * mm,
                    colour=charts.TRAINEES_COLOUR,
                ),
            ]
        ],
        colWidths=[half + 8 * mm, half],
        hAlign="LEFT",
    )
    month_charts.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    # The heading stays with its charts: never alone at the foot of a page.
    story: list[Flowable] = [KeepTogether([*heading(tr(CHARTS), styles), month_charts]), Spacer(8)]
    top = [g for g in stats.groups if g.key is not None][:CHART_GROUPS]
    if top:
        what = tr(GROUP_BY_TITLE[stats.by])
        names = [g.name for g in top]
        story.append(
            charts.bar_chart(
                tr(SESSIONS_BY).format(what=what, n=len(top)),
                names,
                [g.sessions for g in top],
                width=width,
            )
        )
        story.append(Spacer(6))
        story.append(
            charts.bar_chart(
                tr(TRAINEES_BY).format(what=what, n=len(top)),
                names,
                [g.trainees for g in top],
                width=width,
                colour=charts.TRAINEES_COLOUR,
            )
        )
    return story


def ledger_rows(table: DataTable, styles: Styles, tr: Translator) -> list[Flowable]:
    """One row per session: date, venue, theme, teams, trainees, hours."""
    width = styles.layout.frame_width
    head, cell, num = styles.table_head, styles.table_cell, styles.table_num
    small = cell.clone("small", fontSize=9, leading=13)
    small_num = num.clone("small_num", fontSize=9, leading=13)
    if not table.rows:
        return [Paragraph(esc(tr(NO_SESSIONS)), styles.body)]
    rows: list[list[Flowable]] = [
        [Paragraph(esc(tr(t)), head) for t in (COL_DATE, COL_VENUE, COL_THEME, COL_TEAMS)]
        + [
            Paragraph(esc(tr(t)), head.clone("hr", alignment=2))
            for t in (COL_PEOPLE, COL_HOURS_SHORT)
        ]
    ]
    for r in table.rows:
        start: datetime = r[0]
        rows.append(
            [
                Paragraph(f"{start:%Y-%m-%d}", small),
                Paragraph(esc(r[3]), small),
                Paragraph(esc(r[4]), small),
                Paragraph(esc(r[5]), small),
                Paragraph(number(r[8]), small_num),
                Paragraph(number(r[2]), small_num),
            ]
        )
    widths = [21 * mm, 36 * mm, 0.0, 40 * mm, 13 * mm, 12 * mm]
    widths[2] = width - sum(widths)
    return [grid(rows, widths)]


def render_ledger(
    library: Library,
    stats: Statistics,
    target: Path,
    *,
    tr: Translator,
    progress: Progress | None = None,
) -> int:
    """Write the ledger PDF atomically; returns the number of pages."""
    check_destination(Path(target), libraries=[library.root])  # never over a file of a library
    styles = make_styles("A4")
    today = datetime.now(UTC).astimezone().date()
    info = PageInfo(
        library_line=tr(PRINTED).format(library=library.name, date=today.isoformat()),
        page_label=tr(PAGE_LABEL),
    )
    period = stats.period
    story: list[Flowable] = [
        Paragraph(esc(library.name), styles.kicker),
        Spacer(2),
        Paragraph(esc(tr(KICKER)), styles.title),
        Paragraph(
            esc(tr(PERIOD_LINE).format(start=_day(period.start), end=_day(period.end)))
            + " · "
            + esc(tr(GROUPED_BY).format(what=tr(GROUP_BY_TITLE[stats.by]))),
            styles.meta,
        ),
        Rule(thickness=2.2, color=INK, space=6),
        *summary_flowables(stats, styles, tr),
        *chart_flowables(stats, styles, tr),
        CondPageBreak(80 * mm),
        *heading(tr(LEDGER), styles),
        *ledger_rows(sessions_table(library.reader(), period, tr), styles, tr),
        sign_off(styles, tr),
    ]
    return write_pdf(
        target,
        story,
        styles,
        info,
        title=tr(KICKER),
        author=library.name,
        progress=progress or NullProgress(),
        progress_text=tr(KICKER),
    )


def _day(value: date) -> str:
    return value.isoformat()
