"""The record pane's forms: which form shows each kind, built the first time it is needed.

The forms need the ORM, which is slow to import on a cold start, so `LazyForms` builds each
form on first use, and once the window's first screen is painted `import_quietly` imports
their modules (`WARM_UP_MODULES`) on a background thread so the first click does not wait.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.ui.forms.base import RecordForm

log = logging.getLogger(__name__)

# kind -> (module, class) of its form; imported when the form is first needed.
FORM_CLASSES: dict[str, tuple[str, str]] = {
    "team": ("desktop_app.ui.forms.team", "TeamForm"),
    "member": ("desktop_app.ui.forms.member", "MemberForm"),
    "guide": ("desktop_app.ui.forms.guide", "GuideForm"),
    "session": ("desktop_app.ui.forms.session", "SessionForm"),
}

# Imported in the background once the window is on screen (see `MainWindow._warm_up`).
WARM_UP_MODULES = [module for module, _cls in FORM_CLASSES.values()] + [
    "desktop_app.ui.undo",
    "desktop_app.ui.photo_grid",
    "desktop_app.ui.step_photos",
]


def import_quietly(modules: list[str], stop: threading.Event) -> None:
    for name in modules:
        if stop.is_set():
            return
        try:
            importlib.import_module(name)
        except Exception:  # the GUI thread imports it again when needed, and reports then
            log.exception("background import of %s failed", name)


class LazyForms(Mapping[str, "RecordForm"]):
    """The record forms by kind, each built the first time it is asked for."""

    def __init__(self, build: Callable[[str], RecordForm]) -> None:
        self._build = build
        self._built: dict[str, RecordForm] = {}

    def __getitem__(self, kind: str) -> RecordForm:
        form = self._built.get(kind)
        if form is None:
            if kind not in FORM_CLASSES:
                raise KeyError(kind)
            form = self._built[kind] = self._build(kind)
        return form

    def __iter__(self) -> Iterator[str]:
        return iter(FORM_CLASSES)

    def __len__(self) -> int:
        return len(FORM_CLASSES)

    def is_built(self, kind: str) -> bool:
        return kind in self._built
