"""`jiangxin search` (full-text search) and `jiangxin dev generate-large` (a large library)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desktop_app.cli.common import CliContext, fail, print_json
from desktop_app.core import paths
from desktop_app.core.i18n import _
from desktop_app.core.progress import Progress
from desktop_app.services import search
from desktop_app.services.labels import kind_label_plural

ANSI_ON = "\033[1;4m"  # bold underline: readable on light and dark terminals
ANSI_OFF = "\033[0m"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("search", help=_("search teams, members, guides, sessions and photos"))
    p.add_argument("query", help=_("words to find (all must occur); Chinese works as typed"))
    p.add_argument(
        "--kind",
        choices=list(search.KINDS),
        action="append",
        help=_("only this kind of record (may be repeated)"),
    )
    p.add_argument("--limit", type=int, default=20, help=_("at most this many hits per kind"))
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(handler=cmd_search)

    dev = sub.add_parser("dev", help=_("developer tools"))
    dev_sub = dev.add_subparsers(dest="dev_command", metavar="COMMAND", required=True)
    g = dev_sub.add_parser(
        "generate-large", help=_("create a large generated library for measuring speed")
    )
    g.add_argument(
        "--library",
        dest="target",
        metavar="DIR",
        help=_("where to create it (a new or empty folder)"),
    )
    g.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help=_("multiply the record counts (1 = 20,000 sessions and 50,000 photos)"),
    )
    g.add_argument("--json", action="store_true", help=_("machine-readable output"))
    g.set_defaults(handler=cmd_generate_large)


def cmd_search(ctx: CliContext, args: argparse.Namespace) -> int:
    with ctx.open_library() as library:
        hits = search.search(library, args.query, args.kind, limit=max(1, args.limit))
    if args.json:
        out = []
        for hit in hits:
            plain, spans = search.mark_spans(hit.snippet)
            out.append(
                {
                    "kind": hit.kind,
                    "id": hit.id,
                    "title": hit.title,
                    "snippet": plain,
                    "highlights": [list(span) for span in spans],
                    "rank": round(hit.rank, 4),
                }
            )
        print_json(out)
        return 0
    if not hits:
        print(_("No matches for “{query}”.").format(query=args.query))
        return 0
    tty = sys.stdout.isatty()
    on, off = (ANSI_ON, ANSI_OFF) if tty else ("[", "]")
    for kind, group in search.group_by_kind(hits).items():
        print(f"{kind_label_plural(kind)} ({len(group)})")
        for hit in group:
            print(f"  {hit.id[:8]}  {hit.title}")
            snippet = search.strip_marks(hit.snippet, on, off).replace("\n", " ")
            if snippet and search.strip_marks(hit.snippet) != hit.title:
                print(f"            {snippet}")
    return 0


class _PrintProgress(Progress):
    def on_step(self, done: int, total: int, text: str) -> None:
        print(f"[{done}/{total}] {text}", file=sys.stderr, flush=True)


def cmd_generate_large(ctx: CliContext, args: argparse.Namespace) -> int:
    from desktop_app.services.largegen import generate_large  # Pillow only for this command

    if not args.scale > 0:
        return fail(_("The scale must be a positive number."))
    root = Path(args.target) if args.target else paths.resolve_library_dir(ctx.library_option)
    report = generate_large(
        root, scale=args.scale, progress=None if args.json else _PrintProgress()
    )
    if args.json:
        print_json({"library": str(root), "counts": report.counts, "seconds": report.seconds})
    else:
        counts = ", ".join(f"{n} {kind}" for kind, n in report.counts.items())
        print(
            _("Created a large library at {path} in {seconds:.1f} s: {counts}.").format(
                path=root, seconds=report.seconds, counts=counts
            )
        )
    return 0
