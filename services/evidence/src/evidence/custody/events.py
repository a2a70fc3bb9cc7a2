"""The event of the daily custody check, for the access service's daily log digest."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from pydantic import Field

from servicekit.events import EventPayload


class CustodyVerified(EventPayload):
    """The whole custody chain verified against its key and its anchors in Object-Locked
    storage, once a day for the day just ended (or on the first start of the service)."""

    event_type: ClassVar[str] = "evidence.custody.verified.v1"

    day: date = Field(description="the day in Vietnam the check is for (the day just ended)")
    verified: bool
    records_checked: int
    anchors_checked: int
    last_seq: int = Field(description="the chain's last record when it was checked")
    head_mac: str | None = Field(
        description="the MAC (hash) of the chain's head, null when the chain is empty"
    )
    first_broken_seq: int | None = None
    problem: str | None = Field(default=None, max_length=500)
    checked_at: datetime
