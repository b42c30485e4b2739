"""`jiangxin photos import|export|cleanup`: the photo pipeline on the command line.

`photos import` prints one line per file (imported / duplicate / rejected and why) and exits 0
when nothing was rejected, 1 when some file was rejected (the others are imported all the
same). `photos export` opens the library read-only, so it works while the window is open.
`photos cleanup` lists the unused photos and removes them only with `--yes`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop_app.cli.common import CliContext, print_json
from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _
from desktop_app.core.progress import Progress
from desktop_app.services import photos


class _TerminalProgress(Progress):
    """A counter on stderr when it is a terminal (scripts get clean output)."""

    def on_step(self, done: int, total: int, text: str) -> None:
        if sys.stderr.isatty():
            print(f"\r{done}/{total} ", end="", file=sys.stderr, flush=True)
            if done == total:
                print(file=sys.stderr)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("photos", help=_("import, export and clean up photos"))
    actions = p.add_subparsers(dest="photos_action", metavar="ACTION", required=True)

    q = actions.add_parser(
        "import",
        help=_("import photo files or folders (recursively)"),
        description=_(
            "Exit code 0 when every file was imported or already there, 1 when some "
            "file was rejected (the others are imported all the same)."
        ),
    )
    where = q.add_mutually_exclusive_group()
    where.add_argument("--session", metavar="ID", help=_("add the photos to this field session"))
    where.add_argument("--guide", metavar="ID", help=_("add the photos to a step of this guide"))
    where.add_argument("--member", metavar="ID", help=_("make the photo this member's portrait"))
    q.add_argument(
        "--step", type=int, metavar="N", help=_("step number of the guide (1 = first, default)")
    )
    q.add_argument("paths", nargs="+", metavar="PATH", help=_("photo files or folders"))
    q.add_argument("--json", action="store_true", help=_("machine-readable output"))
    q.set_defaults(handler=cmd_import)

    q = actions.add_parser("export", help=_("export a session's photos as upright JPEGs"))
    q.add_argument("--session", metavar="ID", required=True, help=_("field session id"))
    q.add_argument(
        "--long-edge",
        type=int,
        default=1600,
        metavar="PIXELS",
        help=_("longest side of each exported photo (default 1600)"),
    )
    q.add_argument("-o", "--output", required=True, metavar="DIR", help=_("folder to write to"))
    q.add_argument("--json", action="store_true", help=_("machine-readable output"))
    q.set_defaults(handler=cmd_export)

    q = actions.add_parser("cleanup", help=_("remove photos that nothing uses any more"))
    q.add_argument("--yes", action="store_true", help=_("really remove them (default: only list)"))
    q.add_argument("--json", action="store_true", help=_("machine-readable output"))
    q.set_defaults(handler=cmd_cleanup)


def cmd_import(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.step is not None and not args.guide:
        raise UserError(_("--step needs --guide."))
    target = photos.ImportTarget(
        session_id=args.session,
        guide_id=args.guide,
        step_index=None if args.step is None else args.step - 1,
        member_id=args.member,
    )
    with ctx.open_library(write=True) as library:
        results = photos.import_photos(
            library, [Path(p) for p in args.paths], target, _TerminalProgress()
        )
    if args.json:
        print_json(
            [
                {"path": r.path, "status": r.status, "reason": r.reason, "photo_id": r.photo_id}
                for r in results
            ]
        )
    else:
        labels = {
            photos.IMPORTED: _("imported"),
            photos.DUPLICATE: _("duplicate"),
            photos.REJECTED: _("rejected"),
        }
        for r in results:
            line = f"{labels[r.status]}: {r.path}"
            if r.reason:
                line += f" — {r.reason}"
            print(line)
        counts = {s: sum(r.status == s for r in results) for s in labels}
        print(
            _("{imported} imported, {duplicate} already there, {rejected} rejected.").format(
                **counts
            )
        )
    return 1 if any(r.status == photos.REJECTED for r in results) else 0


def cmd_export(ctx: CliContext, args: argparse.Namespace) -> int:
    with ctx.open_library(write=False) as library:
        written = photos.export_session_photos(
            library, args.session, Path(args.output), args.long_edge, _TerminalProgress()
        )
    if args.json:
        print_json([str(p) for p in written])
    else:
        for path in written:
            print(path)
        print(_("{n} photos exported to {path}.").format(n=len(written), path=args.output))
    return 0


def cmd_cleanup(ctx: CliContext, args: argparse.Namespace) -> int:
    with ctx.open_library(write=args.yes) as library:
        unused = photos.unused_photos(library)
        removed = photos.cleanup_unused(library) if args.yes and unused else 0
    if args.json:
        print_json({"unused": unused, "removed": removed})
    elif not unused:
        print(_("No unused photos."))
    elif args.yes:
        print(_("Removed {n} unused photos.").format(n=removed))
    else:
        for photo_id in unused:
            print(photo_id)
        print(
            _(
                "{n} photos are not used by any session, guide or member; "
                "run again with --yes to remove them."
            ).format(n=len(unused))
        )
    return 0
