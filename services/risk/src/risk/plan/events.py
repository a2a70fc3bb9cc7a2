"""Events about the monthly plan: inspection results (the indicators read them)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from servicekit.events import EventPayload


class InspectionRecorded(EventPayload):
    """An officer recorded the result of a planned inspection of an EPE."""

    event_type: ClassVar[str] = "risk.inspection.recorded.v1"
    slot_id: str
    plan_id: str
    epe_id: str
    unit: str
    officer_id: str | None
    outcome: str
    planned_start: datetime
    planned_end: datetime
    recorded_by: str
    recorded_at: datetime
