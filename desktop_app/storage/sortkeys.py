"""Sort keys that put names in the order a Chinese reader looks them up: by pinyin.

SQLite compares text by code point, which scatters Chinese names (周 before 王, 专 before 李).
Names and titles therefore carry a stored key — 王建国 -> "wang jian guo", 专业技术服务2队 ->
"zhuan ye ji shu fu wu 00000002 dui" — made when the name is set (`models.py` keeps it in step)
and indexed with the list's sort. Numbers are padded so 2队 comes before 10队; the folded name
after a separator breaks ties between names that read alike (王 and 汪).
"""

from __future__ import annotations

import re
import unicodedata

_NUMBER_RE = re.compile(r"\d+")
_SPACES_RE = re.compile(r"\s+")
_TIE_BREAK = "\x1f"  # sorts before every printable character
# Only a name's start decides its place in a list. pypinyin takes about 30 µs a character:
# a 5-million-character "name" pasted into a form held the save for many minutes.
KEY_CHARS = 200


def pinyin_key(text: str | None) -> str:
    from pypinyin import Style, lazy_pinyin  # ~150 ms and its dictionaries: only when needed

    folded = unicodedata.normalize("NFKC", (text or "")[:KEY_CHARS]).casefold().strip()
    syllables = lazy_pinyin(folded, style=Style.NORMAL, errors="default")
    spoken = _SPACES_RE.sub(" ", " ".join(syllables)).strip()
    spoken = _NUMBER_RE.sub(lambda m: m.group().zfill(8), spoken)
    return f"{spoken}{_TIE_BREAK}{folded}"
