"""Events the registry publishes about EPEs."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from servicekit.events import EventPayload


class EpeFacts(EventPayload):
    """What a consumer needs to keep a projection of an EPE without calling the registry."""

    epe_id: str
    name: str
    address: str
    tax_code: str = Field(description="MST, 10 digits or 10 + 3-digit branch suffix")
    unit: str = Field(description="supervising customs sub-department")
    status: str
    exemption_category: str = Field(description="I.1.3.a (exempt) or I.1.3.b")
    exempt: bool
    exemption_reason: str
    occurred_at: datetime


class EpeRegistered(EpeFacts):
    """An EPE was registered for camera supervision."""

    event_type: ClassVar[str] = "registry.epe.registered.v1"


class EpeUpdated(EpeFacts):
    """An EPE's particulars changed (the payload carries the new values)."""

    event_type: ClassVar[str] = "registry.epe.updated.v1"
    changed_fields: list[str]
