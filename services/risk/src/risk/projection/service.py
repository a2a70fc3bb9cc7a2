"""Keeping the projection current; tolerant of extra fields and of late (older) events.

Each EPE and camera row remembers the time of the last event applied to it, so an event
redelivered after a newer one does not roll it back. Several consumers write the same rows
(an EPE's registration and its cameras' events; a camera's went_offline and came_back), each in
its own transaction, so a missing row is inserted with "on conflict do nothing" and then read:
one another consumer inserted meanwhile is updated, not inserted a second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from risk.projection.models import GATE_POSITION, Camera, Enterprise, Outage
from risk.scoring.marks import mark_due
from servicekit.db import insert_new

NEVER = datetime(1970, 1, 1, tzinfo=UTC)

Row = TypeVar("Row", Enterprise, Camera, Outage)


def _row(session: Session, new: Row, key: str) -> Row:
    """The row of `new`'s table with this primary key, `new` inserted first if there is none
    (nothing inserted when another transaction did it meanwhile: then that row is read). The
    insert is a Core statement, so it marks the EPE for rescoring itself, as the ORM's would."""
    model = type(new)
    row = session.get(model, key)
    if row is not None:
        return row
    table: Any = model.__table__  # type: ignore[attr-defined]
    values = {column.name: getattr(new, column.name) for column in table.columns}
    connection = session.connection()
    if insert_new(connection, table, [values]).rowcount:
        mark_due(connection, [new.epe_id])
    row = session.get(model, key)
    assert row is not None  # inserted, or there already
    return row


def _enterprise(session: Session, epe_id: str) -> Enterprise:
    return _row(session, Enterprise(epe_id=epe_id, last_event_at=NEVER), epe_id)


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
    new = Camera(camera_id=camera_id, epe_id=str(data["epe_id"]), last_event_at=NEVER)
    camera = _row(session, new, camera_id)
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


def _outage(session: Session, data: Mapping[str, Any]) -> Outage:
    """The outage window of a went_offline or came_back event, opened if it is not known."""
    new = Outage(
        outage_id=str(data["outage_id"]),
        camera_id=str(data["camera_id"]),
        epe_id=str(data["epe_id"]),
        started_at=_instant(data, "started_at"),
        planned=bool(data.get("planned")),
    )
    return _row(session, new, new.outage_id)


def open_outage(session: Session, data: Mapping[str, Any], *, at: datetime) -> None:
    """registry.camera.went_offline: a window starts (kept if came_back arrived first)."""
    apply_camera(session, data, at=at)
    _outage(session, data)


def close_outage(session: Session, data: Mapping[str, Any], *, at: datetime) -> None:
    """registry.camera.came_back: the window ends (opened here if went_offline was missed)."""
    apply_camera(session, data, at=at)
    _outage(session, data).ended_at = _instant(data, "ended_at")


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
