"""Search text without the database: folding, per-character CJK tokens, MATCH expressions.

Kept apart from `searchindex` (which hooks into SQLAlchemy sessions) so the list filters can
use the index from plain `sqlite3` before SQLAlchemy is imported (see `services/listing.py`).
"""

from __future__ import annotations

import re
import unicodedata

FTS_TABLE = "search_fts"
MAP_TABLE = "search_fts_map"
QUEUE_TABLE = "search_fts_queue"

# Title matches count ten times a body match in bm25 (columns: title, body).
TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0

# CJK ideographs (with extensions and compatibility forms), kana, bopomofo and Hangul.
CJK_RANGES = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f"
)
_CJK_RE = re.compile(f"([{CJK_RANGES}])")
_CJK_CHAR_RE = re.compile(f"[{CJK_RANGES}]")
# What unicode61 keeps as token characters: letters and numbers (not "_").
_TOKEN_RE = re.compile(r"[^\W_]+")


# --- text folding and tokens ----------------------------------------------------------------


def fold(text: str) -> str:
    """Compatibility-normalised, case-folded text (full-width ４５ -> 45, ＡＢ -> ab)."""
    return unicodedata.normalize("NFKC", text).casefold()


def index_text(text: str) -> str:
    """Text as stored in the FTS table: folded, each CJK character a separate token."""
    # split() with a capturing group isolates each CJK character; several times faster
    # than sub() with a template on large imports.
    return " ".join(_CJK_RE.split(fold(text)))


def query_tokens(word: str) -> list[str]:
    """The tokens of one query word, in order (CJK characters one by one)."""
    return _TOKEN_RE.findall(index_text(word))


def is_cjk(token: str) -> bool:
    return bool(_CJK_CHAR_RE.fullmatch(token))


def query_words(query: str) -> list[list[str]]:
    """Whitespace-separated words of a query as token lists (empty words dropped)."""
    words = [query_tokens(w) for w in fold(query).split()]
    return [w for w in words if w]


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression: each word a phrase of adjacent tokens, words ANDed.

    A word ending in Latin letters or digits matches as a prefix (typing "pyth" finds
    "python"); CJK characters match exactly. None when the query has no searchable token.
    """
    parts = []
    for tokens in query_words(query):
        phrase = '"' + " ".join(tokens) + '"'  # tokens hold only letters/digits: no quotes
        if not is_cjk(tokens[-1]):
            phrase += " *"
        parts.append(phrase)
    return " AND ".join(parts) if parts else None


def matching_ids_sql(kind_param: str = "?", expression_param: str = "?") -> str:
    """SQL selecting the ids of one kind whose document matches an FTS5 expression."""
    return (
        f"SELECT m.rid FROM {FTS_TABLE} JOIN {MAP_TABLE} m ON m.docid = {FTS_TABLE}.rowid"
        f" WHERE {FTS_TABLE} MATCH {expression_param} AND m.kind = {kind_param}"
    )
