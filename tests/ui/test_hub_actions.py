"""The hub in the window: the connect dialog shows the certificate's fingerprint before it lets
the user connect, the status bar counts what waits to be sent, Sync has shortcuts that work in
text fields, and an unreachable hub is one calm line (offscreen, work run inline)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QMessageBox
from sqlalchemy import select

from desktop_app.core.settings import Settings
from desktop_app.services import catalog, hub_sync
from desktop_app.storage.library import Library
from desktop_app.storage.models import HubKnown, HubLink, ServiceTeam
from desktop_app.ui import hub_actions as ha
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workers import SynchronousRunner
from tests.services.hubkit import Served, free_port, make_cert
from tests.services.test_hub_client import APP

SHOTS = Path("/tmp/jiangxin-hub-shots")


def shoot(widget: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))


@pytest.fixture
def window(demo_library: Library, qtbot: Any) -> MainWindow:
    w = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(APP, make_cert(tmp_path / "cert")).start()
    yield server
    server.stop()


def link(library: Library, url: str) -> None:
    """A library connected to a hub (as `hub_sync.connect` leaves it)."""
    with library.transaction() as s:
        s.add(
            HubLink(
                id=1,
                url=url,
                hub_id="hub-1",
                hub_name="丰台区总工会",
                fingerprint="",
                certificate="",
                user_name="zhang",
                device_id="d1",
                cursor=0,
            )
        )
    hub_sync.save_token(library.library_id, "hub-1", "token")


def test_actions_and_shortcuts(window: MainWindow) -> None:
    actions = window.hub_actions  # type: ignore[attr-defined]
    names = [a.objectName() for a in window.menus["file"].actions()]
    assert {"hub_connect", "hub_sync", "hub_disconnect"} <= set(names)
    assert actions.sync_action in window.toolbar.actions()
    keys = {s.toString() for s in actions.sync_action.shortcuts()}
    assert keys == {"F5", "Ctrl+Shift+S"}
    assert actions.sync_action.shortcutContext() == Qt.ShortcutContext.ApplicationShortcut
    # Not connected: nothing to sync, and the status bar says nothing about a hub.
    assert not actions.sync_action.isEnabled()
    assert not actions.status_label.isVisible()


def test_connect_dialog_shows_the_fingerprint_before_connecting(
    window: MainWindow, served: Served
) -> None:
    dialog = ha.ConnectHubDialog(window, window.runner)
    dialog.url.setText(served.url)
    dialog.user.setText("zhang")
    dialog.password.setText("secret")
    assert not dialog.connect_button.isEnabled()
    dialog.check()
    assert served.cert.fingerprint in dialog.fingerprint.text().replace(":\n", ":")
    assert "丰台" in dialog.fingerprint.text()
    # Compared with the union office's fingerprint: only then can the user connect.
    assert not dialog.connect_button.isEnabled()
    dialog.matches.setChecked(True)
    assert dialog.connect_button.isEnabled()
    dialog.password.clear()  # no password: nothing to connect with
    assert not dialog.connect_button.isEnabled()
    dialog.password.setText("secret")
    assert dialog.connect_button.isEnabled()
    dialog.show()
    dialog.resize(640, dialog.sizeHint().height())
    shoot(dialog, "connect_dialog")
    # Another address: the check starts over.
    dialog.url.setText(served.url + "1")
    assert not dialog.connect_button.isEnabled() and not dialog.matches.isChecked()


def test_connect_dialog_unreachable_is_a_sentence_in_the_dialog(window: MainWindow) -> None:
    dialog = ha.ConnectHubDialog(window, window.runner)
    dialog.url.setText(f"https://127.0.0.1:{free_port()}")
    dialog.check()
    assert "cannot be reached" in dialog.message.text()
    assert not dialog.connect_button.isEnabled()


def test_status_bar_counts_what_waits_and_sync_failure_is_calm(
    demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    link(demo_library, f"https://127.0.0.1:{free_port()}")  # nobody listens there
    w = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    actions = w.hub_actions  # type: ignore[attr-defined]
    actions.update_status()
    waiting = hub_sync.status(demo_library).waiting
    assert waiting > 0
    label = actions.status_label
    assert label.isVisible()
    assert "Not synced yet" in label.text()
    assert f"{waiting} changes to send" in label.text()
    assert actions.sync_action.isEnabled()
    w.resize(1366, 768)
    shoot(w.statusBar(), "status_bar")
    boxes: list[str] = []
    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: boxes.append(str(a)))
    # The shortcut works while typing in a field.
    field = w.findChild(QLineEdit, "search_box")
    assert field is not None
    w.activateWindow()
    QTest.qWaitForWindowActive(w, 5000)
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_F5)
    assert boxes == []  # no error box: one calm line in the status bar
    assert "sync again when the network is back" in w.statusBar().currentMessage()
    assert "last attempt failed" in label.text()
    assert actions.job is None and actions.sync_action.isEnabled()


def test_a_save_moves_the_waiting_count(demo_library: Library, qtbot: Any) -> None:
    link(demo_library, f"https://127.0.0.1:{free_port()}")
    before = hub_sync.status(demo_library).waiting
    with demo_library.transaction() as s:
        for team in s.query(ServiceTeam):
            s.add(HubKnown(kind="team", record_id=team.id, tag=team.version_tag))
    after = hub_sync.status(demo_library).waiting
    assert after < before
    with demo_library.session() as s:
        team_id = s.scalars(select(ServiceTeam.id).order_by(ServiceTeam.id)).first()
    assert team_id is not None
    data = catalog.load_team(demo_library, team_id)
    data.description = "新的介绍"
    catalog.save_team(demo_library, data, team_id)
    assert hub_sync.status(demo_library).waiting == after + 1


def test_a_sync_that_started_over_says_so_in_the_status_bar(
    demo_library: Library, qtbot: Any
) -> None:
    link(demo_library, f"https://127.0.0.1:{free_port()}")
    w = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    sentence = "中心已从较早的备份恢复；本机已重新完整同步，并补传了中心丢失的资料。"
    report = hub_sync.SyncReport(
        published=3, started_over="restored", started_over_message=sentence
    )
    w.hub_actions._synced(report)  # type: ignore[attr-defined]
    message = w.statusBar().currentMessage()
    assert message.startswith(sentence) and "3 sent" in message
    w.hub_actions._synced(hub_sync.SyncReport(published=1))  # type: ignore[attr-defined]
    assert sentence not in w.statusBar().currentMessage()


def test_refused_records_are_reported_with_their_kind_and_what_became_of_them(
    demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A leader syncing another team's record: the box names each record with its kind and
    says the changes stay on this computer; the status bar line, which stays after the box is
    closed, counts them too."""
    link(demo_library, f"https://127.0.0.1:{free_port()}")
    w = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    boxes: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: boxes.append(text))
    reason = "Only records of your own teams can be published."
    note = hub_sync.RecordNote("team", "a89df9c5-7652", "专业技术服务2队", reason, "forbidden")
    w.hub_actions._synced(hub_sync.SyncReport(published=2, refused=[note]))  # type: ignore[attr-defined]
    message = w.statusBar().currentMessage()
    assert "2 sent" in message and "1 not accepted by the hub (kept on this computer)" in message
    assert len(boxes) == 1
    assert f"• service team “专业技术服务2队”: {reason}" in boxes[0]
    assert "kept on this computer" in boxes[0] and "next sync" in boxes[0]
    many = [hub_sync.RecordNote("member", f"m{i:07d}", f"队员{i}", reason) for i in range(25)]
    w.hub_actions._synced(hub_sync.SyncReport(refused=many))  # type: ignore[attr-defined]
    assert "队员19" in boxes[1] and "队员20" not in boxes[1] and "…and 5 more." in boxes[1]
    # The same versions refused again at the next sync: told already, no box; the status
    # line still counts them.
    again = [hub_sync.RecordNote(**{**n.__dict__, "repeated": True}) for n in many]
    w.hub_actions._synced(hub_sync.SyncReport(refused=again))  # type: ignore[attr-defined]
    assert len(boxes) == 2
    assert "25 not accepted by the hub" in w.statusBar().currentMessage()


def test_a_failed_connect_opens_the_dialog_again_as_the_user_left_it(
    window: MainWindow, served: Served, monkeypatch: pytest.MonkeyPatch, qtbot: Any
) -> None:
    """A wrong password (here: a hub that refuses the sign-in) is said in the dialog, opened
    again with the address, the user and the compared certificate: only the password is typed
    again, no error box."""
    seen: list[dict[str, Any]] = []
    boxes: list[str] = []
    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: boxes.append(str(a)))

    def exec_(dialog: ha.ConnectHubDialog) -> int:
        if not seen:
            dialog.url.setText(served.url)
            dialog.user.setText("li")
            dialog.password.setText("wrong-password")
            dialog.check()
            dialog.matches.setChecked(True)
        seen.append(
            {
                "url": dialog.url.text(),
                "user": dialog.user.text(),
                "password": dialog.password.text(),
                "message": dialog.message.text() if not dialog.message.isHidden() else "",
                "fingerprint": dialog.fingerprint.text().replace(":\n", ":"),
                "can_connect": dialog.connect_button.isEnabled(),
                "compared": dialog.matches.isChecked(),
            }
        )
        return 1 if len(seen) == 1 else 0

    monkeypatch.setattr(ha.ConnectHubDialog, "exec", exec_)
    actions = window.hub_actions  # type: ignore[attr-defined]
    actions.connect_hub()
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    again = seen[1]
    assert boxes == []
    assert (again["url"], again["user"], again["password"]) == (served.url, "li", "")
    assert again["message"] and served.cert.fingerprint in again["fingerprint"]
    assert again["compared"]  # the certificate stays compared: only the password is missing
    assert not again["can_connect"]
    assert not hub_sync.status(window.library).connected


def test_the_connect_dialog_starts_with_the_hub_this_library_is_connected_to(
    demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signing in again after the administrator disconnected the laptop: the address and the
    user are there already."""
    url = f"https://127.0.0.1:{free_port()}"
    link(demo_library, url)
    w = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    actions = w.hub_actions  # type: ignore[attr-defined]
    actions.update_status()
    shown: list[tuple[str, str]] = []

    def exec_(dialog: ha.ConnectHubDialog) -> int:
        shown.append((dialog.url.text(), dialog.user.text()))
        return 0

    monkeypatch.setattr(ha.ConnectHubDialog, "exec", exec_)
    actions.connect_hub()
    assert shown == [(url, "zhang")]


def test_what_the_sync_had_to_say_is_shown(
    demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team renamed by the merge, a reader's changes not sent: the window says it, as
    `jiangxin hub sync` prints it (it was dropped before)."""
    link(demo_library, f"https://127.0.0.1:{free_port()}")
    w = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    boxes: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, t, text: boxes.append((t, text)))
    renamed = (
        "The team “甲队” is renamed “甲队（2）” here, because another team already has that name."
    )
    w.hub_actions._synced(hub_sync.SyncReport(updated=1, notes=[renamed]))  # type: ignore[attr-defined]
    assert boxes == [("Synced with the hub", renamed)]
    reason = "Only records of your own teams can be published."
    note = hub_sync.RecordNote("team", "a89df9c5-7652", "专业技术服务2队", reason)
    w.hub_actions._synced(hub_sync.SyncReport(refused=[note], notes=[renamed]))  # type: ignore[attr-defined]
    assert boxes[1][0] == "Not accepted by the hub" and boxes[1][1].endswith(renamed)
    w.hub_actions._synced(hub_sync.SyncReport(updated=1))  # type: ignore[attr-defined]
    assert len(boxes) == 2  # nothing to say: no box


def test_a_revoked_laptop_is_told_the_way_back(
    demo_library: Library, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The administrator's sentence, then that nothing is lost and how to sign in again."""
    from desktop_app.services import hub_client

    link(demo_library, f"https://127.0.0.1:{free_port()}")
    w = MainWindow(demo_library, runner=SynchronousRunner(), settings=Settings())
    qtbot.addWidget(w)
    w.show()
    actions = w.hub_actions  # type: ignore[attr-defined]
    actions.update_status()
    sentence = "这台电脑已被管理员断开与中心的连接。"

    def revoked(library: Any, progress: Any = None) -> Any:
        raise hub_client.DeviceRevokedError(sentence, status=401)

    monkeypatch.setattr(hub_sync, "sync", revoked)
    boxes: list[str] = []
    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, lambda _p, _t, text, *a: boxes.append(text))
    actions.sync()
    qtbot.waitUntil(lambda: actions.job is None, timeout=5000)
    assert len(boxes) == 1
    assert boxes[0].startswith(sentence)
    assert "stays on this computer" in boxes[0] and "Connect to hub" in boxes[0]


def test_the_status_bar_says_how_many_waiting_changes_the_hub_did_not_accept() -> None:
    base = hub_sync.HubStatus(connected=True, waiting=4, last_result={"ok": True, "refused": 3})
    assert "4 changes to send · 3 not accepted by the hub" in ha.status_text(base)
    base.waiting = 0  # sent meanwhile (the leader was given the team): nothing to say
    assert "not accepted" not in ha.status_text(base)
