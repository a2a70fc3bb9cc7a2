"""Events the incident lifecycle publishes (schemas under contracts/events/incidents/)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from incidents.incident.models import IncidentKind, Promptness
from servicekit.events import EventPayload


class IncidentFacts(EventPayload):
    """Fields every incident event carries, so consumers need no lookup."""

    incident_id: str
    epe_id: str
    unit: str | None
    kind: IncidentKind
    camera_ids: list[str]


class NoticeRequested(IncidentFacts):
    """A camera that must be online went offline with no notice covering it: the EPE must file
    the Appendix II notice (Decision I.2.3)."""

    event_type: ClassVar[str] = "incidents.notice.requested.v1"
    detected_at: datetime
    deadline_at: datetime
    previous_incident_id: str | None


class PlanAgreed(IncidentFacts):
    """Customs recorded the surveillance plan agreed pending repair."""

    event_type: ClassVar[str] = "incidents.incident.plan_agreed.v1"
    plan_agreed_at: datetime
    agreed_by: str


class IncidentRestored(IncidentFacts):
    """The EPE reported that its camera system works again."""

    event_type: ClassVar[str] = "incidents.incident.restored.v1"
    restored_at: datetime
    deadline_at: datetime
    promptness: Promptness


class IncidentClosed(IncidentFacts):
    """An officer confirmed the restoration; carries the promptness used for risk scoring
    (Decision I.2.3.c: early restoration counts in the EPE's favour)."""

    event_type: ClassVar[str] = "incidents.incident.closed.v1"
    opened_at: datetime
    restored_at: datetime
    closed_at: datetime
    deadline_at: datetime
    deadline_working_days: int
    working_days_used: int
    promptness: Promptness
    extension_filed: bool
    detected: bool


class ExtensionFiled(IncidentFacts):
    """The EPE sent the reasons for missing the deadline and its expected completion time."""

    event_type: ClassVar[str] = "incidents.extension.filed.v1"
    extension_id: str
    filed_at: datetime
    expected_completion_at: datetime


class DeadlineApproached(IncidentFacts):
    """One working day is left before the restoration deadline."""

    event_type: ClassVar[str] = "incidents.deadline.approached.v1"
    deadline_date: date
    deadline_at: datetime


class IncidentWentOverdue(IncidentFacts):
    """The restoration deadline passed and the system is not restored."""

    event_type: ClassVar[str] = "incidents.incident.went_overdue.v1"
    deadline_date: date
    deadline_at: datetime


class ExtensionMissed(IncidentFacts):
    """The incident is overdue and the EPE has not sent its extension notice in time."""

    event_type: ClassVar[str] = "incidents.extension.missed.v1"
    deadline_at: datetime
    extension_due_at: datetime


class FollowUpMissed(IncidentFacts):
    """A working day passed without the assigned officers' troubleshooting update."""

    event_type: ClassVar[str] = "incidents.follow_up.missed.v1"
    day: date
    assigned_officers: list[str]
