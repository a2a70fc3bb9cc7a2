"""Operations notices: IT operators announce, heads approve emergencies, everyone reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from access.deps import AuditContextDep, CursorQuery, LimitQuery, NowDep, after_key
from access.maintenance import service as notices
from access.maintenance.models import (
    NoticeCreate,
    NoticeDecision,
    NoticePublic,
    NoticesPage,
    NoticeUpdateCreate,
)
from access.permissions import HEADS, IT_OPERATORS, ensure_person, requires
from servicekit.auth import CurrentPrincipal, Role
from servicekit.db import SessionDep
from servicekit.errors import NotFound
from servicekit.pagination import page_of

router = APIRouter(tags=["maintenance"])


@router.post(
    "/maintenance",
    status_code=201,
    dependencies=[requires(*IT_OPERATORS)],
)
def announce(
    body: NoticeCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> NoticePublic:
    """Announce planned maintenance (>= 5 days ahead, or an emergency for the head to approve)
    or a breakdown (at once)."""
    ensure_person(principal)
    notice = notices.announce(session, body=body, context=context, now=now)
    session.commit()
    return notices.public_view(session, notice)


@router.post(
    "/maintenance/{notice_id}/decision",
    dependencies=[requires(*HEADS)],
    responses={409: {"description": "the notice is not awaiting approval"}},
)
def decide(
    notice_id: str,
    body: NoticeDecision,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> NoticePublic:
    """The head approves (announced now) or refuses an emergency maintenance."""
    ensure_person(principal)
    notice = notices.decide(
        session,
        notice=notices.get(session, notice_id),
        approve=body.approve,
        reason=body.reason,
        context=context,
        now=now,
    )
    session.commit()
    return notices.public_view(session, notice)


@router.post(
    "/maintenance/{notice_id}/updates",
    dependencies=[requires(*IT_OPERATORS)],
    responses={409: {"description": "the notice cannot move to that state"}},
)
def add_update(
    notice_id: str,
    body: NoticeUpdateCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> NoticePublic:
    """Progress, completion (a breakdown resolved) or cancellation, told to every user."""
    ensure_person(principal)
    notice = notices.update(
        session,
        notice=notices.get(session, notice_id),
        state=body.state,
        text=body.text,
        context=context,
        now=now,
    )
    session.commit()
    return notices.public_view(session, notice)


@router.get("/maintenance")
def list_notices(
    principal: CurrentPrincipal,
    session: SessionDep,
    current: Annotated[bool, Query(description="only announced or in progress")] = False,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> NoticesPage:
    """Notices, newest first: every caller (officers, EPE vendors, customs systems) reads them;
    emergencies awaiting approval and refused ones only IT operators and heads."""
    everything = principal.has(Role.IT_OPERATOR, Role.HEAD_OF_SUBDEPARTMENT)
    rows = notices.listing(
        session,
        current_only=current,
        after=after_key(cursor),
        limit=limit + 1,
        everything=everything,
    )
    rows, following = page_of(rows, limit, key=lambda r: (r.id,))
    return NoticesPage(data=[notices.public_view(session, r) for r in rows], next_cursor=following)


@router.get("/maintenance/{notice_id}")
def get_notice(notice_id: str, principal: CurrentPrincipal, session: SessionDep) -> NoticePublic:
    """One notice with its updates."""
    notice = notices.get(session, notice_id)
    hidden = notice.state in ("awaiting_approval", "refused")
    if hidden and not principal.has(Role.IT_OPERATOR, Role.HEAD_OF_SUBDEPARTMENT):
        raise NotFound("maintenance notice")  # as an unknown id
    return notices.public_view(session, notice)
