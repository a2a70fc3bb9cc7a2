"""Consumers of the registry's camera events: keep `view_cameras` (number, unit, stream URL)."""

from __future__ import annotations

from sqlmodel import Session

from access.cameraview.models import ViewableCamera
from access.db import as_utc
from servicekit.events import CloudEvent, PermanentError
from servicekit.units import UNIT_MAX_LENGTH

LIMITS = {"camera_id": 36, "epe_id": 64, "unit": UNIT_MAX_LENGTH, "camera_number": 32}


def _text(event: CloudEvent, key: str, limit: int, *, required: bool = True) -> str | None:
    value = event.data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise PermanentError(f"{event.type} {event.id}: {key} is missing or not a valid string")
    return value


def handle_camera_event(event: CloudEvent, session: Session) -> None:
    """`registry.camera.added/changed/removed.v1` (idempotent: an older event changes nothing)."""
    camera_id = _text(event, "camera_id", LIMITS["camera_id"])
    assert camera_id is not None
    row = session.get(ViewableCamera, camera_id)
    at = as_utc(event.time)
    if row is not None and at < as_utc(row.event_time):
        return
    values = {
        "epe_id": _text(event, "epe_id", LIMITS["epe_id"]),
        "unit": _text(event, "unit", LIMITS["unit"]),
        "number": _text(event, "camera_number", LIMITS["camera_number"]),
        "position_kind": _text(event, "position_kind", 32),
        "must_be_online": bool(event.data.get("must_be_online", True)),
        "removed": event.type.startswith("registry.camera.removed."),
        "event_time": at,
    }
    if not values["removed"] or row is None:
        values["stream_url"] = _text(event, "stream_url", 1000, required=False)
    if row is None:
        session.add(ViewableCamera.model_validate({"camera_id": camera_id, **values}))
    else:
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
