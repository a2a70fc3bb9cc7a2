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


class AssignmentChanged(EventPayload):
    """An officer was assigned to, or released from, supervising an EPE."""

    event_type: ClassVar[str] = "access.assignment.changed.v1"

    assignment_id: str
    officer_id: str
    epe_id: str
    unit: str
    change: Literal["assigned", "ended"]
    changed_by: str
    changed_at: datetime


class OfficerMoved(EventPayload):
    """An officer moved to another customs unit (their grants there were revoked)."""

    event_type: ClassVar[str] = "access.officer.moved.v1"

    user_id: str
    from_unit: str
    to_unit: str
    moved_by: str
    moved_at: datetime
