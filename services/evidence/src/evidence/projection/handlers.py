"""Handlers of the registry's EPE and camera events and the access service's assignments."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from evidence.projection.service import apply_assignment, apply_camera, apply_enterprise
from servicekit.events import CloudEvent, PermanentError


def _require(event: CloudEvent, *keys: str) -> None:
    missing = [k for k in keys if not event.data.get(k)]
    if missing:
        raise PermanentError(f"{event.type} {event.id} lacks {', '.join(missing)}")


def handle_epe_changed(event: CloudEvent, session: Session) -> None:
    """registry.epe.registered.v1 / registry.epe.updated.v1."""
    _require(event, "epe_id")
    apply_enterprise(session, event.data, at=event.time)


def handle_camera_changed(event: CloudEvent, session: Session) -> None:
    """registry.camera.added.v1 / registry.camera.changed.v1."""
    _require(event, "camera_id", "epe_id")
    apply_camera(session, event.data, at=event.time, removed=False)


def handle_camera_removed(event: CloudEvent, session: Session) -> None:
    """registry.camera.removed.v1: no new request may ask for it."""
    _require(event, "camera_id", "epe_id")
    apply_camera(session, event.data, at=event.time, removed=True)


def handle_assignment_changed(event: CloudEvent, session: Session) -> None:
    """access.assignment.changed.v1: who may request data from which EPE (idempotent)."""
    data = event.data
    try:
        change = data["change"]
        if change not in {"assigned", "ended"}:
            raise PermanentError(f"unknown assignment change {change!r}")
        apply_assignment(
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
