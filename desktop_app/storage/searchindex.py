"""The full-text search index: an FTS5 table in the library database, never stale.

Chinese has no spaces, and FTS5's trigram tokenizer cannot find 1- or 2-character words
(天牛, 蜂). So text is folded (NFKC, so ４５ == 45 and ＡＢ == ab; casefold) and every CJK
character becomes its own token before the `unicode61` tokenizer sees it. A query becomes,
word by word, a phrase of adjacent tokens: 修剪 -> "修 剪", 45度 -> "45 度", 3到5个 ->
"3 到 5 个"; several words are ANDed.

Keeping it current without every writer knowing about it: triggers on the indexed tables
(migration 0002) note the touched aggregate in `search_fts_queue` on every insert, update or
delete, whether it comes from the ORM, a Core bulk insert or a pack merge. A `before_commit`
listener on every SQLAlchemy `Session` re-indexes the queued aggregates inside the same
transaction, so the index commits (or rolls back) together with the edit. Importing this
module registers the listener; `storage/library.py` imports it, so any open `Library` has it.

Tables (created by migration 0002; all names contain "fts"):
- `search_fts(title, body)`: the FTS5 table of tokenised text, rowid = docid;
- `search_fts_map(docid, kind, rid, label, title_raw, body_raw)`: which record a document is,
  its display label and the original text the highlighted snippets are cut from;
- `search_fts_queue(kind, rid)`: aggregates waiting to be re-indexed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, TextualSelect, event, text
from sqlalchemy.orm import Session

from desktop_app.storage.kinds import DISPLAY_ORDER
from desktop_app.storage.kinds import KINDS as RECORD_KINDS
from desktop_app.storage.searchtext import (
    FTS_TABLE,
    MAP_TABLE,
    QUEUE_TABLE,
    index_text,
    matching_ids_sql,
)

# The kinds in the index, in the order results are grouped (storage/kinds.py).
KINDS: tuple[str, ...] = DISPLAY_ORDER


def trigger_sources() -> dict[str, tuple[str, str]]:
    """Tables whose rows change an aggregate's document: table -> (kind, column holding its
    id). Derived from each kind's search document (storage/kinds.py)."""
    sources: dict[str, tuple[str, str]] = {}
    for kind in KINDS:
        spec = RECORD_KINDS[kind]
        sources[spec.table] = (kind, "id")
        for child in spec.search_document.children:
            sources[child.table] = (kind, child.key)
    return sources


TRIGGER_SOURCES = trigger_sources()


# --- documents ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    kind: str
    rid: str
    label: str  # how a hit is named in result lists
    title: str  # original text of the title field(s)
    body: list[str]  # original text of every other field, one entry per field or child row

    @property
    def body_raw(self) -> str:
        return "\n".join(self.body)


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return value if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    out = []
    for item in _json_list(value):
        if isinstance(item, dict):
            text = item.get("title") or item.get("name") or ""
            year = item.get("year")
            out.append(f"{text} {year}" if year else str(text))
        elif item is not None:
            out.append(str(item))
    return [s for s in out if s.strip()]


def display_label(kind: str, label: str) -> str:
    """A stored label as shown, as the kind's search document says (a session's date at its
    place in front of its theme)."""
    shown = RECORD_KINDS[kind].search_document.shown_label
    return label if shown is None else shown(label)


def _in_list(n: int) -> str:
    return ",".join("?" * n)


def _children(
    conn: Connection, table: str, key: str, columns: str, ids: Sequence[str]
) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    rows = conn.exec_driver_sql(
        f"SELECT {key}, {columns} FROM {table} WHERE {key} IN ({_in_list(len(ids))})"
        f" ORDER BY {key}, position",
        tuple(ids),
    ).all()
    for row in rows:
        out.setdefault(row[0], []).append(tuple(row[1:]))
    return out


def build_documents(conn: Connection, kind: str, ids: Sequence[str]) -> dict[str, Document]:
    """Documents of the live records among `ids` (deleted or missing ids are left out), as
    each kind's search document (storage/kinds.py) declares them."""
    if not ids:
        return {}
    spec = RECORD_KINDS[kind]
    doc = spec.search_document
    fields = doc.fields_read()
    children = [
        (child, _children(conn, child.table, child.key, ", ".join(child.columns), ids))
        for child in doc.children
    ]
    docs: dict[str, Document] = {}
    for rid, *stored in conn.exec_driver_sql(
        f"SELECT id, {', '.join(spec.column(f) for f in fields)} FROM {spec.table}"
        f" WHERE id IN ({_in_list(len(ids))}) AND deleted_at IS NULL",
        tuple(ids),
    ):
        values = dict(zip(fields, stored, strict=True))
        body: list[str] = []
        for field in doc.body:
            body.extend(_strings(values[field]) if field in spec.list_fields else [values[field]])
        for child, rows in children:
            body.extend(child.text(row) for row in rows.get(rid, []))
        title = values[doc.title]
        docs[rid] = Document(kind, rid, doc.label_of(values), title, [b for b in body if b])
    return docs


# --- writing the index ----------------------------------------------------------------------

_KIND_SPAN = 1 << 40


def docid_range(kind: str) -> tuple[int, int]:
    """The docids (= FTS rowids) of one kind: a contiguous range, so a query can rank one
    kind at a time with a rowid constraint FTS5 evaluates inside the index."""
    low = (RECORD_KINDS[kind].search_document.slot + 1) * _KIND_SPAN
    return low, low + _KIND_SPAN - 1


CHUNK = 500


def _has_index(conn: Connection) -> bool:
    if conn.dialect.name != "sqlite":
        return False  # the FTS5 index lives in laptop libraries only
    return (
        conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (QUEUE_TABLE,)
        ).first()
        is not None
    )


def reindex(conn: Connection, kind: str, ids: Sequence[str]) -> None:
    """Replace the documents of these records (removing those no longer live)."""
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        marks = _in_list(len(chunk))
        old = [
            (docid,)
            for (docid,) in conn.exec_driver_sql(
                f"SELECT docid FROM {MAP_TABLE} WHERE kind = ? AND rid IN ({marks})",
                (kind, *chunk),
            )
        ]
        if old:
            conn.exec_driver_sql(f"DELETE FROM {FTS_TABLE} WHERE rowid = ?", old)
            conn.exec_driver_sql(f"DELETE FROM {MAP_TABLE} WHERE docid = ?", old)
        docs = build_documents(conn, kind, chunk)
        if not docs:
            continue
        low, high = docid_range(kind)
        last = conn.exec_driver_sql(
            f"SELECT MAX(docid) FROM {MAP_TABLE} WHERE docid BETWEEN ? AND ?", (low, high)
        ).scalar()
        next_id = low if last is None else int(last) + 1
        map_rows = []
        fts_rows = []
        for offset, doc in enumerate(docs.values()):
            docid = next_id + offset
            map_rows.append((docid, doc.kind, doc.rid, doc.label, doc.title, doc.body_raw))
            fts_rows.append((docid, index_text(doc.title), index_text(doc.body_raw)))
        conn.exec_driver_sql(
            f"INSERT INTO {MAP_TABLE} (docid, kind, rid, label, title_raw, body_raw)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            map_rows,
        )
        conn.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (?, ?, ?)", fts_rows
        )


def process_queue(conn: Connection) -> int:
    """Re-index every queued aggregate and empty the queue; returns how many were queued."""
    rows = conn.exec_driver_sql(f"SELECT kind, rid FROM {QUEUE_TABLE}").all()
    if not rows:
        return 0
    by_kind: dict[str, list[str]] = {}
    for kind, rid in rows:
        by_kind.setdefault(kind, []).append(rid)
    for kind, ids in by_kind.items():
        if kind in KINDS:
            reindex(conn, kind, ids)
    conn.exec_driver_sql(f"DELETE FROM {QUEUE_TABLE}")
    return len(rows)


def rebuild(conn: Connection) -> int:
    """Throw the whole index away and index every live record again; returns the count."""
    # Dropping the FTS table (rather than deleting its rows) also clears a damaged index.
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    _create_fts(conn)
    conn.exec_driver_sql(f"DELETE FROM {MAP_TABLE}")
    conn.exec_driver_sql(f"DELETE FROM {QUEUE_TABLE}")
    for kind in KINDS:
        conn.exec_driver_sql(
            f"INSERT INTO {QUEUE_TABLE} (kind, rid) SELECT ?, id FROM {RECORD_KINDS[kind].table}"
            " WHERE deleted_at IS NULL",
            (kind,),
        )
    count = process_queue(conn)
    conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")
    return count


@dataclass
class IndexProblems:
    missing: list[tuple[str, str]]  # live records without a document
    extra: list[tuple[str, str]]  # documents of deleted or missing records
    outdated: list[tuple[str, str]]  # documents whose text differs from the record
    queued: int  # aggregates waiting in the queue (written outside a Session)
    fts_damaged: str  # FTS5's own integrity-check message, "" when fine
    unmapped: int = 0  # FTS rows that no map row names

    @property
    def ok(self) -> bool:
        return not (
            self.missing
            or self.extra
            or self.outdated
            or self.queued
            or self.fts_damaged
            or self.unmapped
        )


def verify(conn: Connection, *, fts_check: bool = True) -> IndexProblems:
    """Compare the index with what the records say it should hold."""
    stored: dict[tuple[str, str], tuple[str, str, str]] = {}
    for kind, rid, label, title, body in conn.exec_driver_sql(
        f"SELECT m.kind, m.rid, m.label, f.title, f.body FROM {MAP_TABLE} m"
        f" LEFT JOIN {FTS_TABLE} f ON f.rowid = m.docid"
    ):
        stored[(kind, rid)] = (label, title or "", body or "")
    orphan_docs = int(
        conn.exec_driver_sql(
            f"SELECT COUNT(*) FROM {FTS_TABLE} WHERE rowid NOT IN (SELECT docid FROM {MAP_TABLE})"
        ).scalar()
        or 0
    )
    missing: list[tuple[str, str]] = []
    outdated: list[tuple[str, str]] = []
    expected: set[tuple[str, str]] = set()
    for kind in KINDS:
        ids = [
            rid
            for (rid,) in conn.exec_driver_sql(
                f"SELECT id FROM {RECORD_KINDS[kind].table} WHERE deleted_at IS NULL"
            )
        ]
        for start in range(0, len(ids), CHUNK):
            for rid, doc in build_documents(conn, kind, ids[start : start + CHUNK]).items():
                key = (kind, rid)
                expected.add(key)
                have = stored.get(key)
                if have is None:
                    missing.append(key)
                elif have != (doc.label, index_text(doc.title), index_text(doc.body_raw)):
                    outdated.append(key)
    extra = sorted(set(stored) - expected)
    queued = int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {QUEUE_TABLE}").scalar() or 0)
    damaged = ""
    if fts_check:
        try:
            conn.exec_driver_sql(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)"
            )
        except Exception as exc:  # sqlite3.DatabaseError: "database disk image is malformed"
            damaged = str(getattr(exc, "orig", exc))
    return IndexProblems(missing, extra, outdated, queued, damaged, orphan_docs)


# --- schema (used by migration 0002) --------------------------------------------------------


def _create_fts(conn: Connection) -> None:
    # remove_diacritics 2: é == e; tokenchars stay default so "_" and punctuation separate.
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
        "title, body, tokenize = 'unicode61 remove_diacritics 2')"
    )


def create_schema(conn: Connection, triggers: dict[str, tuple[str, str]]) -> None:
    """The index's tables, and a trigger on each of `triggers` (table -> (kind, id column)):
    the migration passes the tables as they were when it was written."""
    _create_fts(conn)
    conn.exec_driver_sql(
        f"CREATE TABLE {MAP_TABLE} (docid INTEGER PRIMARY KEY, kind VARCHAR(16) NOT NULL,"
        " rid VARCHAR(36) NOT NULL, label TEXT NOT NULL, title_raw TEXT NOT NULL,"
        " body_raw TEXT NOT NULL, UNIQUE (kind, rid))"
    )
    conn.exec_driver_sql(
        f"CREATE TABLE {QUEUE_TABLE} (kind VARCHAR(16) NOT NULL, rid VARCHAR(36) NOT NULL,"
        " PRIMARY KEY (kind, rid)) WITHOUT ROWID"
    )
    for table, (kind, column) in triggers.items():
        for op, rows in (("insert", ("NEW",)), ("update", ("NEW", "OLD")), ("delete", ("OLD",))):
            inserts = " ".join(
                f"INSERT OR IGNORE INTO {QUEUE_TABLE} (kind, rid) VALUES ('{kind}', {r}.{column});"
                for r in rows
            )
            conn.exec_driver_sql(
                f"CREATE TRIGGER trg_{table}_{op}_fts AFTER {op.upper()} ON {table}"
                f" BEGIN {inserts} END"
            )


def drop_schema(conn: Connection, triggers: dict[str, tuple[str, str]]) -> None:
    for table in triggers:
        for op in ("insert", "update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{table}_{op}_fts")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {QUEUE_TABLE}")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {MAP_TABLE}")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")


# --- keeping it current ---------------------------------------------------------------------


def _before_commit(session: Session) -> None:
    # Flush first: the commit's own flush comes after this hook, and its rows must be indexed.
    session.flush()
    conn = session.connection()
    if _has_index(conn):
        process_queue(conn)


def flush_pending(conn: Connection) -> int:
    """Index what is queued, for writers that use a bare Connection instead of a Session."""
    return process_queue(conn) if _has_index(conn) else 0


def installed() -> bool:
    return event.contains(Session, "before_commit", _before_commit)


if not installed():
    event.listen(Session, "before_commit", _before_commit)


def kinds_or_all(kinds: Iterable[str] | None) -> list[str]:
    chosen = list(KINDS) if kinds is None else [k for k in KINDS if k in set(kinds)]
    return chosen


def matching_ids(kind: str, expression: str) -> TextualSelect:
    """A subquery of the ids of `kind` whose document matches an FTS5 expression."""
    return (
        text(matching_ids_sql(":fts_kind", ":fts_expression"))
        .bindparams(fts_expression=expression, fts_kind=kind)
        .columns(rid=String)
    )
