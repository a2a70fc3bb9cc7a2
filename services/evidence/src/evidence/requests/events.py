"""Events the evidence service publishes about requests (no free text: reasons stay here)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from servicekit.events import EventPayload


class RequestCreated(EventPayload):
    """An officer asked an EPE for camera data; its vendor software may act on this."""

    event_type: ClassVar[str] = "evidence.request.created.v1"
    request_id: str
    epe_id: str
    unit: str | None
    cameras: list[str]
    incident_ids: list[str]
    warning_ids: list[str]
    due_at: datetime
    requested_by: str
    requested_at: datetime


class RequestCancelled(EventPayload):
    """The request no longer needs an answer."""

    event_type: ClassVar[str] = "evidence.request.cancelled.v1"
    request_id: str
    epe_id: str
    unit: str | None
    cancelled_by: str
    cancelled_at: datetime


class RequestReminder(EventPayload):
    """One working day is left to answer (sent once)."""

    event_type: ClassVar[str] = "evidence.request.reminder.v1"
    request_id: str
    epe_id: str
    unit: str | None
    due_at: datetime


class RequestOverdue(EventPayload):
    """The due date passed without the EPE submitting the data (sent once)."""

    event_type: ClassVar[str] = "evidence.request.overdue.v1"
    request_id: str
    epe_id: str
    unit: str | None
    due_at: datetime
    overdue_at: datetime
