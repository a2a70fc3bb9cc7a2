"""Maintenance windows, outage queries and uptime over any period."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlmodel import Session, col

from registry.cameras.models import Camera
from registry.epes.models import Epe
from registry.health.models import (
    CameraHealth,
    CameraHealthPublic,
    CameraState,
    CameraUptime,
    EpeUptime,
    MaintenanceCreate,
    MaintenancePublic,
    MaintenanceWindow,
    Outage,
    OutageCause,
    OutagePublic,
)
from servicekit.clock import utc_now
from servicekit.errors import Conflict, NotFound, field_error
from servicekit.ids import new_id


def _span(value: timedelta) -> str:
    """A duration as a person reads it in an error message."""
    if value % timedelta(days=1) == timedelta(0):
        return f"{value.days} days"
    return f"{value.total_seconds() / 3600:g} hours"


def declare_maintenance(
    session: Session,
    *,
    epe: Epe,
    data: MaintenanceCreate,
    author: str,
    min_notice: float,
    max_ahead: timedelta,
    max_duration: timedelta,
) -> MaintenanceWindow:
    """Record a planned maintenance window; it must be declared before it starts."""
    now = utc_now()
    if data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        raise field_error("body.starts_at", "give times with a time zone (e.g. +07:00)")
    if data.ends_at <= data.starts_at:
        raise field_error("body.ends_at", "must be after starts_at")
    if data.starts_at < now + timedelta(seconds=min_notice):
        raise field_error(
            "body.starts_at",
            "maintenance is declared in advance"
            + (f" (at least {min_notice:.0f} s ahead)" if min_notice else ""),
        )
    if data.starts_at > now + max_ahead:
        raise field_error(
            "body.starts_at", f"a maintenance window starts at most {_span(max_ahead)} ahead"
        )
    if data.ends_at - data.starts_at > max_duration:
        raise field_error(
            "body.ends_at", f"a maintenance window lasts at most {_span(max_duration)}"
        )
    numbers = sorted(set(data.camera_numbers)) if data.camera_numbers is not None else None
    if numbers:
        known = set(
            session.execute(
                select(col(Camera.number)).where(
                    col(Camera.epe_id) == epe.id,
                    col(Camera.removed_at).is_(None),
                    col(Camera.number).in_(numbers),
                )
            ).scalars()
        )
        missing = [n for n in numbers if n not in known]
        if missing:
            raise field_error("body.camera_numbers", f"unknown cameras: {', '.join(missing[:20])}")
    window = MaintenanceWindow(
        id=new_id(),
        epe_id=epe.id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        camera_numbers=numbers,
        reason=data.reason,
        declared_by=author,
        declared_at=now,
    )
    session.add(window)
    session.flush()
    return window


def cancel_maintenance(session: Session, *, epe: Epe, window_id: str) -> MaintenanceWindow:
    """Cancel a window that has not started yet."""
    window = session.get(MaintenanceWindow, window_id)
    if window is None or window.epe_id != epe.id:
        raise NotFound("maintenance window")
    if window.cancelled_at is not None:
        return window
    if window.starts_at <= utc_now():
        raise Conflict("a maintenance window that has started cannot be cancelled")
    window.cancelled_at = utc_now()
    session.add(window)
    session.flush()
    return window


def maintenance_public(window: MaintenanceWindow) -> MaintenancePublic:
    """The API view of a window."""
    return MaintenancePublic.model_validate(window, from_attributes=True)


def health_public(row: CameraHealth) -> CameraHealthPublic:
    """The API view of a camera's live state."""
    return CameraHealthPublic(
        camera_id=row.camera_id,
        camera_number=row.camera_number,
        state=CameraState(row.state),
        state_since=row.state_since,
        offline_cause=row.offline_cause,
        last_heartbeat_at=row.hb_at,
        last_reported_status=row.hb_status,
        probe_enabled=row.probe_enabled,
        last_probe_at=row.probe_at,
        last_probe_status=row.probe_status,
        last_probe_detail=row.probe_detail,
    )


def outage_public(outage: Outage, number: str | None) -> OutagePublic:
    """The API view of an outage."""
    return OutagePublic(
        id=outage.id,
        camera_id=outage.camera_id,
        camera_number=number,
        epe_id=outage.epe_id,
        started_at=outage.started_at,
        ended_at=outage.ended_at,
        detected_at=outage.detected_at,
        cause=OutageCause(outage.cause),
        planned=outage.planned,
        maintenance_window_id=outage.maintenance_window_id,
    )


def check_period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """A valid, timezone-aware period."""
    if start.tzinfo is None or end.tzinfo is None:
        raise field_error("query.from", "give times with a time zone (e.g. +07:00)")
    if end <= start:
        raise field_error("query.to", "must be after `from`")
    return start, end


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds())


def camera_uptime(
    camera: Camera, outages: Sequence[Outage], *, start: datetime, end: datetime, now: datetime
) -> CameraUptime:
    """Availability of one camera over [start, end), from its first sign of life."""
    first = camera.monitored_since
    stop = min(end, now, camera.removed_at or end)
    monitored_from = max(start, first) if first else stop
    monitored = max(0.0, (stop - monitored_from).total_seconds())
    planned = unplanned = 0.0
    count = 0
    for outage in outages:
        seconds = _overlap(outage.started_at, outage.ended_at or now, monitored_from, stop)
        if seconds <= 0:
            continue
        count += 1
        if outage.planned:
            planned += seconds
        else:
            unplanned += seconds
    return CameraUptime(
        camera_id=camera.id,
        camera_number=camera.number,
        **_figures(start, end, monitored, planned, unplanned, count),
    )


def _figures(
    start: datetime, end: datetime, monitored: float, planned: float, unplanned: float, count: int
) -> dict[str, object]:
    down = planned + unplanned
    unplanned_base = monitored - planned
    return {
        "period_start": start,
        "period_end": end,
        "monitored_seconds": monitored,
        "down_seconds": down,
        "planned_down_seconds": planned,
        "unplanned_down_seconds": unplanned,
        "availability": (1 - down / monitored) if monitored > 0 else None,
        "availability_excluding_planned": (1 - unplanned / unplanned_base)
        if unplanned_base > 0
        else None,
        "outages": count,
    }


def _outages_in(
    session: Session, camera_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[Outage]]:
    found: dict[str, list[Outage]] = {}
    for chunk in range(0, len(camera_ids), 1000):
        rows = session.execute(
            select(Outage).where(
                col(Outage.camera_id).in_(camera_ids[chunk : chunk + 1000]),
                col(Outage.started_at) < end,
                or_(col(Outage.ended_at).is_(None), col(Outage.ended_at) > start),
            )
        ).scalars()
        for outage in rows:
            found.setdefault(outage.camera_id, []).append(outage)
    return found


def uptime_of_camera(
    session: Session, camera: Camera, *, start: datetime, end: datetime
) -> CameraUptime:
    """Availability of one camera."""
    outages = _outages_in(session, [camera.id], start, end).get(camera.id, [])
    return camera_uptime(camera, outages, start=start, end=end, now=utc_now())


def uptime_of_epe(session: Session, epe: Epe, *, start: datetime, end: datetime) -> EpeUptime:
    """Availability of every camera the EPE had during the period, and the total."""
    now = utc_now()
    cameras = list(
        session.execute(
            select(Camera)
            .where(
                col(Camera.epe_id) == epe.id,
                col(Camera.monitored_since).is_not(None),
                col(Camera.monitored_since) < end,
                or_(col(Camera.removed_at).is_(None), col(Camera.removed_at) > start),
            )
            .order_by(col(Camera.number))
        ).scalars()
    )
    outages = _outages_in(session, [c.id for c in cameras], start, end)
    per_camera = [
        camera_uptime(c, outages.get(c.id, []), start=start, end=end, now=now) for c in cameras
    ]
    total = _figures(
        start,
        end,
        sum(c.monitored_seconds for c in per_camera),
        sum(c.planned_down_seconds for c in per_camera),
        sum(c.unplanned_down_seconds for c in per_camera),
        sum(c.outages for c in per_camera),
    )
    return EpeUptime(epe_id=epe.id, cameras=per_camera, **total)


def live_states(session: Session, camera_ids: Sequence[str]) -> dict[str, str]:
    """The live state of each camera (`unknown` for one not watched)."""
    rows = session.execute(
        select(col(CameraHealth.camera_id), col(CameraHealth.state)).where(
            col(CameraHealth.camera_id).in_(list(camera_ids))
        )
    ).all()
    found: dict[str, str] = {row.camera_id: row.state for row in rows}
    return {c: found.get(c) or CameraState.UNKNOWN.value for c in camera_ids}


def live_state(session: Session, camera_id: str) -> str:
    """The live state of one camera."""
    return live_states(session, [camera_id])[camera_id]
