"""What camera views publish: a camera customs could not reach (never a credential)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from servicekit.events import EventPayload


class CameraViewUnreachable(EventPayload):
    """An officer's view found the camera dead: input for camera health."""

    event_type: ClassVar[str] = "access.camera_view.unreachable.v1"

    camera_id: str
    epe_id: str
    unit: str
    camera_number: str
    cause: str = Field(description="timeout, connect_error, http_status, bad_stream or refused")
    detail: str = Field(description="short reason: addresses, ports, statuses, never a URL")
    observed_at: datetime
