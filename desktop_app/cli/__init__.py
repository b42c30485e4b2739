"""The `jiangxin` command (and `python -m desktop_app`). No Qt here: no arguments opens the GUI
through a lazy import of the composition root.

Each command group lives in its own module with a `register(subparsers)` function, so that
features slot in without touching the others.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from desktop_app import __version__
from desktop_app.cli import handout_cmds, library_cmds, pack_cmds, photos_cmds, search_cmds
from desktop_app.cli.common import CliContext, fail, log_internal_error
from desktop_app.core.errors import UserError
from desktop_app.core.i18n import SUPPORTED_LANGUAGES, _, set_language

COMMAND_MODULES = [library_cmds, handout_cmds, pack_cmds, photos_cmds, search_cmds]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jiangxin",
        description=_("匠心课堂 (Jiangxin): service teams, practical guides and field sessions."),
    )
    parser.add_argument("--version", action="version", version=f"jiangxin {__version__}")
    parser.add_argument(
        "--library",
        metavar="DIR",
        help=_("library folder (default: $JIANGXIN_LIBRARY or the user data folder)"),
    )
    parser.add_argument(
        "--lang", choices=SUPPORTED_LANGUAGES, help=_("language of messages and the window")
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def _early_language(argv: Sequence[str]) -> str | None:
    """--lang must apply before the parser builds its (translated) help texts."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    lang = _early_language(args_list)
    set_language(lang if lang in SUPPORTED_LANGUAGES else None)
    parser = build_parser()
    args = parser.parse_args(args_list)
    ctx = CliContext(library_option=args.library, lang=args.lang)
    if args.command is None:
        from desktop_app.app import run_gui  # Qt is imported only for the window

        return int(run_gui(ctx.library_option, args.lang))
    try:
        return int(args.handler(ctx, args))
    except UserError as exc:
        return fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return fail(_("Interrupted."), 130)
    except Exception:
        log_path = log_internal_error()
        return fail(_("Internal error; details are in {path}").format(path=log_path), 70)
    finally:
        logging.shutdown()
