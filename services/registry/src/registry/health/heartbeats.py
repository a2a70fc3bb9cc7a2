"""The heartbeat hot path: one batch → one SELECT and one executemany UPDATE, nothing else.

No ORM objects, no events: a heartbeat only records an observation. The detector turns
observations into transitions (and events) on its own tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import BindParameter

from registry.health.models import CameraHealth, CameraReport, ReportedStatus
from registry.types import table_of

HEALTH = table_of(CameraHealth)
OK = ReportedStatus.OK.value

_status: BindParameter[str] = bindparam("p_status")
_now = bindparam("p_now", type_=HEALTH.c.hb_at.type)
_stale = bindparam("p_stale", type_=HEALTH.c.hb_at.type)

RECORD = (
    update(HEALTH)
    .where(HEALTH.c.camera_id == bindparam("p_camera_id"))
    .values(
        hb_at=_now,
        hb_status=_status,
        # A fault streak starts at its first report and ends at the first "ok".
        hb_fault_since=case(
            (_status == OK, None), else_=func.coalesce(HEALTH.c.hb_fault_since, _now)
        ),
        # An ok streak starts at the first "ok" after a fault or after a silence.
        hb_ok_since=case(
            (_status != OK, None),
            (
                or_(
                    HEALTH.c.hb_ok_since.is_(None),
                    HEALTH.c.hb_at.is_(None),
                    HEALTH.c.hb_at < _stale,
                ),
                _now,
            ),
            else_=HEALTH.c.hb_ok_since,
        ),
    )
)


@dataclass(frozen=True)
class HeartbeatResult:
    """How many reports were recorded and which camera numbers were not recognised."""

    accepted: int
    unknown: list[str]


def record_heartbeats(
    connection: Connection,
    *,
    epe_id: str,
    reports: list[CameraReport],
    now: datetime,
    silence: float,
) -> HeartbeatResult:
    """Record a batch of camera states for one EPE at `now` (server time)."""
    latest: dict[str, str] = {}
    for report in reports:  # the last report of a camera in a batch wins
        latest[report.camera] = report.status.value
    known: dict[str, str] = {
        row.camera_number: row.camera_id
        for row in connection.execute(
            select(HEALTH.c.camera_number, HEALTH.c.camera_id).where(
                and_(HEALTH.c.epe_id == epe_id, HEALTH.c.camera_number.in_(list(latest)))
            )
        )
    }
    unknown = sorted(n for n in latest if n not in known)
    stale = now - timedelta(seconds=silence)
    # Sorted by primary key: concurrent batches and the detector lock rows in the same order.
    params = sorted(
        (
            {"p_camera_id": camera_id, "p_status": latest[number], "p_now": now, "p_stale": stale}
            for number, camera_id in known.items()
        ),
        key=lambda p: str(p["p_camera_id"]),
    )
    if params:
        connection.execute(RECORD, params)
    return HeartbeatResult(accepted=len(params), unknown=unknown)
