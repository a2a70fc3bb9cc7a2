"""The coverage check (I.1.1.a-d, I.1.2.a): gaps computed from areas, cameras and live state.

`compute_gaps` is pure reading; `refresh_coverage` compares the result with the stored open
gaps and opens/closes them, recording `registry.coverage_gap.found/closed.v1` for each change.
It is called after every area or camera change and after health transitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from registry.areas.models import Area, AreaKind, StorageKind
from registry.cameras.models import Camera, PositionKind
from registry.coverage.events import CoverageGapClosed, CoverageGapFound
from registry.coverage.models import CoverageGap, GapKind
from registry.epes.models import Epe
from registry.health.models import CameraHealth, CameraState
from servicekit.events import EventPayload, add_events
from servicekit.ids import new_id

STORAGE_POSITIONS = frozenset({PositionKind.STORAGE_AREA, PositionKind.INSIDE_STORAGE_AREA})


@dataclass(frozen=True)
class CameraAt:
    """The few camera facts the check needs (read as plain rows: it runs after every transition)."""

    id: str
    number: str
    area_id: str | None
    position_kind: str
    reads_plates: bool
    reads_container_numbers: bool
    covers_whole_area: bool


@dataclass(frozen=True)
class Gap:
    """One gap as computed now."""

    kind: GapKind
    area: Area
    detail: str
    camera: CameraAt | None = None

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.area.id}:{self.camera.id if self.camera else ''}"


def gate_needs_online_camera(area: Area, storage_kind: StorageKind | None) -> bool:
    """I.1.2.a lists EPE gates and gates of storage areas for materials, products, scraps and
    refuse; gates of areas for other tax-free goods are not in that list."""
    return not (
        area.kind == AreaKind.STORAGE_AREA_GATE and storage_kind is StorageKind.OTHER_TAX_FREE
    )


def compute_gaps(session: Session, epe_id: str) -> list[Gap]:
    """Every gap of the EPE's camera system right now."""
    areas = list(
        session.execute(
            select(Area).where(col(Area.epe_id) == epe_id, col(Area.removed_at).is_(None))
        ).scalars()
    )
    by_id = {a.id: a for a in areas}
    cameras_at = _cameras_by_area(session, epe_id)
    gaps: list[Gap] = []
    for area in sorted(areas, key=lambda a: a.code):
        if area.kind == AreaKind.OTHER:
            continue
        here = cameras_at.get(area.id, [])
        online = [c for c, state in here if state == CameraState.ONLINE]
        parent = by_id.get(area.parent_area_id or "")
        storage_kind = StorageKind(area.storage_kind) if area.storage_kind else None
        if parent is not None and parent.storage_kind:
            storage_kind = StorageKind(parent.storage_kind)
        what = "gate/door" if area.kind != AreaKind.STORAGE_AREA else "storage area"
        if gate_needs_online_camera(area, storage_kind):
            if not online:
                detail = (
                    f"no camera at this {what}"
                    if not here
                    else f"none of the {len(here)} camera(s) at this {what} is online"
                )
                gaps.append(Gap(GapKind.NO_ONLINE_CAMERA, area, detail))
        elif not here:
            gaps.append(Gap(GapKind.NO_CAMERA, area, f"no camera at this {what}"))
        if area.kind == AreaKind.EPE_GATE:
            gaps += _gate_camera_gaps(area, [c for c, _ in here])
        if area.kind == AreaKind.STORAGE_AREA:
            gaps += _storage_coverage_gaps(area, [c for c, _ in here])
    return gaps


def _cameras_by_area(session: Session, epe_id: str) -> dict[str, list[tuple[CameraAt, str | None]]]:
    """The EPE's cameras with their health state, by the area they are placed in."""
    rows = session.execute(
        select(
            col(Camera.id),
            col(Camera.number),
            col(Camera.area_id),
            col(Camera.position_kind),
            col(Camera.reads_plates),
            col(Camera.reads_container_numbers),
            col(Camera.covers_whole_area),
            col(CameraHealth.state),
        )
        .join(CameraHealth, col(CameraHealth.camera_id) == col(Camera.id), isouter=True)
        .where(col(Camera.epe_id) == epe_id, col(Camera.removed_at).is_(None))
    ).all()
    cameras_at: dict[str, list[tuple[CameraAt, str | None]]] = {}
    for row in rows:
        if row.area_id:
            at = CameraAt(
                id=row.id,
                number=row.number,
                area_id=row.area_id,
                position_kind=row.position_kind,
                reads_plates=row.reads_plates,
                reads_container_numbers=row.reads_container_numbers,
                covers_whole_area=row.covers_whole_area,
            )
            cameras_at.setdefault(row.area_id, []).append((at, row.state))
    return cameras_at


def _gate_camera_gaps(area: Area, cameras: list[CameraAt]) -> list[Gap]:
    """What the EPE gate's own cameras are not declared able to read (I.1.1.b)."""
    gaps: list[Gap] = []
    for camera in cameras:
        if camera.position_kind != PositionKind.EPE_GATE:
            continue
        if not camera.reads_plates:
            gaps.append(
                Gap(
                    GapKind.GATE_CAMERA_CANNOT_READ_PLATES,
                    area,
                    f"camera {camera.number} is not declared able to read licence plates (I.1.1.b)",
                    camera,
                )
            )
        if not camera.reads_container_numbers:
            gaps.append(
                Gap(
                    GapKind.GATE_CAMERA_CANNOT_READ_CONTAINER_NUMBERS,
                    area,
                    f"camera {camera.number} is not declared able to read container "
                    "numbers (I.1.1.b)",
                    camera,
                )
            )
    return gaps


def _storage_coverage_gaps(area: Area, cameras: list[CameraAt]) -> list[Gap]:
    """A storage area neither declared nor filmed as covered whole (I.1.1.c-d)."""
    covering = [c for c in cameras if c.position_kind in STORAGE_POSITIONS and c.covers_whole_area]
    if area.declared_fully_covered or covering:
        return []
    return [
        Gap(
            GapKind.AREA_NOT_FULLY_COVERED,
            area,
            "neither the area nor any of its cameras is declared to cover the whole "
            "area (I.1.1.c-d)",
        )
    ]


def open_gaps(session: Session, epe_id: str) -> list[CoverageGap]:
    """Gaps found and not yet closed."""
    return list(
        session.execute(
            select(CoverageGap).where(
                col(CoverageGap.epe_id) == epe_id,
                col(CoverageGap.closed_at).is_(None),
            )
        ).scalars()
    )


def refresh_coverage(session: Session, epe_ids: Iterable[str], *, now: datetime) -> int:
    """Open new gaps and close vanished ones for each EPE; returns how many changed."""
    changes = 0
    for epe_id in sorted(set(epe_ids)):
        # Serialises concurrent refreshes of one EPE on PostgreSQL (no-op on SQLite, whose
        # writers are serialised anyway); NO KEY UPDATE leaves foreign-key checks unblocked.
        epe = session.execute(
            select(Epe).where(col(Epe.id) == epe_id).with_for_update(key_share=True)
        ).scalar_one_or_none()
        if epe is None:
            continue
        current = {gap.key: gap for gap in compute_gaps(session, epe_id)}
        stored = {gap.gap_key: gap for gap in open_gaps(session, epe_id)}
        areas = {
            a.id: a
            for a in session.execute(select(Area).where(col(Area.epe_id) == epe_id)).scalars()
        }
        numbers: dict[str, str] = {
            camera_id: number
            for camera_id, number in session.execute(
                select(col(Camera.id), col(Camera.number)).where(col(Camera.epe_id) == epe_id)
            )
        }
        events: list[tuple[EventPayload, str | None]] = []
        for key in sorted(stored.keys() - current.keys()):
            row = stored[key]
            row.closed_at = now
            session.add(row)
            area = areas.get(row.area_id)
            events.append(
                (
                    CoverageGapClosed(
                        **_gap_facts(row, epe, area, numbers.get(row.camera_id or "")),
                        closed_at=now,
                    ),
                    epe_id,
                )
            )
        for key in sorted(current.keys() - stored.keys()):
            gap = current[key]
            row = CoverageGap(
                id=new_id(),
                epe_id=epe_id,
                gap_key=key,
                kind=gap.kind.value,
                area_id=gap.area.id,
                camera_id=gap.camera.id if gap.camera else None,
                detail=gap.detail,
                found_at=now,
            )
            session.add(row)
            events.append(
                (
                    CoverageGapFound(
                        **_gap_facts(row, epe, gap.area, gap.camera.number if gap.camera else None)
                    ),
                    epe_id,
                )
            )
        if events:
            session.flush()
            add_events(session, events)
            changes += len(events)
    return changes


def _gap_facts(
    row: CoverageGap, epe: Epe, area: Area | None, camera_number: str | None
) -> dict[str, object]:
    return {
        "gap_id": row.id,
        "epe_id": row.epe_id,
        "unit": epe.unit,
        "kind": row.kind,
        "area_id": row.area_id,
        "area_code": area.code if area else None,
        "area_kind": area.kind if area else None,
        "camera_id": row.camera_id,
        "camera_number": camera_number,
        "detail": row.detail,
        "found_at": row.found_at,
    }
