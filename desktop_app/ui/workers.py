"""One background-work API for the whole UI.

`BackgroundRunner.run(op, on_done=..., on_error=..., on_progress=...)` runs `op(progress)` on a
thread pool. The op never touches widgets; its result, error and progress arrive on the GUI
thread through queued signals. Tests inject `SynchronousRunner` to run ops inline.

Reads (thumbnails, previews, PDFs, searches) go to the runner directly. Writes to the library
go to the window's one `LibraryWriter`, which runs them one at a time in submission order.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QRunnable, QThreadPool, Signal

from desktop_app.core.errors import UserError
from desktop_app.core.progress import Cancelled, Progress

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
        on_error: Callable[[BaseException], object] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> Job:
        job = Job()
        self._jobs.add(job)

        def done(result: object) -> None:
            self._jobs.discard(job)
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            self._jobs.discard(job)
            (on_error or self._log)(exc)

        if on_progress:
            job.signals.progressed.connect(on_progress)
        job.signals.done.connect(done)
        job.signals.failed.connect(failed)
        self._start(_Task(op, job))
        return job

    def _start(self, task: _Task) -> None:
        self.pool.start(task)

    @staticmethod
    def _log(exc: BaseException) -> None:
        log.error("background job failed", exc_info=exc)

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)

    def serial(self) -> BackgroundRunner:
        """A runner of the same kind with one thread of its own: ops run one after another."""
        runner = BackgroundRunner(QThreadPool())
        runner.pool.setParent(runner)  # lives as long as the runner (held by its user)
        runner.pool.setMaxThreadCount(1)
        return runner

    def shutdown(self, msecs: int = 30000) -> bool:
        """Cancel every running job and wait for them: nothing may outlive the window."""
        for job in list(self._jobs):
            job.cancel()
        return self.wait(msecs)


class SynchronousRunner(BackgroundRunner):
    """Runs every op inline on the calling thread (for tests)."""

    def _start(self, task: _Task) -> None:
        task.run()

    def serial(self) -> BackgroundRunner:
        return self


# --- the window's one writer ----------------------------------------------------------------


class WriteOp(QObject):
    """One library write: waiting in the writer's queue, running, or finished.

    `label` names it for the user ("Importing the knowledge pack…") when another op waits for
    it. `started` fires when it leaves the queue, `finished` after its callbacks have run.
    """

    WAITING, RUNNING, DONE, FAILED, CANCELLED = "waiting", "running", "done", "failed", "cancelled"

    started = Signal()
    finished = Signal()

    def __init__(
        self,
        writer: LibraryWriter,
        label: str,
        op: Callable[[Progress], Any] | None,
        prepare: Callable[[], Callable[[Progress], Any] | None] | None,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], bool | None] | None,
        on_progress: Callable[[int, int, str], None] | None,
    ) -> None:
        super().__init__()  # no parent: gone once nobody holds it (the writer, a form)
        self.writer = writer
        self.label = label
        self.op = op
        self.prepare = prepare
        self.on_done = on_done
        self.on_error = on_error
        self.on_progress = on_progress
        self.state = self.WAITING
        self.job: Job | None = None

    def is_pending(self) -> bool:
        return self.state in (self.WAITING, self.RUNNING)

    def cancel(self) -> None:
        """A waiting op is dropped (its `on_error` gets `Cancelled`); a running one is asked
        to stop, which the service does at its next check, leaving the library consistent."""
        self.writer.cancel(self)


class LibraryWriter(QObject):
    """Every library write the window starts, one at a time, in the order they were submitted.

    In the spirit of Anki's CollectionOp: the GUI thread submits an op and goes on; the op runs
    on the writer's single worker (so no two writes ever wait on SQLite's busy timeout), and its
    result, error and progress come back on the GUI thread. Reads stay where they are: the
    lists, forms and thumbnails read while a write runs (WAL).

    `prepare`, instead of `op`, is called on the GUI thread when the op reaches the head of the
    queue and returns the op to run (or None: nothing to do). Undo uses it, so a Ctrl+Z pressed
    while a save waits undoes that save, not the step below it.

    Errors are handled once: `on_error(exc)` may show it itself and return True; otherwise the
    `report` hook shows it (the window's: a `UserError` as its sentence, anything else logged and
    shown as an internal error). With a `SynchronousRunner` (tests) every op runs inline.
    """

    changed = Signal()  # an op was queued, started or finished (status displays follow it)

    def __init__(self, runner: BackgroundRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.report: Callable[[str, BaseException], None] = _log_failure
        self._queue: deque[WriteOp] = deque()
        self._running: WriteOp | None = None
        self._holding = False  # True while an op's callbacks run: the next one waits for them

    # --- submitting -------------------------------------------------------------------------

    def submit(
        self,
        label: str,
        op: Callable[[Progress], Any] | None = None,
        *,
        prepare: Callable[[], Callable[[Progress], Any] | None] | None = None,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], bool | None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> WriteOp:
        if (op is None) == (prepare is None):
            raise TypeError("submit() takes an op or a prepare function")
        write = WriteOp(self, label, op, prepare, on_done, on_error, on_progress)
        self._queue.append(write)
        self.changed.emit()
        self._pump()
        return write

    @property
    def running(self) -> WriteOp | None:
        return self._running

    def waiting(self) -> list[WriteOp]:
        return list(self._queue)

    def is_busy(self) -> bool:
        return self._running is not None or bool(self._queue)

    def blocker(self, op: WriteOp) -> WriteOp | None:
        """The op that `op` waits for (the running one), or None when it is not waiting."""
        return self._running if op.state == WriteOp.WAITING else None

    # --- running ----------------------------------------------------------------------------

    def _pump(self) -> None:
        if self._holding:
            return  # the op finishing now starts the next one after its callbacks
        self._holding = True
        try:
            while self._running is None and self._queue:
                self._begin(self._queue.popleft())
        finally:
            self._holding = False

    def _begin(self, write: WriteOp) -> None:
        op = write.op
        if write.prepare is not None:
            try:
                op = write.prepare()
            except BaseException as exc:  # shown like any failure of the op
                self._running = write
                self._finish(write, None, exc)
                return
            if op is None:  # nothing to do any more (say, nothing left to undo)
                write.state = WriteOp.DONE
                write.finished.emit()
                self.changed.emit()
                return
        assert op is not None
        self._running = write
        write.state = WriteOp.RUNNING
        write.started.emit()
        self.changed.emit()
        write.job = self.runner.run(
            op,
            on_done=lambda result: self._finish(write, result, None),
            on_error=lambda exc: self._finish(write, None, exc),
            on_progress=write.on_progress,
        )

    def _finish(self, write: WriteOp, result: Any, exc: BaseException | None) -> None:
        if self._running is write:
            self._running = None
        holding, self._holding = self._holding, True
        try:
            if exc is None:
                write.state = WriteOp.DONE
                if write.on_done is not None:
                    write.on_done(result)
            else:
                write.state = WriteOp.CANCELLED if isinstance(exc, Cancelled) else WriteOp.FAILED
                self._fail(write, exc)
        except Exception as callback_exc:  # a bug in a callback must not stop the queue
            self._report_bug(write.label, callback_exc)
        finally:
            self._holding = holding
        write.finished.emit()
        self.changed.emit()
        self._pump()

    def _fail(self, write: WriteOp, exc: BaseException) -> None:
        shown = write.on_error(exc) if write.on_error is not None else False
        if not shown:
            self.report(write.label, exc)

    def _report_bug(self, label: str, exc: Exception) -> None:
        try:
            self.report(label, exc)  # logged with its traceback, shown as "internal error"
        except Exception:
            log.exception("showing the failure of %r failed", label)

    def cancel(self, write: WriteOp) -> None:
        if write.state == WriteOp.RUNNING and write.job is not None:
            write.job.cancel()
        elif write.state == WriteOp.WAITING and write in self._queue:
            self._queue.remove(write)
            self._finish(write, None, Cancelled())

    # --- waiting ----------------------------------------------------------------------------

    def wait_for(self, write: WriteOp | None = None, msecs: int = 30000) -> bool:
        """Process events until `write` (or every op) is finished; False on timeout."""
        deadline = time.monotonic() + msecs / 1000
        while write.is_pending() if write is not None else self.is_busy():
            if time.monotonic() > deadline:
                return False
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            self.runner.wait(20)
        return True

    def shutdown(self, msecs: int = 30000) -> bool:
        """Let the running op and the waiting ones finish: they are the user's changes."""
        return self.wait_for(None, msecs)


def _log_failure(label: str, exc: BaseException) -> None:
    if isinstance(exc, UserError):
        log.info("%s: %s", label, exc)
    else:
        log.error("%s failed", label, exc_info=exc)
