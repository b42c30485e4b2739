"""`pack export|import`, `conflicts list|resolve`, `backup` and `restore` on the command line."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

from desktop_app.cli.common import CliContext, display_width, print_json, print_table
from desktop_app.core.i18n import _, pgettext
from desktop_app.core.writefail import user_error_for
from desktop_app.services import backup as backup_service
from desktop_app.services import merge, packs
from desktop_app.services.labels import kind_label
from desktop_app.storage.kinds import KINDS


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("pack", help=_("export or import a knowledge pack (.jxpack)"))
    pack_sub = p.add_subparsers(dest="pack_command", metavar="ACTION", required=True)

    e = pack_sub.add_parser("export", help=_("write a knowledge pack"))
    e.add_argument("-o", "--output", required=True, metavar="FILE", help=_("the pack to write"))
    e.add_argument("--teams", nargs="+", default=[], metavar="ID", help=_("these teams"))
    e.add_argument("--guides", nargs="+", default=[], metavar="ID", help=_("these guides"))
    e.add_argument("--sessions", nargs="+", default=[], metavar="ID", help=_("these sessions"))
    e.add_argument(
        "--include-contacts",
        action="store_true",
        help=_("include members' phone numbers and notes"),
    )
    e.add_argument("--json", action="store_true", help=_("machine-readable output"))
    e.set_defaults(handler=cmd_export)

    i = pack_sub.add_parser("import", help=_("merge a knowledge pack into the library"))
    i.add_argument("file", metavar="FILE", help=_("the pack to import"))
    i.add_argument(
        "--dry-run", action="store_true", help=_("only show what would change; change nothing")
    )
    i.add_argument("--json", action="store_true", help=_("machine-readable output"))
    i.set_defaults(handler=cmd_import)

    c = sub.add_parser("conflicts", help=_("list or resolve merge conflicts"))
    conflict_sub = c.add_subparsers(dest="conflicts_command", metavar="ACTION", required=True)
    cl = conflict_sub.add_parser("list", help=_("open conflicts"))
    cl.add_argument("--all", action="store_true", help=_("resolved ones too"))
    cl.add_argument("--json", action="store_true", help=_("machine-readable output"))
    cl.set_defaults(handler=cmd_conflicts_list)
    cr = conflict_sub.add_parser("resolve", help=_("keep your version or take theirs"))
    cr.add_argument("id", help=_("conflict id (a unique prefix is enough)"))
    cr.add_argument("--keep", required=True, choices=["mine", "theirs"])
    cr.set_defaults(handler=cmd_conflicts_resolve)

    b = sub.add_parser("backup", help=_("back up the library (database and photos) to one file"))
    b.add_argument("-o", "--output", required=True, metavar="FILE", help=_("the backup to write"))
    b.add_argument("--json", action="store_true", help=_("machine-readable output"))
    b.set_defaults(handler=cmd_backup)

    r = sub.add_parser("restore", help=_("restore a backup into a new or empty folder"))
    r.add_argument("file", metavar="FILE", help=_("the backup to restore"))
    r.add_argument(
        "--library",
        dest="restore_library",
        metavar="DIR",
        help=_("the new library folder (must be empty)"),
    )
    r.add_argument("--json", action="store_true", help=_("machine-readable output"))
    r.set_defaults(handler=cmd_restore)


def cmd_export(ctx: CliContext, args: argparse.Namespace) -> int:
    with ctx.open_library() as library:
        result = packs.export_pack(
            library,
            Path(args.output),
            teams=args.teams,
            guides=args.guides,
            sessions=args.sessions,
            include_contacts=args.include_contacts,
        )
    if args.json:
        print_json(
            {
                "path": str(result.path),
                "records": result.counts,
                "tombstones": result.tombstones,
                "photo_files": result.photo_files,
                "bytes": result.bytes,
            }
        )
    else:
        print(
            _(
                "Wrote {path}: {teams} teams, {members} members, {guides} guides, "
                "{sessions} sessions, {photos} photos ({mb:.1f} MB)."
            ).format(
                path=result.path,
                teams=result.counts["team"],
                members=result.counts["member"],
                guides=result.counts["guide"],
                sessions=result.counts["session"],
                photos=result.counts["photo"],
                mb=result.bytes / 1024**2,
            )
        )
    return 0


def print_report(report: packs.ImportReport) -> None:
    kind_width = max(display_width(kind_label(k)) for k in KINDS)
    heading = (
        _("Importing {path} would change:") if report.dry_run else _("Imported from “{name}”:")
    )
    print(heading.format(path=report.source_name, name=report.source_name))
    sections = [
        (_("Added"), report.added),
        (_("Updated"), report.updated),
        (_("Conflicts (kept yours; see “jiangxin conflicts list”)"), report.conflicts),
        (_("Deleted"), report.deleted),
    ]
    for title, items in sections:
        print(f"{title}: {len(items)}")
        for item in items:
            reason = f" — {item.reason}" if item.reason else ""
            kind = kind_label(item.kind)
            pad = " " * max(0, kind_width - display_width(kind))
            print(f"  {kind}{pad} {item.id[:8]}  {item.label}{reason}")
    print(_("Unchanged: {n}").format(n=report.unchanged))
    if report.new_photo_files:
        print(
            _("New photo files: {n} ({mb:.1f} MB)").format(
                n=report.new_photo_files, mb=report.new_photo_bytes / 1024**2
            )
        )
    for note in report.notes:
        print(_("Note: {note}").format(note=note))
    if report.backup:
        print(_("The library was backed up first to {path}.").format(path=report.backup))


def cmd_import(ctx: CliContext, args: argparse.Namespace) -> int:
    with ctx.open_library(write=not args.dry_run) as library:
        if args.dry_run:
            library.refuse_if_unwritable()  # as the import would be
            report = packs.preview_import(library, Path(args.file))
        else:
            report = packs.import_pack(library, Path(args.file))
    if args.json:
        print_json(report.to_json())
    else:
        print_report(report)
    return 0


def cmd_conflicts_list(ctx: CliContext, args: argparse.Namespace) -> int:
    with ctx.open_library() as library:
        conflicts = merge.list_conflicts(library, include_resolved=args.all)
    if args.json:
        print_json(
            [
                {
                    "id": c.id,
                    "kind": c.kind,
                    "record_id": c.record_id,
                    "label": c.label,
                    "reason": c.reason,
                    "source_library": c.source_library,
                    "created_at": c.created_at.isoformat(),
                    "resolution": c.resolution,
                    "mine": c.mine,
                    "theirs": c.theirs,
                }
                for c in conflicts
            ]
        )
        return 0
    if not conflicts:
        print(_("No open conflicts."))
        return 0
    print_table(
        ["ID", _("Kind"), _("Record"), _("Why"), pgettext("where a record came from", "From")],
        [[c.id[:8], c.kind_label, c.label, c.reason, c.source_library] for c in conflicts],
    )
    return 0


def cmd_conflicts_resolve(ctx: CliContext, args: argparse.Namespace) -> int:
    with ctx.open_library(write=True) as library:
        merge.resolve_conflict(library, args.id, args.keep)
    # "The other version": a conflict comes from a pack or from the hub (hub_sync).
    print(_("Kept your version.") if args.keep == "mine" else _("Took the other version."))
    return 0


def cmd_backup(ctx: CliContext, args: argparse.Namespace) -> int:
    # Read-only open: a backup is safe while the app has the library open.
    with ctx.open_library(write=False) as library:
        try:
            result = backup_service.create_backup(library, Path(args.output))
        except (OSError, sqlite3.Error) as exc:
            # The destination (a full or pulled USB stick...), named in words.
            translated = user_error_for(exc, Path(args.output).absolute().parent)
            if translated is None:
                raise
            raise translated from None
    if args.json:
        print_json({"path": str(result.path), "photos": result.photos, "bytes": result.bytes})
    else:
        print(
            _("Backed up to {path} ({size}).").format(
                path=result.path, size=backup_service.describe_backup_size(result)
            )
        )
    return 0


def cmd_restore(ctx: CliContext, args: argparse.Namespace) -> int:
    target = Path(args.restore_library) if args.restore_library else ctx.library_dir
    restored = backup_service.restore_backup(Path(args.file), target)
    if args.json:
        print_json({"library": str(restored)})
    else:
        print(_("Restored the library into {path}.").format(path=restored))
    return 0
