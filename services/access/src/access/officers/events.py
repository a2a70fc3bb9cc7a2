"""Events of officer accounts (never anything secret)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from servicekit.events import EventPayload


class OfficerMoved(EventPayload):
    """An officer moved to another customs unit (their grants there were revoked)."""

    event_type: ClassVar[str] = "access.officer.moved.v1"

    user_id: str
    from_unit: str
    to_unit: str
    moved_by: str
    moved_at: datetime
