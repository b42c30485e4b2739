"""Coverage-guided fuzzing of the pack reader and of restore with atheris (libFuzzer).

Run by tests/services/test_fuzz.py in a child process (libFuzzer ends the process it runs in):

    python -m tests.services.atheris_harness pack|restore CORPUS_DIR WORK_DIR [libFuzzer flags]

CORPUS_DIR holds real packs or backups to start from (libFuzzer adds what reaches new code);
WORK_DIR is scratch space. For every input, the only exceptions allowed out are `UserError`s
(one sentence); a refused restore leaves no folder behind. Anything else is a crash: libFuzzer
prints the traceback, saves the input under WORK_DIR and exits non-zero. A longer campaign,
before a release:

    python -m tests.services.atheris_harness pack CORPUS WORK -max_total_time=3600
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(
    include=[
        "desktop_app.services.pack_format",
        "desktop_app.services.packs",
        "desktop_app.services.backup",
        "desktop_app.services.rules",
    ]
):
    from desktop_app.core.errors import UserError
    from desktop_app.core.i18n import set_language
    from desktop_app.services import packs
    from desktop_app.services.backup import restore_backup
    from desktop_app.storage.library import Library


def main() -> None:
    target, corpus, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    set_language("en")
    work.mkdir(parents=True, exist_ok=True)
    source = work / "input"
    if target == "pack":
        library = Library.create(work / "library")

        def one_input(data: bytes) -> None:
            source.write_bytes(data)
            try:
                packs.preview_import(library, source)
            except UserError as exc:
                assert "\n" not in str(exc), str(exc)

    else:
        restored = work / "restored"

        def one_input(data: bytes) -> None:
            source.write_bytes(data)
            try:
                restore_backup(source, restored)
            except UserError as exc:
                assert "\n" not in str(exc), str(exc)
                assert not restored.exists(), "a refused restore left its folder"
                leftover = [p.name for p in work.iterdir() if p.name.startswith(".jiangxin-")]
                assert not leftover, leftover
            else:
                shutil.rmtree(restored)

    flags = [a for a in sys.argv[4:]]
    atheris.Setup(
        [sys.argv[0], f"-artifact_prefix={work}/", *flags, str(corpus)],
        one_input,
    )
    atheris.Fuzz()


if __name__ == "__main__":
    main()
