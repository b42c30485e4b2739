"""Full-text search over teams, members, guides, sessions and photo captions.

The index lives in the library database (`desktop_app.storage.searchindex`, kept current in
the same transaction as every write). Here: ranked queries, snippets with the matching text
highlighted on the *original* text (the index only holds the folded, tokenised form), the
`check` hook that verifies and rebuilds the index, and the owner of a photo so a photo hit
can open the record that shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from desktop_app.core.i18n import _
from desktop_app.services import integrity, session_code
from desktop_app.storage import searchindex as idx
from desktop_app.storage import searchtext
from desktop_app.storage.library import Library
from desktop_app.storage.models import GuideStep, GuideStepPhoto, Member, SessionPhoto

# Snippets mark highlighted text with these two control characters (never in user text):
# "…剪掉\x02修剪\x03过的枝条…". `to_html` and `strip_marks` turn them into something visible.
HL_START = "\x02"
HL_END = "\x03"

# The kinds, in the order hits are grouped; each group's heading is the kind's plural label
# (`labels.kind_label_plural`). Both are declared with the kind (storage/kinds.py).
KINDS = idx.KINDS
SNIPPET_CHARS = 60  # characters of context around the first match
POOL = 400  # newest matches ranked per kind and query (see `search`)


@dataclass(frozen=True)
class SearchHit:
    kind: str
    id: str
    title: str  # the record's label: name, title, "date theme", caption
    snippet: str  # original text around the match, matches wrapped in HL_START/HL_END
    rank: float  # bm25 score, lower is better (FTS5); title matches are listed first


# --- highlighting ---------------------------------------------------------------------------


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """Folded text and, for each folded character, the index of its original character."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        folded = searchtext.fold(ch)
        out.append(folded)
        where.extend([i] * len(folded))
    return "".join(out), where


def _word_pattern(tokens: list[str]) -> str:
    # Tokens may be separated in the text by anything that is not a token character (spaces,
    # punctuation), as the phrase query allows; Latin tokens start at a token boundary.
    parts = []
    for i, token in enumerate(tokens):
        piece = re.escape(token)
        if i == 0 and not searchtext.is_cjk(token):
            piece = f"(?<![^\\W_{searchtext.CJK_RANGES}])" + piece
        parts.append(piece)
    return r"[\W_]*".join(parts)


def highlight_pattern(query: str) -> re.Pattern[str] | None:
    words = searchtext.query_words(query)
    if not words:
        return None
    # Longest first, so "修剪技术" wins over "修剪" where both match.
    alternatives = sorted((_word_pattern(w) for w in words), key=len, reverse=True)
    return re.compile("|".join(f"(?:{a})" for a in alternatives))


def match_spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Spans (in the original text) of every match of the folded query."""
    folded, where = _fold_with_map(text)
    spans = []
    for m in pattern.finditer(folded):
        if m.end() > m.start():
            spans.append((where[m.start()], where[m.end() - 1] + 1))
    return spans


def mark(text: str, spans: Sequence[tuple[int, int]]) -> str:
    out = []
    pos = 0
    for start, end in spans:
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(HL_START + text[start:end] + HL_END)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def make_snippet(
    title: str,
    body: str,
    query: str,
    width: int = SNIPPET_CHARS,
    *,
    pattern: re.Pattern[str] | None = None,
) -> str:
    """The body line with the most matched words, cut around its first match and marked.

    Falls back to the marked title when only the title matches.
    """
    pattern = pattern or highlight_pattern(query)
    if pattern is None:
        return body.split("\n", 1)[0][:width]
    best_line = ""
    best_spans: list[tuple[int, int]] = []
    best_score = (0, 0, 0)
    for line in body.split("\n"):
        # Cheap test on the folded line first; the per-character map only for lines that match.
        if not pattern.search(searchtext.fold(line)):
            continue
        spans = match_spans(line, pattern)
        if not spans:
            continue
        # Most distinct words, then most matches, then enough text around them to read.
        words = len({searchtext.fold(line[s:e]) for s, e in spans})
        score = (words, len(spans), min(len(line), width))
        if score > best_score:
            best_line, best_spans, best_score = line, spans, score
    if not best_spans:
        return mark(title, match_spans(title, pattern))
    first = best_spans[0][0]
    start = max(0, first - width // 3)
    end = min(len(best_line), start + width)
    start = max(0, min(start, end - width))
    window = [(s - start, e - start) for s, e in best_spans if s >= start and e <= end]
    text = mark(best_line[start:end], window)
    return ("…" if start > 0 else "") + text + ("…" if end < len(best_line) else "")


def strip_marks(snippet: str, start: str = "", end: str = "") -> str:
    return snippet.replace(HL_START, start).replace(HL_END, end)


def to_html(snippet: str, style: str = "background:#ffe58f;font-weight:bold") -> str:
    import html

    escaped = html.escape(snippet)
    return escaped.replace(HL_START, f"<span style='{style}'>").replace(HL_END, "</span>")


def mark_spans(snippet: str) -> tuple[str, list[tuple[int, int]]]:
    """The plain snippet and the highlighted spans in it (for JSON output)."""
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    start = 0
    n = 0
    for ch in snippet:
        if ch == HL_START:
            start = n
        elif ch == HL_END:
            spans.append((start, n))
        else:
            plain.append(ch)
            n += 1
    return "".join(plain), spans


# --- querying -------------------------------------------------------------------------------


CODE_RANK = float("-inf")  # a session found by its printed code ranks above every word match


def sessions_by_code(library: Library, query: str) -> list[SearchHit]:
    """The session(s) whose sheet code (活动码, `services.session_code`) the query is.

    A returned sign-in sheet carries only this code; typed or scanned into the search box, it
    finds its session. Empty when the query is not a code or no live session has it.
    """
    if session_code.parse_code(query) is None:
        return []
    with library.session() as s:
        ids = session_code.find_sessions_by_code(s, query)
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    with library.engine.connect() as conn:
        labels: dict[str, str] = dict(
            conn.exec_driver_sql(
                f"SELECT rid, label FROM {searchtext.MAP_TABLE}"
                f" WHERE kind = 'session' AND rid IN ({marks})",
                tuple(ids),
            ).all()
        )
    hits = []
    for sid in ids:
        code = session_code.session_code(sid)
        title = idx.display_label("session", str(labels.get(sid, ""))) or code
        hits.append(SearchHit("session", sid, title, f"{HL_START}{code}{HL_END}", CODE_RANK))
    return hits


def search(
    library: Library, query: str, kinds: Iterable[str] | None = None, limit: int = 50
) -> list[SearchHit]:
    """Hits grouped by kind (in `KINDS` order), best first within each kind.

    `limit` caps the hits per kind. Words are ANDed; each word matches as a phrase of
    adjacent characters, so 1- and 2-character Chinese words work. A session's printed sheet
    code (活动码) finds that session first.
    """
    expression = searchtext.match_expression(query)
    chosen = idx.kinds_or_all(kinds)
    if not chosen or limit <= 0:
        return []
    by_code = sessions_by_code(library, query) if "session" in chosen else []
    if expression is None:
        return by_code[:limit]
    # Per kind, two ranked queries. FTS5 applies the rowid range (each kind has its own docid
    # range) inside the index. Ranking every match of a word found in nearly every record
    # (学员 in 20,000 sessions) costs ~100 ms, so each query ranks a pool of the newest POOL
    # matches: exact for smaller result sets, and recent-first among near-equal hits in huge
    # ones. Title matches (first query, its own pool) always come before body-only matches,
    # so a pool cannot push a title match below a body match.
    ranked = f"""
        SELECT m.kind, m.rid, m.label, m.title_raw, m.body_raw, r.score, r.docid FROM (
            SELECT docid, score FROM (
                SELECT rowid AS docid, bm25({searchtext.FTS_TABLE}, ?, ?) AS score
                FROM {searchtext.FTS_TABLE}
                WHERE {searchtext.FTS_TABLE} MATCH ? AND rowid BETWEEN ? AND ?
                ORDER BY rowid DESC LIMIT ?
            ) ORDER BY score LIMIT ?
        ) r JOIN {searchtext.MAP_TABLE} m ON m.docid = r.docid
        ORDER BY r.score
    """
    weights = (searchtext.TITLE_WEIGHT, searchtext.BODY_WEIGHT)
    rows: list[Any] = []
    with library.engine.connect() as conn:
        for kind in chosen:
            low, high = idx.docid_range(kind)
            titled = conn.exec_driver_sql(
                ranked, (*weights, f"{{title}} : ({expression})", low, high, POOL, limit)
            ).all()
            rows.extend(titled)
            if len(titled) < limit:
                seen = {row[6] for row in titled}
                rest = conn.exec_driver_sql(
                    ranked, (*weights, expression, low, high, POOL, limit + len(titled))
                ).all()
                rows.extend([row for row in rest if row[6] not in seen][: limit - len(titled)])
    pattern = highlight_pattern(query)
    coded = {hit.id for hit in by_code}
    hits = [
        SearchHit(
            kind,
            rid,
            idx.display_label(kind, label),
            make_snippet(title, body, query, pattern=pattern),
            float(score),
        )
        for kind, rid, label, title, body, score, _docid in rows
        if not (kind == "session" and rid in coded)
    ]
    if by_code:
        # Sessions found by code lead their kind's group; the groups stay in KINDS order
        # (sorted() is stable, so each kind keeps its ranking).
        sessions = (by_code + [h for h in hits if h.kind == "session"])[:limit]
        order = {kind: i for i, kind in enumerate(KINDS)}
        others = [h for h in hits if h.kind != "session"]
        hits = sorted(others + sessions, key=lambda h: order[h.kind])
    return hits  # kinds in KINDS order, each best first


def group_by_kind(hits: Sequence[SearchHit]) -> dict[str, list[SearchHit]]:
    groups: dict[str, list[SearchHit]] = {}
    for hit in hits:
        groups.setdefault(hit.kind, []).append(hit)
    return groups


def photo_owner(library: Library, photo_id: str) -> tuple[str, str] | None:
    """The session (or else guide, or member portrait) that shows a photo, for opening it."""
    with library.session() as s:
        sid = s.scalar(
            select(SessionPhoto.session_id).where(SessionPhoto.photo_id == photo_id).limit(1)
        )
        if sid:
            return ("session", sid)
        gid = s.scalar(
            select(GuideStep.guide_id)
            .join(GuideStepPhoto, GuideStepPhoto.step_id == GuideStep.id)
            .where(GuideStepPhoto.photo_id == photo_id)
            .limit(1)
        )
        if gid:
            return ("guide", gid)
        mid = s.scalar(select(Member.id).where(Member.portrait_photo_id == photo_id).limit(1))
        if mid:
            return ("member", mid)
    return None


# --- check and repair -----------------------------------------------------------------------


def verify_index(library: Library) -> idx.IndexProblems:
    with library.engine.connect() as conn:
        # FTS5's integrity-check is written as an INSERT; a read-only library skips it.
        problems = idx.verify(conn, fts_check=not library.read_only)
        conn.rollback()
    return problems


def rebuild_index(library: Library) -> int:
    """Rebuild the whole index in one transaction; returns the number of records indexed."""
    with library.transaction() as s:
        conn: Connection = s.connection()
        return idx.rebuild(conn)


def _check_search_index(library: Library, report: integrity.CheckReport, repair: bool) -> None:
    problems = verify_index(library)
    if problems.ok:
        return
    details = []
    if problems.missing:
        details.append(_("{n} records missing").format(n=len(problems.missing)))
    if problems.outdated:
        details.append(_("{n} records out of date").format(n=len(problems.outdated)))
    if problems.extra:
        details.append(_("{n} entries for deleted records").format(n=len(problems.extra)))
    if problems.unmapped:
        details.append(_("{n} index entries without a record").format(n=problems.unmapped))
    if problems.queued:
        details.append(_("{n} changes not yet indexed").format(n=problems.queued))
    if problems.fts_damaged:
        details.append(_("the index itself is damaged"))
    problem = integrity.Problem(
        "search_index",
        _("The search index does not match the records: {details}.").format(
            details=", ".join(details)
        ),
    )
    if repair and not library.read_only:
        rebuild_index(library)
        problem.repaired = True
    report.problems.append(problem)


if _check_search_index not in integrity.EXTRA_CHECKS:
    integrity.EXTRA_CHECKS.append(_check_search_index)
