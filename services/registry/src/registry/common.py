"""Local time for people: instants are stored in UTC and shown in Vietnam's time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_time(value: datetime | None) -> str | None:
    """A UTC instant shown in Vietnam's time (UTC+7) for people."""
    return value.astimezone(VN_TZ).isoformat() if value is not None else None
