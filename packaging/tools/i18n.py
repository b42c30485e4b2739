"""Translation catalogs: extract strings from the code, merge them into the .po files, compile.

    python packaging/tools/i18n.py update    # extract + merge into resources/translations/*/.po
    python packaging/tools/i18n.py compile   # .po -> .mo (the app loads the .mo)
    python packaging/tools/i18n.py missing   # list msgids without a translation
    python packaging/tools/i18n.py apply zh_CN FILE.json   # merge {msgid: msgstr} into the .po

Strings are marked in the code with `_()`, `N_()` and `ngettext()` (desktop_app.core.i18n).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "desktop_app"
TRANSLATIONS = ROOT / "resources" / "translations"
DOMAIN = "jiangxin"
LANGUAGES = ["zh_CN"]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def extract() -> Catalog:
    catalog = Catalog(project="jiangxin", charset="utf-8")
    method_map = [("**/migrations/**.py", "ignore"), ("**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SOURCE), method_map=method_map, keywords=KEYWORDS
    ):
        catalog.add(
            message,
            None,
            [(f"desktop_app/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="jiangxin", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def update() -> None:
    template = extract()
    for lang in LANGUAGES:
        catalog = read(lang)
        catalog.update(template, no_fuzzy_matching=True)
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(
                handle,
                catalog,
                omit_header=False,
                sort_output=False,
                width=100,
                ignore_obsolete=True,
            )


def compile_all() -> None:
    for lang in LANGUAGES:
        catalog = read(lang)
        with po_path(lang).with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


def missing() -> list[str]:
    template = extract()
    out = []
    for lang in LANGUAGES:
        catalog = read(lang)
        for message in template:
            if not message.id:
                continue
            translated = catalog.get(message.id, context=message.context)
            strings = translated.string if translated is not None else ""
            # Plural entries hold a tuple (msgstr[0], ...): every form must be filled in.
            forms = strings if isinstance(strings, tuple | list) else (strings,)
            if translated is None or translated.fuzzy or not all(forms):
                out.append(f"{lang}: {message.id!r}")
    return out


def apply(lang: str, json_path: Path) -> int:
    """Fill translations from a JSON object {msgid: msgstr}; returns how many were set.
    A message with a context (pgettext) is keyed "context|msgid"; a plural message (ngettext)
    by its singular msgid, with a list of its forms."""
    import json

    translations = json.loads(json_path.read_text("utf-8"))
    catalog = read(lang)
    count = 0
    for message in catalog:
        # A plural entry is keyed by its singular msgid and takes a list of forms.
        msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
        key = f"{message.context}|{msgid}" if message.context else msgid
        if msgid and isinstance(key, str) and key in translations:
            value = translations[key]
            message.string = tuple(value) if isinstance(value, list) else value
            message.flags.discard("fuzzy")
            count += 1
    with po_path(lang).open("wb") as handle:
        write_po(handle, catalog, sort_output=False, width=100, ignore_obsolete=True)
    return count


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "update"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "missing":
        items = missing()
        print("\n".join(items) or "all translated")
        sys.exit(1 if items else 0)
    elif command == "apply":
        print(apply(sys.argv[2], Path(sys.argv[3])), "translations applied")
    else:
        sys.exit(__doc__)
