"""Smoke test of the built one-folder program (run by `make package`).

    python3 packaging/smoke_test.py [dist/jiangxin]

Runs with the system's Python (standard library only), never the venv's. Every run of the
built program gets an empty environment (`PATH=/usr/bin:/bin`, a temporary HOME, no
PYTHONPATH, no virtualenv), so it proves that the program carries its own Python, Qt, fonts,
translations and migrations. It checks, in order:

1. `--version` prints the version of pyproject.toml;
2. `init --demo` into a temporary folder, then `check` finds it sound;
3. `list guides --json` lists the demo guides, in pinyin order (pypinyin's data is bundled);
4. `handout guide ID -o x.pdf` writes a PDF whose fonts `pdffonts` shows embedded and whose
   text (`pdftotext`) has the guide's Chinese title; camera photos (HEIC, JPEG) import into a
   session, export, and print in its report (when ../shared/testdata is beside the repo);
5. the main window opens offscreen, paints and closes cleanly (JIANGXIN_QUIT_AFTER_SHOWN,
   see desktop_app/app.py), and, when `xvfb-run` exists, on a virtual X11 display too;
6. without `--library`, the library goes to the platform data folder under HOME, and with a
   `library` folder beside the program (a USB stick) it goes there instead; the folder's
   install-desktop-entry.sh adds a valid menu entry pointing at the program;
7. the folder has no symbolic links (FAT/exFAT sticks) and every bundled library still finds
   its bundled dependencies.

Screenshots of the window are kept in build/smoke/. Exit code 0 when everything passed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "smoke"
TESTDATA = ROOT.parent / "shared" / "testdata" / "photos"  # beside the repository, as in CI
PHOTOS = ["arrow.heic", "Canon_40D.jpg"]
TIMEOUT = 180  # seconds for one run of the program (first start of a cold build is slow)


class SmokeFailure(Exception):
    pass


class SkipStep(Exception):
    pass


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """No venv, no Python packages, no user settings: what a fresh machine has."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def run(
    exe: Path, args: list[str], home: Path, *, expect: int = 0, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    proc = subprocess.run(
        [str(exe), *args],
        env=clean_env(home, **(extra or {})),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    took = time.monotonic() - started
    print(f"  $ jiangxin {' '.join(args)}  -> exit {proc.returncode} ({took:.1f} s)")
    if proc.returncode != expect:
        raise SmokeFailure(
            f"`jiangxin {' '.join(args)}` exited {proc.returncode}, expected {expect}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


def project_version() -> str:
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
    if not match:
        raise SmokeFailure("no version in pyproject.toml")
    return match.group(1)


def check_version(exe: Path, home: Path) -> None:
    out = run(exe, ["--version"], home).stdout.strip()
    expected = f"jiangxin {project_version()}"
    if out != expected:
        raise SmokeFailure(f"--version printed {out!r}, expected {expected!r}")
    print(f"  {out}")


def check_demo_library(exe: Path, home: Path, library: Path) -> list[dict[str, object]]:
    run(exe, ["--library", str(library), "init", "--demo"], home)
    run(exe, ["--library", str(library), "check"], home)
    out = run(exe, ["--library", str(library), "list", "guides", "--json"], home).stdout
    guides = json.loads(out)
    if not isinstance(guides, list) or len(guides) < 1:
        raise SmokeFailure(f"list guides --json gave no guides: {out[:300]}")
    print(f"  {len(guides)} guides: " + ", ".join(str(g.get("title", "?")) for g in guides))
    titles = [str(g.get("title", "")) for g in guides]
    # Pinyin order (guan, hua, yu, yue) needs pypinyin's dictionaries inside the bundle.
    if titles[:2] != ["管氏肿腿蜂防治光肩星天牛", "花后修剪"]:
        raise SmokeFailure(f"guides are not in pinyin order: {titles}")
    return guides


def has_command(exe: Path, home: Path, command: str) -> bool:
    help_text = run(exe, ["--lang", "en", "--help"], home).stdout
    return re.search(rf"\b{command}\b", help_text) is not None


def check_handout(exe: Path, home: Path, library: Path, guide: dict[str, object]) -> None:
    pdf = library.parent / "guide.pdf"
    args = ["--library", str(library), "handout", "guide", str(guide["id"])]
    run(exe, [*args, "-o", str(pdf), "--force"], home)
    if not pdf.is_file() or pdf.stat().st_size < 1000:
        raise SmokeFailure("the handout PDF was not written")
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    rows = fonts.splitlines()[2:]
    if not rows:
        raise SmokeFailure(f"pdffonts lists no fonts:\n{fonts}")
    for row in rows:
        # columns: name type encoding emb sub uni object ID; emb is 4th from the right
        if row.split()[-5] != "yes":
            raise SmokeFailure(f"a font is not embedded:\n{fonts}")
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    title = str(guide.get("title", ""))
    if title and title not in text.replace("\n", ""):
        raise SmokeFailure(f"the handout's text lacks the guide title {title!r}")
    names = sorted({row.split()[0].split("+")[-1] for row in rows})
    print(f"  {pdf.stat().st_size // 1024} KB, {len(rows)} fonts all embedded ({', '.join(names)})")


def check_photos(exe: Path, home: Path, library: Path) -> None:
    """Camera photos (HEIC through the bundled pillow-heif, JPEG with EXIF rotation) go into a
    session, come out as upright JPEGs, and print in the session report."""
    if not TESTDATA.is_dir():
        raise SkipStep(f"no test photos at {TESTDATA}")
    lib = ["--library", str(library)]
    sessions = json.loads(run(exe, [*lib, "list", "sessions", "--json"], home).stdout)
    session = str(sessions[0]["id"])
    files = [str(TESTDATA / name) for name in PHOTOS]
    out = run(exe, [*lib, "photos", "import", "--session", session, "--json", *files], home)
    statuses = [item["status"] for item in json.loads(out.stdout)]
    if statuses != ["imported"] * len(PHOTOS):
        raise SmokeFailure(f"photo import gave {statuses}")
    exported = library.parent / "exported"
    run(exe, [*lib, "photos", "export", "--session", session, "-o", str(exported)], home)
    jpegs = list(exported.rglob("*.jpg"))
    if len(jpegs) < len(PHOTOS):
        raise SmokeFailure(f"photo export wrote {len(jpegs)} JPEGs for {len(PHOTOS)} photos")
    pdf = library.parent / "session.pdf"
    run(exe, [*lib, "handout", "session", session, "-o", str(pdf)], home)
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    count = len(images.stdout.splitlines()[2:]) if images.returncode == 0 else -1
    if 0 <= count < len(PHOTOS):
        raise SmokeFailure(f"the session report shows {count} images, expected {len(PHOTOS)}+")
    print(f"  {len(PHOTOS)} photos imported (HEIC, JPEG), exported, {count} images in the report")


def check_libraries(dist: Path) -> None:
    """The folder holds no symbolic links (FAT/exFAT USB sticks cannot store them; the spec
    removes PyInstaller's), and every bundled library still finds the bundled libraries it
    needs: through its RUNPATH or in _internal/, where the program's loader path points."""
    links = [p for p in dist.rglob("*") if p.is_symlink()]
    if links:
        raise SmokeFailure(f"symbolic links in the folder: {links[:5]}")
    if not shutil.which("readelf"):
        raise SkipStep("readelf (binutils) is not installed")
    internal = dist / "_internal"
    libraries = [p for p in internal.rglob("*.so*") if p.is_file()]
    bundled = {p.name for p in libraries}
    missing = []
    for lib in libraries:
        dynamic = subprocess.run(
            ["readelf", "-d", str(lib)], capture_output=True, text=True, check=False
        ).stdout
        search = [internal]
        for runpath in re.findall(r"\((?:RUNPATH|RPATH)\).*\[(.+?)\]", dynamic):
            search += [Path(d.replace("$ORIGIN", str(lib.parent))) for d in runpath.split(":")]
        for needed in re.findall(r"\(NEEDED\).*\[(.+?)\]", dynamic):
            if needed in bundled and not any((d / needed).is_file() for d in search):
                missing.append(f"{lib.relative_to(internal)} -> {needed}")
    if missing:
        raise SmokeFailure(
            "libraries that cannot find their bundled dependencies:\n" + "\n".join(missing)
        )
    print(f"  no links; {len(libraries)} libraries find their bundled dependencies")


def check_window(exe: Path, home: Path, library: Path, platform: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"window-{platform}.png"
    shot.unlink(missing_ok=True)
    extra = {"JIANGXIN_QUIT_AFTER_SHOWN": str(shot), "QT_QPA_PLATFORM": platform}
    args = ["--library", str(library), "--lang", "zh_CN"]
    if platform == "xcb":
        # xvfb-run starts the display and sets DISPLAY/XAUTHORITY; `env -i` then empties the
        # environment again for the program itself.
        env_args = [f"{k}={v}" for k, v in clean_env(home, **extra).items()]
        command = 'exec env -i DISPLAY="$DISPLAY" XAUTHORITY="$XAUTHORITY" "$@"'
        started = time.monotonic()
        proc = subprocess.run(
            ["xvfb-run", "-a", "sh", "-c", command, "sh", *env_args, str(exe), *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        print(
            f"  $ xvfb-run jiangxin {' '.join(args)}  -> exit {proc.returncode} "
            f"({time.monotonic() - started:.1f} s)"
        )
        if proc.returncode != 0:
            raise SmokeFailure(f"the window on X11 exited {proc.returncode}:\n{proc.stderr}")
    else:
        proc = run(exe, args, home, extra=extra)
    if not shot.is_file() or shot.stat().st_size < 5000:
        raise SmokeFailure(f"no screenshot of the window ({platform}):\n{proc.stderr}")
    # Closed cleanly: the library is released and sound (a writing command would be refused
    # while the window still held it).
    run(exe, ["--library", str(library), "check", "--quick"], home)
    print(f"  window painted and closed; screenshot {shot.relative_to(ROOT)}")


def check_default_location(dist: Path, tmp: Path) -> None:
    """Without --library: the platform's data folder (XDG on Linux), not next to the program."""
    home = tmp / "home-default"
    home.mkdir()
    run(dist / "jiangxin", ["init"], home)
    data = home / ".local" / "share" / "Jiangxin" / "library" / "library.sqlite3"
    if not data.is_file():
        raise SmokeFailure(f"without --library the library is not in {data.parent}")
    if (dist / "library").exists():
        raise SmokeFailure("the library was created next to the program")
    print(f"  default library: {data.parent.relative_to(home)} under HOME")


def check_portable_location(dist: Path, tmp: Path) -> None:
    """A `library` folder beside the program (as on a USB stick) is used instead."""
    stick = tmp / "U盘 stick"  # a space and Chinese in the path, as on a real stick
    shutil.copytree(dist, stick / "jiangxin", symlinks=True)
    (stick / "jiangxin" / "library").mkdir()
    home = tmp / "home-portable"
    home.mkdir()
    run(stick / "jiangxin" / "jiangxin", ["init", "--demo"], home)
    if not (stick / "jiangxin" / "library" / "library.sqlite3").is_file():
        raise SmokeFailure("the portable library folder next to the program was not used")
    if (home / ".local" / "share" / "Jiangxin" / "library").exists():
        raise SmokeFailure("with a portable library the data folder was used anyway")
    print("  portable library: library/ next to the program")


def check_desktop_entry(dist: Path, tmp: Path) -> None:
    """install-desktop-entry.sh (Linux) points the menu entry at wherever the folder is."""
    folder = tmp / "应用 folder" / "jiangxin"
    shutil.copytree(dist, folder, symlinks=True)
    home = tmp / "home-menu"
    home.mkdir()
    script = folder / "install-desktop-entry.sh"
    subprocess.run(["sh", str(script)], env=clean_env(home), check=True, capture_output=True)
    entry = home / ".local/share/applications/cn.jiangxin.Jiangxin.desktop"
    exec_line = f'Exec="{folder / "jiangxin"}"'
    if exec_line not in entry.read_text("utf-8").splitlines():
        raise SmokeFailure(f"the installed menu entry lacks {exec_line}")
    icon = home / ".local/share/icons/hicolor/256x256/apps/cn.jiangxin.Jiangxin.png"
    if not icon.is_file():
        raise SmokeFailure("install-desktop-entry.sh installed no icon")
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(entry)], check=True)
    print("  install-desktop-entry.sh: menu entry and icons under ~/.local/share")


def main() -> int:
    dist = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "dist" / "jiangxin").absolute()
    exe = dist / "jiangxin"
    if not exe.is_file():
        print(f"smoke test: no built program at {exe} (run `make package`)", file=sys.stderr)
        return 1
    started = time.monotonic()
    passed, skipped = 0, []
    with tempfile.TemporaryDirectory(prefix="jiangxin-smoke-") as tmp_name:
        tmp = Path(tmp_name)
        home = tmp / "home"
        home.mkdir()
        library = tmp / "demo-library"
        guides: list[dict[str, object]] = []

        def handout() -> None:
            if not has_command(exe, home, "handout"):
                raise SkipStep("this build has no `handout` command")
            check_handout(exe, home, library, guides[0])

        def window_x11() -> None:
            if not shutil.which("xvfb-run"):
                raise SkipStep("xvfb-run is not installed")
            check_window(exe, home, library, "xcb")

        steps: list[tuple[str, Callable[[], object]]] = [
            ("--version", lambda: check_version(exe, home)),
            (
                "demo library: init, check, list",
                lambda: guides.extend(check_demo_library(exe, home, library)),
            ),
            ("guide handout PDF", handout),
            (
                "photos: HEIC and JPEG import, export, session report",
                lambda: check_photos(exe, home, library),
            ),
            ("main window, offscreen", lambda: check_window(exe, home, library, "offscreen")),
            ("main window, X11 (xvfb)", window_x11),
            ("library in the platform data folder", lambda: check_default_location(dist, tmp)),
            ("portable library beside the program", lambda: check_portable_location(dist, tmp)),
            ("Linux menu entry", lambda: check_desktop_entry(dist, tmp)),
            ("no links; bundled libraries resolve", lambda: check_libraries(dist)),
        ]
        for number, (title, step) in enumerate(steps, 1):
            print(f"{number}. {title}")
            try:
                step()
            except SkipStep as exc:
                skipped.append(f"{title}: {exc}")
                print(f"  SKIPPED: {exc}")
                continue
            except (SmokeFailure, subprocess.SubprocessError, OSError) as exc:
                print(f"SMOKE TEST FAILED at {title}: {exc}", file=sys.stderr)
                for log in tmp.rglob("jiangxin.log"):  # internal errors leave a traceback here
                    print(f"--- {log.name}:\n{log.read_text('utf-8')[-4000:]}", file=sys.stderr)
                print(f"smoke: {passed} passed, 1 failed")
                return 1
            passed += 1
    for note in skipped:
        print(f"skipped: {note}")
    print(f"smoke test of {dist} took {time.monotonic() - started:.0f} s")
    # The plain closing line CI logs read, like a test runner's.
    print(f"smoke: {passed} passed, 0 failed" + (f", {len(skipped)} skipped" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
