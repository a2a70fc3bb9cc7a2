"""Who may see and make requests, and the state changes an officer makes.

Officers act only on EPEs they are assigned to in their unit (access events), the head of
sub-department on the whole unit, auditors read the unit's; an EPE's vendor sees only its
own EPE's requests. A request for data the registry does not know (another EPE's camera, a
removed one) is refused before anything is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, false
from sqlmodel import Session, col, select

from evidence.projection.models import Enterprise
from evidence.projection.service import assigned_epes, live_cameras, unit_of
from evidence.requests.events import RequestCancelled, RequestCreated
from evidence.requests.models import EvidenceRequest, RequestState
from evidence.requests.schemas import RequestIn
from servicekit.auth import Principal, Role
from servicekit.errors import Conflict, Forbidden, NotFound, field_error
from servicekit.events import add_event
from servicekit.ids import new_id

CANCELLABLE = frozenset({RequestState.REQUESTED, RequestState.UPLOADING, RequestState.OVERDUE})


def visible(session: Session, principal: Principal) -> ColumnElement[bool]:
    """The requests the caller may see."""
    if principal.has(Role.EPE_CLIENT):
        if principal.epe_id is None:
            return false()
        return col(EvidenceRequest.epe_id) == principal.epe_id
    if principal.unit is None:
        return false()
    in_unit = col(EvidenceRequest.epe_id).in_(
        select(Enterprise.epe_id).where(Enterprise.unit == principal.unit)
    )
    if principal.has(Role.HEAD_OF_SUBDEPARTMENT, Role.AUDITOR):
        return in_unit
    if principal.has(Role.SUPERVISORY_OFFICER):
        epes = assigned_epes(session, officer=principal.subject, unit=principal.unit)
        return in_unit & col(EvidenceRequest.epe_id).in_(epes)
    return false()


def get_visible(
    session: Session, principal: Principal, request_id: str, *, lock: bool = False
) -> EvidenceRequest:
    """The request, or 404 when it does not exist or the caller may not see it."""
    query = select(EvidenceRequest).where(
        EvidenceRequest.id == request_id, visible(session, principal)
    )
    if lock:
        query = query.with_for_update()
    found = session.exec(query).first()
    if found is None:
        raise NotFound("request")
    return found


def ensure_may_request(session: Session, principal: Principal, epe_id: str) -> str:
    """The EPE's unit, if the caller may ask it for data (assigned officer or the unit's head)."""
    unit = unit_of(session, epe_id)
    if unit is None or principal.unit != unit:
        raise Forbidden("this enterprise is not supervised by your unit")
    if principal.has(Role.HEAD_OF_SUBDEPARTMENT):
        return unit
    if epe_id not in assigned_epes(session, officer=principal.subject, unit=principal.unit):
        raise Forbidden("you are not assigned to this enterprise")
    return unit


def _check_body(session: Session, body: RequestIn, now: datetime) -> list[str]:
    cameras = list(dict.fromkeys(body.cameras))
    unknown = [c for c in cameras if c not in live_cameras(session, body.epe_id)]
    if unknown:
        raise field_error("body.cameras", f"not cameras of this enterprise: {', '.join(unknown)}")
    for i, span in enumerate(body.time_ranges):
        if span.start.astimezone(UTC) >= now:
            raise field_error(f"body.time_ranges[{i}].start", "footage cannot start in the future")
    return cameras


def create_request(
    session: Session,
    principal: Principal,
    body: RequestIn,
    *,
    now: datetime,
    due_at: datetime,
    remind_at: datetime,
    due_working_days: int,
) -> EvidenceRequest:
    """Store the request and its created event in one transaction (the caller commits)."""
    unit = ensure_may_request(session, principal, body.epe_id)
    cameras = _check_body(session, body, now)
    request = EvidenceRequest(
        id=new_id(),
        epe_id=body.epe_id,
        cameras=cameras,
        time_ranges=[
            {"start": s.start.astimezone(UTC).isoformat(), "end": s.end.astimezone(UTC).isoformat()}
            for s in body.time_ranges
        ],
        reason=body.reason,
        incident_ids=list(dict.fromkeys(body.incident_ids)),
        warning_ids=list(dict.fromkeys(body.warning_ids)),
        due_working_days=due_working_days,
        due_at=due_at,
        remind_at=remind_at,
        state=RequestState.REQUESTED.value,
        requested_by=principal.subject,
        requested_at=now,
        updated_at=now,
    )
    session.add(request)
    add_event(
        session,
        RequestCreated(
            request_id=request.id,
            epe_id=request.epe_id,
            unit=unit,
            cameras=request.cameras,
            incident_ids=request.incident_ids,
            warning_ids=request.warning_ids,
            due_at=due_at,
            requested_by=principal.subject,
            requested_at=now,
        ),
        subject=request.id,
    )
    return request


def cancel_request(
    session: Session, principal: Principal, request: EvidenceRequest, *, reason: str, now: datetime
) -> None:
    """Cancel an open request (officers who may request from the EPE only)."""
    if not principal.has(Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT):
        raise Forbidden("only the requesting side cancels a request")
    unit = ensure_may_request(session, principal, request.epe_id)
    state = RequestState(request.state)
    if state not in CANCELLABLE:
        raise Conflict(f"cannot cancel a request that is {state.value}")
    request.state = RequestState.CANCELLED.value
    request.cancel_reason = reason
    request.updated_at = now
    add_event(
        session,
        RequestCancelled(
            request_id=request.id,
            epe_id=request.epe_id,
            unit=unit,
            cancelled_by=principal.subject,
            cancelled_at=now,
        ),
        subject=request.id,
    )
