"""Keeping the projection current; tolerant of extra fields and of late (older) events.

Each EPE and camera row remembers the time of the last event applied to it, so an event
redelivered after a newer one does not roll it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from risk.projection.models import GATE_POSITION, Camera, Enterprise, Outage

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
    enterprise.tax_code = data.get("tax_code") or enterprise.tax_code
    enterprise.unit = data.get("unit") or enterprise.unit
    enterprise.last_event_at = at


def apply_camera(
    session: Session, data: Mapping[str, Any], *, at: datetime, removed: bool | None = None
) -> None:
    """Upsert a camera from any registry camera event; later events win."""
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
    camera.position_kind = data.get("position_kind", camera.position_kind)
    if data.get("must_be_online") is not None:
        camera.must_be_online = bool(data["must_be_online"])
    if "area_latitude" in data or "area_id" in data:  # full facts: the area may be unlocated
        camera.latitude, camera.longitude = _location(data)
    if removed is not None:
        camera.removed = removed
    camera.last_event_at = at


def _location(data: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """The area's coordinates from a camera event: both or neither."""
    latitude, longitude = data.get("area_latitude"), data.get("area_longitude")
    if latitude is None or longitude is None:
        return None, None
    return float(latitude), float(longitude)


def _instant(data: Mapping[str, Any], key: str) -> datetime:
    return datetime.fromisoformat(str(data[key])).astimezone(UTC)


def open_outage(session: Session, data: Mapping[str, Any], *, at: datetime) -> None:
    """registry.camera.went_offline: a window starts (kept if came_back arrived first)."""
    apply_camera(session, data, at=at)
    outage = session.get(Outage, str(data["outage_id"]))
    if outage is None:
        session.add(
            Outage(
                outage_id=str(data["outage_id"]),
                camera_id=str(data["camera_id"]),
                epe_id=str(data["epe_id"]),
                started_at=_instant(data, "started_at"),
                planned=bool(data.get("planned")),
            )
        )


def close_outage(session: Session, data: Mapping[str, Any], *, at: datetime) -> None:
    """registry.camera.came_back: the window ends (opened here if went_offline was missed)."""
    apply_camera(session, data, at=at)
    outage = session.get(Outage, str(data["outage_id"]))
    if outage is None:
        outage = Outage(
            outage_id=str(data["outage_id"]),
            camera_id=str(data["camera_id"]),
            epe_id=str(data["epe_id"]),
            started_at=_instant(data, "started_at"),
            planned=bool(data.get("planned")),
        )
        session.add(outage)
    outage.ended_at = _instant(data, "ended_at")


def blind_cameras(session: Session, *, epe_id: str, at: datetime) -> list[str]:
    """Gate cameras of the EPE that had no picture at that instant."""
    query = (
        select(Outage.camera_id)
        .join(Camera, col(Camera.camera_id) == col(Outage.camera_id))
        .where(
            Outage.epe_id == epe_id,
            col(Outage.started_at) <= at,
            col(Outage.ended_at).is_(None) | (col(Outage.ended_at) > at),
            Camera.position_kind == GATE_POSITION,
        )
    )
    return sorted(set(session.exec(query)))


def enterprise_by_tax_code(session: Session, tax_code: str) -> Enterprise | None:
    """The EPE a customs record names by tax code."""
    return session.exec(select(Enterprise).where(Enterprise.tax_code == tax_code)).first()


def unit_of(session: Session, epe_id: str) -> str | None:
    """The customs unit supervising an EPE now (None before the registry described it)."""
    enterprise = session.get(Enterprise, epe_id)
    return enterprise.unit if enterprise else None
