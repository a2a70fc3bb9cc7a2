"""The event raised when a daily digest finds something the IT operator must look at."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from servicekit.events import EventPayload


class LogDigestAnomalies(EventPayload):
    """A digest found anomalies (a broken audit chain, dead-lettered events, many failed
    sign-ins or lockouts): for the IT operator's attention."""

    event_type: ClassVar[str] = "access.log_digest.anomalies_found.v1"

    digest_id: str
    day: date
    anomalies: list[str]
    created_at: datetime
