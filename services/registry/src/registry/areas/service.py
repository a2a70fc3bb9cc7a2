"""Declaring the areas of an EPE."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from registry.areas.changes import AreaChanged, AreaMoved
from registry.areas.models import Area, AreaCreate, AreaKind, AreaPublic, AreaUpdate, StorageKind
from registry.cameras.models import Camera
from registry.epes.models import Epe
from registry.reactions import notify
from servicekit.clock import utc_now
from servicekit.errors import Conflict, NotFound, field_error
from servicekit.ids import new_id


def get_area(session: Session, *, epe_id: str, area_id: str) -> Area:
    """An active area of the EPE or a 404."""
    area = session.get(Area, area_id)
    if area is None or area.epe_id != epe_id or area.removed_at is not None:
        raise NotFound("area")
    return area


def storage_kind_of(session: Session, area: Area) -> StorageKind | None:
    """What the storage area holds, for a storage area or one of its gates."""
    if area.kind == AreaKind.STORAGE_AREA and area.storage_kind:
        return StorageKind(area.storage_kind)
    if area.kind == AreaKind.STORAGE_AREA_GATE and area.parent_area_id:
        parent = session.get(Area, area.parent_area_id)
        if parent is not None and parent.storage_kind:
            return StorageKind(parent.storage_kind)
    return None


def _check_location(latitude: float | None, longitude: float | None) -> None:
    """Coordinates come in pairs: the one missing is named."""
    if latitude is None and longitude is not None:
        raise field_error("body.latitude", "give latitude with longitude, or neither")
    if longitude is None and latitude is not None:
        raise field_error("body.longitude", "give longitude with latitude, or neither")


def create_area(session: Session, *, epe: Epe, data: AreaCreate) -> Area:
    """Add an area after checking that kind, storage kind and parent fit together."""
    _check_location(data.latitude, data.longitude)
    if data.kind is AreaKind.STORAGE_AREA and data.storage_kind is None:
        raise field_error("body.storage_kind", "a storage area states what it stores")
    if data.kind is not AreaKind.STORAGE_AREA and data.storage_kind is not None:
        raise field_error("body.storage_kind", "only storage areas have a storage kind")
    if data.kind is AreaKind.STORAGE_AREA_GATE:
        if data.parent_area_id is None:
            raise field_error("body.parent_area_id", "a storage-area gate names its storage area")
        parent = session.get(Area, data.parent_area_id)
        if (
            parent is None
            or parent.epe_id != epe.id
            or parent.removed_at is not None
            or parent.kind != AreaKind.STORAGE_AREA
        ):
            raise field_error("body.parent_area_id", "not a storage area of this EPE")
    elif data.parent_area_id is not None:
        raise field_error("body.parent_area_id", "only storage-area gates have a parent area")
    if data.declared_fully_covered and data.kind is not AreaKind.STORAGE_AREA:
        raise field_error("body.declared_fully_covered", "applies to storage areas only")
    duplicate = session.execute(
        select(col(Area.id)).where(
            col(Area.epe_id) == epe.id,
            col(Area.code) == data.code,
            col(Area.removed_at).is_(None),
        )
    ).first()
    if duplicate is not None:
        raise Conflict("an area with this code already exists", field="body.code")
    now = utc_now()
    area = Area(
        id=new_id(),
        epe_id=epe.id,
        code=data.code,
        name=data.name,
        kind=data.kind.value,
        storage_kind=data.storage_kind.value if data.storage_kind else None,
        parent_area_id=data.parent_area_id,
        declared_fully_covered=data.declared_fully_covered,
        latitude=data.latitude,
        longitude=data.longitude,
        created_at=now,
        updated_at=now,
    )
    session.add(area)
    session.flush()
    notify(session, [AreaChanged(epe_id=area.epe_id, area_id=area.id)], now=now)
    return area


def update_area(session: Session, *, area: Area, data: AreaUpdate) -> Area:
    """Rename an area or change its coverage declaration."""
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name", "") is None or changes.get("declared_fully_covered", False) is None:
        raise field_error("body", "fields may not be null")
    if changes.get("declared_fully_covered") and area.kind != AreaKind.STORAGE_AREA:
        raise field_error("body.declared_fully_covered", "applies to storage areas only")
    _check_location(
        changes.get("latitude", area.latitude), changes.get("longitude", area.longitude)
    )
    before = (area.latitude, area.longitude)
    for name, value in changes.items():
        setattr(area, name, value)
    now = utc_now()
    area.updated_at = now
    session.add(area)
    session.flush()
    facts: list[object] = [AreaChanged(epe_id=area.epe_id, area_id=area.id)]
    if (area.latitude, area.longitude) != before:
        facts.append(AreaMoved(epe_id=area.epe_id, area_id=area.id))
    notify(session, facts, now=now)
    return area


def remove_area(session: Session, *, area: Area) -> None:
    """Retire an area that no active camera or gate refers to."""
    camera = session.execute(
        select(col(Camera.id)).where(
            col(Camera.area_id) == area.id,
            col(Camera.removed_at).is_(None),
        )
    ).first()
    gate = session.execute(
        select(col(Area.id)).where(
            col(Area.parent_area_id) == area.id,
            col(Area.removed_at).is_(None),
        )
    ).first()
    if camera is not None or gate is not None:
        raise Conflict("remove or move the cameras and gates of this area first")
    now = utc_now()
    area.removed_at = now
    session.add(area)
    session.flush()
    notify(session, [AreaChanged(epe_id=area.epe_id, area_id=area.id)], now=now)


def list_areas(session: Session, *, epe_id: str, after: str | None, limit: int) -> list[Area]:
    """Up to `limit + 1` active areas of the EPE in code order, after the cursor's code.

    Codes are unique among an EPE's active areas, so the code alone is the page key.
    """
    query = select(Area).where(col(Area.epe_id) == epe_id, col(Area.removed_at).is_(None))
    if after is not None:
        query = query.where(col(Area.code) > after)
    return list(session.execute(query.order_by(col(Area.code)).limit(limit + 1)).scalars())


def to_public(area: Area) -> AreaPublic:
    """The API view of an area."""
    return AreaPublic(
        id=area.id,
        epe_id=area.epe_id,
        code=area.code,
        name=area.name,
        kind=AreaKind(area.kind),
        storage_kind=StorageKind(area.storage_kind) if area.storage_kind else None,
        parent_area_id=area.parent_area_id,
        declared_fully_covered=area.declared_fully_covered,
        latitude=area.latitude,
        longitude=area.longitude,
        created_at=area.created_at,
        updated_at=area.updated_at,
    )
