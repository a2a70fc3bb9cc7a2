"""Live camera health routes: heartbeats, states, outages, maintenance windows and uptime."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from registry.cameras.models import Camera
from registry.cameras.service import get_camera
from registry.deps import (
    ClockDep,
    CurrentPrincipal,
    Cursor,
    Limit500,
    Limit1000,
    SessionDep,
    SettingsDep,
)
from registry.health import service
from registry.health.heartbeats import record_heartbeats
from registry.health.models import (
    CameraHealth,
    CameraHealthPublic,
    CameraState,
    CameraUptime,
    EpeUptime,
    HeartbeatAccepted,
    HeartbeatBatch,
    MaintenanceCreate,
    MaintenancePublic,
    MaintenanceWindow,
    Outage,
    OutagePublic,
)
from registry.permissions import own_epe, readable_epe
from servicekit.errors import Problem, field_error
from servicekit.inputs import Instant
from servicekit.pagination import Page, decode_cursor, page_of

router = APIRouter(prefix="/epes/{epe_id}", tags=["health"])

From = Annotated[Instant, Query(alias="from", description="period start (with a time zone)")]
To = Annotated[Instant, Query(alias="to", description="period end (with a time zone)")]


@router.post(
    "/heartbeats",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=HeartbeatAccepted,
    responses={503: {"description": "not stored now; retry after `Retry-After` seconds"}},
)
def push_heartbeats(
    epe_id: str,
    batch: HeartbeatBatch,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
    clock: ClockDep,
) -> HeartbeatAccepted:
    """The EPE's software reports the state of many cameras at once (only its own EPE)."""
    if len(batch.cameras) > settings.heartbeat_max_batch:
        raise field_error(
            "body.cameras", f"at most {settings.heartbeat_max_batch} cameras per request"
        )
    epe = own_epe(session, principal, epe_id)
    now = clock.now()
    try:
        result = record_heartbeats(
            session.connection(),
            epe_id=epe.id,
            reports=batch.cameras,
            now=now,
            silence=settings.offline_after_silence,
        )
        session.commit()
    except OperationalError as exc:  # lock timeout / deadlock: nothing was stored, retry
        session.rollback()
        raise Problem(
            503,
            "Service Unavailable",
            "the heartbeat could not be stored now; retry",
            headers={"Retry-After": "2"},
        ) from exc
    return HeartbeatAccepted(
        accepted=result.accepted, unknown_cameras=result.unknown, received_at=now
    )


@router.get("/health", response_model=Page[CameraHealthPublic])
def camera_states(
    epe_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    state: CameraState | None = None,
    cursor: Cursor = None,
    limit: Limit1000 = 200,
) -> Page[CameraHealthPublic]:
    """Live state of the EPE's cameras, filterable by state."""
    epe = readable_epe(session, principal, epe_id)
    key = decode_cursor(cursor)
    query = select(CameraHealth).where(col(CameraHealth.epe_id) == epe.id)
    if state is not None:
        query = query.where(col(CameraHealth.state) == state.value)
    if key:
        query = query.where(col(CameraHealth.camera_id) > str(key[0]))
    rows = list(
        session.execute(query.order_by(col(CameraHealth.camera_id)).limit(limit + 1)).scalars()
    )
    rows, next_cursor = page_of(rows, limit, lambda r: [r.camera_id])
    return Page(data=[service.health_public(r) for r in rows], next_cursor=next_cursor)


@router.get("/outages", response_model=Page[OutagePublic])
def list_outages(
    epe_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    camera_id: Annotated[str | None, Query(max_length=36)] = None,
    open: bool | None = None,
    planned: bool | None = None,
    since: Instant | None = None,
    cursor: Cursor = None,
    limit: Limit1000 = 100,
) -> Page[OutagePublic]:
    """Outage windows (start, end, cause), oldest first."""
    epe = readable_epe(session, principal, epe_id)
    key = decode_cursor(cursor)
    query = (
        select(Outage, col(Camera.number))
        .join(Camera, col(Camera.id) == col(Outage.camera_id))
        .where(col(Outage.epe_id) == epe.id)
    )
    if camera_id is not None:
        query = query.where(col(Outage.camera_id) == camera_id)
    if open is not None:
        query = query.where(
            col(Outage.ended_at).is_(None) if open else col(Outage.ended_at).is_not(None)
        )
    if planned is not None:
        query = query.where(col(Outage.planned).is_(planned))
    if since is not None:
        query = query.where(col(Outage.started_at) >= since)
    if key:
        query = query.where(col(Outage.id) > str(key[0]))
    rows = list(session.execute(query.order_by(col(Outage.id)).limit(limit + 1)).all())
    rows, next_cursor = page_of(rows, limit, lambda r: [r[0].id])
    return Page(data=[service.outage_public(o, n) for o, n in rows], next_cursor=next_cursor)


@router.post("/maintenance", status_code=status.HTTP_201_CREATED, response_model=MaintenancePublic)
def declare_maintenance(
    epe_id: str,
    data: MaintenanceCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: SettingsDep,
) -> MaintenancePublic:
    """Declare planned maintenance in advance: outages starting inside it are planned."""
    epe = own_epe(session, principal, epe_id)
    window = service.declare_maintenance(
        session,
        epe=epe,
        data=data,
        author=principal.subject,
        min_notice=settings.maintenance_min_notice,
        max_ahead=settings.maintenance_max_ahead,
        max_duration=settings.maintenance_max_duration,
    )
    session.commit()
    return service.maintenance_public(window)


@router.get("/maintenance", response_model=Page[MaintenancePublic])
def list_maintenance(
    epe_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit500 = 100,
) -> Page[MaintenancePublic]:
    """Maintenance windows of the EPE."""
    epe = readable_epe(session, principal, epe_id)
    key = decode_cursor(cursor)
    query = select(MaintenanceWindow).where(col(MaintenanceWindow.epe_id) == epe.id)
    if key:
        query = query.where(col(MaintenanceWindow.id) > str(key[0]))
    rows = list(
        session.execute(query.order_by(col(MaintenanceWindow.id)).limit(limit + 1)).scalars()
    )
    rows, next_cursor = page_of(rows, limit, lambda w: [w.id])
    return Page(data=[service.maintenance_public(w) for w in rows], next_cursor=next_cursor)


@router.post(
    "/maintenance/{window_id}/cancel",
    response_model=MaintenancePublic,
    responses={409: {"description": "the window has started"}},
)
def cancel_maintenance(
    epe_id: str, window_id: str, session: SessionDep, principal: CurrentPrincipal
) -> MaintenancePublic:
    """Cancel a maintenance window that has not started."""
    epe = own_epe(session, principal, epe_id)
    window = service.cancel_maintenance(session, epe=epe, window_id=window_id)
    session.commit()
    return service.maintenance_public(window)


@router.get("/uptime", response_model=EpeUptime)
def epe_uptime(
    epe_id: str, start: From, end: To, session: SessionDep, principal: CurrentPrincipal
) -> EpeUptime:
    """Availability of the EPE's cameras over a period (camera-seconds), planned vs unplanned."""
    epe = readable_epe(session, principal, epe_id)
    start, end = service.check_period(start, end)
    return service.uptime_of_epe(session, epe, start=start, end=end)


@router.get("/cameras/{camera_id}/uptime", response_model=CameraUptime)
def camera_uptime(
    epe_id: str,
    camera_id: str,
    start: From,
    end: To,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CameraUptime:
    """Availability of one camera over a period."""
    epe = readable_epe(session, principal, epe_id)
    start, end = service.check_period(start, end)
    camera = get_camera(session, epe_id=epe.id, camera_id=camera_id)
    return service.uptime_of_camera(session, camera, start=start, end=end)
