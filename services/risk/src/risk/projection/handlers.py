"""Handlers of the registry's EPE, camera and camera health events."""

from __future__ import annotations

from sqlmodel import Session

from risk.projection.service import apply_camera, apply_enterprise, close_outage, open_outage
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
    """registry.camera.removed.v1."""
    _require(event, "camera_id", "epe_id")
    apply_camera(session, event.data, at=event.time, removed=True)


def handle_went_offline(event: CloudEvent, session: Session) -> None:
    """registry.camera.went_offline.v1: an outage window opens."""
    _require(event, "camera_id", "epe_id", "outage_id", "started_at")
    open_outage(session, event.data, at=event.time)


def handle_came_back(event: CloudEvent, session: Session) -> None:
    """registry.camera.came_back.v1: the outage window closes."""
    _require(event, "camera_id", "epe_id", "outage_id", "started_at", "ended_at")
    close_outage(session, event.data, at=event.time)
