"""Requests for camera data: officers make and cancel them, the EPE's vendor lists its own."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session, col, select

from evidence.custody.models import CustodyAction
from evidence.custody.service import record_custody
from evidence.deps import CalendarDep, SettingsDep, SourceDep
from evidence.projection.service import unit_of
from evidence.requests.models import OPEN_STATES, EvidenceRequest, RequestState
from evidence.requests.schemas import CancelIn, RequestIn, RequestPublic, RequestsPage
from evidence.requests.service import cancel_request, create_request, get_visible, visible
from servicekit.auth import CurrentPrincipal, Role, require_roles
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.pagination import cursor_param, cursor_time, decode_cursor, limit_param, page_of

READERS = (
    Role.SUPERVISORY_OFFICER,
    Role.HEAD_OF_SUBDEPARTMENT,
    Role.AUDITOR,
    Role.EPE_CLIENT,
)
router = APIRouter(
    prefix="/requests", tags=["requests"], dependencies=[Depends(require_roles(*READERS))]
)
Requesters = Depends(require_roles(Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT))
STATE_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "the request is not in a state that allows this step"}
}


def _public(session: Session, request: EvidenceRequest) -> RequestPublic:
    return RequestPublic(**request.model_dump(), unit=unit_of(session, request.epe_id))


@router.post("", status_code=201, dependencies=[Requesters])
def post_request(
    body: RequestIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    calendar: CalendarDep,
    settings: SettingsDep,
    source: SourceDep,
) -> RequestPublic:
    """Ask an EPE one is assigned to (or, for the head, of one's unit) for camera data; due at
    24:00 Vietnam time of the N-th working day after today."""
    now = clock.now()
    days = body.due_working_days or settings.due_working_days
    due = calendar.deadline(now, days)
    request = create_request(
        session,
        principal,
        body,
        now=now,
        due_at=due.ends_at,
        remind_at=due.approaching_at,
        due_working_days=days,
    )
    record_custody(
        session,
        action=CustodyAction.REQUESTED,
        actor=principal,
        request_id=request.id,
        at=now,
        source=source,
        details={"epe_id": request.epe_id, "cameras": request.cameras},
    )
    session.commit()
    return _public(session, request)


@router.get("")
def list_requests(
    session: SessionDep,
    principal: CurrentPrincipal,
    state: Annotated[list[RequestState] | None, Query(max_length=6)] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    cursor: Annotated[str | None, cursor_param()] = None,
    limit: Annotated[int, limit_param()] = 50,
) -> RequestsPage:
    """Requests the caller may see, oldest first; `open=true` lists what the EPE still owes
    (requested, uploading, overdue), `state` filters further."""
    conditions = [visible(session, principal)]
    if open_only:
        conditions.append(col(EvidenceRequest.state).in_([s.value for s in OPEN_STATES]))
    if state:
        conditions.append(col(EvidenceRequest.state).in_([s.value for s in state]))
    key = decode_cursor(cursor, arity=2)
    if key is not None:
        at, last = cursor_time(key[0]), str(key[1])
        when, ident = col(EvidenceRequest.requested_at), col(EvidenceRequest.id)
        conditions.append((when > at) | ((when == at) & (ident > last)))
    query = (
        select(EvidenceRequest)
        .where(*conditions)
        .order_by(col(EvidenceRequest.requested_at), col(EvidenceRequest.id))
        .limit(limit + 1)
    )
    rows, next_cursor = page_of(list(session.exec(query)), limit, lambda r: (r.requested_at, r.id))
    return RequestsPage(data=[_public(session, r) for r in rows], next_cursor=next_cursor)


@router.get("/{request_id}")
def get_request(request_id: str, session: SessionDep, principal: CurrentPrincipal) -> RequestPublic:
    """One request."""
    return _public(session, get_visible(session, principal, request_id))


@router.post("/{request_id}/cancel", dependencies=[Requesters], responses=STATE_CONFLICT)
def cancel(
    request_id: str,
    body: CancelIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> RequestPublic:
    """Withdraw an open request, with the reason."""
    request = get_visible(session, principal, request_id, lock=True)
    cancel_request(session, principal, request, reason=body.reason, now=clock.now())
    session.commit()
    return _public(session, request)
