"""Incident tables and API schemas."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field

from incidents.db import IncidentsModel, append_only
from incidents.schemas import Instant, ShortText, Text
from servicekit.columns import UTCDateTime
from servicekit.inputs import InputModel
from servicekit.pagination import Page


class IncidentKind(StrEnum):
    """Decision I.2.3: trouble with camera equipment (a) or with the transmission channel (b)."""

    CAMERA_EQUIPMENT = "camera_equipment"
    TRANSMISSION_CHANNEL = "transmission_channel"


class ChannelType(StrEnum):
    """Decision I.2.1.a: the Internet (preferred) or a separate line to customs."""

    INTERNET = "internet"
    SEPARATE_LINE = "separate_line"


class IncidentState(StrEnum):
    """The life of an incident; overdue is a flag on top of an unrestored state."""

    DETECTED = "detected"
    NOTIFIED = "notified"
    PLAN_AGREED = "plan_agreed"
    RESTORED = "restored"
    CLOSED = "closed"


UNRESTORED_STATES = (IncidentState.DETECTED, IncidentState.NOTIFIED, IncidentState.PLAN_AGREED)
"""States in which the interruption goes on (deadlines run, follow-ups are due)."""


class Promptness(StrEnum):
    """How the restoration compares with the deadline (Decision I.2.3.c: a risk criterion)."""

    EARLY = "early"
    ON_TIME = "on_time"
    LATE_WITH_EXTENSION = "late_with_extension"
    LATE_WITHOUT_EXTENSION = "late_without_extension"


class Incident(IncidentsModel, table=True):
    """One interruption; its state is a summary of the append-only timeline."""

    __tablename__ = "incident"

    id: str = Field(primary_key=True, max_length=36)
    epe_id: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=30)
    channel: str | None = Field(default=None, max_length=30)
    state: str = Field(index=True, max_length=20)
    detected: bool = Field(default=False, description="opened by detection, not by a notice")
    opened_at: datetime = Field(sa_type=UTCDateTime, index=True)
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deadline_working_days: int
    deadline_date: date
    deadline_at: datetime = Field(sa_type=UTCDateTime, index=True)
    approaching_at: datetime = Field(sa_type=UTCDateTime)
    extension_due_at: datetime = Field(sa_type=UTCDateTime)
    overdue_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    plan: str | None = Field(default=None, max_length=4000)
    plan_agreed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    restored_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    promptness: str | None = Field(default=None, max_length=30)
    previous_incident_id: str | None = Field(default=None, max_length=36, index=True)
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class IncidentCamera(IncidentsModel, table=True):
    """A camera affected by an incident."""

    __tablename__ = "incident_camera"

    incident_id: str = Field(primary_key=True, max_length=36)
    camera_id: str = Field(primary_key=True, max_length=64, index=True)
    added_at: datetime = Field(sa_type=UTCDateTime)


class Assignment(IncidentsModel, table=True):
    """An officer appointed to follow the repair (Decision I.2.3.c)."""

    __tablename__ = "incident_assignment"

    incident_id: str = Field(primary_key=True, max_length=36)
    officer: str = Field(primary_key=True, max_length=200)
    assigned_by: str = Field(max_length=200)
    assigned_at: datetime = Field(sa_type=UTCDateTime)


@append_only
class Extension(IncidentsModel, table=True):
    """The EPE's notification of specific reasons and expected completion when late."""

    __tablename__ = "incident_extension"

    id: str = Field(primary_key=True, max_length=36)
    incident_id: str = Field(index=True, max_length=36)
    reasons: str = Field(max_length=4000)
    expected_completion_at: datetime = Field(sa_type=UTCDateTime)
    filed_at: datetime = Field(sa_type=UTCDateTime)
    filed_on: date
    filed_by: str = Field(max_length=200)


@append_only
class TimelineEntry(IncidentsModel, table=True):
    """Who did what to an incident, and when; never changed or removed."""

    __tablename__ = "incident_timeline"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(index=True, max_length=36)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=200)
    actor_kind: str = Field(max_length=30)
    action: str = Field(max_length=60)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class WatcherMarker(IncidentsModel, table=True):
    """Proof that a deadline-watcher event was emitted; the unique key makes it once only."""

    __tablename__ = "incident_watcher_marker"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "key", name="uq_watcher_marker"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: str = Field(max_length=36)
    kind: str = Field(max_length=40)
    key: str = Field(max_length=40)
    event_id: str = Field(max_length=36)
    created_at: datetime = Field(sa_type=UTCDateTime)


# -- API schemas -------------------------------------------------------------------------------


class ExtensionPublic(BaseModel):
    """An extension notice as shown to callers."""

    id: str
    reasons: str
    expected_completion_at: datetime
    filed_at: datetime
    filed_on: date
    filed_by: str


class TimelineEntryPublic(BaseModel):
    """One timeline entry."""

    id: int
    at: datetime
    actor: str
    actor_kind: str
    action: str
    details: dict[str, Any]


class IncidentPublic(BaseModel):
    """An incident with its deadline, follow-up status and links."""

    id: str
    epe_id: str
    enterprise_name: str | None
    unit: str | None
    kind: IncidentKind
    channel: ChannelType | None
    state: IncidentState
    detected: bool
    opened_at: datetime
    notified_at: datetime | None
    notice_id: str | None
    camera_ids: list[str]
    deadline_working_days: int
    deadline_date: date
    deadline_at: datetime
    approaching_at: datetime
    overdue: bool
    overdue_since: datetime | None
    extension_required: bool
    extensions: list[ExtensionPublic]
    plan: str | None
    plan_agreed_at: datetime | None
    restored_at: datetime | None
    closed_at: datetime | None
    promptness: Promptness | None
    previous_incident_id: str | None
    assigned_officers: list[str]
    missed_follow_up_days: list[date]
    version: int


class IncidentPage(Page[IncidentPublic]):
    """A page of incidents."""

    next_cursor: str | None  # always present in the published shape


class TimelinePage(Page[TimelineEntryPublic]):
    """A page of timeline entries, oldest first."""

    next_cursor: str | None  # always present in the published shape


class PlanIn(InputModel):
    """The surveillance plan customs agreed with the EPE pending repair (Decision I.2.3.a)."""

    plan: Text


class RestorationIn(InputModel):
    """The EPE reports when its system works again."""

    restored_at: Instant
    note: Text | None = None


class ClosureIn(InputModel):
    """An officer confirms the restoration and closes the incident."""

    note: Text | None = None


class ExtensionIn(InputModel):
    """Specific reasons for missing the deadline and the expected completion time."""

    reasons: Text
    expected_completion_at: Instant


class AssignmentIn(InputModel):
    """Appoint an officer (their user name) to follow the repair."""

    officer: ShortText
