"""`jiangxin report stats|member|news`: reporting for the union on the command line.

`report stats` prints a period's figures grouped by team, member or guide (or `--json`) and
writes any of the workbook (`--xlsx`), the statistics as CSV (`--csv`) and the printed service
ledger (`--pdf`). `report member` prints a member's service record; `report news` a session's
news draft. The library is opened read-only: reports change nothing, so they work while the
window has the library open. Reports are in the handout language (setting `handout.language`,
Chinese by default); messages on the terminal are in the UI language.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from desktop_app.cli.common import CliContext, print_json, print_table
from desktop_app.core.errors import UserError
from desktop_app.core.i18n import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, _, translator_for
from desktop_app.core.settings import Settings
from desktop_app.services.reports import period as periods
from desktop_app.services.reports import stats


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help=_("statistics, ledgers and news drafts for the union"))
    kinds = p.add_subparsers(dest="report_kind", metavar="KIND", required=True)

    q = kinds.add_parser("stats", help=_("figures for a period, grouped by team, member or guide"))
    q.add_argument("--from", dest="start", metavar="DATE", help=_("first day, e.g. 2025-01-01"))
    q.add_argument("--to", dest="end", metavar="DATE", help=_("last day, e.g. 2025-12-31"))
    q.add_argument(
        "--period",
        choices=periods.PRESETS,
        help=_("this month, quarter or year (instead of --from/--to)"),
    )
    q.add_argument("--by", choices=stats.GROUPINGS, default="team", help=_("how to group"))
    q.add_argument("--json", action="store_true", help=_("machine-readable output"))
    q.add_argument("--xlsx", metavar="FILE", help=_("also write an Excel workbook"))
    q.add_argument("--csv", metavar="FILE", help=_("also write the figures as CSV"))
    q.add_argument("--pdf", metavar="FILE", help=_("also write the printed service ledger"))
    q.set_defaults(handler=cmd_stats)

    q = kinds.add_parser("member", help=_("a member's service record as PDF"))
    q.add_argument("id", help=_("member id (a unique prefix of 8+ characters is enough)"))
    q.add_argument("-o", "--output", required=True, metavar="FILE.pdf", help=_("PDF to write"))
    q.add_argument("--from", dest="start", metavar="DATE", help=_("first day, e.g. 2025-01-01"))
    q.add_argument("--to", dest="end", metavar="DATE", help=_("last day, e.g. 2025-12-31"))
    q.add_argument("--json", action="store_true", help=_("machine-readable output"))
    q.set_defaults(handler=cmd_member)

    q = kinds.add_parser("news", help=_("a news draft about a session"))
    q.add_argument("id", help=_("session id (a unique prefix of 8+ characters is enough)"))
    q.add_argument("-o", "--output", metavar="FILE.txt", help=_("save the draft (else print it)"))
    q.add_argument(
        "--with-photos",
        action="store_true",
        help=_("also export the session's photos into a folder beside the draft"),
    )
    q.set_defaults(handler=cmd_news)

    q = kinds.add_parser("photos", help=_("a zip of a period's photos, one folder per session"))
    q.add_argument("--from", dest="start", metavar="DATE", help=_("first day, e.g. 2025-01-01"))
    q.add_argument("--to", dest="end", metavar="DATE", help=_("last day, e.g. 2025-12-31"))
    q.add_argument(
        "--period",
        choices=periods.PRESETS,
        help=_("this month, quarter or year (instead of --from/--to)"),
    )
    q.add_argument("-o", "--output", required=True, metavar="FILE.zip", help=_("zip to write"))
    q.add_argument(
        "--long-edge", type=int, default=1600, metavar="PX", help=_("long edge of each photo")
    )
    q.set_defaults(handler=cmd_photos)


def _language() -> str:
    lang = str(Settings().get("handout.language")) or DEFAULT_LANGUAGE
    return lang if lang in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def _period(args: argparse.Namespace, *, required: bool) -> periods.Period | None:
    if args.start or args.end or not getattr(args, "period", None):
        if not (args.start and args.end):
            if not required and not (args.start or args.end):
                return None
            raise UserError(_("Give both --from and --to (or --period month|quarter|year)."))
        return periods.Period(periods.parse_day(args.start), periods.parse_day(args.end))
    return periods.preset(args.period, date.today())


def _target(value: str) -> Path:
    target = Path(value).expanduser().absolute()
    if target.is_dir():
        raise UserError(_("{path} is a folder; give a file name.").format(path=target))
    return target


def cmd_stats(ctx: CliContext, args: argparse.Namespace) -> int:
    period = _period(args, required=True)
    assert period is not None
    outputs = {k: _target(v) for k in ("xlsx", "csv", "pdf") if (v := getattr(args, k))}
    tr = translator_for(_language())
    written: list[str] = []
    with ctx.open_library(write=False) as library:
        result = stats.compute(library, period, args.by, tr)
        if "xlsx" in outputs:
            from desktop_app.services.reports import tables, xlsx

            xlsx.write_xlsx(outputs["xlsx"], tables.all_tables(library, result, tr))
            written.append(str(outputs["xlsx"]))
        if "csv" in outputs:
            from desktop_app.services.reports import csvfile, tables

            csvfile.write_csv(outputs["csv"], tables.summary_table(result, tr))
            written.append(str(outputs["csv"]))
        if "pdf" in outputs:
            from desktop_app.services.reports import ledger

            ledger.render_ledger(library, result, outputs["pdf"], tr=tr)
            written.append(str(outputs["pdf"]))
    if args.json:
        print_json({**result.as_json(), "written": written})
        return 0
    headers = [
        {"team": _("Team"), "member": _("Member"), "guide": _("Guide")}[args.by],
        _("Sessions"),
        _("Hours"),
        _("Trainees"),
        _("Hosts"),
        _("Guides"),
        _("Photos"),
    ]
    rows = []
    for f in [*result.groups, result.total]:
        # The files speak the report language; the terminal speaks the UI language.
        if f is result.total:
            name = _(stats.TOTAL)
        elif f.key is None:
            name = _(stats.NO_GROUP_NAMES[args.by])
        else:
            name = f.name
        rows.append(
            [
                name,
                str(f.sessions),
                f"{f.hours:.1f}" if f.counted("hours") else "—",
                str(f.trainees) if f.counted("trainees") else "—",
                str(f.hosts),
                str(f.guides),
                str(f.photos),
            ]
        )
    print(_("Period: {start} to {end}").format(start=period.start, end=period.end))
    print_table(headers, rows)
    for note in result.total.notes():
        print(note)
    for path in written:
        print(_("Wrote {path}.").format(path=path))
    return 0


def cmd_member(ctx: CliContext, args: argparse.Namespace) -> int:
    period = _period(args, required=False)
    target = _target(args.output)
    tr = translator_for(_language())
    from desktop_app.services.reports import member_record

    with ctx.open_library(write=False) as library:
        record = member_record.load_record(library, args.id, period)
        pages = member_record.render_member_record(library, record, target, tr=tr, period=period)
    if args.json:
        print_json(
            {
                "path": str(target),
                "pages": pages,
                "member": record.name,
                "sessions": len(record.sessions),
                "hours": round(record.hours, 2),
                "sessions_without_hours": record.without_hours,
                "guides": len(record.guides),
            }
        )
    else:
        print(_("Wrote {path} ({pages} pages).").format(path=target, pages=pages))
    return 0


def cmd_news(ctx: CliContext, args: argparse.Namespace) -> int:
    from desktop_app.services.reports import news

    target = _target(args.output) if args.output else None
    if args.with_photos and target is None:
        raise UserError(_("--with-photos needs -o FILE.txt: the photos go beside the draft."))
    with ctx.open_library(write=False) as library:
        text = news.news_draft(library, args.id)
        if target is None:
            sys.stdout.write(text)
            return 0
        news.write_news(target, text)
        print(_("Wrote {path}.").format(path=target))
        if args.with_photos:
            from desktop_app.services import photos

            folder = target.with_name(target.stem + "_" + _("photos"))
            written = photos.export_session_photos(library, args.id, folder)
            print(_("Exported {n} photos to {path}.").format(n=len(written), path=folder))
    return 0


def cmd_photos(ctx: CliContext, args: argparse.Namespace) -> int:
    period = _period(args, required=True)
    assert period is not None
    target = _target(args.output)
    from desktop_app.services.reports import photo_bundle

    with ctx.open_library(write=False) as library:
        result = photo_bundle.build_bundle(library, period, target, long_edge=args.long_edge)
    print(
        _("Wrote {path}: {photos} photos of {sessions} sessions.").format(
            path=result.path, photos=result.photos, sessions=result.sessions
        )
    )
    return 0
