"""`jiangxin hub connect|sync|status|disconnect`: the laptop's side of a district hub."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from desktop_app.cli.common import CliContext, print_json
from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _, sentences

if TYPE_CHECKING:
    from desktop_app.services import hub_sync

PASSWORD_ENV = "JIANGXIN_HUB_PASSWORD"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("hub", help=_("sync with a district hub"))
    hub_sub = p.add_subparsers(dest="hub_command", metavar="ACTION", required=True)

    c = hub_sub.add_parser("connect", help=_("connect this library to a hub"))
    c.add_argument("url", metavar="URL", help=_("the hub's address, e.g. https://192.168.1.5:8443"))
    c.add_argument("--user", required=True, metavar="NAME", help=_("your user name on the hub"))
    c.add_argument(
        "--fingerprint",
        metavar="FP",
        help=_("the hub certificate's SHA-256 fingerprint, as the union office gave it"),
    )
    c.set_defaults(handler=cmd_connect)

    s = hub_sub.add_parser("sync", help=_("pull the hub's changes and publish this library's"))
    s.add_argument("--json", action="store_true", help=_("machine-readable output"))
    s.set_defaults(handler=cmd_sync)

    st = hub_sub.add_parser("status", help=_("the hub, the last sync, changes waiting"))
    st.add_argument("--json", action="store_true", help=_("machine-readable output"))
    st.set_defaults(handler=cmd_status)

    d = hub_sub.add_parser("disconnect", help=_("sign out and forget the hub"))
    d.set_defaults(handler=cmd_disconnect)


def _password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    if not sys.stdin.isatty():
        raise UserError(_("Give the password at the prompt or in {env}.").format(env=PASSWORD_ENV))
    return getpass.getpass(_("Password: "))


def _ask_yes_no(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(question).strip().lower()
    return answer in ("y", "yes", _("y"), _("yes"), "是")


def cmd_connect(ctx: CliContext, args: argparse.Namespace) -> int:
    from desktop_app.services import hub_sync
    from desktop_app.services.hub_client import Certificate

    def confirm(cert: Certificate) -> bool:
        print(_("The hub's certificate fingerprint (SHA-256):"))
        print(f"  {cert.fingerprint}")
        print(_("Compare it with the one the union office gave you."))
        return _ask_yes_no(_("Is it the same? [y/N] "))

    with ctx.open_library(write=True) as library:
        found = hub_sync.probe(args.url)
        unconfirmed = not args.fingerprint and not found.certificate.trusted_by_system
        if unconfirmed and not confirm(found.certificate):
            raise UserError(_("Not connected: the hub's certificate was not confirmed."))
        password = _password()
        info = hub_sync.connect(
            library,
            args.url,
            args.user,
            password,
            fingerprint=args.fingerprint,
            confirm=lambda _cert: True,  # confirmed above, before the password was asked
            found=found,
        )
    print(
        _("Connected to the hub “{name}” ({url}) as {user}.").format(
            name=info.hub_name, url=info.url, user=info.user_name
        )
    )
    if info.fingerprint:
        print(_("Certificate pinned: {fp}").format(fp=info.fingerprint))
    print(_("Run “jiangxin hub sync” to sync."))
    return 0


def cmd_sync(ctx: CliContext, args: argparse.Namespace) -> int:
    from desktop_app.services import hub_sync
    from desktop_app.services.hub_client import DeviceRevokedError

    with ctx.open_library(write=True) as library:
        try:
            report = hub_sync.sync(library)
        except DeviceRevokedError as exc:
            # The administrator's sentence, then the way back.
            raise UserError(
                sentences(
                    str(exc),
                    _(
                        "Everything in this library stays here; once the union office agrees, "
                        "sign in again with “jiangxin hub connect”."
                    ),
                )
            ) from None
    if args.json:
        print_json(report.to_json())
        return 0
    if report.started_over_message:
        print(report.started_over_message)
    print(
        _(
            "Pulled: {added} added, {updated} updated, {deleted} deleted ({photos} photo files)."
        ).format(
            added=report.added,
            updated=report.updated,
            deleted=report.deleted,
            photos=report.photos_downloaded,
        )
    )
    print(
        _("Published: {applied} ({photos} photo files).").format(
            applied=report.published, photos=report.photos_uploaded
        )
    )
    print(_("Conflicts: {n}").format(n=len(report.conflicts)))
    for item in report.conflicts:
        print(_note_line(item))
    if report.conflicts:
        print(_("See them with “jiangxin conflicts list”."))
    print(_("Refused by the hub: {n}").format(n=len(report.refused)))
    for item in report.refused:
        print(_note_line(item))
    for note in report.notes:
        print(note)
    if report.waiting:
        print(_("Changes still waiting to be published: {n}").format(n=report.waiting))
    return 0


def _note_line(item: hub_sync.RecordNote) -> str:
    """One record of the report: its kind as the reader calls it ("服务队", not "team"), the
    start of its id (what `jiangxin show` and `conflicts resolve` take), its name, why."""
    from desktop_app.services.labels import KIND_NAMES, label

    kind = label(KIND_NAMES, item.kind)  # (a kind of a newer hub's shows as it is)
    return f"  {kind} {item.id[:8]}  {item.label}  {item.reason}"


def cmd_status(ctx: CliContext, args: argparse.Namespace) -> int:
    from desktop_app.services import hub_sync

    with ctx.open_library() as library:
        state = hub_sync.status(library)
    if args.json:
        print_json(state.to_json())
        return 0
    if not state.connected:
        print(_("Not connected to a hub."))
        return 0
    print(_("Hub: {name} ({url})").format(name=state.hub_name, url=state.url))
    print(_("Signed in as: {user}").format(user=state.user_name))
    if state.fingerprint:
        print(_("Certificate: {fp}").format(fp=state.fingerprint))
    when = (
        state.last_sync_at.astimezone().strftime("%Y-%m-%d %H:%M")
        if state.last_sync_at
        else _("never")
    )
    print(_("Last sync: {when}").format(when=when))
    last = state.last_result or {}
    if last.get("ok") is False and last.get("message"):
        print(_("Last attempt failed: {message}").format(message=last["message"]))
    print(_("Changes waiting to be published: {n}").format(n=state.waiting))
    print(_("Open conflicts: {n}").format(n=state.open_conflicts))
    return 0


def cmd_disconnect(ctx: CliContext, args: argparse.Namespace) -> int:
    from desktop_app.services import hub_sync

    with ctx.open_library(write=True) as library:
        told = hub_sync.disconnect(library)
    print(_("Disconnected from the hub; this library is no longer synced."))
    if not told:
        print(
            _(
                "The hub could not be reached to sign this laptop out; ask the union office "
                "to revoke it if needed."
            )
        )
    return 0
