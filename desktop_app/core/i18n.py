"""One translation system for the Qt-free core and the UI: gettext catalogs built with Babel.

Source strings are English; `resources/translations/<lang>/LC_MESSAGES/jiangxin.po` holds the
translations and the compiled `.mo` sits beside it. Use `_()` for strings translated on the
spot, `N_()` to mark module-level constants that are translated when shown, and
`pgettext(context, ...)` for a short word whose translation depends on where it is used.

Handouts render in their own language: `translator_for(lang)` gives a translation function that
does not depend on the UI language.
"""

from __future__ import annotations

import contextlib
import gettext
import locale
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import cache

from desktop_app.core.paths import resources_dir

DOMAIN = "jiangxin"
SUPPORTED_LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"

_current: gettext.NullTranslations = gettext.NullTranslations()
_current_language = "en"
# A language for the current request only (the hub serves laptops in different languages at
# once, from several threads): when set, it wins over the process-wide UI language.
_request: ContextVar[gettext.NullTranslations | None] = ContextVar("_request", default=None)


def locale_dir() -> str:
    return str(resources_dir() / "translations")


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, locale_dir(), languages=[lang], fallback=True)


def system_language() -> str:
    """zh_CN unless the system explicitly asks for another language.

    The users are Chinese: a machine with no locale set (C/POSIX) gets Chinese too.
    """
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            break
    else:
        value = locale.getlocale()[0] or ""
    value = value.split(":")[0].split(".")[0]
    if not value or value in ("C", "POSIX") or value.startswith("zh"):
        return "zh_CN"
    return "en"


def set_language(lang: str | None) -> str:
    """Switch the UI language (None: from the system). Returns the language now in use."""
    global _current, _current_language
    chosen = lang or system_language()
    if chosen not in SUPPORTED_LANGUAGES:
        chosen = "en"
    _current = _translations(chosen)
    _current_language = chosen
    return chosen


def current_language() -> str:
    return _current_language


def _active() -> gettext.NullTranslations:
    return _request.get() or _current


def _(message: str) -> str:
    """Translate into the current UI language."""
    return _active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """Translate a word that means different things in different places ("From": a date
    filter's start, or where a record came from); `context` tells the translator which."""
    return _active().pgettext(context, message)


@contextlib.contextmanager
def request_language(lang: str) -> Iterator[None]:
    """Translate into `lang` within this block, in this thread or task only (a server's
    request), leaving the process-wide language alone."""
    token = _request.set(_translations(lang if lang in SUPPORTED_LANGUAGES else "en"))
    try:
        yield
    finally:
        _request.reset(token)


FULL_WIDTH_ENDS = ("。", "！", "？", "；", "：", "）", "」", "”")


def sentences(*parts: str) -> str:
    """Translated sentences one after another: a space after a Latin full stop, none after a
    Chinese one (a space between Chinese sentences reads as a gap)."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if out and not out.endswith(FULL_WIDTH_ENDS):
            out += " "
        out += part
    return out


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


def translator_for(lang: str) -> Callable[[str], str]:
    """A translation function for a fixed language (handouts, reports). The language is
    often a stored setting, and it names a folder of catalogues: anything but a language we
    ship reads as the default one, never as a path to some other `.mo` file."""
    return _translations(lang if lang in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE).gettext


set_language(None)
