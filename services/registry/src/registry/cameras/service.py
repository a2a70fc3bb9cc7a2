"""Declaring cameras; whether a camera must be online follows from its position (I.1.2.a)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from registry.areas.models import Area, AreaKind, StorageKind
from registry.areas.service import get_area, storage_kind_of
from registry.cameras.events import CameraAdded, CameraChanged, CameraRemoved
from registry.cameras.models import (
    Camera,
    CameraCapabilities,
    CameraCreate,
    CameraPublic,
    CameraSpecs,
    CameraUpdate,
    PositionKind,
)
from registry.epes.models import Epe
from registry.reactions import record
from servicekit.clock import utc_now
from servicekit.errors import Conflict, NotFound, field_error
from servicekit.ids import new_id

AREA_OF_POSITION = {
    PositionKind.EPE_GATE: AreaKind.EPE_GATE,
    PositionKind.STORAGE_AREA_GATE: AreaKind.STORAGE_AREA_GATE,
    PositionKind.STORAGE_AREA: AreaKind.STORAGE_AREA,
    PositionKind.INSIDE_STORAGE_AREA: AreaKind.STORAGE_AREA,
    PositionKind.OTHER: AreaKind.OTHER,
}
ONLINE_STORAGE_GATES = frozenset(StorageKind) - {StorageKind.OTHER_TAX_FREE}


def online_requirement(
    position: PositionKind, storage_kind: StorageKind | None
) -> tuple[bool, str]:
    """Whether camera data at this position must be connected online to customs, and why."""
    if position is PositionKind.EPE_GATE:
        return True, "I.1.2.a: a gate/door of the EPE"
    if position is PositionKind.STORAGE_AREA:
        return True, "I.1.2.a: a storage area"
    if position is PositionKind.INSIDE_STORAGE_AREA:
        return True, "I.1.2.a: inside a storage area"
    if position is PositionKind.STORAGE_AREA_GATE:
        if storage_kind in ONLINE_STORAGE_GATES:
            return True, (
                "I.1.2.a: a gate/door of a storage area for materials, semi-finished or "
                "finished products, scraps or refuse"
            )
        return False, (
            "I.1.2.a does not list gates of areas for other tax-free goods: the data is stored "
            "at the EPE and provided on request (I.1.2.b)"
        )
    return False, "I.1.2.b: outside the positions of I.1.2.a; stored at the EPE"


def _check_area(
    session: Session, epe: Epe, position: PositionKind, area_id: str | None
) -> Area | None:
    if area_id is None:
        if position is PositionKind.OTHER:
            return None
        raise field_error("body.area_id", "a camera at this position names its area")
    try:
        area = get_area(session, epe_id=epe.id, area_id=area_id)
    except NotFound:
        raise field_error("body.area_id", "not an area of this EPE") from None
    if area.kind != AREA_OF_POSITION[position]:
        raise field_error(
            "body.position_kind",
            f"a camera at position {position.value} belongs to an area of kind "
            f"{AREA_OF_POSITION[position].value}, not {area.kind}",
        )
    return area


def camera_facts(
    camera: Camera, epe: Epe, area: Area | None, storage: StorageKind | None
) -> dict[str, Any]:
    return {
        "camera_id": camera.id,
        "epe_id": camera.epe_id,
        "unit": epe.unit,
        "camera_number": camera.number,
        "position_kind": camera.position_kind,
        "must_be_online": camera.must_be_online,
        "area_id": camera.area_id,
        "area_code": area.code if area else None,
        "area_kind": area.kind if area else None,
        "area_latitude": area.latitude if area else None,
        "area_longitude": area.longitude if area else None,
        "storage_kind": storage.value if storage else None,
        "vendor": camera.vendor,
        "model": camera.model,
        "reads_plates": camera.reads_plates,
        "reads_container_numbers": camera.reads_container_numbers,
        "covers_whole_area": camera.covers_whole_area,
        "probe_enabled": camera.probe_enabled,
        "stream_url": camera.stream_url,
        "occurred_at": camera.updated_at,
    }


def get_camera(session: Session, *, epe_id: str, camera_id: str) -> Camera:
    """An active camera of the EPE or a 404."""
    camera = session.get(Camera, camera_id)
    if camera is None or camera.epe_id != epe_id or camera.removed_at is not None:
        raise NotFound("camera")
    return camera


ProbeRefusal = Callable[[str], str | None]
"""Why the probe network policy would refuse a URL (None: it may be probed)."""


def check_probed_url(
    *,
    probing: bool,
    onvif_url: str | None,
    stream_url: str | None,
    sent: set[str],
    refusal_of: ProbeRefusal,
) -> None:
    """A camera customs probes must have a URL the probe network policy allows (the one the
    prober uses: ONVIF, else an RTSP or HTTP stream); the error names the field sent."""
    if not probing:
        return
    if onvif_url:
        name, url = "onvif_url", onvif_url
    elif stream_url and stream_url.split(":", 1)[0].lower() in {"rtsp", "http", "https"}:
        name, url = "stream_url", stream_url
    else:
        return
    reason = refusal_of(url)
    if reason is None:
        return
    if name in sent:
        raise field_error(f"body.{name}", f"the probe network policy refuses it: {reason}")
    raise field_error(
        "body.probe_enabled", f"the probe network policy refuses the {name} on file: {reason}"
    )


def add_camera(
    session: Session, *, epe: Epe, data: CameraCreate, refusal_of: ProbeRefusal
) -> Camera:
    """Declare a camera (health and coverage follow through `registry.reactions`)."""
    area = _check_area(session, epe, data.position_kind, data.area_id)
    storage = storage_kind_of(session, area) if area else None
    taken = session.execute(
        select(col(Camera.id)).where(
            col(Camera.epe_id) == epe.id,
            col(Camera.number) == data.number,
            col(Camera.removed_at).is_(None),
        )
    ).first()
    if taken is not None:
        raise Conflict("a camera with this number already exists", field="body.number")
    must, reason = online_requirement(data.position_kind, storage)
    now = utc_now()
    camera = Camera(
        id=new_id(),
        epe_id=epe.id,
        number=data.number,
        position_kind=data.position_kind.value,
        area_id=area.id if area else None,
        vendor=data.vendor,
        model=data.model,
        stream_url=data.stream_url,
        onvif_url=data.onvif_url,
        probe_enabled=data.probe_enabled,
        specs=data.specs.model_dump(mode="json", exclude_none=True),
        reads_plates=data.capabilities.reads_plates,
        reads_container_numbers=data.capabilities.reads_container_numbers,
        covers_whole_area=data.capabilities.covers_whole_area,
        must_be_online=must,
        must_be_online_reason=reason,
        created_at=now,
        updated_at=now,
    )
    if data.probe_enabled and not (data.onvif_url or data.stream_url):
        raise field_error("body.probe_enabled", "probing needs an onvif_url or a stream_url")
    check_probed_url(
        probing=data.probe_enabled,
        onvif_url=data.onvif_url,
        stream_url=data.stream_url,
        sent={"onvif_url", "stream_url"},
        refusal_of=refusal_of,
    )
    session.add(camera)
    session.flush()
    record(session, [(CameraAdded(**camera_facts(camera, epe, area, storage)), camera.id)], now=now)
    return camera


def update_camera(
    session: Session, *, epe: Epe, camera: Camera, data: CameraUpdate, refusal_of: ProbeRefusal
) -> Camera:
    """Change a camera's declaration; records `registry.camera.changed.v1` when anything did."""
    changes = data.model_dump(exclude_unset=True)
    for name in ("position_kind", "specs", "capabilities", "probe_enabled"):
        if name in changes and changes[name] is None:
            raise field_error(f"body.{name}", "may not be null")
    position = PositionKind(changes.get("position_kind", camera.position_kind))
    area_id = changes.get("area_id", camera.area_id)
    area = _check_area(session, epe, position, area_id)
    storage = storage_kind_of(session, area) if area else None
    values: dict[str, Any] = {
        "position_kind": position.value,
        "area_id": area.id if area else None,
    }
    for name in ("vendor", "model", "stream_url", "onvif_url", "probe_enabled"):
        if name in changes:
            values[name] = changes[name]
    if data.specs is not None:
        values["specs"] = data.specs.model_dump(mode="json", exclude_none=True)
    if data.capabilities is not None:
        values.update(data.capabilities.model_dump())
    values["must_be_online"], values["must_be_online_reason"] = online_requirement(
        position, storage
    )
    probing = values.get("probe_enabled", camera.probe_enabled)
    if probing and not (
        values.get("onvif_url", camera.onvif_url) or values.get("stream_url", camera.stream_url)
    ):
        raise field_error("body.probe_enabled", "probing needs an onvif_url or a stream_url")
    check_probed_url(
        probing=probing,
        onvif_url=values.get("onvif_url", camera.onvif_url),
        stream_url=values.get("stream_url", camera.stream_url),
        sent=set(changes),
        refusal_of=refusal_of,
    )
    changed = sorted(name for name, value in values.items() if getattr(camera, name) != value)
    if not changed:
        return camera
    now = utc_now()
    for name in changed:
        setattr(camera, name, values[name])
    camera.updated_at = now
    session.add(camera)
    session.flush()
    facts = camera_facts(camera, epe, area, storage)
    changed_event = CameraChanged(**facts, changed_fields=changed)
    record(session, [(changed_event, camera.id)], now=now)
    return camera


def remove_camera(session: Session, *, epe: Epe, camera: Camera) -> None:
    """Retire a camera (its history stays; health and coverage follow its removal)."""
    now = utc_now()
    camera.removed_at = now
    camera.updated_at = now
    session.add(camera)
    session.flush()
    removed = CameraRemoved(
        camera_id=camera.id,
        epe_id=camera.epe_id,
        unit=epe.unit,
        camera_number=camera.number,
        position_kind=camera.position_kind,
        must_be_online=camera.must_be_online,
        removed_at=now,
    )
    record(session, [(removed, camera.id)], now=now)


def list_cameras(
    session: Session,
    *,
    epe_id: str,
    position_kind: PositionKind | None,
    area_id: str | None,
    after: str | None,
    limit: int,
) -> list[Camera]:
    """Active cameras of an EPE in id order after the cursor (a `limit + 1` fetch)."""
    query = select(Camera).where(col(Camera.epe_id) == epe_id, col(Camera.removed_at).is_(None))
    if position_kind is not None:
        query = query.where(col(Camera.position_kind) == position_kind.value)
    if area_id is not None:
        query = query.where(col(Camera.area_id) == area_id)
    if after is not None:
        query = query.where(col(Camera.id) > after)
    return list(session.execute(query.order_by(col(Camera.id)).limit(limit + 1)).scalars())


def to_public(camera: Camera, state: str) -> CameraPublic:
    """The API view of a camera with its live state (the health domain's `live_state`)."""
    return CameraPublic(
        id=camera.id,
        epe_id=camera.epe_id,
        number=camera.number,
        position_kind=PositionKind(camera.position_kind),
        area_id=camera.area_id,
        vendor=camera.vendor,
        model=camera.model,
        stream_url=camera.stream_url,
        onvif_url=camera.onvif_url,
        probe_enabled=camera.probe_enabled,
        specs=CameraSpecs.model_validate(camera.specs),
        capabilities=CameraCapabilities(
            reads_plates=camera.reads_plates,
            reads_container_numbers=camera.reads_container_numbers,
            covers_whole_area=camera.covers_whole_area,
        ),
        must_be_online=camera.must_be_online,
        must_be_online_reason=camera.must_be_online_reason,
        state=state,
        created_at=camera.created_at,
        updated_at=camera.updated_at,
    )
