"""Follow-up endpoints: officers record the day's troubleshooting update."""

from __future__ import annotations

from fastapi import APIRouter

from incidents.context import Context
from incidents.deps import ContextDep, CurrentPrincipal, Cursor, Limit, SessionDep
from incidents.followup.models import FollowUp, FollowUpIn, FollowUpPage, FollowUpPublic
from incidents.followup.service import list_follow_ups, record_follow_up
from incidents.incident.views import get_visible
from incidents.permissions import Actor, CanRead, FollowerOnly
from servicekit.auth import Role
from servicekit.pagination import cursor_time, decode_cursor, page_of

router = APIRouter(prefix="/incidents/{incident_id}/follow-ups", tags=["follow-up"])


def _public(ctx: Context, follow_up: FollowUp) -> FollowUpPublic:
    return FollowUpPublic(
        id=follow_up.id,
        incident_id=follow_up.incident_id,
        day=follow_up.day,
        working_day=ctx.calendar.is_working_day(follow_up.day),
        note=follow_up.note,
        recorded_by=follow_up.recorded_by,
        recorded_at=follow_up.recorded_at,
    )


@router.post(
    "",
    response_model=FollowUpPublic,
    status_code=201,
    dependencies=[FollowerOnly],
    responses={409: {"description": "the incident is not in a state that allows this step"}},
)
def add_follow_up(
    incident_id: str,
    body: FollowUpIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
) -> FollowUpPublic:
    """Record today's troubleshooting situation (Decision I.2.3.c: every working day)."""
    incident = get_visible(session, principal, incident_id)
    follow_up = record_follow_up(
        session,
        ctx,
        incident,
        note=body.note,
        actor=Actor.of(principal),
        is_head=principal.has(Role.HEAD_OF_SUBDEPARTMENT),
    )
    session.commit()
    return _public(ctx, follow_up)


@router.get("", response_model=FollowUpPage, dependencies=[CanRead])
def get_follow_ups(
    incident_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> FollowUpPage:
    """Follow-ups recorded on the incident, oldest first."""
    get_visible(session, principal, incident_id)
    key = decode_cursor(cursor, arity=2)
    after = (cursor_time(key[0]), str(key[1])) if key else None
    rows = list_follow_ups(session, incident_id, after=after, limit=limit + 1)
    page, next_cursor = page_of(rows, limit, lambda r: (r.recorded_at, r.id))
    return FollowUpPage(data=[_public(ctx, f) for f in page], next_cursor=next_cursor)
