"""Consumer of the access service's assignment events."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from risk.assignments.service import apply_change
from servicekit.events import CloudEvent, PermanentError


def handle_assignment_changed(event: CloudEvent, session: Session) -> None:
    """access.assignment.changed.v1: keep who is assigned to which EPE (idempotent)."""
    data = event.data
    try:
        change = data["change"]
        if change not in {"assigned", "ended"}:
            raise PermanentError(f"unknown assignment change {change!r}")
        apply_change(
            session,
            assignment_id=str(data["assignment_id"]),
            officer_id=str(data["officer_id"]),
            epe_id=str(data["epe_id"]),
            unit=str(data["unit"]),
            active=change == "assigned",
            changed_at=datetime.fromisoformat(str(data["changed_at"])),
        )
    except (KeyError, ValueError) as exc:
        raise PermanentError(f"malformed assignment event: {exc}") from exc
