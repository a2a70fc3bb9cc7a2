"""Events the registry publishes about cameras."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from servicekit.events import EventPayload


class CameraRef(EventPayload):
    """The camera facts every camera event carries (enough to act without calling registry)."""

    camera_id: str
    epe_id: str
    unit: str = Field(description="supervising customs sub-department of the EPE")
    camera_number: str = Field(description="number on the EPE's diagram")
    position_kind: str = Field(
        description="epe_gate, storage_area_gate, storage_area, inside_storage_area or other"
    )
    must_be_online: bool = Field(description="camera data must be connected online (I.1.2.a)")


class CameraFacts(CameraRef):
    """A camera's full declaration."""

    area_id: str | None
    area_code: str | None
    area_kind: str | None
    # Added to v1 after release: optional, so a producer that predates them stays valid.
    area_latitude: float | None = Field(
        default=None, description="of the area (WGS 84), when located"
    )
    area_longitude: float | None = None
    stream_url: str | None = Field(
        default=None,
        description="the camera's stream address (never credentials: those are in the vault); "
        "the access service's camera views connect to an HTTP(S) one",
    )
    storage_kind: str | None
    vendor: str | None
    model: str | None
    reads_plates: bool
    reads_container_numbers: bool
    covers_whole_area: bool
    probe_enabled: bool
    occurred_at: datetime


class CameraAdded(CameraFacts):
    """A camera was added to an EPE's system."""

    event_type: ClassVar[str] = "registry.camera.added.v1"


class CameraChanged(CameraFacts):
    """A camera's declaration changed (the payload carries the new values)."""

    event_type: ClassVar[str] = "registry.camera.changed.v1"
    changed_fields: list[str]


class CameraRemoved(CameraRef):
    """A camera was removed from an EPE's system."""

    event_type: ClassVar[str] = "registry.camera.removed.v1"
    removed_at: datetime
