"""Gate log endpoints: the EPE posts vehicle movements while its gate camera is down."""

from __future__ import annotations

from fastapi import APIRouter

from incidents.deps import ContextDep, CurrentPrincipal, Cursor, Limit, SessionDep
from incidents.gatelog.models import Direction, GateLogEntry, GateLogIn, GateLogPage, GateLogPublic
from incidents.gatelog.service import list_entries, record_entry
from incidents.incident.views import get_visible
from incidents.permissions import Actor, CanRead, EpeOnly, ensure_own_epe
from servicekit.pagination import cursor_time, decode_cursor, page_of

router = APIRouter(prefix="/incidents/{incident_id}/gate-log", tags=["gate log"])


def _public(entry: GateLogEntry) -> GateLogPublic:
    return GateLogPublic(
        id=entry.id,
        incident_id=entry.incident_id,
        epe_id=entry.epe_id,
        plate=entry.plate,
        container_numbers=list(entry.container_numbers),
        direction=Direction(entry.direction),
        occurred_at=entry.occurred_at,
        note=entry.note,
        recorded_by=entry.recorded_by,
        recorded_at=entry.recorded_at,
    )


@router.post(
    "",
    response_model=GateLogPublic,
    status_code=201,
    dependencies=[EpeOnly],
    responses={409: {"description": "the incident is restored, or involves no gate camera"}},
)
def add_gate_log_entry(
    incident_id: str,
    body: GateLogIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
) -> GateLogPublic:
    """Log a vehicle entry or exit (plate, ISO 6346 container numbers, direction, time)."""
    incident = get_visible(session, principal, incident_id)
    ensure_own_epe(principal, incident.epe_id)
    entry = record_entry(session, ctx, incident, body=body, actor=Actor.of(principal))
    session.commit()
    return _public(entry)


@router.get("", response_model=GateLogPage, dependencies=[CanRead])
def get_gate_log(
    incident_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> GateLogPage:
    """The gate log of the interruption in time order (shown to customs on request)."""
    get_visible(session, principal, incident_id)
    key = decode_cursor(cursor, arity=2)
    after = (cursor_time(key[0]), str(key[1])) if key else None
    rows = list_entries(session, incident_id, after=after, limit=limit + 1)
    page, next_cursor = page_of(rows, limit, lambda r: (r.occurred_at, r.id))
    return GateLogPage(data=[_public(e) for e in page], next_cursor=next_cursor)
