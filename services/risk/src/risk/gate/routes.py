"""Gate event endpoints: EPE vendor software posts what its gate cameras read."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlmodel import Session

from risk.customs.schemas import BatchResult, Outcome
from risk.deps import EpeClientOnly, SettingsDep, source_of
from risk.gate.models import Direction, GateBatchIn, GateEvent, GateEventIn, GateEventPublic, Origin
from risk.gate.service import GateRefusal, record_batch, record_camera_event
from risk.matching.service import match_event
from risk.projection.models import Enterprise
from risk.projection.service import blind_cameras
from risk.transactions import commit_once
from servicekit.auth import CurrentPrincipal, Principal, ensure_epe_access
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.errors import Conflict, Forbidden, NotFound, field_error

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
    """Gate reads in bulk."""
    now = clock.now()
    epe_id, source = _own_epe(principal), source_of(principal)

    def work() -> BatchResult:
        result, created = record_batch(session, body.records, epe_id=epe_id, source=source, now=now)
        for row in created:
            match_event(session, row, settings=settings, now=now)
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
