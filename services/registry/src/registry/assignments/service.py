"""Which officers are assigned to which EPE, from the access service's events.

Heads assign officers to EPEs of their unit in the access service, which publishes
`access.assignment.changed.v1`; the registry keeps the projection below and never calls access.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from registry.assignments.models import OfficerAssignment


def is_assigned(session: Session, *, officer: str, epe_id: str, unit: str) -> bool:
    """Whether `officer` (a token subject) is currently assigned to the EPE within `unit`."""
    row = session.execute(
        select(col(OfficerAssignment.assignment_id)).where(
            col(OfficerAssignment.officer_id) == officer,
            col(OfficerAssignment.epe_id) == epe_id,
            col(OfficerAssignment.unit) == unit,
            col(OfficerAssignment.active).is_(True),
        )
    ).first()
    return row is not None


def apply_change(
    session: Session,
    *,
    assignment_id: str,
    officer_id: str,
    epe_id: str,
    unit: str,
    active: bool,
    changed_at: datetime,
) -> bool:
    """Record a change unless a later one is already known (events may arrive out of order);
    an `ended` at the same instant wins. Returns whether the projection changed."""
    row = session.get(OfficerAssignment, assignment_id)
    if row is None:
        session.add(
            OfficerAssignment(
                assignment_id=assignment_id,
                officer_id=officer_id,
                epe_id=epe_id,
                unit=unit,
                active=active,
                changed_at=changed_at,
            )
        )
        return True
    if changed_at < row.changed_at or (changed_at == row.changed_at and not row.active):
        return False
    row.officer_id, row.epe_id, row.unit = officer_id, epe_id, unit
    row.active, row.changed_at = active, changed_at
    session.add(row)
    return True
