"""Events of operations notices: officers' screens, vendors and customs systems hear them."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from servicekit.events import EventPayload


class MaintenanceAnnounced(EventPayload):
    """Planned maintenance (5 days ahead, or an approved emergency) or a breakdown, announced."""

    event_type: ClassVar[str] = "access.maintenance.announced.v1"

    notice_id: str
    kind: str
    title: str
    affects: list[str]
    starts_at: datetime
    ends_at: datetime | None
    emergency: bool
    announced_at: datetime


class MaintenanceUpdated(EventPayload):
    """A step of an announced notice: in progress, completed or resolved, cancelled."""

    event_type: ClassVar[str] = "access.maintenance.updated.v1"

    notice_id: str
    kind: str
    state: str
    text: str
    updated_at: datetime
