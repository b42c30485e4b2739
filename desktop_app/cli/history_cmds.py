"""`history KIND ID` (a record's versions: when, how, from where, what changed) and
`history restore KIND ID VERSION` (make an earlier version current again, as a new version)."""

from __future__ import annotations

import argparse

from desktop_app.cli.common import CliContext, fail, print_json, print_table
from desktop_app.core.i18n import _
from desktop_app.services import record_history
from desktop_app.storage.kinds import KINDS

PLURALS = {"teams": "team", "members": "member", "guides": "guide", "sessions": "session",
           "photos": "photo"}  # fmt: skip


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "history",
        help=_("a record's earlier versions; “history restore” brings one back"),
        description=_(
            "jiangxin history KIND ID lists the versions of a record; "
            "jiangxin history restore KIND ID VERSION makes an earlier one current again "
            "(as a new version, which travels in packs like any edit)."
        ),
    )
    p.add_argument("words", nargs="+", metavar="KIND ID | restore KIND ID VERSION")
    p.add_argument("--json", action="store_true", help=_("machine-readable output"))
    p.set_defaults(handler=cmd_history)


def _kind(word: str) -> str | None:
    kind = PLURALS.get(word, word)
    return kind if kind in KINDS else None


def _when(version: record_history.Version) -> str:
    return version.made_at.astimezone().strftime("%Y-%m-%d %H:%M") if version.made_at else ""


def cmd_history(ctx: CliContext, args: argparse.Namespace) -> int:
    words = list(args.words)
    restoring = words[0] == "restore"
    if restoring:
        words = words[1:]
    if len(words) != (3 if restoring else 2):
        usage = (
            _("Give the kind, the record id and the version: history restore guide 1a2b3c4d 12.")
            if restoring
            else _("Give the kind and the record id: history guide 1a2b3c4d.")
        )
        return fail(usage)
    kind = _kind(words[0])
    if kind is None:
        return fail(
            _("There is no kind of record called “{kind}” (team, member, guide, session, photo).")
            .format(kind=words[0])
        )  # fmt: skip
    if restoring:
        return _restore(ctx, args, kind, words[1], words[2])
    with ctx.open_library() as library:
        versions = record_history.list_versions(library, kind, words[1])
    if args.json:
        print_json([v.to_json() for v in versions])
        return 0
    rows = []
    for i, version in enumerate(versions):
        older = versions[i + 1].data if i + 1 < len(versions) else None
        if version.deleted:
            changes = _("(deleted)")
        else:
            changes = "、".join(record_history.changed_fields(kind, older, version.data))
        rows.append(
            [
                _("current") if version.is_current else str(version.history_id),
                str(version.revision),
                _when(version),
                version.describe(),
                changes,
            ]
        )
    print_table(
        [_("Version"), _("Revision"), _("Made"), _("How"), _("Changed")],
        rows,
    )
    return 0


def _restore(
    ctx: CliContext, args: argparse.Namespace, kind: str, record_id: str, version: str
) -> int:
    if not version.isdigit():
        return fail(
            _("“{version}” is not a version number; “jiangxin history {kind} {id}” lists them.")
            .format(version=version, kind=kind, id=record_id)
        )  # fmt: skip
    with ctx.open_library(write=True) as library:
        tag = record_history.restore_version(library, kind, record_id, int(version))
        current = record_history.list_versions(library, kind, record_id)[0]
    if args.json:
        print_json({"restored": int(version), "revision": current.revision, "tag": tag})
    else:
        print(
            _("Version {version} is current again, as revision {revision}.").format(
                version=version, revision=current.revision
            )
        )
    return 0
