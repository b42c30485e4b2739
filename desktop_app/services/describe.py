"""Records as labelled lines for people: `jiangxin show` and the window's detail view."""

from __future__ import annotations

from typing import Any

from desktop_app.core.i18n import _
from desktop_app.services import listing
from desktop_app.services.labels import (
    SESSION_ROLE_LABELS,
    TEAM_CATEGORY_LABELS,
    TEAM_ROLE_LABELS,
    label,
)
from desktop_app.storage.library import Library


def _names(library: Library, kind: str, ids: list[str]) -> dict[str, str]:
    rows = listing.fetch_rows(library, kind, ids)
    key = "title" if kind == "guide" else "name"
    return {i: str(r.get(key, "")) for i, r in rows.items()}


def describe(library: Library, kind: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Human lines for `show`: field label and value, with references resolved to names."""
    lines: list[tuple[str, str]] = [("ID", data["id"]), (_("Revision"), str(data["revision"]))]
    if kind == "team":
        names = _names(library, "member", [m["member_id"] for m in data["members"]])
        lines += [
            (_("Name"), data["name"]),
            (_("Category"), label(TEAM_CATEGORY_LABELS, data["category"])),
            (_("Union"), data["parent_union"]),
            (_("Description"), data["description"]),
            (_("Expertise"), "、".join(data["expertise"])),
        ]
        lines += [
            (
                _("Member"),
                f"{names.get(m['member_id'], '?')}（{label(TEAM_ROLE_LABELS, m['role'])}）",
            )
            for m in data["members"]
        ]
    elif kind == "member":
        honours = [
            h["title"] + (f"（{h['year']}）" if h.get("year") else "") for h in data["honours"]
        ]
        lines += [
            (_("Name"), data["name"]),
            (_("Honours"), "、".join(honours)),
            (_("Specialty"), data["specialty"]),
            (_("Employer"), data["employer"]),
            (_("Phone"), data["phone"]),
        ]
    elif kind == "guide":
        lines += [
            (_("Title"), data["title"]),
            (_("Category"), data["category"]),
            (_("Problem"), data["problem"]),
            (_("Season"), data["season"]),
            (_("Materials and tools"), "、".join(data["materials"])),
            (_("Key points"), "；".join(data["key_points"])),
        ]
        lines += [(_("Step {n}").format(n=i + 1), s["text"]) for i, s in enumerate(data["steps"])]
        lines += [
            (_("Safety notes"), "；".join(data["safety_notes"])),
            (_("Common mistakes"), "；".join(data["common_mistakes"])),
            (_("Tags"), "、".join(data["tags"])),
        ]
    elif kind == "session":
        members = _names(library, "member", [a["member_id"] for a in data["attendees"]])
        teams = _names(library, "team", data["team_ids"])
        guides = _names(library, "guide", data["guide_ids"])
        lines += [
            (_("Date"), data["starts_at"]),
            (_("Venue"), data["venue"]),
            (_("Theme"), data["theme"]),
            (_("Hosts"), "、".join(data["host_organisations"])),
            (_("Teams"), "、".join(teams.get(t, "?") for t in data["team_ids"])),
        ]
        for a in data["attendees"]:
            role = label(SESSION_ROLE_LABELS, a["role"])
            lines.append((_("Present"), f"{members.get(a['member_id'], '?')}（{role}）{a['note']}"))
        lines += [
            (_("Participants"), g["name"] + (f" × {g['count']}" if g["count"] is not None else ""))
            for g in data["groups"]
        ]
        lines += [
            (_("Agenda"), " ".join(filter(None, (a["time"], a["title"], a["leader"]))))
            for a in data["agenda"]
        ]
        lines += [(_("Guide"), guides.get(g, "?")) for g in data["guide_ids"]]
        lines += [
            (_("Feedback"), f"“{f['text']}” —— {f['speaker_role']}{f['speaker']}")
            for f in data["feedback"]
        ]
        lines += [(_("Follow-up"), f) for f in data["follow_ups"]]
        lines.append((_("Photos"), str(len(data["photo_ids"]))))
    elif kind == "photo":
        lines += [
            (_("File"), data["original_name"]),
            ("SHA-256", data["sha256"]),
            (_("Taken"), str(data["taken_at"] or "")),
            (_("Camera"), data["camera"]),
            (_("Size"), f"{data['width']}×{data['height']}, {data['byte_size']} B"),
            (_("Caption"), data["caption"]),
        ]
    return lines
