"""Run Python in a fresh interpreter (what is imported at start-up, a real X server) and read
the JSON object it prints on its last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def run_json(
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    drop_env: Sequence[str] = (),
    launcher: Sequence[str] = (),
    timeout: float = 120,
) -> Any:
    """`python ARGS` from the repository (prefixed by `launcher`, e.g. xvfb-run), with the
    environment plus `env` minus `drop_env`; fails the test with its stderr on a non-zero exit."""
    full = {k: v for k, v in os.environ.items() if k not in drop_env}
    full.update(PYTHONPATH=str(REPO), **(env or {}))
    proc = subprocess.run(
        [*launcher, sys.executable, *args],
        cwd=REPO,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
