"""A throw-away PostgreSQL cluster for the tests, on a Unix socket in a temporary folder.

Started once per test run (initdb ~0.6 s, start ~0.1 s; `../shared/design/HUB.md`) with fsync
off, listening on no TCP port. Under `CI=true` a missing PostgreSQL fails the tests that need
it instead of skipping them: CI installs the Debian package (`make system-deps`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def _bin_dir() -> Path | None:
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return None
    versions = sorted(
        (p for p in root.iterdir() if (p / "bin" / "initdb").is_file()),
        key=lambda p: [int(x) for x in p.name.split(".") if x.isdigit()],
    )
    return versions[-1] / "bin" if versions else None


@dataclass
class Cluster:
    socket_dir: Path
    process_user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}"

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(
            host=str(self.socket_dir), user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _run_as(user: str, args: list[str]) -> None:
    command = args if user == _current_user() else ["runuser", "-u", user, "--", *args]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def _current_user() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is needed under CI=true: {reason}")
    pytest.skip(reason)


def start_cluster() -> Iterator[Cluster]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        unavailable("PostgreSQL is not installed (Debian package postgresql)")
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed")
        return
    # initdb refuses to run as root: the cluster belongs to the postgres user then.
    user = "postgres" if os.getuid() == 0 else _current_user()
    base = Path(tempfile.mkdtemp(prefix="jiangxin-pg-"))
    data, socket_dir, log = base / "data", base / "sock", base / "log"
    socket_dir.mkdir()
    if user != _current_user():
        shutil.chown(base, user)
        shutil.chown(socket_dir, user)
    try:
        # The locale is named, not inherited: a test may have set LANG to one this machine
        # lacks (tests/conftest.py sets en_US.UTF-8) by the time the cluster is first needed.
        _run_as(user, [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust",
                       "-U", "postgres", "--no-sync", "-E", "UTF8",
                       "--locale=C.UTF-8"])  # fmt: skip
        options = f"-k {socket_dir} -c listen_addresses='' -c fsync=off -c max_connections=120"
        _run_as(user, [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                       "-o", options, "start"])  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(base, ignore_errors=True)
        unavailable(f"could not start a PostgreSQL cluster: {exc}")
        return
    try:
        yield Cluster(socket_dir=socket_dir, process_user=user)
    finally:
        subprocess.run(
            ["runuser", "-u", user, "--", str(bin_dir / "pg_ctl"), "-D", str(data),
             "-m", "immediate", "stop"] if user != _current_user()
            else [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)
