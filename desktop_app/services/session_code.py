"""The short code printed on a session's sign-in and feedback sheets (活动码, e.g. ``7K3M-Q9TD``).

Paper comes back from the field with nothing but this code to say which session it belongs to,
so it must be read aloud, typed and scanned without mistakes: eight characters of Crockford's
base32 (digits and capitals without I, L, O and U), printed in two groups of four. Reading is
forgiving: lower case, the letters O/I/L for 0/1, spaces and hyphens are all accepted.

The code is the first 40 bits of the session's UUID, so finding the session is an indexed range
query on the id, not a scan. (An id that is not a UUID, as an imported record may have, uses
the first 40 bits of its SHA-256 instead; those few are compared one by one.) With 20,000
sessions the chance that two share a code is about 1 in 5,000; the lookup returns every match.
"""

from __future__ import annotations

import hashlib
import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.storage.models import FieldSession

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8  # characters, 5 bits each
BITS = LENGTH * 5
_DECODE = {ch: i for i, ch in enumerate(ALPHABET)}
_DECODE.update({"O": 0, "I": 1, "L": 1})
_SEPARATORS = re.compile(r"[\s\-_.]+")


# A canonical (lower-case, hyphenated) UUID, as `models.new_id` makes them; SQLite GLOB.
_HEX = "[0-9a-f]"
UUID_GLOB = "-".join(_HEX * n for n in (8, 4, 4, 4, 12))


def _is_uuid(session_id: str) -> bool:
    try:
        return str(uuid.UUID(session_id)) == session_id
    except ValueError:
        return False


def _id_bits(session_id: str) -> int:
    if _is_uuid(session_id):
        value = uuid.UUID(session_id).int
    else:
        value = int.from_bytes(hashlib.sha256(session_id.encode("utf-8")).digest()[:16], "big")
    return value >> (128 - BITS)


def session_code(session_id: str) -> str:
    """The printed code of a session: ``XXXX-XXXX``."""
    bits = _id_bits(session_id)
    chars = [ALPHABET[(bits >> (5 * (LENGTH - 1 - i))) & 31] for i in range(LENGTH)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def parse_code(text: str) -> int | None:
    """The 40 bits a typed or scanned code stands for; None when `text` is not a code."""
    cleaned = _SEPARATORS.sub("", text.strip().upper())
    if len(cleaned) != LENGTH or any(ch not in _DECODE for ch in cleaned):
        return None
    # Eight letters of a word ("GRAFTING") parse too: the caller looks the code up, and a
    # word that is no session's code finds nothing.
    bits = 0
    for ch in cleaned:
        bits = (bits << 5) | _DECODE[ch]
    return bits


def find_sessions_by_code(s: Session, text: str) -> list[str]:
    """Ids of the live sessions whose code `text` is (usually one; none when it is no code)."""
    bits = parse_code(text)
    if bits is None:
        return []
    hex_prefix = f"{bits:010x}"  # 40 bits = the first 10 hex digits of the UUID
    prefix = hex_prefix[:8] + "-" + hex_prefix[8:]
    live = FieldSession.deleted_at.is_(None)
    # UUIDs are stored in lower case: a range on the primary key finds the prefix by index.
    by_prefix = select(FieldSession.id).where(
        live, FieldSession.id >= prefix, FieldSession.id < prefix + "\x7f"
    )
    found = [sid for sid in s.scalars(by_prefix) if _is_uuid(sid)]
    not_uuid = FieldSession.id.op("NOT GLOB", is_comparison=True)(UUID_GLOB)
    others = select(FieldSession.id).where(live, not_uuid)
    found += [sid for sid in s.scalars(others) if not _is_uuid(sid) and _id_bits(sid) == bits]
    return found
