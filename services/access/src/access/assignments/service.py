"""The unit head's assignments of supervisory officers to the EPEs of the unit."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from access.assignments.events import AssignmentChanged
from access.assignments.models import Assignment
from access.audit import service as audit
from access.authority import service as authority
from access.context import AuditContext
from access.epes import service as epes
from access.officers.models import User
from servicekit.auth import Role
from servicekit.errors import Conflict, Forbidden, NotFound, field_error
from servicekit.events import add_event


def active_assignments(
    session: Session,
    *,
    officer_id: str | None = None,
    epe_id: str | None = None,
    unit: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[Assignment]:
    """Assignments in force, filtered."""
    query = select(Assignment).where(col(Assignment.ended_at).is_(None))
    if officer_id is not None:
        query = query.where(Assignment.officer_id == officer_id)
    if epe_id is not None:
        query = query.where(Assignment.epe_id == epe_id)
    if unit is not None:
        query = query.where(Assignment.unit == unit)
    if after is not None:
        query = query.where(Assignment.id > after)
    query = query.order_by(col(Assignment.id))
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def is_assigned(session: Session, *, officer_id: str, epe_id: str) -> bool:
    """Whether an officer is currently assigned to an EPE."""
    return bool(active_assignments(session, officer_id=officer_id, epe_id=epe_id))


def assign(
    session: Session,
    *,
    head_id: str,
    officer_id: str,
    epe_id: str,
    context: AuditContext,
    now: datetime,
) -> Assignment:
    """The unit head assigns an officer of the unit to an EPE of the unit."""
    head = session.get(User, head_id)
    if head is None or not authority.holds(session, head, Role.HEAD_OF_SUBDEPARTMENT):
        raise Forbidden("only a head of sub-department may assign officers")
    officer = session.get(User, officer_id)
    if officer is None:
        raise field_error("body.officer_id", "unknown officer")
    if officer.unit != head.unit or not officer.active:
        raise Forbidden("the officer does not belong to your unit")
    if not (
        authority.holds(session, officer, Role.SUPERVISORY_OFFICER)
        or authority.holds(session, officer, Role.HEAD_OF_SUBDEPARTMENT)
    ):
        raise Conflict(f"{officer.username} is not a supervisory officer")
    supervision = epes.supervision(session, epe_id)
    if supervision is None:
        raise field_error(
            "body.epe_id",
            "no EPE with this id is known to the access service (neither from the registry "
            "nor from an EPE vendor client)",
        )
    if supervision.unit != head.unit:
        raise Forbidden("this enterprise is supervised by another customs unit")
    if supervision.closed:
        raise Conflict(f"the registry reports {epe_id} closed: it takes no new assignments")
    if is_assigned(session, officer_id=officer.id, epe_id=epe_id):
        raise Conflict(f"{officer.username} is already assigned to {epe_id}")
    assignment = Assignment(
        officer_id=officer.id,
        epe_id=epe_id,
        unit=head.unit,
        assigned_by=head.id,
        assigned_at=now,
    )
    session.add(assignment)
    session.flush()
    add_event(
        session,
        AssignmentChanged(
            assignment_id=assignment.id,
            officer_id=officer.id,
            epe_id=epe_id,
            unit=head.unit,
            change="assigned",
            changed_by=head.id,
            changed_at=now,
        ),
        subject=epe_id,
    )
    audit.record(
        session,
        context=context,
        action="assignment.created",
        target=f"epe:{epe_id}",
        occurred_at=now,
        details={"assignment_id": assignment.id, "officer_id": officer.id},
    )
    return assignment


def release(
    session: Session, assignment: Assignment, *, by: str, context: AuditContext, now: datetime
) -> None:
    """End an assignment now (the head, a move or deactivation, the EPE left the unit)."""
    assignment.ended_at = now
    assignment.ended_by = by
    session.add(assignment)
    add_event(
        session,
        AssignmentChanged(
            assignment_id=assignment.id,
            officer_id=assignment.officer_id,
            epe_id=assignment.epe_id,
            unit=assignment.unit,
            change="ended",
            changed_by=by,
            changed_at=now,
        ),
        subject=assignment.epe_id,
    )
    audit.record(
        session,
        context=context,
        action="assignment.ended",
        target=f"epe:{assignment.epe_id}",
        occurred_at=now,
        details={"assignment_id": assignment.id, "officer_id": assignment.officer_id},
    )


def end_assignments_outside(
    session: Session, *, epe_id: str, unit: str, by: str, context: AuditContext, now: datetime
) -> list[Assignment]:
    """End the EPE's assignments held in any unit but `unit` (the registry moved the EPE)."""
    ended = [a for a in active_assignments(session, epe_id=epe_id) if a.unit != unit]
    for assignment in ended:
        release(session, assignment, by=by, context=context, now=now)
    return ended


def end_assignment(
    session: Session, *, assignment_id: str, head_id: str, context: AuditContext, now: datetime
) -> Assignment:
    """The unit head ends an assignment."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("assignment")
    head = session.get(User, head_id)
    if head is None or not authority.holds(
        session, head, Role.HEAD_OF_SUBDEPARTMENT, unit=assignment.unit
    ):
        raise Forbidden("only the head of the assignment's unit may end it")
    if assignment.ended_at is not None:
        raise Conflict("the assignment has already ended")
    release(session, assignment, by=head.id, context=context, now=now)
    return assignment
