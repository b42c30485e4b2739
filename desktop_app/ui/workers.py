"""One background-work API for the whole UI.

`BackgroundRunner.run(op, on_done=..., on_error=..., on_progress=...)` runs `op(progress)` on a
thread pool. The op never touches widgets; its result, error and progress arrive on the GUI
thread through queued signals. Tests inject `SynchronousRunner` to run ops inline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from desktop_app.core.progress import Progress

log = logging.getLogger(__name__)


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int, str)


class _SignalProgress(Progress):
    def __init__(self, signals: _Signals) -> None:
        super().__init__()
        self._signals = signals

    def on_step(self, done: int, total: int, text: str) -> None:
        self._signals.progressed.emit(done, total, text)


class Job(QObject):
    """A running operation: keep it to cancel it; it lives until its callbacks have run."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.signals = _Signals()
        self.progress: Progress = _SignalProgress(self.signals)

    def cancel(self) -> None:
        self.progress.cancel()


class _Task(QRunnable):
    def __init__(self, op: Callable[[Progress], Any], job: Job) -> None:
        super().__init__()
        self.op = op
        self.job = job

    def run(self) -> None:
        try:
            result = self.op(self.job.progress)
        except BaseException as exc:  # delivered to the GUI thread, which decides what to show
            self.job.signals.failed.emit(exc)
        else:
            self.job.signals.done.emit(result)


class BackgroundRunner(QObject):
    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self._jobs: set[Job] = set()

    def run(
        self,
        op: Callable[[Progress], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> Job:
        job = Job()
        self._jobs.add(job)

        def finish() -> None:
            self._jobs.discard(job)

        if on_progress:
            job.signals.progressed.connect(on_progress)
        job.signals.done.connect(lambda result: (finish(), on_done(result) if on_done else None))
        job.signals.failed.connect(lambda exc: (finish(), (on_error or self._log)(exc)))
        self._start(_Task(op, job))
        return job

    def _start(self, task: _Task) -> None:
        self.pool.start(task)

    @staticmethod
    def _log(exc: BaseException) -> None:
        log.error("background job failed", exc_info=exc)

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 30000) -> bool:
        """Cancel every running job and wait for them: nothing may outlive the window."""
        for job in list(self._jobs):
            job.cancel()
        return self.wait(msecs)


class SynchronousRunner(BackgroundRunner):
    """Runs every op inline on the calling thread (for tests)."""

    def _start(self, task: _Task) -> None:
        task.run()
