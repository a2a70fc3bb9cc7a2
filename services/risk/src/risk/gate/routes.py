"""Gate event endpoints: EPE vendor software posts what its gate cameras read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import ColumnElement, true
from sqlmodel import Session, col, select

from risk.customs.schemas import BatchResult, Outcome
from risk.deps import EpeClientOnly, SettingsDep, source_of
from risk.gate.models import Direction, GateBatchIn, GateEvent, GateEventIn, GateEventPublic, Origin
from risk.gate.service import GateRefusal, record_batch, record_camera_event
from risk.matching.batch import match_new_events
from risk.matching.service import match_event
from risk.projection.models import Enterprise
from risk.projection.service import blind_cameras
from risk.transactions import commit_once
from servicekit.auth import CurrentPrincipal, Principal, Role, ensure_epe_access
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.errors import Conflict, Forbidden, NotFound, field_error
from servicekit.inputs import CleanStr, Instant
from servicekit.pagination import (
    Page,
    cursor_param,
    cursor_time,
    decode_cursor,
    limit_param,
    page_of,
)

router = APIRouter(prefix="/gate-events", tags=["gate events"])


def public(session: Session, row: GateEvent, outcome: Outcome) -> GateEventPublic:
    """A gate event as the API shows it, with the gate cameras blind at its time."""
    return GateEventPublic(
        id=row.id,
        epe_id=row.epe_id,
        origin=Origin(row.origin),
        reference=row.reference,
        camera_id=row.camera_id,
        incident_id=row.incident_id,
        direction=Direction(row.direction),
        occurred_at=row.occurred_at,
        plate=row.plate,
        container_numbers=list(row.container_numbers),
        confidence=row.confidence,
        image_ref=row.image_ref,
        received_at=row.received_at,
        blind_cameras=blind_cameras(session, epe_id=row.epe_id, at=row.occurred_at),
        outcome=outcome.value,
    )


def _own_epe(principal: Principal) -> str:
    if not principal.epe_id:
        raise Forbidden("an EPE client token must name its EPE")
    return principal.epe_id


@router.post(
    "",
    status_code=201,
    dependencies=[EpeClientOnly],
    responses={
        200: {"model": GateEventPublic, "description": "this event id was stored before"},
        409: {"description": "this event id was received before with other content"},
    },
)
def post_gate_event(
    body: GateEventIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    response: Response,
    settings: SettingsDep,
) -> GateEventPublic:
    """A read at a gate camera of the caller's own EPE (plate, containers, direction, time)."""
    epe_id = _own_epe(principal)
    now = clock.now()

    def work() -> tuple[GateEvent, Outcome]:
        try:
            row, outcome = record_camera_event(
                session, body, epe_id=epe_id, source=source_of(principal), now=now
            )
        except GateRefusal as exc:
            if exc.field == "event_id":
                raise Conflict(exc.message) from exc
            raise field_error(f"body.{exc.field}", exc.message) from exc
        if outcome == Outcome.CREATED:
            match_event(session, row, settings=settings, now=now)
        return row, outcome

    row, outcome = commit_once(session, work)
    if outcome == Outcome.UNCHANGED:
        response.status_code = 200
    return public(session, row, outcome)


@router.post(
    "/batch",
    dependencies=[EpeClientOnly],
    description="Up to 5,000 reads; bad ones are rejected by index and field.",
)
def post_gate_events(
    body: GateBatchIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: SettingsDep,
) -> BatchResult:
    """Gate reads in bulk: stored and matched in one transaction, set-based."""
    now = clock.now()
    epe_id, source = _own_epe(principal), source_of(principal)

    def work() -> BatchResult:
        result, created = record_batch(session, body.records, epe_id=epe_id, source=source, now=now)
        match_new_events(session, created, settings=settings, now=now)
        return result

    return commit_once(session, work)


@router.get("/{gate_event_id}")
def get_gate_event(
    gate_event_id: str, session: SessionDep, principal: CurrentPrincipal
) -> GateEventPublic:
    """A gate event a warning names: for its EPE, officers of its unit and customs systems."""
    row = session.get(GateEvent, gate_event_id)
    if row is None:
        raise NotFound("gate event")
    enterprise = session.get(Enterprise, row.epe_id)
    ensure_epe_access(principal, epe_id=row.epe_id, unit=enterprise.unit if enterprise else None)
    return public(session, row, Outcome.UNCHANGED)


class GateEventsPage(Page[GateEventPublic]):
    """Gate events in time order."""

    next_cursor: str | None


def _visible_epes(principal: Principal) -> ColumnElement[bool]:
    """An EPE client sees its own gate; an officer the EPEs of their unit; customs systems all."""
    if principal.is_epe:
        return col(GateEvent.epe_id) == (principal.epe_id or "")
    if principal.has(Role.CUSTOMS_SYSTEM):
        return true()
    if principal.is_officer and principal.unit is not None:
        unit_epes = select(Enterprise.epe_id).where(Enterprise.unit == principal.unit)
        return col(GateEvent.epe_id).in_(unit_epes)
    raise Forbidden("the caller has no role that may see gate events")


@router.get("")
def list_gate_events(
    session: SessionDep,
    principal: CurrentPrincipal,
    epe_id: Annotated[CleanStr | None, Query(max_length=64)] = None,
    origin: Origin | None = None,
    direction: Direction | None = None,
    since: Annotated[Instant | None, Query(description="occurred at or after")] = None,
    until: Annotated[Instant | None, Query(description="occurred before")] = None,
    cursor: Annotated[str | None, cursor_param()] = None,
    limit: Annotated[int, limit_param()] = 50,
) -> GateEventsPage:
    """Gate events in time order: an EPE's own, or those of the officer's unit."""
    conditions = [_visible_epes(principal)]
    if epe_id is not None:
        conditions.append(col(GateEvent.epe_id) == epe_id)
    if origin is not None:
        conditions.append(col(GateEvent.origin) == origin.value)
    if direction is not None:
        conditions.append(col(GateEvent.direction) == direction.value)
    if since is not None:
        conditions.append(col(GateEvent.occurred_at) >= since)
    if until is not None:
        conditions.append(col(GateEvent.occurred_at) < until)
    key = decode_cursor(cursor, arity=2)
    if key is not None:
        at, last = cursor_time(key[0]), str(key[1])
        occurred, ident = col(GateEvent.occurred_at), col(GateEvent.id)
        conditions.append((occurred > at) | ((occurred == at) & (ident > last)))
    query = (
        select(GateEvent)
        .where(*conditions)
        .order_by(col(GateEvent.occurred_at), col(GateEvent.id))
        .limit(limit + 1)
    )
    rows, next_cursor = page_of(list(session.exec(query)), limit, lambda e: (e.occurred_at, e.id))
    data = [public(session, row, Outcome.UNCHANGED) for row in rows]
    return GateEventsPage(data=data, next_cursor=next_cursor)
