"""Keeping the projections current; late (older) events never roll a row back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from evidence.projection.models import Camera, Enterprise, OfficerAssignment
from servicekit.assignments import Assignments

NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def _enterprise(session: Session, epe_id: str) -> Enterprise:
    enterprise = session.get(Enterprise, epe_id)
    if enterprise is None:
        enterprise = Enterprise(epe_id=epe_id, last_event_at=NEVER)
        session.add(enterprise)
    return enterprise


def apply_enterprise(session: Session, data: Mapping[str, Any], *, at: datetime) -> None:
    """Upsert an EPE from registry.epe.registered/updated."""
    enterprise = _enterprise(session, str(data["epe_id"]))
    if at < enterprise.last_event_at:
        return
    enterprise.unit = data.get("unit") or enterprise.unit
    enterprise.last_event_at = at


def apply_camera(session: Session, data: Mapping[str, Any], *, at: datetime, removed: bool) -> None:
    """Upsert a camera from registry.camera.added/changed/removed; later events win."""
    camera_id = str(data["camera_id"])
    camera = session.get(Camera, camera_id)
    if camera is None:
        camera = Camera(camera_id=camera_id, epe_id=str(data["epe_id"]), last_event_at=NEVER)
        session.add(camera)
    enterprise = _enterprise(session, str(data["epe_id"]))
    if enterprise.unit is None and data.get("unit"):
        enterprise.unit = str(data["unit"])
    if at < camera.last_event_at:
        return
    camera.epe_id = str(data["epe_id"])
    camera.removed = removed
    camera.last_event_at = at


assignments = Assignments(OfficerAssignment)
apply_assignment = assignments.apply
assigned_epes = assignments.assigned_epes
handle_assignment_changed = assignments.handle_changed


def unit_of(session: Session, epe_id: str) -> str | None:
    """The customs unit supervising an EPE now (None before the registry described it)."""
    enterprise = session.get(Enterprise, epe_id)
    return enterprise.unit if enterprise else None


def live_cameras(session: Session, epe_id: str) -> set[str]:
    """The EPE's cameras that are not removed."""
    query = select(Camera.camera_id).where(Camera.epe_id == epe_id, col(Camera.removed).is_(False))
    return set(session.exec(query))
