"""The `jiangxin-hub` command: set up, administer and serve a district hub.

    jiangxin-hub init --database URL --admin NAME [--name 单位名称] [--host NAME]...
                      [--cert FILE --key FILE]
    jiangxin-hub user add NAME --role admin|leader|reader [--team TEAM_ID]...
    jiangxin-hub user list | disable NAME | enable NAME | password NAME
    jiangxin-hub device list [--user NAME] | revoke DEVICE_ID
    jiangxin-hub restored
    jiangxin-hub purge --older-than DAYS [--grace-hours HOURS] [--dry-run] [--json]
    jiangxin-hub gc [--grace-hours HOURS] [--dry-run] [--json]
    jiangxin-hub serve [--host HOST] [--port PORT]

Where the hub keeps its configuration (the database URL, the certificate and its key, in
`hub.json`, `hub-cert.pem`, `hub-key.pem`, all readable by the owner only but the
certificate): `--config-dir DIR`, else `$JIANGXIN_HUB_CONFIG_DIR`, else `/etc/jiangxin-hub`
when run as root on Linux, else the user's configuration folder (platformdirs, e.g.
`~/.config/jiangxin-hub`). The database URL: `--database`, else `$JIANGXIN_HUB_DATABASE`, else
the one `init` saved. Passwords: `$JIANGXIN_HUB_PASSWORD` (for scripts), else asked twice.

Conventions of the laptop's `jiangxin` command (desktop_app/cli): a refusal is one sentence on
stderr and exit 1, never a traceback; an internal error is logged and exits 70.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from desktop_app import __version__
from desktop_app.cli.common import print_json, print_table
from desktop_app.core.errors import UserError
from desktop_app.core.fsutil import atomic_writer, writing_to
from desktop_app.core.i18n import SUPPORTED_LANGUAGES, _, pgettext, set_language

if TYPE_CHECKING:
    from desktop_app.hub.accounts import DeviceInfo

PROG = "jiangxin-hub"
CONFIG_DIR_ENV = "JIANGXIN_HUB_CONFIG_DIR"
DATABASE_ENV = "JIANGXIN_HUB_DATABASE"
PASSWORD_ENV = "JIANGXIN_HUB_PASSWORD"
CONFIG_FILE = "hub.json"
CERT_FILE = "hub-cert.pem"
KEY_FILE = "hub-key.pem"
DEFAULT_PORT = 8443


# --- configuration ---------------------------------------------------------------------------


def default_config_dir() -> Path:
    if sys.platform.startswith("linux") and os.geteuid() == 0:
        return Path("/etc/jiangxin-hub")  # a server's service runs as root or its own user
    return Path(platformdirs.user_config_dir("jiangxin-hub", appauthor=False))


@dataclass
class HubConfig:
    """What `init` saves for the other commands: `<config dir>/hub.json`."""

    folder: Path
    database: str | None = None
    cert: Path | None = None
    key: Path | None = None

    @property
    def path(self) -> Path:
        return self.folder / CONFIG_FILE

    @classmethod
    def load(cls, option: str | None) -> HubConfig:
        raw = option or os.environ.get(CONFIG_DIR_ENV)
        folder = Path(raw).expanduser().absolute() if raw else default_config_dir()
        config = cls(folder)
        try:
            data = json.loads(config.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return config
        except (OSError, ValueError) as exc:
            raise UserError(
                _("Cannot read the hub's configuration {path}: {reason}").format(
                    path=config.path, reason=getattr(exc, "strerror", None) or exc
                )
            ) from None
        if not isinstance(data, dict):
            raise UserError(
                _("The hub's configuration {path} is damaged.").format(path=config.path)
            )
        database, cert, key = data.get("database"), data.get("cert"), data.get("key")
        config.database = database if isinstance(database, str) else None
        config.cert = Path(cert) if isinstance(cert, str) else None
        config.key = Path(key) if isinstance(key, str) else None
        return config

    def ensure_folder(self) -> None:
        """Make the folder (owner only: it will hold a private key and perhaps a database
        password), or say in one sentence why it cannot be made."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not os.access(self.folder, os.W_OK | os.X_OK):
                raise PermissionError(13, os.strerror(13), str(self.folder))
        except OSError as exc:
            raise UserError(
                _("Cannot write {path}: {reason}").format(
                    path=self.folder, reason=exc.strerror or exc
                )
            ) from None

    def save(self) -> None:
        data = {
            "database": self.database,
            "cert": str(self.cert) if self.cert else None,
            "key": str(self.key) if self.key else None,
        }
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        # The database URL may carry the database password: owner only (mkstemp's 0600).
        with writing_to(self.path), atomic_writer(self.path) as handle:
            handle.write(text.encode("utf-8"))


def normalise_url(url: str) -> str:
    """PostgreSQL URLs as people write them, for SQLAlchemy with psycopg 3."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url(args: argparse.Namespace, config: HubConfig) -> str:
    url = args.database or os.environ.get(DATABASE_ENV) or config.database
    if not url:
        raise UserError(
            _(
                "Which database? Give --database URL (e.g. postgresql://jiangxin@/jiangxin) or "
                "set {env}."
            ).format(env=DATABASE_ENV)
        )
    return normalise_url(url)


def read_password(purpose: str) -> str:
    """From $JIANGXIN_HUB_PASSWORD, else asked twice on the terminal."""
    from desktop_app.hub.accounts import check_password

    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise UserError(
                _("No terminal to ask for the password: set {env}.").format(env=PASSWORD_ENV)
            )
        password = getpass.getpass(purpose)
        check_password(password)
        if getpass.getpass(_("The same password again: ")) != password:
            raise UserError(_("The two passwords differ; nothing was changed."))
    check_password(password)
    return password


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _open_store(args: argparse.Namespace, config: HubConfig) -> Any:
    from desktop_app.hub.database import HubStore

    return HubStore.open(database_url(args, config))


# --- commands --------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, config: HubConfig) -> int:
    from desktop_app.hub import accounts, tls
    from desktop_app.hub.database import HubStore, migrate_hub
    from desktop_app.hub.principal import ADMIN
    from desktop_app.hub.tables import HubState

    if (args.cert is None) != (args.key is None):
        raise UserError(_("Give both --cert and --key, or neither (a certificate is made)."))
    url = database_url(args, config)
    config.ensure_folder()  # before the database is touched: a mistake costs nothing then
    # A given certificate is checked before anything is written.
    given = None
    if args.cert is not None:
        cert, key = Path(args.cert).absolute(), Path(args.key).absolute()
        given = (cert, key, tls.check_pair(cert, key))

    if migrate_hub(url, name=args.name or ""):
        print(restored_notice())
    store = HubStore.open(url)
    try:
        with store.session() as s:
            admin = accounts.find_user(s, args.admin)
        if admin is None:
            password = read_password(
                _("Password for the administrator {name}: ").format(name=args.admin)
            )
            with store.transaction() as s:
                accounts.create_user(s, args.admin, ADMIN, password)
            print(_("Administrator {name} created.").format(name=args.admin))
        elif admin.role != ADMIN:
            print(
                _("{name} is already a user of the hub ({role}); left as is.").format(
                    name=admin.name, role=admin.role
                )
            )
        else:
            print(_("Administrator {name} already exists.").format(name=admin.name))
        if args.name:
            with store.transaction() as s:
                state = s.get(HubState, 1)
                if state is not None:
                    state.name = args.name
    finally:
        store.close()
    print(_("The hub's database is ready: {url}").format(url=_safe_url(url)))

    if given is not None:
        config.cert, config.key, fp = given
        print(_("Certificate: {path}").format(path=config.cert))
    elif config.cert is not None and config.key is not None and config.cert.exists():
        # Kept on a second init: a new certificate would make every laptop's pin refuse it.
        fp = tls.check_pair(config.cert, config.key)
        print(_("Certificate (kept): {path}").format(path=config.cert))
    else:
        config.cert, config.key = config.folder / CERT_FILE, config.folder / KEY_FILE
        fp = tls.make_self_signed(config.cert, config.key, args.host, organisation=args.name or "")
        print(_("Self-signed certificate made: {path}").format(path=config.cert))
    print(_("Certificate fingerprint (SHA-256): {fp}").format(fp=fp))
    config.database = url
    config.save()
    print(_("Configuration saved in {path}").format(path=config.path))
    return 0


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL was refused before; printing must not fail
        return "…"


def cmd_user(args: argparse.Namespace, config: HubConfig) -> int:
    from desktop_app.hub import accounts

    store = _open_store(args, config)
    try:
        if args.user_command == "add":
            # Check everything but the password first: no prompt for a user that cannot be made.
            with store.session() as s:
                accounts.check_new_user(s, args.name, args.role, args.team)
            password = read_password(_("Password for {name}: ").format(name=args.name))
            with store.transaction() as s:
                accounts.create_user(s, args.name, args.role, password, args.team)
                names = _team_names(s, args.team or [])
            print(_("User {name} added ({role}).").format(name=args.name, role=args.role))
            for team_id in args.team or []:
                if team_id.strip() in names:
                    continue
                print(
                    _(
                        "The team {id} is not on the hub yet: check the id with "
                        "“jiangxin list teams” on the laptop that has it."
                    ).format(id=team_id)
                )
        elif args.user_command == "list":
            with store.session() as s:
                users = accounts.list_users(s)
                names = _team_names(s, [t for u in users for t in u.team_ids])
            if args.json:
                print_json(
                    [
                        {
                            "name": u.name,
                            "role": u.role,
                            "team_ids": list(u.team_ids),
                            "team_names": {t: names[t] for t in u.team_ids if t in names},
                            "created_at": u.created_at.isoformat(),
                            "disabled_at": u.disabled_at.isoformat() if u.disabled_at else None,
                            "devices": u.devices,
                        }
                        for u in users
                    ]
                )
            else:
                print_table(
                    [
                        pgettext("hub user", "Name"),
                        pgettext("hub user", "Role"),
                        _("Teams"),
                        _("Laptops"),
                        _("Disabled"),
                    ],
                    [
                        [
                            u.name,
                            u.role,
                            "、".join(_team_cell(t, names) for t in u.team_ids),
                            str(u.devices),
                            _when(u.disabled_at),
                        ]
                        for u in users
                    ],
                )
        elif args.user_command == "password":
            with store.session() as s:
                if accounts.find_user(s, args.name) is None:
                    raise accounts.AccountError(
                        _("The hub has no user named “{name}”.").format(name=args.name)
                    )
            password = read_password(_("New password for {name}: ").format(name=args.name))
            with store.transaction() as s:
                accounts.set_password(s, args.name, password)
            print(_("Password of {name} changed.").format(name=args.name))
        elif args.user_command == "disable":
            with store.transaction() as s:
                changed = accounts.disable_user(s, args.name)
            print(
                (
                    _("{name} is disabled: no sign-in, and their laptops are disconnected.")
                    if changed
                    else _("{name} was already disabled.")
                ).format(name=args.name)
            )
        elif args.user_command == "enable":
            with store.transaction() as s:
                changed = accounts.enable_user(s, args.name)
            print(
                (
                    _("{name} may sign in again.") if changed else _("{name} was not disabled.")
                ).format(name=args.name)
            )
    finally:
        store.close()
    return 0


def cmd_device(args: argparse.Namespace, config: HubConfig) -> int:
    from desktop_app.hub import accounts

    store = _open_store(args, config)
    try:
        if args.device_command == "list":
            with store.session() as s:
                devices = accounts.list_devices(s, user_name=args.user)
            if args.json:
                print_json(
                    [
                        {
                            "id": d.id,
                            "user": d.user_name,
                            "name": d.name,
                            "created_at": d.created_at.isoformat(),
                            "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None,
                            "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None,
                        }
                        for d in devices
                    ]
                )
            else:
                print_table(
                    [_("Id"), _("User"), _("Laptop"), _("Signed in"), _("Last seen"), _("Revoked")],
                    [
                        [
                            d.id,
                            d.user_name,
                            d.name,
                            _when(d.created_at),
                            _when(d.last_seen_at),
                            _when(d.revoked_at),
                        ]
                        for d in devices
                    ],
                )
        elif args.device_command == "revoke":
            with store.transaction() as s:
                device_id = _device_id(accounts.list_devices(s), args.device_id)
                changed = accounts.revoke_device(s, device_id)
            print(
                (
                    _("Laptop {id} is disconnected from the hub.")
                    if changed
                    else _("Laptop {id} was already disconnected.")
                ).format(id=device_id)
            )
    finally:
        store.close()
    return 0


def _team_names(s: Any, team_ids: list[str]) -> dict[str, str]:
    """The names of the teams the hub holds, by id: `user list` shows a leader's teams by
    name (the union office does not read UUIDs), `user add` warns about an id it lacks."""
    from sqlalchemy import select

    from desktop_app.storage.models import ServiceTeam

    wanted = sorted({t.strip() for t in team_ids if t.strip()})
    if not wanted:
        return {}
    rows = s.execute(
        select(ServiceTeam.id, ServiceTeam.name).where(
            ServiceTeam.id.in_(wanted), ServiceTeam.deleted_at.is_(None)
        )
    )
    return {str(team_id): str(name) for team_id, name in rows}


def _team_cell(team_id: str, names: dict[str, str]) -> str:
    name = names.get(team_id)
    if name is None:  # not published yet: the whole id, to compare with a laptop's list
        return _("{id} (not on the hub yet)").format(id=team_id)
    return f"{name} ({team_id[:8]})"


def _device_id(devices: list[DeviceInfo], given: str) -> str:
    """The laptop whose id starts with what the administrator typed: `device list` prints
    36-character ids, and the start of one is what a person copies (as `jiangxin conflicts
    resolve` takes). A start shared by several laptops is refused, naming them."""
    from desktop_app.hub import accounts

    start = given.strip().lower()
    if not start:
        return given
    found = [d for d in devices if d.id.lower().startswith(start)]
    if len(found) > 1:
        raise accounts.AccountError(
            _("Several laptops have an id that starts with “{start}”: {ids}. Type more of it.")
            .format(start=given.strip(), ids=", ".join(f"{d.id} ({d.user_name})" for d in found))
        )  # fmt: skip
    return found[0].id if found else given


def restored_notice() -> str:
    return _(
        "The hub's database was restored from a backup (or copied): laptops that synced "
        "since will start over at their next sync and send back what the hub lacks."
    )


def cmd_restored(args: argparse.Namespace, config: HubConfig) -> int:
    """After restoring a backup in a way the hub cannot notice by itself (a point-in-time
    recovery, `pg_restore --clean` into the same database): a new epoch, so every laptop
    starts over instead of trusting what it believes the hub holds."""
    from desktop_app.hub.database import new_epoch

    store = _open_store(args, config)
    try:
        with store.transaction() as s:
            new_epoch(s)
    finally:
        store.close()
    print(restored_notice())
    return 0


def cmd_purge(args: argparse.Namespace, config: HubConfig) -> int:
    """`purge` (old deletions, superseded versions and unused photo files) and `gc` (photo
    files only); `--dry-run` runs the same and rolls back."""
    from desktop_app.hub import purge
    from desktop_app.services.labels import KIND_NAMES
    from desktop_app.storage.kinds import KIND_ORDER

    days = getattr(args, "older_than", None)
    purge.check_limits(days, args.grace_hours)  # refused before the database is opened
    store = _open_store(args, config)
    try:
        report = purge.purge(store, days, grace_hours=args.grace_hours, dry_run=args.dry_run)
    finally:
        store.close()
    if args.json:
        print_json(report.to_json())
        return 0
    print(
        _("Dry run: nothing was changed. A real run would remove:")
        if report.dry_run
        else _("Removed:")
    )
    if report.cutoff is not None:
        total = sum(report.deleted_records.values())
        print(_("  records deleted before {when}: {n}").format(when=_when(report.cutoff), n=total))
        for kind in KIND_ORDER:
            if report.deleted_records.get(kind):
                print(f"    {_(KIND_NAMES[kind])}: {report.deleted_records[kind]}")
        print(_("  earlier versions replaced before then: {n}").format(n=report.history_versions))
    print(
        _("  photo files nothing uses, stored before {when}: {n} ({mib:.1f} MiB)").format(
            when=_when(report.grace_cutoff), n=report.blobs, mib=report.blob_bytes / 1048576
        )
    )
    if report.kept_referenced:
        print(
            _("Old deletions kept because other records still refer to them: {n}").format(
                n=report.kept_referenced
            )
        )
    if report.kept_in_conflict:
        print(
            _("Old deletions kept because of an open conflict: {n}").format(
                n=report.kept_in_conflict
            )
        )
    if report.cutoff is not None and any(report.deleted_records.values()):
        print(
            _(
                "Laptops that last synced before change {v} will sync from the beginning "
                "(they lose nothing)."
            ).format(v=report.horizon)
        )
    return 0


def cmd_serve(args: argparse.Namespace, config: HubConfig) -> int:
    from desktop_app.hub import tls

    if config.cert is None or config.key is None:
        raise UserError(
            _("The hub has no certificate in {folder}: run “jiangxin-hub init” first.").format(
                folder=config.folder
            )
        )
    fp = tls.check_pair(config.cert, config.key)
    store = _open_store(args, config)
    try:
        import uvicorn

        from desktop_app.hub.app import create_app  # the sync service (imports Starlette)

        app = create_app(store)
        print(
            _("Hub serving on https://{host}:{port} (certificate fingerprint {fp}).").format(
                host=args.host, port=args.port, fp=fp
            ),
            flush=True,
        )
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            ssl_certfile=str(config.cert),
            ssl_keyfile=str(config.key),
            log_level="info",
            # Behind a reverse proxy the client address comes from X-Forwarded-For (rate
            # limiting records it); uvicorn trusts that only from 127.0.0.1 by default.
            proxy_headers=True,
        )
    finally:
        store.close()
    return 0


# --- parser ----------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="URL",
        default=argparse.SUPPRESS,
        help=_("PostgreSQL database URL (default: ${env} or the one init saved)").format(
            env=DATABASE_ENV
        ),
    )
    parser.add_argument(
        "--config-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help=_("folder of the hub's configuration and certificate (default: ${env})").format(
            env=CONFIG_DIR_ENV
        ),
    )


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _common(common)
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        description=_("The district hub of 匠心课堂 (Jiangxin): laptops sync through it."),
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--lang", choices=SUPPORTED_LANGUAGES, help=_("language of messages"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = sub.add_parser(
        "init",
        parents=[common],
        help=_("create or upgrade the hub's database, its first administrator and certificate"),
    )
    init.add_argument("--admin", required=True, metavar="NAME", help=_("the administrator"))
    init.add_argument("--name", help=_("the union's name, e.g. 丰台区总工会"))
    init.add_argument("--cert", metavar="FILE", help=_("a real certificate (PEM)"))
    init.add_argument("--key", metavar="FILE", help=_("its private key (PEM)"))
    init.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="NAME",
        help=_("a host name or IP address laptops use to reach the hub (repeatable)"),
    )
    init.set_defaults(handler=cmd_init)

    user = sub.add_parser("user", parents=[common], help=_("the hub's users"))
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", parents=[common], help=_("add a user"))
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, help="admin | leader | reader")
    add.add_argument(
        "--team",
        action="append",
        default=[],
        metavar="TEAM_ID",
        help=_("a team the leader leads (repeatable)"),
    )
    listing = user_sub.add_parser("list", parents=[common], help=_("list the users"))
    listing.add_argument("--json", action="store_true", help=_("print JSON"))
    for action, text in (
        ("disable", _("disable a user and disconnect their laptops")),
        ("enable", _("let a disabled user sign in again")),
        ("password", _("set a user's password")),
    ):
        user_sub.add_parser(action, parents=[common], help=text).add_argument(
            "name", metavar="NAME"
        )
    user.set_defaults(handler=cmd_user)

    device = sub.add_parser("device", parents=[common], help=_("laptops signed in to the hub"))
    device_sub = device.add_subparsers(dest="device_command", metavar="ACTION", required=True)
    dlist = device_sub.add_parser("list", parents=[common], help=_("list the laptops"))
    dlist.add_argument("--user", metavar="NAME", help=_("only this user's laptops"))
    dlist.add_argument("--json", action="store_true", help=_("print JSON"))
    revoke = device_sub.add_parser(
        "revoke", parents=[common], help=_("disconnect a laptop from the hub")
    )
    revoke.add_argument("device_id", metavar="DEVICE_ID")
    device.set_defaults(handler=cmd_device)

    restored = sub.add_parser(
        "restored",
        parents=[common],
        help=_("after restoring a backup: every laptop starts over at its next sync"),
    )
    restored.set_defaults(handler=cmd_restored)

    purge_parser = sub.add_parser(
        "purge",
        parents=[common],
        help=_("remove old deletions, earlier versions and unused photo files"),
    )
    purge_parser.add_argument(
        "--older-than",
        type=int,
        required=True,
        metavar="DAYS",
        help=_("only what was deleted or replaced more than DAYS days ago"),
    )
    gc_parser = sub.add_parser(
        "gc", parents=[common], help=_("remove photo files that no record uses")
    )
    for p in (purge_parser, gc_parser):
        p.add_argument(
            "--grace-hours",
            type=float,
            default=48.0,
            metavar="HOURS",
            help=_("keep unused photo files stored less than HOURS hours ago (default 48)"),
        )
        p.add_argument("--dry-run", action="store_true", help=_("only print what would be removed"))
        p.add_argument("--json", action="store_true", help=_("print JSON"))
        p.set_defaults(handler=cmd_purge)

    serve = sub.add_parser("serve", parents=[common], help=_("serve laptops over HTTPS"))
    serve.add_argument("--host", default="0.0.0.0", help=_("address to listen on"))
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=_("port to listen on"))
    serve.set_defaults(handler=cmd_serve)
    return parser


def _database_sentence(exc: BaseException) -> str:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return _("Cannot use the hub's database: {reason}").format(
        reason=reason[0] if reason else type(exc).__name__
    )


def _early_language(argv: Sequence[str]) -> str | None:
    """--lang must apply before the parser builds its (translated) help texts."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def fail(message: str, code: int = 1) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    from sqlalchemy.exc import ArgumentError, DBAPIError

    args_list = list(sys.argv[1:] if argv is None else argv)
    lang = _early_language(args_list)
    set_language(lang if lang in SUPPORTED_LANGUAGES else None)
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help()
        return 0
    args.database = getattr(args, "database", None)
    try:
        config = HubConfig.load(getattr(args, "config_dir", None))
        return int(args.handler(args, config))
    except UserError as exc:
        return fail(str(exc), exc.exit_code)
    except (DBAPIError, ArgumentError) as exc:
        return fail(_database_sentence(exc))
    except KeyboardInterrupt:
        return fail(_("Interrupted."), 130)
    except Exception as exc:
        from desktop_app.core.crashlog import log_internal_error

        log_path = log_internal_error(exc)
        return fail(_("Internal error; details are in {path}").format(path=log_path), 70)
    finally:
        logging.shutdown()


if __name__ == "__main__":
    raise SystemExit(main())
