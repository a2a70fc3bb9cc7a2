"""An officer leaving a unit (moved or deactivated): grants, requests, assignments and tokens
held there end together, so nothing granted for one unit outlives the officer's time in it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from access.assignments import service as assignments
from access.audit import service as audit
from access.authority import service as authority
from access.context import AuditContext
from access.oauth import tokens as token_store
from access.officers import service as officers
from access.officers.events import OfficerMoved
from access.officers.models import User
from servicekit.errors import Conflict, field_error
from servicekit.events import add_event


def _end_everything(
    session: Session,
    *,
    user: User,
    cause: str,
    by: str,
    reason: str,
    context: AuditContext,
    now: datetime,
) -> None:
    authority.end_authority(
        session, user=user, cause=cause, by=by, reason=reason, context=context, now=now
    )
    for assignment in assignments.active_assignments(session, officer_id=user.id):
        assignments.release(session, assignment, by=by, context=context, now=now)
    token_store.revoke_user_tokens(session, user_id=user.id, now=now, reason=cause)


def move_user(
    session: Session,
    *,
    user: User,
    unit: str,
    reason: str,
    by: str,
    context: AuditContext,
    now: datetime,
) -> User:
    """Move an officer: grants, pending requests and assignments in the old unit end."""
    officers.get_unit(session, unit)
    if unit == user.unit:
        raise field_error("body.unit", "the officer already belongs to this unit")
    previous = user.unit
    _end_everything(
        session, user=user, cause="unit_move", by=by, reason=reason, context=context, now=now
    )
    user.unit = unit
    session.add(user)
    add_event(
        session,
        OfficerMoved(user_id=user.id, from_unit=previous, to_unit=unit, moved_by=by, moved_at=now),
        subject=user.id,
    )
    audit.record(
        session,
        context=context,
        action="officer.moved",
        target=f"user:{user.id}",
        reason=reason,
        occurred_at=now,
        details={"from_unit": previous, "to_unit": unit},
    )
    return user


def deactivate_user(
    session: Session, *, user: User, reason: str, by: str, context: AuditContext, now: datetime
) -> User:
    """Deactivate an account: it cannot sign in; grants, assignments and tokens end."""
    if not user.active:
        raise Conflict(f"{user.username} is already deactivated")
    _end_everything(
        session, user=user, cause="deactivated", by=by, reason=reason, context=context, now=now
    )
    user.active = False
    session.add(user)
    audit.record(
        session,
        context=context,
        action="officer.deactivated",
        target=f"user:{user.id}",
        reason=reason,
        occurred_at=now,
    )
    return user
