"""The event carrying each anchor of the audit chain: a copy of the head outside the database."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from servicekit.events import EventPayload


class AuditAnchored(EventPayload):
    """The audit chain's head was anchored in Object-Locked storage (a MAC, never a secret)."""

    event_type: ClassVar[str] = "access.audit.anchored.v1"

    chain: str
    seq: int
    mac: str
    keyed_from: int
    key_id: str
    anchored_at: datetime
    bucket: str
    object_key: str
