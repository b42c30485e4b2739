"""`make hub`: a throw-away district hub on this machine, to try syncing a laptop with it.

Starts a temporary PostgreSQL cluster (the recipe of tests/pgserver.py and
../shared/design/HUB.md §3: a Unix socket in a temporary folder, no TCP port, fsync off), runs
`jiangxin-hub init` with a demo administrator (`admin`, a random password printed below),
prints how to connect a laptop, and serves on https://127.0.0.1:8443 until Ctrl+C; then the
cluster and everything in the temporary folder are removed. Nothing here is for a real
deployment: see docs/hub-deploy.md.

    python packaging/tools/devhub.py [--port 8443] [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[2]
FINGERPRINT = re.compile(r"(?:[0-9A-F]{2}:){31}[0-9A-F]{2}")


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's programs (Debian: /usr/lib/postgresql/<N>/bin)."""
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return None
    found = [p / "bin" for p in root.iterdir() if (p / "bin" / "initdb").is_file()]
    found.sort(key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()])
    return found[-1] if found else None


def as_user(user: str, args: list[str]) -> list[str]:
    if user == pwd.getpwuid(os.getuid()).pw_name:
        return args
    return ["runuser", "-u", user, "--", *args]


def hub_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "desktop_app.hub.cli", "--lang", "en", *args]


def stop_on_sigterm() -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def stop(serve: subprocess.Popen[bytes]) -> None:
    """Let the hub finish: Ctrl+C in the terminal reached it too; a SIGTERM did not."""
    for action in (None, signal.SIGINT, signal.SIGKILL):
        if action is not None and serve.poll() is None:
            serve.send_signal(action)  # uvicorn shuts down cleanly on SIGINT
        try:
            serve.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    args = parser.parse_args()

    programs = bin_dir()
    if programs is None:
        print("PostgreSQL is not installed: run `make system-deps` (Debian package postgresql).")
        return 1
    stop_on_sigterm()
    # initdb refuses to run as root: the cluster then belongs to the postgres user.
    user = "postgres" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
    base = Path(tempfile.mkdtemp(prefix="jiangxin-devhub-"))
    data, sock, log, config = base / "data", base / "sock", base / "postgres.log", base / "hub"
    sock.mkdir()
    if user != pwd.getpwuid(os.getuid()).pw_name:
        shutil.chown(base, user)
        shutil.chown(sock, user)
    started = False
    try:
        print(f"Starting a throw-away PostgreSQL cluster in {base} …", flush=True)
        subprocess.run(
            as_user(user, [str(programs / "initdb"), "-D", str(data), "-A", "trust",
                           "-U", "postgres", "--no-sync", "-E", "UTF8"]),
            check=True, capture_output=True,
        )  # fmt: skip
        options = f"-k {sock} -c listen_addresses='' -c fsync=off"
        subprocess.run(
            as_user(user, [str(programs / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                           "-o", options, "start"]),
            check=True, capture_output=True,
        )  # fmt: skip
        started = True
        subprocess.run(
            as_user(user, [str(programs / "createdb"), "-h", str(sock), "-U", "postgres",
                           "jiangxin_hub"]),
            check=True, capture_output=True,
        )  # fmt: skip
        url = f"postgresql+psycopg://postgres@/jiangxin_hub?host={sock}"
        password = secrets.token_urlsafe(9)
        env = {**os.environ, "JIANGXIN_HUB_PASSWORD": password, "JIANGXIN_HUB_DATABASE": url,
               "JIANGXIN_HUB_CONFIG_DIR": str(config)}  # fmt: skip
        init = subprocess.run(
            hub_command("init", "--admin", "admin", "--name", "演示区总工会", "--host", args.host),
            env=env, cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        if init.returncode != 0:
            print(init.stdout + init.stderr, end="")
            return 1
        match = FINGERPRINT.search(init.stdout)
        fingerprint = match.group(0) if match else "?"
        address = f"https://{args.host}:{args.port}"
        script = Path(sys.executable).parent / "jiangxin-hub"
        admin_command = str(script)
        if not script.exists():
            admin_command = f"cd {ROOT} && {sys.executable} -m desktop_app.hub.cli"
        print(
            f"""
A demo hub is starting on {address}
  administrator: admin   password: {password}
  certificate fingerprint (SHA-256): {fingerprint}

Connect a laptop (in another terminal):
  JIANGXIN_HUB_PASSWORD='{password}' jiangxin hub connect {address} --user admin \\
      --fingerprint {fingerprint}
  jiangxin hub sync

Administer it while it runs:
  export JIANGXIN_HUB_CONFIG_DIR={config}
  {admin_command} user list

Ctrl+C stops the hub and deletes its database.
""",
            flush=True,
        )
        serve = subprocess.Popen(
            hub_command("serve", "--host", args.host, "--port", str(args.port)), env=env, cwd=ROOT
        )
        try:
            return serve.wait()
        except KeyboardInterrupt:
            stop(serve)
            return 0
    except subprocess.CalledProcessError as exc:
        reason = (exc.stderr or b"").decode(errors="replace").strip()
        print(f"Could not start PostgreSQL: {reason or exc}")
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        if started:
            subprocess.run(
                as_user(user, [str(programs / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                capture_output=True, check=False,
            )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)
        print("The demo hub is stopped and its database deleted.")


if __name__ == "__main__":
    raise SystemExit(main())
