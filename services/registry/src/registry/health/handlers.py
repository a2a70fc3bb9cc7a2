"""Live health follows the camera declarations: watch a new camera, re-arm probing when it is
switched, stop watching (and end the outage of) a removed one (see ``registry.reactions``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col

from registry.cameras.events import CameraAdded, CameraChanged, CameraRemoved
from registry.health.models import CameraHealth, CameraState, Outage
from registry.reactions import subscribe


@subscribe(CameraAdded, CameraChanged, CameraRemoved)
def follow_cameras(session: Session, facts: list[object], now: datetime) -> None:
    """Keep one health row per active camera, in step with its declaration."""
    for fact in facts:
        if isinstance(fact, CameraAdded):
            _watch(session, fact, now)
        elif isinstance(fact, CameraChanged) and "probe_enabled" in fact.changed_fields:
            _rearm_probing(session, fact, now)
        elif isinstance(fact, CameraRemoved):
            _forget(session, fact, now)
    session.flush()


def _watch(session: Session, camera: CameraAdded, now: datetime) -> None:
    session.add(
        CameraHealth(
            camera_id=camera.camera_id,
            epe_id=camera.epe_id,
            camera_number=camera.camera_number,
            state=CameraState.UNKNOWN,
            state_since=now,
            probe_enabled=camera.probe_enabled,
            probe_next_at=now if camera.probe_enabled else None,
        )
    )


def _rearm_probing(session: Session, camera: CameraChanged, now: datetime) -> None:
    session.execute(
        update(CameraHealth)
        .where(col(CameraHealth.camera_id) == camera.camera_id)
        .values(
            probe_enabled=camera.probe_enabled,
            probe_next_at=now if camera.probe_enabled else None,
            probe_fault_since=None,
            probe_ok_since=None,
            probe_status=None,
        )
    )


def _forget(session: Session, camera: CameraRemoved, now: datetime) -> None:
    session.execute(
        update(Outage)
        .where(col(Outage.camera_id) == camera.camera_id, col(Outage.ended_at).is_(None))
        .values(ended_at=now)
    )
    session.execute(delete(CameraHealth).where(col(CameraHealth.camera_id) == camera.camera_id))
