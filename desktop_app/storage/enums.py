"""The data model's closed vocabularies (stored as their string values).

A module of its own so labels and lists can use them without importing SQLAlchemy.
"""

from __future__ import annotations

from enum import StrEnum


class TeamCategory(StrEnum):
    MANAGEMENT = "management"  # 综合管理
    TECHNICAL = "technical"  # 专业技术
    EDUCATION = "education"  # 教育培训
    MEDICAL = "medical"  # 医疗卫生
    OTHER = "other"


class TeamRole(StrEnum):
    CAPTAIN = "captain"  # 队长
    VICE_CAPTAIN = "vice_captain"  # 副队长
    MEMBER = "member"  # 队员


class SessionRole(StrEnum):
    LECTURE = "lecture"  # 讲解
    DEMONSTRATE = "demonstrate"  # 示范
    COACH = "coach"  # 指导
    OTHER = "other"
