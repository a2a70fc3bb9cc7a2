"""Live camera health: one state row per camera, outage windows and maintenance windows.

`camera_health` is written on the hot path with set-based Core statements (never ORM objects):
heartbeats and probes only record observations (`hb_*`, `probe_*`); the detector alone moves
`state`, with conditional UPDATE ... RETURNING so two replicas never make the same transition.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import Index, text
from sqlmodel import Field as SQLField

from registry.db import RegistryModel
from registry.types import json_field
from servicekit.columns import utc_field
from servicekit.inputs import InputModel


class CameraState(StrEnum):
    """What customs currently knows about a camera."""

    UNKNOWN = "unknown"  # never reported yet
    ONLINE = "online"
    OFFLINE = "offline"
    # Watched by probes alone, and the probe network policy refuses them: customs cannot
    # observe the camera (an outage open before stays open: nothing shows it came back).
    PROBE_REFUSED = "probe_refused"


class ReportedStatus(StrEnum):
    """Per-camera state in a heartbeat, as the EPE's software sees it."""

    OK = "ok"
    NO_SIGNAL = "no_signal"
    FROZEN_IMAGE = "frozen_image"
    NO_RECORDING = "no_recording"


class OutageCause(StrEnum):
    """Why a camera went offline."""

    NO_HEARTBEAT = "no_heartbeat"
    NO_SIGNAL = "no_signal"
    FROZEN_IMAGE = "frozen_image"
    NO_RECORDING = "no_recording"
    UNREACHABLE = "unreachable"
    MAINTENANCE_OVERRAN = "maintenance_overran"


class CameraHealth(RegistryModel, table=True):
    """Observations and the derived state of one camera."""

    __tablename__ = "camera_health"
    __table_args__ = (
        Index("ix_camera_health_epe_number", "epe_id", "camera_number", unique=True),
        Index("ix_camera_health_state_hb", "state", "hb_at"),
        Index("ix_camera_health_probe_due", "probe_enabled", "probe_next_at"),
    )

    camera_id: str = SQLField(primary_key=True, foreign_key="cameras.id", max_length=36)
    epe_id: str = SQLField(max_length=64)
    camera_number: str = SQLField(max_length=32)
    state: str = SQLField(default=CameraState.UNKNOWN, max_length=16)
    state_since: datetime = utc_field()
    offline_cause: str | None = SQLField(default=None, max_length=32)
    hb_at: datetime | None = utc_field(nullable=True, default=None)
    hb_status: str | None = SQLField(default=None, max_length=16)
    hb_fault_since: datetime | None = utc_field(nullable=True, default=None)
    hb_ok_since: datetime | None = utc_field(nullable=True, default=None)
    probe_enabled: bool = False
    probe_at: datetime | None = utc_field(nullable=True, default=None)
    probe_status: str | None = SQLField(default=None, max_length=16)
    probe_detail: str | None = SQLField(default=None, max_length=300)
    probe_fault_since: datetime | None = utc_field(nullable=True, default=None)
    probe_ok_since: datetime | None = utc_field(nullable=True, default=None)
    probe_next_at: datetime | None = utc_field(nullable=True, default=None)
    probe_claimed_until: datetime | None = utc_field(nullable=True, default=None)
    probe_claimed_by: str | None = SQLField(default=None, max_length=64)


class Outage(RegistryModel, table=True):
    """A window during which a camera was offline (end null while it still is)."""

    __tablename__ = "camera_outages"
    __table_args__ = (
        Index(
            "uq_camera_outages_open",
            "camera_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_camera_outages_camera_start", "camera_id", "started_at"),
        Index("ix_camera_outages_epe_start", "epe_id", "started_at"),
    )

    id: str = SQLField(primary_key=True, max_length=36)
    camera_id: str = SQLField(foreign_key="cameras.id", max_length=36)
    epe_id: str = SQLField(max_length=64)
    started_at: datetime = utc_field()
    ended_at: datetime | None = utc_field(nullable=True, default=None)
    detected_at: datetime = utc_field()
    cause: str = SQLField(max_length=32)
    planned: bool = False
    maintenance_window_id: str | None = SQLField(default=None, max_length=36)


class MaintenanceWindow(RegistryModel, table=True):
    """Planned maintenance declared in advance; outages starting inside it are planned."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (Index("ix_maintenance_windows_epe_time", "epe_id", "starts_at", "ends_at"),)

    id: str = SQLField(primary_key=True, max_length=36)
    epe_id: str = SQLField(foreign_key="epes.id", max_length=64)
    starts_at: datetime = utc_field()
    ends_at: datetime = utc_field()
    camera_numbers: list[str] | None = json_field(default_factory=lambda: None, nullable=True)
    reason: str = SQLField(max_length=1000)
    declared_by: str = SQLField(max_length=200)
    declared_at: datetime = utc_field()
    cancelled_at: datetime | None = utc_field(nullable=True, default=None)


# ---- API schemas -------------------------------------------------------------------------

CameraNumber = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class CameraReport(InputModel):
    """One camera's state inside a heartbeat batch."""

    camera: CameraNumber = Field(description="the camera's number on the diagram")
    status: ReportedStatus


class HeartbeatBatch(InputModel):
    """States of many cameras of one EPE (thousands per request are fine)."""

    cameras: list[CameraReport] = Field(min_length=1)


class HeartbeatAccepted(BaseModel):
    """What a heartbeat batch did."""

    accepted: int
    unknown_cameras: list[str] = Field(description="numbers not registered for this EPE")
    received_at: datetime


class CameraHealthPublic(BaseModel):
    """A camera's live state and last observations."""

    camera_id: str
    camera_number: str
    state: CameraState
    state_since: datetime
    offline_cause: str | None
    last_heartbeat_at: datetime | None
    last_reported_status: str | None
    probe_enabled: bool
    last_probe_at: datetime | None
    last_probe_status: str | None = Field(
        description="ok, unreachable, or refused (the probe network policy forbade it)"
    )
    last_probe_detail: str | None = Field(
        default=None, description="what the last probe found, or why it was refused"
    )


class OutagePublic(BaseModel):
    """An outage window."""

    id: str
    camera_id: str
    camera_number: str | None = None
    epe_id: str
    started_at: datetime
    ended_at: datetime | None
    detected_at: datetime
    cause: OutageCause
    planned: bool
    maintenance_window_id: str | None


class MaintenanceCreate(InputModel):
    """Declare a planned maintenance window in advance."""

    starts_at: datetime
    ends_at: datetime
    camera_numbers: list[CameraNumber] | None = Field(
        default=None, max_length=10000, description="omit for every camera of the EPE"
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class MaintenancePublic(BaseModel):
    """A maintenance window."""

    id: str
    epe_id: str
    starts_at: datetime
    ends_at: datetime
    camera_numbers: list[str] | None
    reason: str
    declared_by: str
    declared_at: datetime
    cancelled_at: datetime | None


class Uptime(BaseModel):
    """Availability over a period."""

    period_start: datetime
    period_end: datetime
    monitored_seconds: float
    down_seconds: float
    planned_down_seconds: float
    unplanned_down_seconds: float
    availability: float | None = Field(description="1 - down / monitored")
    availability_excluding_planned: float | None = Field(
        description="1 - unplanned down / (monitored - planned down)"
    )
    outages: int


class CameraUptime(Uptime):
    """Availability of one camera."""

    camera_id: str
    camera_number: str


class EpeUptime(Uptime):
    """Availability of all cameras of an EPE (camera-seconds), with the per-camera figures."""

    epe_id: str
    cameras: list[CameraUptime]
