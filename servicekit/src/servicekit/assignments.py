"""Which officer supervises which EPE: the projection of `access.assignment.changed.v1`.

Every service that lets officers act on an EPE keeps this projection in a table of its own
(it never asks the access service). The table is the service's; the rules for keeping it
current and reading it live here once: events may arrive late or twice, a later change wins,
and an `ended` at the same instant as an `assigned` wins (the safer reading).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session

from servicekit.events import CloudEvent, PermanentError

CHANGES = {"assigned": True, "ended": False}
"""The event's `change` values and whether the assignment is active after it."""


class AssignmentRow(Protocol):
    """The columns a service's assignment table has (see registry/risk/evidence models)."""

    assignment_id: str
    officer_id: str
    epe_id: str
    unit: str
    active: bool
    changed_at: datetime

    def __init__(
        self,
        *,
        assignment_id: str,
        officer_id: str,
        epe_id: str,
        unit: str,
        active: bool,
        changed_at: datetime,
    ) -> None: ...


class Assignments:
    """Keeping and reading one service's assignment table (`model`)."""

    def __init__(self, model: type[AssignmentRow]) -> None:
        self.model = model

    def _column(self, name: str) -> InstrumentedAttribute[object]:
        column: InstrumentedAttribute[object] = getattr(self.model, name)
        return column

    def apply(
        self,
        session: Session,
        *,
        assignment_id: str,
        officer_id: str,
        epe_id: str,
        unit: str,
        active: bool,
        changed_at: datetime,
    ) -> bool:
        """Record a change unless a later one is known; returns whether the row changed."""
        row = session.get(self.model, assignment_id)
        if row is None:
            session.add(
                self.model(
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

    def handle_changed(self, event: CloudEvent, session: Session) -> None:
        """The consumer of `access.assignment.changed.v1` (idempotent)."""
        data = event.data
        try:
            change = data["change"]
            if change not in CHANGES:
                raise PermanentError(f"unknown assignment change {change!r}")
            self.apply(
                session,
                assignment_id=str(data["assignment_id"]),
                officer_id=str(data["officer_id"]),
                epe_id=str(data["epe_id"]),
                unit=str(data["unit"]),
                active=CHANGES[change],
                changed_at=datetime.fromisoformat(str(data["changed_at"])),
            )
        except (KeyError, ValueError) as exc:
            raise PermanentError(f"malformed assignment event: {exc}") from exc

    def assigned_epes(self, session: Session, *, officer: str, unit: str | None) -> list[str]:
        """The EPEs an officer (token subject) currently supervises within their unit."""
        query = select(self._column("epe_id")).where(
            self._column("officer_id") == officer,
            self._column("unit") == unit,
            self._column("active").is_(True),
        )
        return sorted({str(epe) for epe in session.execute(query).scalars()})

    def is_assigned(self, session: Session, *, officer: str, epe_id: str, unit: str) -> bool:
        """Whether `officer` is currently assigned to the EPE within `unit`."""
        query = select(self._column("assignment_id")).where(
            self._column("officer_id") == officer,
            self._column("epe_id") == epe_id,
            self._column("unit") == unit,
            self._column("active").is_(True),
        )
        return session.execute(query).first() is not None
