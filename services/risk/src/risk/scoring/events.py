"""Events the risk service publishes about EPE risk levels."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from servicekit.events import EventPayload


class LevelChanged(EventPayload):
    """An EPE's risk band changed (or it got its first one); the score says why."""

    event_type: ClassVar[str] = "risk.level.changed.v1"
    epe_id: str
    unit: str | None
    from_band: str | None
    to_band: str
    score: float
    score_id: str
    config_version: int
    change_seq: int
    changed_at: datetime
