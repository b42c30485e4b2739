"""Who is asking: the signed-in user and device behind a request, and what they may do.

Made by `hub.accounts.authenticate_token` from a device token; the sync service
(`hub.sync`) decides permissions from it alone, so the rules live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

ADMIN, LEADER, READER = "admin", "leader", "reader"
ROLES: tuple[str, ...] = (ADMIN, LEADER, READER)


@dataclass(frozen=True)
class Principal:
    user_id: str
    user_name: str
    role: str  # one of ROLES
    team_ids: frozenset[str]  # the teams a leader leads (empty for others)
    device_id: str

    @property
    def may_publish(self) -> bool:
        return self.role in (ADMIN, LEADER)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN
