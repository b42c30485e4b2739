"""`init`, `list`, `show` and `check`: the library core on the command line."""

from __future__ import annotations

import argparse

from desktop_app.cli.common import CliContext, display_width, print_json, print_table
from desktop_app.core.i18n import _
from desktop_app.services import listing
from desktop_app.services.demo import fill_demo
from desktop_app.services.describe import describe, with_place_times
from desktop_app.services.integrity import check_database_file, check_library
from desktop_app.services.records import get_record, record_to_dict
from desktop_app.storage.kinds import DISPLAY_ORDER, LIST_NAMES
from desktop_app.storage.library import Library


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help=_("create a library"))
    p.add_argument("--demo", action="store_true", help=_("fill it with the demo content"))
    p.add_argument("--name", help=_("the library's name (default: the folder name)"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("list", help=_("list records of one kind"))
    p.add_argument("kind", choices=list(LIST_NAMES))
    p.add_argument("--filter", default="", help=_("only records containing these words"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("show", help=_("show one record in full"))
    p.add_argument("kind", choices=list(DISPLAY_ORDER))
    p.add_argument("id", help=_("record id (a unique prefix of 8+ characters is enough)"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("check", help=_("check the database and the photo store for damage"))
    p.add_argument(
        "--repair",
        action="store_true",
        help=_("remove orphan and temporary files, rebuild indexes"),
    )
    p.add_argument("--quick", action="store_true", help=_("do not re-hash photo files"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(handler=cmd_check)


def cmd_init(ctx: CliContext, args: argparse.Namespace) -> int:
    library = Library.create(ctx.library_dir, name=args.name)
    try:
        if args.demo:
            try:
                fill_demo(library)
            except BaseException:
                library.close()
                import shutil

                shutil.rmtree(library.root, ignore_errors=True)
                raise
        result = {"library": str(library.root), "id": library.library_id, "demo": args.demo}
    finally:
        library.close()
    if args.json:
        print_json(result)
    else:
        print(_("Created a library at {path}.").format(path=result["library"]))
    return 0


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    kind = LIST_NAMES[args.kind]
    with ctx.open_library() as library:
        rows = listing.list_rows(library, kind, listing.ListFilter(text=args.filter))
    if args.json:
        # Machines get e.g. a session's instant with the place's offset, not the display text.
        print_json([listing.machine_row(kind, row) for row in rows])
        return 0
    columns = listing.COLUMNS[kind]
    headers = ["ID", *[_(c.title) for c in columns]]
    table = [
        [str(row["id"])[:8], *[str(listing.display_value(c, row)) for c in columns]] for row in rows
    ]
    print_table(headers, table)
    return 0


def cmd_show(ctx: CliContext, args: argparse.Namespace) -> int:
    with ctx.open_library() as library:
        with library.session() as s:
            data = record_to_dict(args.kind, get_record(s, args.kind, args.id))
        if args.json:
            print_json(with_place_times(args.kind, data))
            return 0
        lines = describe(library, args.kind, data)
    width = max(display_width(k) for k, _v in lines)
    for key, value in lines:
        print(key + " " * (width - display_width(key)) + "  " + value)
    return 0


def cmd_check(ctx: CliContext, args: argparse.Namespace) -> int:
    try:
        library = ctx.open_library(write=args.repair)
    except Exception:
        # A database too damaged to open is still reported as damage, not as a crash.
        db_problems = check_database_file(ctx.library_dir / "library.sqlite3")
        if not db_problems:
            raise
        problems = [p.__dict__ for p in db_problems]
        if args.json:
            print_json({"ok": False, "problems": problems})
        else:
            for p in db_problems:
                print(f"{p.code}: {p.message}")
        return 2
    with library:
        report = check_library(library, repair=args.repair, verify_hashes=not args.quick)
    if args.json:
        print_json(
            {
                "ok": not report.damaged,
                "photos_checked": report.photos_checked,
                "problems": [p.__dict__ for p in report.problems],
            }
        )
    else:
        for p in report.problems:
            suffix = _(" (repaired)") if p.repaired else ""
            print(f"{p.code}: {p.message} {p.path}{suffix}".rstrip())
        if not report.damaged:
            print(
                _("The library is in good order ({n} photos checked).").format(
                    n=report.photos_checked
                )
            )
    return 2 if report.damaged else 0
