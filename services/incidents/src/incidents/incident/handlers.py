"""Detected incidents: a camera that must be online went offline and no notice covers it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from incidents.context import Context
from incidents.incident.events import NoticeRequested
from incidents.incident.models import Incident, IncidentKind, IncidentState
from incidents.incident.service import (
    add_cameras,
    camera_ids,
    emit,
    facts,
    open_covering,
    open_incident,
    record,
    restore,
)
from incidents.permissions import SYSTEM
from incidents.projection.models import Camera
from incidents.projection.service import apply_camera
from incidents.settings import Settings
from servicekit.clock import Clock
from servicekit.events import CloudEvent, PermanentError
from servicekit.workdays import WorkingCalendar


def _instant(value: object, fallback: datetime) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        return parsed if parsed.tzinfo else fallback
    return fallback


def camera_went_offline(session: Session, ctx: Context, event: CloudEvent) -> Incident | None:
    """Open (or extend) a detected incident and ask the EPE for its notice; None if covered."""
    data = event.data
    camera = apply_camera(session, data, at=event.time, online=False)
    session.flush()
    if camera.removed or not camera.must_be_online or data.get("planned"):
        return None  # not supervised online, or inside a maintenance window declared ahead
    if camera.online:
        return None  # a newer event already reported the camera back
    started_at = _instant(data.get("started_at") or data.get("detected_at"), event.time)
    covering = open_covering(session, epe_id=camera.epe_id, camera_id=camera.camera_id)
    if covering is not None:
        record(
            session,
            covering,
            actor=SYSTEM,
            action="camera_went_offline",
            at=ctx.now,
            details={
                "camera_id": camera.camera_id,
                "started_at": started_at.isoformat(),
                "cause": data.get("cause"),
            },
        )
        return None
    detected = session.exec(
        select(Incident)
        .where(Incident.epe_id == camera.epe_id, Incident.state == IncidentState.DETECTED.value)
        .order_by(col(Incident.opened_at))
        .limit(1)
    ).first()
    if detected is not None:
        add_cameras(session, detected, [camera.camera_id], ctx.now)
        record(
            session,
            detected,
            actor=SYSTEM,
            action="camera_went_offline",
            at=ctx.now,
            details={
                "camera_id": camera.camera_id,
                "started_at": started_at.isoformat(),
                "cause": data.get("cause"),
            },
        )
        return detected
    incident = open_incident(
        session,
        ctx,
        epe_id=camera.epe_id,
        kind=IncidentKind.CAMERA_EQUIPMENT,
        channel=None,
        cameras=[camera.camera_id],
        opened_at=started_at,
        detected=True,
        actor=SYSTEM,
    )
    session.flush()
    emit(
        session,
        NoticeRequested(
            **facts(session, incident),
            detected_at=started_at,
            deadline_at=incident.deadline_at,
            previous_incident_id=incident.previous_incident_id,
        ),
        incident,
    )
    return incident


def camera_came_back(session: Session, ctx: Context, event: CloudEvent) -> None:
    """Note on the open incident that the camera reports again (the EPE still reports the
    restoration: one camera back is not the whole system restored)."""
    camera = apply_camera(session, event.data, at=event.time, online=True)
    session.flush()
    covering = open_covering(session, epe_id=camera.epe_id, camera_id=camera.camera_id)
    if covering is None:
        return
    ended_at = _instant(event.data.get("ended_at"), event.time)
    record(
        session,
        covering,
        actor=SYSTEM,
        action="camera_came_back",
        at=ctx.now,
        details={"camera_id": camera.camera_id, "ended_at": ended_at.isoformat()},
    )
    if covering.state != IncidentState.DETECTED.value:
        return  # notified: the EPE reports the restoration of its whole system
    cameras = session.exec(
        select(Camera).where(col(Camera.camera_id).in_(camera_ids(session, covering.id)))
    ).all()
    if all(c.online or c.removed for c in cameras):
        # Every camera of a detected incident is back before any notice: it is over. The
        # officer still confirms the closure; promptness counts as for any restoration.
        restore(
            session,
            ctx,
            covering,
            restored_at=max(ended_at, covering.opened_at),
            note="all cameras back online before a notice was filed",
            actor=SYSTEM,
        )


def make_handlers(
    *, calendar: WorkingCalendar, settings: Settings, clock: Clock
) -> tuple[Callable[[CloudEvent, Session], None], Callable[[CloudEvent, Session], None]]:
    """Handlers bound to the service's calendar, settings and clock."""

    def handle_went_offline(event: CloudEvent, session: Session) -> None:
        if not event.data.get("camera_id") or not event.data.get("epe_id"):
            raise PermanentError(f"{event.type} {event.id} lacks camera_id or epe_id")
        camera_went_offline(session, Context(calendar, settings, clock.now()), event)

    def handle_came_back(event: CloudEvent, session: Session) -> None:
        if not event.data.get("camera_id") or not event.data.get("epe_id"):
            raise PermanentError(f"{event.type} {event.id} lacks camera_id or epe_id")
        camera_came_back(session, Context(calendar, settings, clock.now()), event)

    return handle_went_offline, handle_came_back
