"""Events of assignments (never anything secret)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from servicekit.events import EventPayload


class AssignmentChanged(EventPayload):
    """An officer was assigned to, or released from, supervising an EPE."""

    event_type: ClassVar[str] = "access.assignment.changed.v1"

    assignment_id: str
    officer_id: str
    epe_id: str
    unit: str
    change: Literal["assigned", "ended"]
    changed_by: str
    changed_at: datetime
