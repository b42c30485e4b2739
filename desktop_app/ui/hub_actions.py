"""The district hub in the window: connect, sync, and what waits to be synced.

- File → "Connect to hub…": the hub's address, your user name and password. "Check" fetches
  the hub's certificate in the background and shows its fingerprint, to compare with the one
  the union office gave out (a certificate the system trusts needs no comparison); Connect is
  possible only once it was compared (or typed in the fingerprint field).
- "Sync" (toolbar, File menu, F5 or Ctrl+Shift+S, also while typing in a field): pull, merge,
  publish in the background through the window's one `LibraryWriter`, with progress and
  Cancel; a save made meanwhile waits its turn.
- The status bar shows the last sync and how many local changes wait to be published; a hub
  that cannot be reached is one calm sentence there, not an error box.

The services (`services/hub_sync.py`) and httpx are imported when used, not at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _, ngettext, sentences
from desktop_app.core.progress import Progress
from desktop_app.ui.ops import ProgressOp, T, run_with_progress, show_failure
from desktop_app.ui.workers import BackgroundRunner

if TYPE_CHECKING:
    from desktop_app.services import hub_sync
    from desktop_app.ui.extensions import WindowContext

SYNC_SHORTCUTS = ("F5", "Ctrl+Shift+S")


class ConnectHubDialog(QDialog):
    """Address, user, password; the certificate's fingerprint shown for comparison."""

    def __init__(
        self, parent: QWidget | None, runner: BackgroundRunner, *, url: str = "", user: str = ""
    ) -> None:
        super().__init__(parent)
        self.setObjectName("connect_hub")
        self.setWindowTitle(_("Connect to hub"))
        self.runner = runner
        self.found: hub_sync.Probe | None = None
        self.url = QLineEdit(url)
        self.url.setObjectName("hub_url")
        self.url.setPlaceholderText("https://192.168.1.5:8443")
        self.url.setMinimumWidth(360)
        self.url.textChanged.connect(self._address_changed)
        self.check_button = QPushButton(_("Check"))
        self.check_button.setObjectName("hub_check")
        self.check_button.clicked.connect(self.check)
        address_row = QWidget()
        row = QHBoxLayout(address_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.url, 1)
        row.addWidget(self.check_button)
        self.user = QLineEdit(user)
        self.user.setObjectName("hub_user")
        self.password = QLineEdit()
        self.password.setObjectName("hub_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.fingerprint = QLabel(_("Press “Check” to see the hub's certificate."))
        self.fingerprint.setObjectName("hub_fingerprint")
        self.fingerprint.setWordWrap(True)
        self.fingerprint.setStyleSheet("font-family: monospace;")
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint.setMinimumWidth(360)
        self.matches = QCheckBox(_("It is the same as the fingerprint the union office gave me"))
        self.matches.setObjectName("hub_fingerprint_matches")
        self.matches.setEnabled(False)
        self.matches.toggled.connect(lambda _on: self._update_buttons())
        self.message = QLabel()
        self.message.setObjectName("hub_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a33;")
        self.message.hide()

        form = QFormLayout()
        form.addRow(_("Hub address:"), address_row)
        form.addRow(_("User name:"), self.user)
        form.addRow(_("Password:"), self.password)
        form.addRow(_("Certificate:"), self.fingerprint)
        form.addRow("", self.matches)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.addButton(
            _("Connect"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.connect_button.setObjectName("hub_connect")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.user.textChanged.connect(lambda _t: self._update_buttons())
        self.password.textChanged.connect(lambda _t: self._update_buttons())
        self._update_buttons()

    def _address_changed(self, _text: str) -> None:
        self.found = None
        self.matches.setChecked(False)
        self.matches.setEnabled(False)
        self.fingerprint.setText(_("Press “Check” to see the hub's certificate."))
        self._update_buttons()

    def _update_buttons(self) -> None:
        confirmed = self.found is not None and (
            self.found.certificate.trusted_by_system or self.matches.isChecked()
        )
        # (Without a password the hub can only answer "wrong password".)
        self.connect_button.setEnabled(
            bool(confirmed and self.user.text().strip() and self.password.text())
        )
        self.check_button.setEnabled(bool(self.url.text().strip()))

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def check(self) -> None:
        """Fetch the certificate and say hello, in the background."""
        from desktop_app.services import hub_sync

        url = self.url.text()
        self.show_message("")
        self.check_button.setEnabled(False)
        self.fingerprint.setText(_("Contacting the hub…"))

        def failed(exc: BaseException) -> None:
            self.check_button.setEnabled(True)
            self.fingerprint.setText(_("Press “Check” to see the hub's certificate."))
            if isinstance(exc, UserError):
                self.show_message(str(exc))
            else:
                show_failure(self, _("Cannot connect"), exc)

        self.runner.run(
            lambda _progress: hub_sync.probe(url), on_done=self.show_probe, on_error=failed
        )

    def show_probe(self, found: hub_sync.Probe) -> None:
        self.found = found
        cert = found.certificate
        name = found.hub_name or found.url
        if cert.trusted_by_system:
            self.fingerprint.setText(
                _("{name}: its certificate is vouched for by the trusted authorities.").format(
                    name=name
                )
            )
            self.matches.setEnabled(False)
        else:
            self.fingerprint.setText(
                _("{name} shows this certificate fingerprint (SHA-256):\n{fp}").format(
                    name=name, fp=two_lines(cert.fingerprint)
                )
            )
            self.matches.setEnabled(True)
        self._update_buttons()

    def _accept(self) -> None:
        if self.connect_button.isEnabled():
            self.accept()


@dataclass(frozen=True)
class ConnectAttempt:
    """A connect that failed, to open the dialog again as the user left it."""

    url: str
    user: str
    found: hub_sync.Probe | None
    message: str


class HubActions(QObject):
    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx.window())
        self.ctx = ctx
        self.window = ctx.window()
        self.job: ProgressOp | None = None
        self.dialog: ConnectHubDialog | None = None
        self.connected = False
        self.state: hub_sync.HubStatus | None = None  # as the status bar last showed it
        self.connect_action = self._action("hub_connect", _("Connect to hub…"), self.connect_hub)
        self.connect_action.setStatusTip(_("Sync this library with the district union's hub"))
        self.sync_action = self._action("hub_sync", _("Sync"), self.sync)
        self.sync_action.setShortcuts([QKeySequence(k) for k in SYNC_SHORTCUTS])
        # The window's shortcut, also while the cursor is in a form's text field.
        self.sync_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.sync_action.setToolTip(_("Sync with the hub (F5)"))
        self.disconnect_action = self._action(
            "hub_disconnect", _("Disconnect from hub…"), self.disconnect_hub
        )
        ctx.add_shortcut(self.sync_action)
        menu = ctx.menus["file"]
        before = ctx.quit_action
        if before in menu.actions():
            menu.insertActions(
                before, [self.connect_action, self.sync_action, self.disconnect_action]
            )
            menu.insertSeparator(before)
        else:
            menu.addActions([self.connect_action, self.sync_action, self.disconnect_action])
        ctx.toolbar.addSeparator()
        ctx.toolbar.addAction(self.sync_action)
        self.status_label = QLabel()
        self.status_label.setObjectName("hub_status")
        self.status_label.setStyleSheet("padding-right: 12px;")
        self.status_label.hide()
        ctx.add_status_widget(self.status_label)
        self._set_connected(False)
        # Local changes move the "waiting" count: recounted after writes, a little later.
        self._recount_timer = QTimer(self)
        self._recount_timer.setSingleShot(True)
        self._recount_timer.setInterval(800)
        self._recount_timer.timeout.connect(self.update_status)
        ctx.writer.changed.connect(self._writer_changed)
        ctx.after_first_paint(self.update_status)

    def _action(self, name: str, text: str, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected
        self.sync_action.setEnabled(connected and self.job is None)
        self.disconnect_action.setEnabled(connected and self.job is None)
        self.connect_action.setEnabled(self.job is None)

    def _writer_changed(self) -> None:
        if self.connected and not self.ctx.writer.is_busy():
            self._recount_timer.start()

    # --- status -----------------------------------------------------------------------------

    def update_status(self) -> None:
        library = self.ctx.library

        def count(_progress: Progress) -> hub_sync.HubStatus | None:
            from desktop_app.services import hub_sync

            try:
                return hub_sync.status(library)
            except Exception:  # a library too old to have the tables: nothing to show
                return None

        self.ctx.runner.run(count, on_done=self.show_status, on_error=lambda _exc: None)

    def show_status(self, state: hub_sync.HubStatus | None) -> None:
        self.state = state
        if state is None or not state.connected:
            self._set_connected(False)
            self.status_label.hide()
            return
        self._set_connected(True)
        self.status_label.setText(status_text(state))
        self.status_label.setToolTip(
            _("Hub: {name} ({url}), signed in as {user}").format(
                name=state.hub_name, url=state.url, user=state.user_name
            )
        )
        self.status_label.show()

    # --- connect ----------------------------------------------------------------------------

    def ask_connect(self, again: ConnectAttempt | None = None) -> ConnectHubDialog | None:
        """The dialog, filled in and accepted (tests replace `ConnectHubDialog.exec`).

        It starts with the hub this library is connected to (signing in again after the
        administrator disconnected the laptop), or with what the user typed in an attempt that
        failed, the certificate as they compared it and the hub's sentence: only the password
        is typed again."""
        state = self.state if self.state is not None and self.state.connected else None
        dialog = ConnectHubDialog(
            self.window,
            self.ctx.runner,
            url=again.url if again else state.url if state else "",
            user=again.user if again else state.user_name if state else "",
        )
        if again is not None:
            if again.found is not None:
                dialog.show_probe(again.found)
                dialog.matches.setChecked(not again.found.certificate.trusted_by_system)
            dialog.show_message(again.message)
            dialog.password.setFocus()
        self.dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog

    def connect_hub(self, again: ConnectAttempt | None = None) -> None:
        if self.job is not None:
            return
        dialog = self.ask_connect(again)
        if dialog is None or dialog.found is None:
            return
        library = self.ctx.library
        found = dialog.found
        url, user, password = found.url, dialog.user.text(), dialog.password.text()

        def op(_progress: Progress) -> hub_sync.LinkInfo:
            from desktop_app.services import hub_sync

            return hub_sync.connect(
                library, url, user, password, confirm=lambda _cert: True, found=found
            )

        def done(info: hub_sync.LinkInfo) -> None:
            self.ctx.show_status(
                _("Connected to the hub “{name}” as {user}. Press F5 to sync.").format(
                    name=info.hub_name or info.url, user=info.user_name
                ),
                10000,
            )
            self.update_status()

        def failed(exc: BaseException) -> bool:
            if not isinstance(exc, UserError):
                return False  # an internal error: the usual box
            # A wrong password, a disabled account, an unreachable hub: said in the dialog,
            # opened again with everything but the password as it was.
            attempt = ConnectAttempt(url=url, user=user, found=found, message=str(exc))
            QTimer.singleShot(0, lambda: self.connect_hub(attempt))
            return True

        self._run(
            _("Connecting to the hub…"),
            op,
            done,
            _("Cannot connect"),
            label=_("Connect to the hub"),
            on_failed=failed,
        )

    def disconnect_hub(self) -> None:
        if self.job is not None or not self.connected:
            return
        answer = QMessageBox.question(
            self.window,
            _("Disconnect from hub"),
            _(
                "Stop syncing this library with the hub? Nothing in the library is deleted; "
                "changes not yet synced stay here."
            ),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        library = self.ctx.library

        def op(_progress: Progress) -> bool:
            from desktop_app.services import hub_sync

            return hub_sync.disconnect(library)

        def done(_told: bool) -> None:
            self.ctx.show_status(_("Disconnected from the hub."), 8000)
            self.update_status()

        self._run(_("Disconnecting…"), op, done, _("Cannot disconnect"), label=_("Disconnect"))

    # --- sync -------------------------------------------------------------------------------

    def sync(self) -> None:
        if self.job is not None or not self.connected:
            return
        library = self.ctx.library
        keep = int(self.ctx.settings.get("backups.keep"))

        def op(progress: Progress) -> hub_sync.SyncReport:
            from desktop_app.services import backup, hub_sync

            report = hub_sync.sync(library, progress)
            if report.backup:
                backup.prune_automatic_backups(library, keep)
            return report

        def failed(exc: BaseException) -> bool:
            from desktop_app.services.hub_client import DeviceRevokedError, HubUnreachableError

            self.update_status()
            if isinstance(exc, HubUnreachableError):
                # Nothing is wrong with the library: a calm line, not an error box.
                self.ctx.show_status(str(exc), 15000)
                return True
            if isinstance(exc, DeviceRevokedError):
                # The administrator's sentence, then what the user can do about it.
                QMessageBox.warning(self.window, _("Cannot sync"), revoked_text(str(exc)))
                return True
            return False

        self._run(
            _("Syncing with the hub…"),
            op,
            self._synced,
            _("Cannot sync"),
            label=_("Sync with the hub"),
            on_failed=failed,
        )

    def _synced(self, report: hub_sync.SyncReport) -> None:
        self.ctx.refresh()
        self.ctx.update_conflict_count()
        self.update_status()
        message = _(
            "Synced: {pulled} changes received, {published} sent, {conflicts} conflicts."
        ).format(pulled=report.pulled, published=report.published, conflicts=len(report.conflicts))
        if report.refused:  # the line stays after the box is closed: it must say so too
            message = sentences(
                message,
                ngettext(
                    "{n} not accepted by the hub (kept on this computer).",
                    "{n} not accepted by the hub (kept on this computer).",
                    len(report.refused),
                ).format(n=len(report.refused)),
            )
        if report.started_over_message:  # the hub was restored or purged: said calmly, once
            message = sentences(report.started_over_message, message)
        self.ctx.show_status(message, 10000)
        # What the merge or the hub had to say (a team renamed because its name was taken, a
        # reader's changes not sent): said once in a box, as the CLI prints it.
        notes = "\n".join(report.notes)
        # Refusals of the very versions refused at the last sync were told then: the box says
        # only what is new (the status line keeps counting them all).
        new_refusals = [r for r in report.refused if not r.repeated]
        if new_refusals:
            text = refused_text(new_refusals) + ("\n\n" + notes if notes else "")
            QMessageBox.information(self.window, _("Not accepted by the hub"), text)
        elif notes:
            QMessageBox.information(self.window, _("Synced with the hub"), notes)
        if report.conflicts:
            answer = QMessageBox.question(
                self.window,
                _("Conflicts"),
                ngettext(
                    "{n} record was changed both here and on the hub. Your version is kept; "
                    "look at the other one now?",
                    "{n} records were changed both here and on the hub. Your versions are "
                    "kept; look at the others now?",
                    len(report.conflicts),
                ).format(n=len(report.conflicts)),
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.ctx.show_conflicts()

    def _run(
        self,
        title: str,
        op: Callable[[Progress], T],
        on_done: Callable[[T], None],
        failure_title: str,
        *,
        label: str,
        on_failed: Callable[[BaseException], bool | None] | None = None,
    ) -> None:
        def finished() -> None:
            self.job = None
            self._set_connected(self.connected)

        self.job = run_with_progress(
            self.window,
            title,
            op,
            on_done,
            via=self.ctx.writer,
            failure_title=failure_title,
            modal=False,  # the window stays usable; a save made meanwhile waits its turn
            object_name="hub_progress",
            label=label,
            on_finish=finished,
            on_failed=on_failed,
        )
        if self.job is not None and self.job.finished:
            self.job = None
        self._set_connected(self.connected)


def two_lines(fingerprint: str) -> str:
    """A 95-character fingerprint as two lines of 16 pairs, easier to compare by eye."""
    pairs = fingerprint.split(":")
    return ":".join(pairs[:16]) + ":\n" + ":".join(pairs[16:])


def revoked_text(sentence: str) -> str:
    """ "This laptop was disconnected by the administrator", and the way back."""
    return (
        sentence
        + "\n"
        + _(
            "Everything in this library stays on this computer. To sync again, ask the union "
            "office, then sign in again with File → Connect to hub…"
        )
    )


SHOWN_REFUSALS = 20  # lines in the "not accepted" box; the rest are counted


def refused_text(refused: list[hub_sync.RecordNote]) -> str:
    """The "not accepted" box: how many, each record with its kind and the hub's reason, and
    that nothing was lost (the changes stay here and are offered again at the next sync)."""
    from desktop_app.services.labels import KIND_NAMES, label

    lines = [
        ngettext(
            "The hub did not accept {n} record:",
            "The hub did not accept {n} records:",
            len(refused),
        ).format(n=len(refused))
    ]
    lines += [
        _("• {kind} “{label}”: {reason}").format(
            # (a kind of a newer hub's shows as it is)
            kind=label(KIND_NAMES, r.kind),
            label=r.label or r.id[:8],
            reason=r.reason,
        )
        for r in refused[:SHOWN_REFUSALS]
    ]
    if len(refused) > SHOWN_REFUSALS:
        more = len(refused) - SHOWN_REFUSALS
        lines.append(_("…and {n} more.").format(n=more))
    lines.append(
        _(
            "Your changes to them are kept on this computer and are offered to the hub again "
            "at the next sync."
        )
    )
    return "\n".join(lines)


def status_text(state: hub_sync.HubStatus) -> str:
    """ "Last sync 12-01 14:30 · 3 changes to send" for the status bar."""
    if state.last_sync_at is None:
        when = _("Not synced yet")
    else:
        local = state.last_sync_at.astimezone()
        today = datetime.now().astimezone().date()
        stamp = local.strftime("%H:%M") if local.date() == today else local.strftime("%m-%d %H:%M")
        when = _("Last sync {when}").format(when=stamp)
    parts = [when]
    last = state.last_result or {}
    if last.get("ok") is False and last.get("message"):
        parts.append(_("last attempt failed"))
    if state.waiting:
        parts.append(
            ngettext("{n} change to send", "{n} changes to send", state.waiting).format(
                n=state.waiting
            )
        )
    else:
        parts.append(_("nothing to send"))
    refused = last.get("refused")
    if isinstance(refused, int) and refused > 0 and state.waiting:
        parts.append(
            ngettext("{n} not accepted by the hub", "{n} not accepted by the hub", refused).format(
                n=refused
            )
        )
    if state.open_conflicts:
        parts.append(
            ngettext("{n} conflict", "{n} conflicts", state.open_conflicts).format(
                n=state.open_conflicts
            )
        )
    return " · ".join(parts)


def install(ctx: WindowContext) -> HubActions:
    return HubActions(ctx)
