"""Events about the manual gate log (consumed by the risk service)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from servicekit.events import EventPayload


class GateLogRecorded(EventPayload):
    """A vehicle entry or exit the EPE logged by hand while its gate camera was down."""

    event_type: ClassVar[str] = "incidents.gate_log.recorded.v1"
    entry_id: str
    incident_id: str
    epe_id: str
    unit: str | None
    plate: str
    container_numbers: list[str]
    direction: str
    occurred_at: datetime
    recorded_at: datetime
