"""Keeping assignments current, and asking who is assigned."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from risk.assignments.models import OfficerAssignment


def assigned_epes(session: Session, *, officer: str, unit: str | None) -> list[str]:
    """The EPEs an officer (token subject) currently supervises within their unit."""
    query = select(OfficerAssignment.epe_id).where(
        OfficerAssignment.officer_id == officer,
        OfficerAssignment.unit == unit,
        col(OfficerAssignment.active).is_(True),
    )
    return sorted(set(session.exec(query)))


def apply_change(
    session: Session,
    *,
    assignment_id: str,
    officer_id: str,
    epe_id: str,
    unit: str,
    active: bool,
    changed_at: datetime,
) -> None:
    """Record a change unless a later one is known (events arrive out of order); an `ended`
    at the same instant wins."""
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
        return
    if changed_at < row.changed_at or (changed_at == row.changed_at and not row.active):
        return
    row.officer_id, row.epe_id, row.unit = officer_id, epe_id, unit
    row.active, row.changed_at = active, changed_at
