"""Events the authority domain publishes (never anything secret)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from servicekit.events import EventPayload


class GrantApproved(EventPayload):
    """A role grant took effect after the unit head approved it."""

    event_type: ClassVar[str] = "access.grant.approved.v1"

    grant_id: str
    request_id: str | None
    user_id: str
    role: str
    unit: str
    prepared_by: str | None
    approved_by: str
    approved_at: datetime


class GrantRevoked(EventPayload):
    """A role grant ended: an approved revocation, a move to another unit, or deactivation."""

    event_type: ClassVar[str] = "access.grant.revoked.v1"

    grant_id: str
    user_id: str
    role: str
    unit: str
    cause: Literal["approved_request", "unit_move", "deactivated"]
    revoked_by: str
    revoked_at: datetime
