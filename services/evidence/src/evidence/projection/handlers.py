"""Handlers of the registry's EPE and camera events and the access service's assignments."""

from __future__ import annotations

from sqlmodel import Session

from evidence.projection.service import apply_camera, apply_enterprise
from evidence.projection.service import handle_assignment_changed as handle_assignment_changed
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
