"""Translations: the Chinese catalog is complete, consistent and compiled; language choice."""

from __future__ import annotations

import gettext
import io
import re
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from desktop_app.core import i18n

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "resources" / "translations" / "zh_CN" / "LC_MESSAGES" / "jiangxin.po"
sys.path.insert(0, str(ROOT / "packaging" / "tools"))
import i18n as i18n_tools  # noqa: E402

FIELD = re.compile(r"\{[a-z_]*\}")


def _catalog() -> list[tuple[str, str]]:
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    return [(m.id, m.string) for m in catalog if m.id and isinstance(m.id, str)]


def test_every_user_visible_string_has_a_chinese_translation() -> None:
    """Fails when a string marked with _() / N_() has no Chinese: run `make translations`."""
    assert i18n_tools.missing() == []


def test_translations_keep_the_placeholders() -> None:
    for msgid, msgstr in _catalog():
        if msgstr:
            assert sorted(FIELD.findall(msgid)) == sorted(FIELD.findall(msgstr)), msgid


def test_compiled_catalog_is_up_to_date() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    fresh = gettext.GNUTranslations(buffer)
    shipped = i18n._translations("zh_CN")
    for msgid, _msgstr in _catalog():
        assert shipped.gettext(msgid) == fresh.gettext(msgid), f"run `make translations`: {msgid}"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "zh_TW.UTF-8"}, "zh_CN"),
        ({"LANG": "C"}, "zh_CN"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "de_DE.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ],
)
def test_system_language(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert i18n.system_language() == expected


def test_set_language_switches_and_translator_for_is_independent() -> None:
    i18n.set_language("zh_CN")
    assert i18n._("Service teams") == "服务队"
    i18n.set_language("en")
    assert i18n._("Service teams") == "Service teams"
    assert i18n.translator_for("zh_CN")("Key points") == "要点"


def test_cli_speaks_chinese(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from desktop_app.cli import main

    code = main(["--lang", "zh_CN", "--library", str(demo_dir), "show", "team", "nope"])
    assert code == 1
    assert "没有编号为 nope 的服务队" in capsys.readouterr().err


def test_a_word_with_two_meanings_gets_two_translations() -> None:
    try:
        i18n.set_language("zh_CN")
        assert i18n._("From") == "从"  # the date filter's start
        assert i18n.pgettext("where a record came from", "From") == "来源"
        i18n.set_language("en")
        assert i18n.pgettext("where a record came from", "From") == "From"
    finally:
        i18n.set_language(None)


def test_sentences_are_joined_with_a_space_only_after_a_latin_full_stop() -> None:
    from desktop_app.core.i18n import sentences

    assert sentences("已同步。", "中心未接受 1 项。") == "已同步。中心未接受 1 项。"
    assert sentences("Synced.", "1 not accepted.") == "Synced. 1 not accepted."
    assert sentences("中心已从备份恢复。", "", "  ", "Synced.") == "中心已从备份恢复。Synced."
    assert sentences() == ""
