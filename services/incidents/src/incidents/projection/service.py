"""Keeping the projection of registry EPEs and cameras current; tolerant of extra fields.

Each row remembers the time of the last event applied to it, so an event that arrives late
(redelivered after a newer one) does not roll the projection back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from incidents.projection.models import Camera, Enterprise

NEVER = datetime(1970, 1, 1, tzinfo=UTC)
"""The last-event time of a row no event has described yet."""


def _text(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key)
    return default if value is None else str(value)


def get_or_stub_enterprise(session: Session, *, epe_id: str, at: datetime) -> Enterprise:
    """The EPE, or a row holding only its id until the registry event describing it arrives."""
    enterprise = session.get(Enterprise, epe_id)
    if enterprise is None:
        enterprise = Enterprise(epe_id=epe_id, last_event_at=NEVER)
        session.add(enterprise)
    return enterprise


def apply_enterprise(session: Session, data: Mapping[str, Any], *, at: datetime) -> Enterprise:
    """Upsert an EPE from registry.epe.registered/updated."""
    enterprise = get_or_stub_enterprise(session, epe_id=str(data["epe_id"]), at=at)
    if at < enterprise.last_event_at:
        return enterprise
    enterprise.name = _text(data, "name", enterprise.name)
    enterprise.address = _text(data, "address", enterprise.address)
    enterprise.tax_code = _text(data, "tax_code", enterprise.tax_code)
    enterprise.unit = data.get("unit") or enterprise.unit
    enterprise.last_event_at = at
    return enterprise


def apply_camera(
    session: Session,
    data: Mapping[str, Any],
    *,
    at: datetime,
    removed: bool | None = None,
    online: bool | None = None,
) -> Camera:
    """Upsert a camera from any registry camera event; later events win over earlier ones."""
    camera_id = str(data["camera_id"])
    camera = session.get(Camera, camera_id)
    if camera is None:
        camera = Camera(
            camera_id=camera_id,
            epe_id=str(data["epe_id"]),
            last_event_at=NEVER,
        )
        session.add(camera)
    if data.get("unit"):
        enterprise = get_or_stub_enterprise(session, epe_id=str(data["epe_id"]), at=at)
        if enterprise.unit is None:
            enterprise.unit = str(data["unit"])
    if at < camera.last_event_at:
        return camera
    camera.epe_id = str(data.get("epe_id") or camera.epe_id)
    camera.number = data.get("camera_number", camera.number)
    camera.name = data.get("name", camera.name)
    camera.position_kind = data.get("position_kind", camera.position_kind)
    if "must_be_online" in data:
        camera.must_be_online = bool(data["must_be_online"])
    if removed is not None:
        camera.removed = removed
    if online is not None:
        camera.online = online
    camera.last_event_at = at
    return camera
