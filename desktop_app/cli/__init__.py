"""The `jiangxin` command (and `python -m desktop_app`). No Qt here: no arguments opens the GUI
through a lazy import of the composition root.

Each command group lives in its own module with a `register(subparsers)` function, so that
features slot in without touching the others.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from desktop_app import __version__
from desktop_app.cli.common import CliContext, fail
from desktop_app.core.crashlog import log_internal_error
from desktop_app.core.errors import UserError
from desktop_app.core.i18n import N_, SUPPORTED_LANGUAGES, _, ngettext, set_language
from desktop_app.core.writefail import damage_error_for, user_error_for

# Imported only when a command is given: opening the window must not pay for every
# command's services (start-up time is a measured goal, see BENCHMARKS.md).
COMMAND_MODULES = [
    "desktop_app.cli.library_cmds",
    "desktop_app.cli.handout_cmds",
    "desktop_app.cli.pack_cmds",
    "desktop_app.cli.photos_cmds",
    "desktop_app.cli.search_cmds",
    "desktop_app.cli.report_cmds",
    "desktop_app.cli.history_cmds",
    "desktop_app.cli.hub_cmds",
]


# argparse's own words (usage errors, the help's headings) go through its module's `_`, which
# reads no catalogue of ours: marked here for extraction and translated by pointing that `_`
# at ours (`build_parser`).
ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("not allowed with argument %s"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("ignored explicit argument %r"),
    N_("unexpected option string: %s"),
)


class _Parser(argparse.ArgumentParser):
    """A usage error is one line in the UI language, exit 1 ("a problem the message
    explains"; argparse's 2 means damage found in this program's exit codes)."""

    def error(self, message: str) -> NoReturn:
        line = _("{message} (see “{command} --help”)").format(message=message, command=self.prog)
        self.exit(1, f"{self.prog}: {line}\n")


def _global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"jiangxin {__version__}")
    parser.add_argument(
        "--library",
        metavar="DIR",
        help=_("library folder (default: $JIANGXIN_LIBRARY or the user data folder)"),
    )
    parser.add_argument(
        "--lang", choices=SUPPORTED_LANGUAGES, help=_("language of messages and the window")
    )


def build_parser() -> argparse.ArgumentParser:
    setattr(argparse, "_", _)  # noqa: B010 (a module's global, see ARGPARSE_MESSAGES)
    setattr(argparse, "ngettext", ngettext)  # noqa: B010
    parser = _Parser(
        prog="jiangxin",
        description=_("匠心课堂 (Jiangxin): service teams, practical guides and field sessions."),
    )
    _global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


class _NotTheWindow(Exception):
    pass


class _QuietParser(argparse.ArgumentParser):
    """Pre-parser for the global options: errors are left to the full parser."""

    def error(self, message: str) -> NoReturn:
        raise _NotTheWindow(message)


def _wants_window(args_list: list[str]) -> argparse.Namespace | None:
    """The global options when no command is given (the window opens), else None."""
    if any(a in ("-h", "--help", "--version") for a in args_list):
        return None
    parser = _QuietParser(prog="jiangxin", add_help=False)
    _global_options(parser)
    try:
        known, rest = parser.parse_known_args(args_list)
    except _NotTheWindow:
        return None
    return None if rest else known


def _early_language(argv: Sequence[str]) -> str | None:
    """--lang must apply before the parser builds its (translated) help texts."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def _command_words(args: argparse.Namespace) -> list[str]:
    """The command as typed, e.g. ["pack", "import"] (named to whoever finds the library locked)."""
    words = [str(args.command)]
    for dest, value in vars(args).items():
        # Sub-command destinations are named "<group>_command", "_action" or "_kind".
        if dest.endswith(("_command", "_action", "_kind")) and isinstance(value, str):
            words.append(value)
    return words


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    lang = _early_language(args_list)
    set_language(lang if lang in SUPPORTED_LANGUAGES else None)
    window_args = _wants_window(args_list)
    if window_args is not None:
        from desktop_app.app import run_gui  # Qt is imported only for the window

        return int(run_gui(window_args.library, window_args.lang))
    parser = build_parser()
    args = parser.parse_args(args_list)
    ctx = CliContext(library_option=args.library, lang=args.lang)
    if args.command is None:
        parser.print_help()
        return 0
    from desktop_app.storage.library import HOLDER_COMMAND, set_lock_holder

    set_lock_holder(HOLDER_COMMAND, " ".join(_command_words(args)))
    try:
        return int(args.handler(ctx, args))
    except UserError as exc:
        return fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return fail(_("Interrupted."), 130)
    except BrokenPipeError:
        # The reader went away (`jiangxin show … --json | head`): what it wanted was printed.
        # Point stdout at nothing so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        # A disk that refused a write, or a damaged database, that no service put into words.
        known = user_error_for(exc) or damage_error_for(exc)
        if known is not None:
            return fail(str(known), known.exit_code)
        log_path = log_internal_error(exc)
        return fail(_("Internal error; details are in {path}").format(path=log_path), 70)
    finally:
        logging.shutdown()
