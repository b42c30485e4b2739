"""The main window's keyboard shortcuts, pressed for real on an X server (xvfb-run)."""

from __future__ import annotations

from pathlib import Path

from tests.fresh_python import run_json
from tests.needs import tool


def test_shortcuts_work_from_the_keyboard(demo_dir: Path, tmp_path: Path) -> None:
    tool("xvfb-run", "needs xvfb-run (make test has it)")
    result = run_json(
        ["-m", "tests.ui.keyboard_session", str(demo_dir)],
        {"QT_QPA_PLATFORM": "xcb", "JIANGXIN_CONFIG_DIR": str(tmp_path / "config")},
        drop_env=["QT_QPA_PLATFORM", "DISPLAY"],
        launcher=["xvfb-run", "-a"],
    )
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
