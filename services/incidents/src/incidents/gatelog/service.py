"""Recording the manual gate log while a gate camera is interrupted."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from incidents.context import Context
from incidents.gatelog.events import GateLogRecorded
from incidents.gatelog.models import GateLogEntry, GateLogIn
from incidents.incident.models import UNRESTORED_STATES, Incident, IncidentKind
from incidents.incident.service import camera_ids, emit, record, require_state
from incidents.permissions import Actor
from incidents.projection.models import Camera, Enterprise
from servicekit.errors import Conflict, field_error
from servicekit.ids import new_id

FUTURE_TOLERANCE = timedelta(minutes=5)


def involves_gate_camera(session: Session, incident: Incident) -> bool:
    """Whether the interruption cuts off a camera at the EPE's gates (a channel interruption
    cuts off all of them)."""
    if incident.kind == IncidentKind.TRANSMISSION_CHANNEL.value:
        cameras = session.exec(
            select(Camera).where(Camera.epe_id == incident.epe_id, col(Camera.removed).is_(False))
        ).all()
    else:
        ids = camera_ids(session, incident.id)
        cameras = session.exec(select(Camera).where(col(Camera.camera_id).in_(ids))).all()
    return any(camera.is_gate for camera in cameras)


def record_entry(
    session: Session, ctx: Context, incident: Incident, *, body: GateLogIn, actor: Actor
) -> GateLogEntry:
    """Log one vehicle entry or exit and publish it for the risk service."""
    require_state(incident, list(UNRESTORED_STATES), "log gate movements")
    if not involves_gate_camera(session, incident):
        raise Conflict("this interruption does not involve a camera at the EPE's gates")
    if body.occurred_at > ctx.now + FUTURE_TOLERANCE:
        raise field_error("body.occurred_at", "must not be in the future")
    if body.occurred_at < incident.opened_at - timedelta(days=1):
        raise field_error("body.occurred_at", "must fall within the interruption")
    entry = GateLogEntry(
        id=new_id(),
        incident_id=incident.id,
        epe_id=incident.epe_id,
        plate=body.plate,
        container_numbers=list(body.container_numbers),
        direction=body.direction.value,
        occurred_at=body.occurred_at,
        note=body.note,
        recorded_by=actor.subject,
        recorded_at=ctx.now,
    )
    session.add(entry)
    record(
        session,
        incident,
        actor=actor,
        action="gate_log_recorded",
        at=ctx.now,
        details={
            "entry_id": entry.id,
            "plate": entry.plate,
            "container_numbers": entry.container_numbers,
            "direction": entry.direction,
            "occurred_at": entry.occurred_at.isoformat(),
        },
    )
    enterprise = session.get(Enterprise, incident.epe_id)
    emit(
        session,
        GateLogRecorded(
            entry_id=entry.id,
            incident_id=incident.id,
            epe_id=incident.epe_id,
            unit=enterprise.unit if enterprise else None,
            plate=entry.plate,
            container_numbers=entry.container_numbers,
            direction=entry.direction,
            occurred_at=entry.occurred_at,
            recorded_at=ctx.now,
        ),
        incident,
    )
    return entry


def list_entries(
    session: Session, incident_id: str, *, after: tuple[datetime, str] | None, limit: int
) -> list[GateLogEntry]:
    """Gate log entries of an incident in time order."""
    query = select(GateLogEntry).where(GateLogEntry.incident_id == incident_id)
    if after is not None:
        at, last_id = after
        query = query.where(
            (col(GateLogEntry.occurred_at) > at)
            | ((col(GateLogEntry.occurred_at) == at) & (col(GateLogEntry.id) > last_id))
        )
    order = (col(GateLogEntry.occurred_at), col(GateLogEntry.id))
    return list(session.exec(query.order_by(*order).limit(limit)))
