"""Events of live camera health: only transitions are published, never heartbeats."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from registry.cameras.events import CameraRef


class CameraWentOffline(CameraRef):
    """A camera went offline (after the silence limit, or a fault outlasting the grace)."""

    event_type: ClassVar[str] = "registry.camera.went_offline.v1"
    outage_id: str
    cause: str = Field(
        description="no_heartbeat, no_signal, frozen_image, no_recording, unreachable or "
        "maintenance_overran"
    )
    started_at: datetime = Field(description="when the outage began (last sign of life)")
    detected_at: datetime
    planned: bool = Field(description="inside a maintenance window declared in advance")
    maintenance_window_id: str | None
    maintenance_ends_at: datetime | None


class CameraCameBack(CameraRef):
    """A camera that was offline reports again."""

    event_type: ClassVar[str] = "registry.camera.came_back.v1"
    outage_id: str
    cause: str
    started_at: datetime
    ended_at: datetime
    duration_seconds: float
    planned: bool


class CameraProbeRefused(CameraRef):
    """Customs can no longer observe a camera watched by probes alone: the probe network
    policy refuses its probes (state `probe_refused`; neither online nor a new outage)."""

    event_type: ClassVar[str] = "registry.camera.probe_refused.v1"
    reason: str = Field(description="why the policy refuses the probe (addresses, ports)")
    since: datetime = Field(description="the first refused probe")
    outage_id: str | None = Field(
        description="the outage still open (the camera was offline before), if any"
    )
