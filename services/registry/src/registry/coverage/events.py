"""Events of the coverage check."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from servicekit.events import EventPayload


class GapFacts(EventPayload):
    """A coverage gap of an EPE."""

    gap_id: str
    epe_id: str
    unit: str
    kind: str = Field(
        description="no_online_camera, no_camera, gate_camera_cannot_read_plates, "
        "gate_camera_cannot_read_container_numbers or area_not_fully_covered"
    )
    area_id: str
    area_code: str | None
    area_kind: str | None
    camera_id: str | None
    camera_number: str | None
    detail: str
    found_at: datetime


class CoverageGapFound(GapFacts):
    """The coverage check found a new gap."""

    event_type: ClassVar[str] = "registry.coverage_gap.found.v1"


class CoverageGapClosed(GapFacts):
    """A gap found earlier is closed."""

    event_type: ClassVar[str] = "registry.coverage_gap.closed.v1"
    closed_at: datetime
