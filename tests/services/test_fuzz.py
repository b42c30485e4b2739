"""Fuzzing the pack reader and restore (issue 13): with hypothesis, mutated bytes of real packs
and backups and structured hostile JSON inside otherwise valid packs; with atheris (libFuzzer,
coverage-guided), mutations of a real pack and backup that reach new branches of the reader
and of restore (tests/services/atheris_harness.py).

What must hold for every input: the only exceptions that escape are `UserError`s (one
sentence, never a traceback), and a refused import or restore writes nothing: the library's
records and files are as before, and a refused restore leaves no folder behind.

The default run is bounded (about half a minute on the CI machines). For a longer campaign,
before a release:

    JIANGXIN_FUZZ_SCALE=50 python -m pytest -q tests/services/test_fuzz.py

multiplies every test's number of examples and atheris' seconds (failures found are kept in
hypothesis' example database under .hypothesis/, and replayed first next time).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.core.errors import UserError
from desktop_app.services import packs
from desktop_app.services.backup import create_backup, restore_backup
from desktop_app.services.integrity import check_library
from desktop_app.services.pack_format import read_pack
from desktop_app.storage.library import Library
from tests.services.packkit import illustrate, library_state, read_members, write_pack

SCALE = max(1, int(os.environ.get("JIANGXIN_FUZZ_SCALE", "1")))


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=SCALE == 1,  # the default run is the same on every machine
        database=None if SCALE == 1 else settings.default.database,
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A real pack and a real backup of an illustrated demo library, and an empty library."""
    from desktop_app.services.demo import fill_demo

    root = tmp_path_factory.mktemp("fuzz")
    with Library.create(root / "demo") as library:
        fill_demo(library)
        illustrate(library)
        pack = packs.export_pack(library, root / "demo.jxpack").path
        backup = create_backup(library, root / "demo-backup.zip").path
    empty = root / "empty"
    Library.create(empty).close()
    (empty / "library.lock").unlink(missing_ok=True)
    yield {
        "pack": pack.read_bytes(),
        "pack_members": read_members(pack),
        "backup": backup.read_bytes(),
        "empty": empty,
    }


def _structure_offsets(data: bytes) -> list[int]:
    """Where the zip's headers are: flips there reach the parser, not only the payload."""
    offsets = []
    for signature in (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"):
        at = data.find(signature)
        while at != -1:
            offsets.extend(range(at, min(at + 46, len(data))))
            at = data.find(signature, at + 4)
    return offsets


class Case:
    """A generated input with a short description as its repr (hypothesis prints it)."""

    def __init__(self, description: str, value: Any) -> None:
        self.description = description
        self.value = value

    def __repr__(self) -> str:
        return self.description


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> Case:
    steps: list[str] = []
    out = _mutate(draw, data, steps)
    return Case("; ".join(steps), out)


def _mutate(draw: st.DrawFn, data: bytes, steps: list[str]) -> bytes:
    """The bytes with a few flips (mostly in headers), a truncation or a spliced run."""
    out = bytearray(data)
    structure = _structure_offsets(data)
    how = draw(st.sampled_from(["flip", "flip", "flip", "truncate", "splice"]))
    if how == "truncate":
        end = draw(st.integers(0, len(out) - 1))
        steps.append(f"truncate at {end}")
        return bytes(out[:end])
    if how == "splice":
        start = draw(st.integers(0, len(out) - 1))
        run = draw(st.binary(min_size=1, max_size=64))
        out[start : start + len(run)] = run
        steps.append(f"splice {run!r} at {start}")
        return bytes(out)
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            at = draw(st.sampled_from(structure))
        else:
            at = draw(st.integers(0, len(out) - 1))
        xor = draw(st.integers(1, 255))
        out[at] ^= xor
        steps.append(f"flip {at} ^ {xor}")
    return bytes(out)


def _scratch_library(template: Path) -> tuple[Path, Library]:
    folder = Path(tempfile.mkdtemp(prefix="jiangxin-fuzz-"))
    shutil.copytree(template, folder / "lib")
    return folder, Library.open(folder / "lib")


def _import_or_refuse(template: Path, pack_bytes: bytes) -> None:
    folder, library = _scratch_library(template)
    try:
        pack = folder / "fuzzed.jxpack"
        pack.write_bytes(pack_bytes)
        before = library_state(library)
        refused_preview = refused_import = False
        try:
            packs.preview_import(library, pack)
        except UserError as exc:
            assert "\n" not in str(exc)
            refused_preview = True
        try:
            packs.import_pack(library, pack, backup=False)
        except UserError:
            refused_import = True
            assert library_state(library) == before
        # The dry run refuses whatever the import refuses.
        assert refused_preview == refused_import
    finally:
        library.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_fuzz_pack_bytes(corpus: dict[str, Any]) -> None:
    @fuzz_settings(120)
    @given(mutated(corpus["pack"]))
    def run(case: Case) -> None:
        _import_or_refuse(corpus["empty"], case.value)

    run()


JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "",
            "\ud800",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "2025-05-01T09:00:00",
            "../../victim/important",
            "captain",
            "a" * 64,
        ]
    )
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def hostile_records(draw: st.DrawFn, members: dict[str, bytes]) -> Case:
    """The pack with one field of one record (or a whole records file) replaced."""
    out = dict(members)
    name = draw(st.sampled_from(sorted(n for n in members if n.startswith("records/"))))
    items = json.loads(members[name])
    if draw(st.integers(0, 9)) == 0 or not items:
        value: Any = draw(JSON_VALUES)
        out[name] = json.dumps(value, ensure_ascii=True).encode()
        return Case(f"{name} = {value!r}", out)
    index = draw(st.integers(0, len(items) - 1))
    record = items[index]["record"]
    field = draw(st.sampled_from(sorted(record)))
    value = draw(JSON_VALUES)
    if isinstance(record[field], list) and record[field] and draw(st.booleans()):
        at = draw(st.integers(0, len(record[field]) - 1))
        inner = record[field][at]
        if isinstance(inner, dict):
            key = draw(st.sampled_from(sorted(inner)))
            inner[key] = value
            where = f"{field}[{at}].{key}"
        else:
            record[field].append(value)
            where = f"{field}[+]"
    else:
        record[field] = value
        where = field
    out[name] = json.dumps(items, ensure_ascii=True).encode()  # NaN/Infinity as Python writes
    return Case(f"{name} #{index} {where} = {value!r}", out)


def test_fuzz_structured_records(corpus: dict[str, Any], tmp_path_factory: Any) -> None:
    folder = tmp_path_factory.mktemp("structured")

    @fuzz_settings(150)
    @given(hostile_records(corpus["pack_members"]))
    def run(case: Case) -> None:
        path = write_pack(folder / "structured.jxpack", case.value)
        try:
            read_pack(path).close()
        except UserError as exc:
            assert "\n" not in str(exc)
            return
        _import_or_refuse(corpus["empty"], path.read_bytes())

    run()


@st.composite
def hostile_manifest(draw: st.DrawFn, members: dict[str, bytes]) -> Case:
    """The pack with one manifest field (or one entry of its file list) replaced."""
    out = dict(members)
    manifest = json.loads(members["manifest.json"])
    field = draw(st.sampled_from([*sorted(manifest), "files[]", "source_library.id"]))
    value = draw(JSON_VALUES)
    if field == "files[]":
        name = draw(st.sampled_from(sorted(manifest["files"])))
        manifest["files"][name] = value
    elif field == "source_library.id":
        manifest["source_library"]["id"] = value
    else:
        manifest[field] = value
    out["manifest.json"] = json.dumps(manifest, ensure_ascii=True).encode()
    return Case(f"manifest {field} = {value!r}", out)


def test_fuzz_manifest(corpus: dict[str, Any], tmp_path_factory: Any) -> None:
    folder = tmp_path_factory.mktemp("manifest")

    @fuzz_settings(40)
    @given(hostile_manifest(corpus["pack_members"]))
    def run(case: Case) -> None:
        path = folder / "manifest.jxpack"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in case.value.items():  # the manifest's bytes as generated
                zf.writestr(name, data)
        _import_or_refuse(corpus["empty"], path.read_bytes())

    run()


def _restore_or_refuse(backup_bytes: bytes) -> None:
    folder = Path(tempfile.mkdtemp(prefix="jiangxin-fuzz-"))
    try:
        source = folder / "fuzzed.zip"
        source.write_bytes(backup_bytes)
        target = folder / "restored"
        try:
            restore_backup(source, target)
        except UserError as exc:
            assert "\n" not in str(exc)
            assert not target.exists()
            assert sorted(p.name for p in folder.iterdir()) == ["fuzzed.zip"]
            return
        with Library.open(target) as restored:
            assert not check_library(restored).damaged
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_fuzz_backup_bytes(corpus: dict[str, Any]) -> None:
    @fuzz_settings(40)
    @given(mutated(corpus["backup"]))
    def run(case: Case) -> None:
        _restore_or_refuse(case.value)

    run()


@st.composite
def damaged_database(draw: st.DrawFn, backup: bytes) -> Case:
    """A backup whose database has damaged pages but a manifest that matches (rehashed), as a
    backup of an already damaged library would be."""
    members = {}
    with zipfile.ZipFile(_as_file(backup)) as zf:
        for info in zf.infolist():
            members[info.filename] = zf.read(info)
    db = bytearray(members["library.sqlite3"])
    page = 4096
    steps = []
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(100, len(db) - 1))  # past the header: damage, not a stranger
        if draw(st.booleans()):
            xor = draw(st.integers(1, 255))
            db[at] ^= xor
            steps.append(f"flip {at} ^ {xor}")
        else:
            start = (at // page) * page
            db[start : start + page] = bytes(page)  # a zeroed page (a torn write)
            steps.append(f"zero page at {start}")
    members["library.sqlite3"] = bytes(db)
    manifest = json.loads(members.pop("backup-manifest.json"))
    import hashlib

    manifest["files"] = {
        n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in members.items()
    }
    out = _as_file(b"")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in members.items():
            zf.writestr(n, d)
        zf.writestr("backup-manifest.json", json.dumps(manifest))
    return Case("; ".join(steps), out.getvalue())


def _as_file(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


def test_fuzz_restore_of_damaged_databases(corpus: dict[str, Any]) -> None:
    @fuzz_settings(30)
    @given(damaged_database(corpus["backup"]))
    def run(case: Case) -> None:
        _restore_or_refuse(case.value)

    run()


def test_the_fuzzers_reach_the_parsers(corpus: dict[str, Any]) -> None:
    """The mutations hit headers as well as payload (a fuzzer that never reaches the parser
    would pass while proving nothing)."""
    offsets = _structure_offsets(corpus["pack"])
    assert len(offsets) > 100
    first_central = corpus["pack"].find(b"PK\x01\x02")
    assert struct.unpack_from("<I", corpus["pack"], 0)[0] == 0x04034B50 and first_central > 0


# --- coverage-guided: atheris (libFuzzer) on the pack reader and on restore --------------------

ATHERIS_SECONDS = 4 * SCALE  # per target, both at once: the test takes 10-20 s


def test_atheris_on_the_pack_reader_and_restore(corpus: dict[str, Any], tmp_path: Path) -> None:
    """libFuzzer mutates real packs and backups, guided by which branches of the reader and
    of restore each input reaches; any exception but a one-line `UserError` fails (with the
    input saved). Longer runs: see tests/services/atheris_harness.py."""
    import subprocess
    import sys

    pytest.importorskip("atheris")
    repo = Path(__file__).resolve().parents[2]
    runs = {}
    for target, seed in (("pack", corpus["pack"]), ("restore", corpus["backup"])):
        seeds = tmp_path / target / "corpus"
        seeds.mkdir(parents=True)
        (seeds / "seed").write_bytes(seed)
        log = (tmp_path / target / "log").open("w")
        runs[target] = (
            subprocess.Popen(
                [
                    sys.executable, "-m", "tests.services.atheris_harness", target, str(seeds),
                    str(tmp_path / target / "work"), f"-max_total_time={ATHERIS_SECONDS}",
                    "-timeout=20", "-rss_limit_mb=3072", "-print_final_stats=1",
                ],
                env={**os.environ, "PYTHONPATH": str(repo)},
                cwd=repo,
                stdout=log,
                stderr=subprocess.STDOUT,
            ),
            log,
        )  # fmt: skip
    for target, (proc, log) in runs.items():
        try:
            code = proc.wait(ATHERIS_SECONDS + 120)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
        output = (tmp_path / target / "log").read_text(errors="replace")
        assert code == 0, output[-4000:]
        executed = [ln for ln in output.splitlines() if "stat::number_of_executed_units" in ln]
        # The seed and at least one mutation ran (a loaded machine runs few in the budget).
        assert executed and int(executed[-1].rsplit(":", 1)[1]) >= 2, output[-2000:]
