"""How long-running services report progress and learn that the user cancelled.

Services take a `Progress` and call `progress.step(done, total, text)`; they call
`progress.check_cancelled()` between units of work, which raises `Cancelled`. The UI's worker
turns `step` into a Qt signal; the CLI and tests use `NullProgress` or a recording one.
"""

from __future__ import annotations

import threading

from desktop_app.core.errors import UserError
from desktop_app.core.i18n import _


class Cancelled(UserError):
    """The user pressed Cancel; the service has left everything consistent."""

    def __init__(self) -> None:
        super().__init__(_("Cancelled."))


class Progress:
    """Progress sink with a cancel flag; subclasses override `on_step`."""

    def __init__(self) -> None:
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def step(self, done: int, total: int, text: str = "") -> None:
        self.on_step(done, total, text)

    def on_step(self, done: int, total: int, text: str) -> None:
        """Override to show progress."""


NullProgress = Progress
