"""`jiangxin handout guide|session|pack|booklet|signin|feedback`: PDF handouts on the command line.

The library is opened read-only (a handout changes nothing), so this works while the window
has the library open. Paper and language come from the settings unless `--paper` is given.
`signin` and `feedback` print the blank sheets of a session, with its code (活动码) and QR.
`session --photos ID1,ID2` prints only those photos in the report, in that order.

A guide without safety notes (安全提示) is refused with a message naming it; `--force` prints it
anyway. The GUI asks the same question in a dialog; the CLI cannot ask, so it wants the flag.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from desktop_app.cli.common import CliContext, print_json
from desktop_app.core.errors import UserError
from desktop_app.core.fsutil import check_destination
from desktop_app.core.i18n import _
from desktop_app.core.settings import Settings
from desktop_app.services import handouts
from desktop_app.storage.library import Library


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("handout", help=_("print guides, session reports and packs as PDF"))
    kinds = p.add_subparsers(dest="handout_kind", metavar="KIND", required=True)

    def common(q: argparse.ArgumentParser, *, force: bool = True) -> None:
        q.add_argument("-o", "--output", required=True, metavar="FILE.pdf", help=_("PDF to write"))
        q.add_argument(
            "--paper",
            type=str.upper,
            choices=handouts.PAPER_SIZES,
            help=_("paper size (default: the saved setting, A4 unless changed)"),
        )
        if force:
            q.add_argument(
                "--force",
                action="store_true",
                help=_("print guides even if they have no safety notes"),
            )
        q.add_argument("--json", action="store_true", help=_("machine-readable output"))

    q = kinds.add_parser("guide", help=_("the handout of one guide"))
    q.add_argument("id", help=_("guide id (a unique prefix of 8+ characters is enough)"))
    common(q)
    q.set_defaults(handler=cmd_guide)

    q = kinds.add_parser("session", help=_("the report of a field session"))
    q.add_argument("id", help=_("session id (a unique prefix of 8+ characters is enough)"))
    q.add_argument(
        "--photos",
        metavar="ID1,ID2,…",
        help=_(
            "the photos to print, in this order, separated by commas (default: all, in the "
            'session\'s order; "" for none)'
        ),
    )
    common(q, force=False)
    q.set_defaults(handler=cmd_session)

    q = kinds.add_parser("pack", help=_("the take-home pack of a session: cover and its guides"))
    q.add_argument("id", help=_("session id (a unique prefix of 8+ characters is enough)"))
    common(q)
    q.set_defaults(handler=cmd_pack)

    q = kinds.add_parser(
        "signin", help=_("the sign-in sheet of a session (landscape, with its code and QR)")
    )
    q.add_argument("id", help=_("session id (a unique prefix of 8+ characters is enough)"))
    common(q, force=False)
    q.set_defaults(handler=cmd_signin)

    q = kinds.add_parser(
        "feedback", help=_("the trainees' feedback form of a session (with its code and QR)")
    )
    q.add_argument("id", help=_("session id (a unique prefix of 8+ characters is enough)"))
    common(q, force=False)
    q.set_defaults(handler=cmd_feedback)

    q = kinds.add_parser("booklet", help=_("a booklet of chosen guides, in the order given"))
    q.add_argument("ids", nargs="+", metavar="GUIDE_ID", help=_("guide ids, in booklet order"))
    q.add_argument("--title", required=True, help=_("the booklet's title"))
    common(q)
    q.set_defaults(handler=cmd_booklet)


def _options(args: argparse.Namespace) -> handouts.HandoutOptions:
    return handouts.options_from_settings(
        Settings(), paper=args.paper, confirm_missing_safety=getattr(args, "force", False)
    )


def _report(args: argparse.Namespace, result: handouts.HandoutResult) -> int:
    if args.json:
        print_json({"path": str(result.path), "pages": result.pages, "bytes": result.size})
    else:
        print(
            _("Wrote {path} ({pages} pages, {size} KB).").format(
                path=result.path, pages=result.pages, size=max(1, round(result.size / 1024))
            )
        )
    return 0


Builder = Callable[[Library, handouts.HandoutOptions, Path], handouts.HandoutResult]


def _run(
    ctx: CliContext,
    args: argparse.Namespace,
    build: Builder,
    check: tuple[str, list[str]] | None = None,
    *,
    photo_ids: list[str] | None = None,
) -> int:
    """Build the PDF; `check` (kind, ids) first points out photos that will print badly (of a
    report, only the chosen `photo_ids`)."""
    options = _options(args)
    target = Path(args.output).expanduser().absolute()
    if target.is_dir():
        raise UserError(_("{path} is a folder; give a file name for the PDF.").format(path=target))
    with ctx.open_library(write=False) as library:
        # A destination that would destroy a library file is refused before any warning.
        check_destination(target, libraries=[library.root])
        if check is not None:
            kind, ids = check
            title = getattr(args, "title", "") or ""
            warnings = handouts.photo_warnings(
                library, kind, ids, options, title=title, photo_ids=photo_ids
            )
            for warning in warnings:
                # A warning, not an error: the PDF is still written.
                print(_("jiangxin: warning: {message}").format(message=warning), file=sys.stderr)
        try:
            result = build(library, options, target)
        except handouts.SafetyNotesMissing as exc:
            names = "、".join(f"“{t}”" for t in exc.titles)
            raise UserError(
                _(
                    "{guides} has no safety notes; add them first, "
                    "or pass --force to print without them."
                ).format(guides=names)
            ) from None
    return _report(args, result)


def cmd_guide(ctx: CliContext, args: argparse.Namespace) -> int:
    def build(
        library: Library, options: handouts.HandoutOptions, target: Path
    ) -> handouts.HandoutResult:
        return handouts.build_guide_handout(library, args.id, target, options)

    return _run(ctx, args, build, ("guide", [args.id]))


def cmd_session(ctx: CliContext, args: argparse.Namespace) -> int:
    photo_ids = None if args.photos is None else args.photos.split(",")

    def build(
        library: Library, options: handouts.HandoutOptions, target: Path
    ) -> handouts.HandoutResult:
        return handouts.build_session_report(library, args.id, target, options, photo_ids=photo_ids)

    return _run(ctx, args, build, ("report", [args.id]), photo_ids=photo_ids)


def cmd_signin(ctx: CliContext, args: argparse.Namespace) -> int:
    def build(
        library: Library, options: handouts.HandoutOptions, target: Path
    ) -> handouts.HandoutResult:
        return handouts.build_signin_sheet(library, args.id, target, options)

    return _run(ctx, args, build)


def cmd_feedback(ctx: CliContext, args: argparse.Namespace) -> int:
    def build(
        library: Library, options: handouts.HandoutOptions, target: Path
    ) -> handouts.HandoutResult:
        return handouts.build_feedback_form(library, args.id, target, options)

    return _run(ctx, args, build)


def cmd_pack(ctx: CliContext, args: argparse.Namespace) -> int:
    def build(
        library: Library, options: handouts.HandoutOptions, target: Path
    ) -> handouts.HandoutResult:
        return handouts.build_session_pack(library, args.id, target, options)

    return _run(ctx, args, build, ("pack", [args.id]))


def cmd_booklet(ctx: CliContext, args: argparse.Namespace) -> int:
    def build(
        library: Library, options: handouts.HandoutOptions, target: Path
    ) -> handouts.HandoutResult:
        return handouts.build_booklet(library, list(args.ids), args.title, target, options)

    return _run(ctx, args, build, ("booklet", list(args.ids)))
