"""Incident endpoints: read (scoped), plan, restoration, closure, extensions, assignments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from sqlmodel import Session, col, select

from incidents.context import Context
from incidents.deps import ContextDep, CurrentPrincipal, Cursor, Limit, SessionDep
from incidents.http import check_if_match, etag
from incidents.incident import service
from incidents.incident.models import (
    AssignmentIn,
    ClosureIn,
    ExtensionIn,
    ExtensionPublic,
    Incident,
    IncidentPage,
    IncidentPublic,
    IncidentState,
    PlanIn,
    RestorationIn,
    TimelineEntry,
    TimelineEntryPublic,
    TimelinePage,
)
from incidents.incident.views import get_visible, list_visible, to_public
from incidents.permissions import (
    Actor,
    CanRead,
    EpeOnly,
    FollowerOnly,
    HeadOnly,
    ensure_own_epe,
)
from servicekit.auth import Principal
from servicekit.pagination import cursor_int, cursor_time, decode_cursor, page_of

router = APIRouter(prefix="/incidents", tags=["incidents"])

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=500, description="ETag of the version read (optional)"),
]
PRECONDITIONS: dict[int | str, dict[str, Any]] = {
    409: {"description": "the incident is not in a state that allows this step"},
    412: {"description": "If-Match does not match the current version"},
}


def incident_etag(incident: Incident) -> str:
    """The ETag of an incident version."""
    return etag("v", incident.version)


def _respond(
    session: Session, ctx: Context, incident: Incident, response: Response
) -> IncidentPublic:
    response.headers["ETag"] = incident_etag(incident)
    return to_public(session, ctx, incident)


@router.get("", response_model=IncidentPage, dependencies=[CanRead])
def list_incidents(
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
    epe_id: Annotated[str | None, Query(max_length=64)] = None,
    state: IncidentState | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> IncidentPage:
    """Incidents the caller may see (its own EPE, its unit's EPEs, or all for customs systems)."""
    key = decode_cursor(cursor, arity=2)
    after = (cursor_time(key[0]), str(key[1])) if key else None
    rows = list_visible(
        session, principal, epe_id=epe_id, state=state, after=after, limit=limit + 1
    )
    page, next_cursor = page_of(rows, limit, lambda i: (i.opened_at, i.id))
    return IncidentPage(data=[to_public(session, ctx, i) for i in page], next_cursor=next_cursor)


@router.get("/{incident_id}", response_model=IncidentPublic, dependencies=[CanRead])
def get_incident(
    incident_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
    response: Response,
) -> IncidentPublic:
    """One incident with its deadline, overdue flag, extensions and missed follow-up days."""
    incident = get_visible(session, principal, incident_id)
    return _respond(session, ctx, incident, response)


@router.get("/{incident_id}/timeline", response_model=TimelinePage, dependencies=[CanRead])
def get_timeline(
    incident_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> TimelinePage:
    """Everything that happened to the incident, oldest first (append-only)."""
    get_visible(session, principal, incident_id)
    query = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
    key = decode_cursor(cursor, arity=1)
    if key:
        query = query.where(col(TimelineEntry.id) > cursor_int(key[0]))
    rows = list(session.exec(query.order_by(col(TimelineEntry.id)).limit(limit + 1)))
    page, next_cursor = page_of(rows, limit, lambda e: (e.id,))
    return TimelinePage(
        data=[
            TimelineEntryPublic(
                id=e.id or 0,
                at=e.at,
                actor=e.actor,
                actor_kind=e.actor_kind,
                action=e.action,
                details=e.details,
            )
            for e in page
        ],
        next_cursor=next_cursor,
    )


def _load_for_update(
    session: Session, principal: Principal, incident_id: str, if_match: str | None
) -> Incident:
    incident = get_visible(session, principal, incident_id)
    check_if_match(if_match, incident_etag(incident), required=False)
    return incident


@router.post(
    "/{incident_id}/plan",
    response_model=IncidentPublic,
    dependencies=[FollowerOnly],
    responses=PRECONDITIONS,
)
def agree_plan(
    incident_id: str,
    body: PlanIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentPublic:
    """Record the surveillance plan agreed with the EPE pending repair (notified -> plan_agreed)."""
    incident = _load_for_update(session, principal, incident_id, if_match)
    service.agree_plan(session, ctx, incident, plan=body.plan, actor=Actor.of(principal))
    session.commit()
    return _respond(session, ctx, incident, response)


@router.post(
    "/{incident_id}/restoration",
    response_model=IncidentPublic,
    dependencies=[EpeOnly],
    responses=PRECONDITIONS,
)
def report_restoration(
    incident_id: str,
    body: RestorationIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentPublic:
    """The EPE reports the time its system was restored (-> restored, with promptness)."""
    incident = _load_for_update(session, principal, incident_id, if_match)
    ensure_own_epe(principal, incident.epe_id)
    service.report_restoration(
        session,
        ctx,
        incident,
        restored_at=body.restored_at,
        note=body.note,
        actor=Actor.of(principal),
    )
    session.commit()
    return _respond(session, ctx, incident, response)


@router.post(
    "/{incident_id}/closure",
    response_model=IncidentPublic,
    dependencies=[FollowerOnly],
    responses=PRECONDITIONS,
)
def close_incident(
    incident_id: str,
    body: ClosureIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
    response: Response,
    if_match: IfMatch = None,
) -> IncidentPublic:
    """An officer confirms the restoration and closes the incident (-> closed)."""
    incident = _load_for_update(session, principal, incident_id, if_match)
    service.close(session, ctx, incident, note=body.note, actor=Actor.of(principal))
    session.commit()
    return _respond(session, ctx, incident, response)


@router.post(
    "/{incident_id}/extensions",
    response_model=ExtensionPublic,
    status_code=201,
    dependencies=[EpeOnly],
    responses=PRECONDITIONS,
)
def file_extension(
    incident_id: str,
    body: ExtensionIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
    response: Response,
    if_match: IfMatch = None,
) -> ExtensionPublic:
    """The EPE's notice of specific reasons for the delay and the expected completion time."""
    incident = _load_for_update(session, principal, incident_id, if_match)
    ensure_own_epe(principal, incident.epe_id)
    extension = service.file_extension(
        session,
        ctx,
        incident,
        reasons=body.reasons,
        expected_completion_at=body.expected_completion_at,
        actor=Actor.of(principal),
    )
    session.commit()
    response.headers["ETag"] = incident_etag(incident)
    return ExtensionPublic(
        id=extension.id,
        reasons=extension.reasons,
        expected_completion_at=extension.expected_completion_at,
        filed_at=extension.filed_at,
        filed_on=extension.filed_on,
        filed_by=extension.filed_by,
    )


@router.post(
    "/{incident_id}/assignments",
    response_model=IncidentPublic,
    dependencies=[HeadOnly],
    responses={409: {"description": "the incident is not in a state that allows this step"}},
)
def assign_officer(
    incident_id: str,
    body: AssignmentIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
    response: Response,
) -> IncidentPublic:
    """The head of the sub-department appoints an officer to follow the repair (I.2.3.c)."""
    incident = get_visible(session, principal, incident_id)
    service.assign(session, ctx, incident, officer=body.officer, actor=Actor.of(principal))
    session.commit()
    return _respond(session, ctx, incident, response)
