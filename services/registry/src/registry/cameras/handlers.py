"""Reactions of the cameras domain to area changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from registry.areas.changes import AreaMoved
from registry.areas.models import Area
from registry.areas.service import storage_kind_of
from registry.cameras.events import CameraChanged
from registry.cameras.models import Camera
from registry.cameras.service import camera_facts
from registry.epes.models import Epe
from registry.reactions import record, subscribe

MOVED_FIELDS = ["area_latitude", "area_longitude"]


@subscribe(AreaMoved)
def announce_moved_cameras(session: Session, facts: list[object], now: datetime) -> None:
    """Camera events carry their area's location: a moved area re-announces its cameras, so
    consumers (risk's gate locations) never keep a stale one."""
    for fact in facts:
        assert isinstance(fact, AreaMoved)
        area, epe = session.get(Area, fact.area_id), session.get(Epe, fact.epe_id)
        if area is None or epe is None:
            continue
        storage = storage_kind_of(session, area)
        cameras = session.execute(
            select(Camera)
            .where(col(Camera.area_id) == area.id, col(Camera.removed_at).is_(None))
            .order_by(col(Camera.number))
        ).scalars()
        changed = [
            CameraChanged(
                **{**camera_facts(camera, epe, area, storage), "occurred_at": now},
                changed_fields=MOVED_FIELDS,
            )
            for camera in cameras
        ]
        record(session, [(event, event.camera_id) for event in changed], now=now)
