"""The main window's keyboard shortcuts, pressed for real on an X server (xvfb-run)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (make test has it)")
def test_shortcuts_work_from_the_keyboard(demo_dir: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env.update(
        QT_QPA_PLATFORM="xcb",
        JIANGXIN_CONFIG_DIR=str(tmp_path / "config"),
        PYTHONPATH=str(REPO),
    )
    proc = subprocess.run(
        ["xvfb-run", "-a", sys.executable, "-m", "tests.ui.keyboard_session", str(demo_dir)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {
        "active": True,
        "ctrl_3": "guide",
        "ctrl_2": "member",
        "ctrl_n_new_form": True,
        "ctrl_s_saved": True,
        "saved_name_listed": True,
        "del_deleted": True,
        "ctrl_z_restored": True,
        "ctrl_shift_z_deleted_again": True,
        "ctrl_f_focus": True,
    }, result
