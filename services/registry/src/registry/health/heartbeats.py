"""The heartbeat hot path: one batch → one SELECT and one set-based UPDATE per status.

No ORM objects, no events: a heartbeat only records an observation. The detector turns
observations into transitions (and events) on its own tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.engine import Connection

from registry.health.models import CameraHealth, CameraReport, ReportedStatus
from registry.types import table_of

HEALTH = table_of(CameraHealth)
OK = ReportedStatus.OK.value

CHUNK = 5000


def _record(status: str, now: datetime, stale: datetime) -> Any:
    """The UPDATE recording one status for a set of cameras (`camera_ids` expands)."""
    if status == OK:
        values: dict[str, Any] = {
            "hb_fault_since": None,
            # An ok streak starts at the first "ok" after a fault or after a silence.
            "hb_ok_since": case(
                (
                    or_(
                        HEALTH.c.hb_ok_since.is_(None),
                        HEALTH.c.hb_at.is_(None),
                        HEALTH.c.hb_at < stale,
                    ),
                    now,
                ),
                else_=HEALTH.c.hb_ok_since,
            ),
        }
    else:
        # A fault streak starts at its first report and ends at the first "ok".
        values = {
            "hb_fault_since": func.coalesce(HEALTH.c.hb_fault_since, now),
            "hb_ok_since": None,
        }
    return (
        update(HEALTH)
        .where(HEALTH.c.camera_id.in_(bindparam("camera_ids", expanding=True)))
        .values(hb_at=now, hb_status=status, **values)
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
    by_status: dict[str, list[str]] = {}
    for number, camera_id in known.items():
        by_status.setdefault(latest[number], []).append(camera_id)
    # One set-based UPDATE per status (and per chunk), ids sorted so concurrent writers lock
    # rows in the same order; the detector skips locked rows instead of waiting.
    for status in sorted(by_status):
        ids = sorted(by_status[status])
        statement = _record(status, now, stale)
        for start in range(0, len(ids), CHUNK):
            connection.execute(statement, {"camera_ids": ids[start : start + CHUNK]})
    return HeartbeatResult(accepted=len(known), unknown=unknown)
