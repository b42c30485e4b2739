"""Guard against a PySide6 release whose Signal.emit() leaks a reference count on True.

PySide6 6.12.0 returns `True` from `emit()` without taking a reference: each emit lowers
True's refcount by one, and on Python 3.11 (where True is not immortal) the process aborts
with "bool_dealloc" once enough signals were emitted. pyproject.toml excludes that release.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal(bool)


def test_emitting_signals_keeps_true_alive(qapp: Any) -> None:
    emitter = _Emitter()
    received: list[bool] = []
    emitter.changed.connect(received.append)
    before = sys.getrefcount(True)
    for _ in range(200):
        emitter.changed.emit(True)
    received.clear()
    assert sys.getrefcount(True) >= before - 5
