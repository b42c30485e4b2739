"""Sheets that go out blank and come back filled in: the sign-in sheet and the feedback form.

At a work site with no network the first record of a session is a sign-in sheet (签到表). It is
printed landscape: the activity, date, venue and team at the top; the service team's members
who are expected already written in; then numbered blank rows for 姓名, 单位, 类别 (the session's
participant groups, written as a number from the legend), 联系电话 and 签名, filling every page
to its foot. The feedback form (学员反馈表) asks a few questions with tick boxes and leaves ruled
space to write.

Both carry the session's short code (活动码, `services.session_code`) in print and as a vector QR
code, on every page: the sheets are separated and shuffled on the way back, and typing or
scanning the code into the window's search box opens the session they belong to.
"""

from __future__ import annotations

from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Rect
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Table, TableStyle

from desktop_app.core.i18n import N_
from desktop_app.services.handouts.data import SessionDoc
from desktop_app.services.handouts.document import PageInfo, set_team_line
from desktop_app.services.handouts.flowables import Rule, Spacer, esc
from desktop_app.services.handouts.fonts import REGULAR
from desktop_app.services.handouts.styles import INK, MUTED, RULE, TINT, Styles
from desktop_app.services.handouts.text import Translator, list_sep, session_when
from desktop_app.services.session_code import session_code

SIGNIN_TITLE = N_("Sign-in sheet")
FEEDBACK_TITLE = N_("Trainee feedback form")
ACTIVITY = N_("Activity")
WHEN = N_("Date and time")
VENUE = N_("Venue")
TEAM = N_("Service team")
HOSTS = N_("Hosted by")
CODE = N_("Session code")
CODE_LINE = N_("Session code {code}")
NUMBER = N_("No.")
NAME = N_("Full name")
EMPLOYER = N_("Employer")
GROUP = N_("Participant group")
GROUP_BY_NUMBER = N_("Group (write the number)")
PHONE = N_("Contact phone")
SIGNATURE = N_("Signature")
GROUPS_LEGEND = N_("Groups:")
SERVICE_TEAM = N_("Service team")
FEEDBACK_INTRO = N_(
    "Thank you for taking part. Tick one box per question, write what you like below, "
    "and hand the form to the organisers. Your name is optional."
)
SATISFACTION = (
    N_("Very satisfied"),
    N_("Satisfied"),
    N_("Neutral"),
    N_("Dissatisfied"),
)
QUESTIONS = (
    N_("Overall, how satisfied are you with this session?"),
    N_("Was what you learned useful for your work?"),
    N_("Were the explanations clear and easy to follow?"),
    N_("Were the demonstration and the hands-on practice enough?"),
)
YOUR_GROUP = N_("You are:")
MOST_USEFUL = N_("What was most useful to you? (tick any)")
GAINED = N_("What is the most important thing you will take back to work?")
WISHES = N_("What else would you like to learn? Any suggestions for us?")
OPTIONAL_NAME = N_("Name (optional)")
OPTIONAL_PHONE = N_("Phone (optional)")

BOX = "□"
QR_SIZE_A4 = 27 * mm
QR_SIZE_A5 = 22 * mm
ROW_HEIGHT = 9.5 * mm  # room to write a name and sign by hand
ROW_SLACK = 2.0  # points kept free on a page so rounding never pushes a row over
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"


class QrCode(Flowable):  # type: ignore[misc]
    """A QR code drawn as vector squares (sharp on any printer, small in the PDF).

    Error correction M and the standard four-module quiet zone, so a phone or a USB scanner
    reads it from a photocopy.
    """

    def __init__(self, value: str, size: float) -> None:
        super().__init__()
        self.value = value
        self.size = size
        self.width = self.height = size

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        widget = QrCodeWidget(self.value, barLevel="M", barBorder=4)
        x0, y0, x1, y1 = widget.getBounds()
        scale = self.size / max(x1 - x0, y1 - y0)
        c = self.canv
        c.saveState()
        c.setFillColor(colors.black)
        # The widget's dark modules as filled squares, drawn straight on the canvas (going
        # through renderPDF would leave an unembedded Helvetica reference in the PDF).
        for shape in widget.draw().contents:
            if isinstance(shape, Rect) and shape.fillColor is not None:
                c.rect(
                    (shape.x - x0) * scale,
                    (shape.y - y0) * scale,
                    shape.width * scale,
                    shape.height * scale,
                    stroke=0,
                    fill=1,
                )
        c.restoreState()


def _grid(rows: list[list[Any]], widths: list[float], commands: list[tuple[Any, ...]]) -> Table:
    t = Table(rows, colWidths=widths, hAlign="LEFT")
    # Table sets Helvetica as its default font unless told: keep every font embedded.
    t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), REGULAR), *commands]))
    return t


def _header(
    session: SessionDoc, styles: Styles, tr: Translator, lang: str, title: str
) -> list[Flowable]:
    """Title, the session's facts and, at the right, the QR code with the printed code."""
    width = styles.layout.frame_width
    small = styles.layout.paper == "A5" and not styles.layout.landscape
    qr_size = QR_SIZE_A5 if small else QR_SIZE_A4
    code = session_code(session.id)
    sep = list_sep(lang)
    facts = [
        (ACTIVITY, session.theme or session.venue),
        (WHEN, session_when(session.starts_at, session.ends_at, lang, session.time_zone)),
        (VENUE, session.venue),
        (TEAM, sep.join(" ".join(p for p in (t.parent_union, t.name) if p) for t in session.teams)),
        (HOSTS, sep.join(session.host_organisations)),
    ]
    head = styles.table_head
    cell = styles.table_cell
    label_w = 22 * mm
    left_w = width - qr_size - 6 * mm
    shown = [(tr(k), v) for k, v in facts if v.strip()]
    pad = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    if styles.layout.landscape:
        # A landscape page is short: the facts go in two columns (activity across both).
        value_w = (left_w - 2 * label_w) / 2
        first, rest = shown[:1], shown[1:]
        fact_rows: list[list[Any]] = [
            [Paragraph(esc(k), head), Paragraph(esc(v), cell), "", ""] for k, v in first
        ]
        for i in range(0, len(rest), 2):
            row: list[Any] = []
            for k, v in rest[i : i + 2]:
                row += [Paragraph(esc(k), head), Paragraph(esc(v), cell)]
            fact_rows.append(row + [""] * (4 - len(row)))
        spans = [("SPAN", (1, 0), (3, 0))] if first else []
        facts_table = _grid(fact_rows, [label_w, value_w, label_w, value_w], pad + spans)
    else:
        fact_rows = [[Paragraph(esc(k), head), Paragraph(esc(v), cell)] for k, v in shown]
        facts_table = _grid(fact_rows, [label_w, left_w - label_w], pad)
    code_style = styles.table_head.clone("sheet_code", alignment=TA_CENTER, fontSize=11)
    qr_block = [
        QrCode(code, qr_size),
        Paragraph(esc(tr(CODE)), styles.caption),
        Paragraph(esc(code), code_style),
    ]
    title_style = styles.title.clone("sheet_title", alignment=TA_CENTER, spaceAfter=2)
    top = _grid(
        [[facts_table, qr_block]],
        [left_w, width - left_w],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ("ALIGN", (1, 0), (1, 0), "RIGHT"),
        ],
    )
    return [
        Paragraph(esc(tr(title)), title_style),
        Rule(thickness=1.6, color=INK, space=5),
        top,
        Spacer(4),
    ]


def _footer_line(session: SessionDoc, tr: Translator, info: PageInfo) -> Flowable:
    # The code on every page's footer: the pages of a long sheet come back separately.
    name = session.theme or session.venue
    return set_team_line(info, tr(CODE_LINE).format(code=session_code(session.id)) + " · " + name)


def _group_marks(groups: list[str]) -> list[str]:
    if len(groups) <= len(CIRCLED):
        return [CIRCLED[i] for i in range(len(groups))]
    return [f"{i}." for i in range(1, len(groups) + 1)]


def _height(flowables: list[Flowable], width: float, available: float) -> float:
    total = 0.0
    for i, f in enumerate(flowables):
        _w, h = f.wrap(width, available)
        total += h + f.getSpaceAfter() + (f.getSpaceBefore() if i else 0)
    return total


def signin_story(
    session: SessionDoc, styles: Styles, tr: Translator, lang: str, info: PageInfo
) -> list[Flowable]:
    width = styles.layout.frame_width
    story: list[Flowable] = [_footer_line(session, tr, info)]
    header = _header(session, styles, tr, lang, SIGNIN_TITLE)
    groups = [name for name, _count in session.groups if name.strip()]
    marks = _group_marks(groups)
    if groups:
        legend = "　".join(f"{m} {esc(g)}" for m, g in zip(marks, groups, strict=True))
        header.append(Paragraph(f"<b>{esc(tr(GROUPS_LEGEND))}</b>　{legend}", styles.table_cell))
        header.append(Spacer(4))
    story += header

    head = styles.table_head.clone("signin_head", alignment=TA_CENTER)
    cell = styles.table_cell
    number = styles.table_cell.clone("signin_number", alignment=TA_CENTER)
    number_w = 11 * mm  # "序号" and three digits, on A5 too
    columns = [
        (NAME, 0.14),
        (EMPLOYER, 0.28),
        (GROUP_BY_NUMBER if groups else GROUP, 0.16),
        (PHONE, 0.17),
        (SIGNATURE, 0.25),
    ]
    columns.insert(0, (NUMBER, 0.0))
    widths = [number_w] + [(width - number_w) * f for _h, f in columns[1:]]
    head_row = [Paragraph(esc(tr(h)), head) for h, _f in columns]

    # Who is expected: the service team's people listed for the session, then trainees.
    prefilled: list[list[str]] = []
    for a in session.attendees:
        prefilled.append([a.name, a.team, tr(SERVICE_TEAM)])
    expected = sum(c for _n, c in session.groups if c is not None)
    wanted = len(prefilled) + expected + max(3, expected // 10)

    # Each page's table is built to fit that page exactly, so no page ends on a stray row and
    # the last page is filled with blank rows to its foot.
    frame_h = styles.layout.frame_height
    head_h = _height([_grid([head_row], widths, [])], width, frame_h) + 2
    first_room = frame_h - _height(header, width, frame_h) - ROW_SLACK
    per_first = max(1, int((first_room - head_h) // ROW_HEIGHT))
    # Continuation pages: the sheet's title and activity above the columns, then rows.
    continued = tr(SIGNIN_TITLE) + " · " + (session.theme or session.venue)
    cont_style = styles.table_head.clone("signin_continued", spaceAfter=4)

    def continuation() -> Paragraph:
        return Paragraph(esc(continued), cont_style)

    cont_h = _height([continuation()], width, frame_h)
    per_next = max(1, int((frame_h - ROW_SLACK - head_h - cont_h) // ROW_HEIGHT))
    total = per_first
    while total < wanted:
        total += per_next
    n = 0
    page_sizes = [per_first] + [per_next] * ((total - per_first) // per_next)
    for page, size in enumerate(page_sizes):
        rows: list[list[Any]] = [head_row]
        for _i in range(size):
            n += 1
            filled = prefilled[n - 1] if n <= len(prefilled) else ["", "", ""]
            name, employer, group = filled
            rows.append(
                [
                    Paragraph(str(n), number),
                    Paragraph(esc(name), cell),
                    Paragraph(esc(employer), cell),
                    Paragraph(esc(group), number),
                    "",
                    "",
                ]
            )
        table = Table(
            rows,
            colWidths=widths,
            rowHeights=[None] + [ROW_HEIGHT] * size,
            hAlign="LEFT",
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("GRID", (0, 0), (-1, -1), 0.6, INK),
                    ("BOX", (0, 0), (-1, -1), 1.2, INK),
                    ("LINEBELOW", (0, 0), (-1, 0), 1.2, INK),
                    ("BACKGROUND", (0, 0), (-1, 0), TINT),
                    ("LEFTPADDING", (0, 0), (-1, -1), 4),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                    ("TOPPADDING", (0, 0), (-1, 0), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, 0), 5),
                    ("TOPPADDING", (0, 1), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 1), (-1, -1), 0),
                ]
            )
        )
        if page:
            story += [PageBreak(), continuation()]
        story.append(table)
    return story


class WritingLines(Flowable):  # type: ignore[misc]
    """Ruled lines to write on by hand."""

    def __init__(self, lines: int, spacing: float = 9 * mm) -> None:
        super().__init__()
        self.lines = lines
        self.spacing = spacing

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        self.height = self.lines * self.spacing
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setStrokeColor(RULE)
        c.setLineWidth(0.6)
        for i in range(self.lines):
            y = self.height - (i + 1) * self.spacing + 1
            c.line(0, y, self.width, y)
        c.restoreState()


def _box(label: str) -> str:
    return f"<font size='15'>{BOX}</font> {esc(label)}"


def _tick_row(labels: list[str], width: float, style: ParagraphStyle) -> Table:
    """Tick boxes in equal columns, so the boxes of every question line up under each other."""
    indent = 14.0
    columns = max(4, len(labels))
    col_w = (width - indent) / columns
    cells: list[Any] = [Paragraph(_box(t), style) for t in labels]
    cells += [""] * (columns - len(cells))
    return _grid(
        [["", *cells]],
        [indent] + [col_w] * columns,
        [
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ],
    )


def _tick_list(labels: list[str], width: float, style: ParagraphStyle, columns: int) -> Table:
    """Tick boxes for longer labels (groups, guide titles) in a grid: a box never ends a line
    apart from its label, and a long label wraps inside its own cell."""
    indent = 14.0
    col_w = (width - indent) / columns
    rows: list[list[Any]] = []
    for i in range(0, len(labels), columns):
        cells: list[Any] = [Paragraph(_box(t), style) for t in labels[i : i + columns]]
        rows.append(["", *cells, *[""] * (columns - len(cells))])
    return _grid(
        rows,
        [indent] + [col_w] * columns,
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ],
    )


def feedback_story(
    session: SessionDoc, styles: Styles, tr: Translator, lang: str, info: PageInfo
) -> list[Flowable]:
    width = styles.layout.frame_width
    small = styles.layout.paper == "A5"
    story: list[Flowable] = [_footer_line(session, tr, info)]
    story += _header(session, styles, tr, lang, FEEDBACK_TITLE)
    story.append(Paragraph(esc(tr(FEEDBACK_INTRO)), styles.meta))
    story.append(Spacer(6))

    question = styles.table_head.clone("feedback_q", fontSize=11, leading=16)
    answers = styles.table_cell.clone("feedback_a", fontSize=11, leading=18)
    scale = [tr(s) for s in SATISFACTION]
    for n, q in enumerate(QUESTIONS, 1):
        story.append(
            KeepTogether(
                [
                    Paragraph(f"{n}. {esc(tr(q))}", question),
                    _tick_row(scale, width, answers),
                    Rule(thickness=0.4, color=RULE, space=3),
                ]
            )
        )
    n = len(QUESTIONS)

    columns = 2 if small else 3
    groups = [name for name, _count in session.groups if name.strip()]
    if groups:
        n += 1
        story += [
            Spacer(6),
            Paragraph(f"{n}. {esc(tr(YOUR_GROUP))}", question),
            _tick_list(groups, width, answers, columns),
        ]
    if session.guides:
        n += 1
        story += [
            Spacer(6),
            Paragraph(f"{n}. {esc(tr(MOST_USEFUL))}", question),
            _tick_list([g.title for g in session.guides], width, answers, columns),
        ]
    lines = 2 if small else 3
    for prompt in (GAINED, WISHES):
        n += 1
        story += [
            Spacer(8),
            KeepTogether([Paragraph(f"{n}. {esc(tr(prompt))}", question), WritingLines(lines)]),
        ]
    who = styles.table_cell.clone("feedback_who", textColor=MUTED)
    name_label, phone_label = tr(OPTIONAL_NAME), tr(OPTIONAL_PHONE)

    def label_w(text: str) -> float:
        return float(stringWidth(text, REGULAR, who.fontSize)) + 6

    blank = (width - label_w(name_label) - label_w(phone_label) - 12) / 2
    story += [
        Spacer(10),
        _grid(
            [[Paragraph(esc(name_label), who), "", "", Paragraph(esc(phone_label), who), ""]],
            [label_w(name_label), blank, 12, label_w(phone_label), blank],
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (1, 0), (1, 0), 0.6, RULE),
                ("LINEBELOW", (4, 0), (4, 0), 0.6, RULE),
            ],
        ),
    ]
    return story
