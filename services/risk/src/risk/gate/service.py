"""Recording gate events: only from the EPE's own gate cameras; idempotent by the read's id."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert
from sqlmodel import Session, col, select

from risk.customs.schemas import BatchItem, BatchResult, FieldProblem, Outcome
from risk.customs.service import digest_of, problems_of, summarise
from risk.gate.models import GateEvent, GateEventIn, Origin
from risk.projection.models import Camera
from servicekit.ids import new_id

FUTURE_TOLERANCE = timedelta(minutes=5)
"""Clock drift allowed between a vendor's camera and customs."""

_SEPARATORS = re.compile(r"[\s.\-_/]")


def compact(read: str) -> str:
    """A read without separators, upper case: how gate reads are stored and compared."""
    return _SEPARATORS.sub("", read).upper()


class GateRefusal(Exception):
    """A gate event that cannot be accepted, naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _store(session: Session, row: GateEvent, data: Mapping[str, Any]) -> tuple[GateEvent, Outcome]:
    """Insert unless the same reference is stored; the same reference with other content is
    refused (a vendor must not rewrite what it reported)."""
    row.digest = digest_of(dict(data))
    stored = session.exec(
        select(GateEvent).where(
            GateEvent.epe_id == row.epe_id,
            GateEvent.origin == row.origin,
            GateEvent.reference == row.reference,
        )
    ).first()
    if stored is not None:
        if stored.digest != row.digest:
            raise GateRefusal("event_id", "this event id was received before with other content")
        return stored, Outcome.UNCHANGED
    session.add(row)
    session.flush()
    return row, Outcome.CREATED


def _camera_refusal(camera: Camera | None, epe_id: str) -> GateRefusal | None:
    if camera is None or camera.epe_id != epe_id or not camera.is_gate:
        return GateRefusal("camera_id", "not a gate camera of this EPE")
    return None


def _camera_row(
    body: GateEventIn, *, epe_id: str, source: str, now: datetime
) -> tuple[GateEvent, dict[str, Any]]:
    """The row of a read (not stored yet) and the data its digest is taken of; refuses a read
    from the future."""
    if body.occurred_at > now + FUTURE_TOLERANCE:
        raise GateRefusal("occurred_at", "must not be in the future")
    data = body.model_dump(mode="json")
    row = GateEvent(
        id=new_id(),
        epe_id=epe_id,
        origin=Origin.CAMERA.value,
        reference=body.event_id,
        camera_id=body.camera_id,
        direction=body.direction.value,
        occurred_at=body.occurred_at,
        plate=compact(body.plate) if body.plate else None,
        container_numbers=[compact(c) for c in body.container_numbers],
        confidence=body.confidence,
        image_ref=body.image_ref,
        digest=digest_of(data),
        source=source,
        received_at=now,
    )
    return row, data


def record_camera_event(
    session: Session, body: GateEventIn, *, epe_id: str, source: str, now: datetime
) -> tuple[GateEvent, Outcome]:
    """A read from vendor software, for a gate camera of its own EPE."""
    refusal = _camera_refusal(session.get(Camera, body.camera_id), epe_id)
    if refusal is not None:
        raise refusal
    row, data = _camera_row(body, epe_id=epe_id, source=source, now=now)
    return _store(session, row, data)


def record_manual_event(
    session: Session, data: Mapping[str, Any], *, now: datetime
) -> tuple[GateEvent, Outcome]:
    """An entry of the EPE's manual gate log (incidents.gate_log.recorded.v1)."""
    occurred = datetime.fromisoformat(str(data["occurred_at"])).astimezone(UTC)
    row = GateEvent(
        id=new_id(),
        epe_id=str(data["epe_id"]),
        origin=Origin.MANUAL.value,
        reference=str(data["entry_id"]),
        incident_id=str(data["incident_id"]),
        direction=str(data["direction"]),
        occurred_at=occurred,
        plate=compact(str(data["plate"])) if data.get("plate") else None,
        container_numbers=[compact(str(c)) for c in data.get("container_numbers") or []],
        digest="",
        source="incidents",
        received_at=now,
    )
    keys = ("entry_id", "plate", "container_numbers", "direction", "occurred_at")
    return _store(session, row, {k: data.get(k) for k in keys})


def record_batch(
    session: Session,
    records: Sequence[dict[str, Any]],
    *,
    epe_id: str,
    source: str,
    now: datetime,
) -> tuple[BatchResult, list[GateEvent]]:
    """Each read on its own: bad ones by index and field, the others kept. Set-based: one
    query for the cameras, one for the event ids already stored, one multi-row insert."""
    items: dict[int, BatchItem] = {}
    bodies: dict[int, GateEventIn] = {}
    for index, raw in enumerate(records):
        try:
            bodies[index] = GateEventIn.model_validate(raw)
        except ValidationError as exc:
            items[index] = BatchItem(index=index, outcome=Outcome.REJECTED, errors=problems_of(exc))
    camera_ids = sorted({b.camera_id for b in bodies.values()})
    cameras = {
        c.camera_id: c
        for c in session.exec(select(Camera).where(col(Camera.camera_id).in_(camera_ids)))
    }
    known = _stored_references(session, epe_id, sorted({b.event_id for b in bodies.values()}))
    created: list[GateEvent] = []
    for index, body in bodies.items():
        try:
            refusal = _camera_refusal(cameras.get(body.camera_id), epe_id)
            if refusal is not None:
                raise refusal
            row, _data = _camera_row(body, epe_id=epe_id, source=source, now=now)
            stored = known.get(row.reference)
            if stored is not None and stored.digest != row.digest:
                raise GateRefusal(
                    "event_id", "this event id was received before with other content"
                )
        except GateRefusal as exc:
            problem = FieldProblem(field=exc.field, message=exc.message)
            items[index] = BatchItem(index=index, outcome=Outcome.REJECTED, errors=[problem])
            continue
        outcome = Outcome.UNCHANGED if stored is not None else Outcome.CREATED
        if stored is None:
            known[row.reference] = stored = row
            created.append(row)
        items[index] = BatchItem(
            index=index, outcome=outcome, id=stored.id, number=stored.reference
        )
    if created:
        rows = [{c: getattr(r, c) for c in COLUMNS} for r in created]
        session.connection().execute(insert(GateEvent), rows)
    return summarise([items[i] for i in sorted(items)]), created


COLUMNS = tuple(column.name for column in GateEvent.__table__.columns)  # type: ignore[attr-defined]


def _stored_references(
    session: Session, epe_id: str, references: list[str]
) -> dict[str, GateEvent]:
    """The camera reads of the EPE already stored under these event ids."""
    found: dict[str, GateEvent] = {}
    for start in range(0, len(references), 900):
        query = select(GateEvent).where(
            GateEvent.epe_id == epe_id,
            GateEvent.origin == Origin.CAMERA.value,
            col(GateEvent.reference).in_(references[start : start + 900]),
        )
        found.update((row.reference, row) for row in session.exec(query))
    return found
