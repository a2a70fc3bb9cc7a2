"""Authority-code requests (prepare / approve / reject) and grants."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Protocol

from fastapi import APIRouter, Query
from sqlmodel import Session

from access.authority import service as authority
from access.authority.models import (
    AuthorityRequest,
    AuthorityRequestCreate,
    AuthorityRequestPublic,
    AuthorityRequestsPage,
    Decision,
    RequestStatus,
    RoleGrant,
    RoleGrantPublic,
    RoleGrantsPage,
)
from access.context import AuditContext
from access.deps import AuditContextDep, CursorQuery, LimitQuery, NowDep, after_key
from access.officers import service as officers
from access.officers.models import User
from access.permissions import (
    HEADS,
    READ_AUTHORITY,
    USER_ADMINS,
    ensure_own_unit,
    ensure_person,
    requires,
    unit_scope,
)
from servicekit.auth import CurrentPrincipal, Principal
from servicekit.db import SessionDep
from servicekit.pagination import page_of
from servicekit.units import UNIT_MAX_LENGTH

router = APIRouter(tags=["authority"])


def _request_public(row: AuthorityRequest) -> AuthorityRequestPublic:
    return AuthorityRequestPublic.model_validate(row, from_attributes=True)


def _grant_public(row: RoleGrant) -> RoleGrantPublic:
    return RoleGrantPublic.model_validate(row, from_attributes=True)


@router.post(
    "/authority/requests",
    status_code=201,
    dependencies=[requires(*USER_ADMINS)],
    responses={
        404: {"description": "no such officer"},
        409: {"description": "the role is held, pending, or the officer is deactivated"},
    },
)
def prepare_request(
    body: AuthorityRequestCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> AuthorityRequestPublic:
    """A user administrator prepares a grant or revocation (of a user of their unit) for the
    unit head to approve."""
    ensure_person(principal)
    if (user := session.get(User, body.user_id)) is not None:
        ensure_own_unit(principal, user.unit)
    row = authority.prepare_request(
        session,
        user_id=body.user_id,
        action=body.action,
        role=body.role,
        reason=body.reason,
        preparer=principal.subject,
        context=context,
        now=now,
    )
    session.commit()
    return _request_public(row)


@router.get("/authority/requests", dependencies=[requires(*READ_AUTHORITY)])
def list_requests(
    principal: CurrentPrincipal,
    session: SessionDep,
    unit: Annotated[str | None, Query(max_length=UNIT_MAX_LENGTH)] = None,
    status: RequestStatus | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> AuthorityRequestsPage:
    """Requests, e.g. `?status=pending` for the head's approval queue."""
    rows = authority.list_requests(
        session,
        unit=unit_scope(principal, unit),
        status=status,
        after=after_key(cursor),
        limit=limit + 1,
    )
    rows, following = page_of(rows, limit, key=lambda r: (r.id,))
    return AuthorityRequestsPage(
        data=[_request_public(r) for r in rows],
        next_cursor=following,
    )


@router.get("/authority/requests/{request_id}", dependencies=[requires(*READ_AUTHORITY)])
def get_request(
    request_id: str, principal: CurrentPrincipal, session: SessionDep
) -> AuthorityRequestPublic:
    """One request."""
    row = authority.get_request(session, request_id)
    unit_scope(principal, row.unit)
    return _request_public(row)


class _DecideRequest(Protocol):
    def __call__(
        self,
        session: Session,
        *,
        request: AuthorityRequest,
        approver_id: str,
        note: str | None,
        context: AuditContext,
        now: datetime,
    ) -> AuthorityRequest: ...


def _decide(
    decide: _DecideRequest,
    request_id: str,
    body: Decision,
    principal: Principal,
    session: Session,
    context: AuditContext,
    now: datetime,
) -> AuthorityRequestPublic:
    """The head's decision (`authority.approve_request` or `reject_request`), committed."""
    ensure_person(principal)
    row = decide(
        session,
        request=authority.get_request(session, request_id),
        approver_id=principal.subject,
        note=body.note,
        context=context,
        now=now,
    )
    session.commit()
    return _request_public(row)


@router.post(
    "/authority/requests/{request_id}/approve",
    dependencies=[requires(*HEADS)],
    responses={409: {"description": "already decided, or the officer changed since"}},
)
def approve_request(
    request_id: str,
    body: Decision,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> AuthorityRequestPublic:
    """The unit head approves (never their own request or one about themselves)."""
    return _decide(authority.approve_request, request_id, body, principal, session, context, now)


@router.post(
    "/authority/requests/{request_id}/reject",
    dependencies=[requires(*HEADS)],
    responses={409: {"description": "already decided"}},
)
def reject_request(
    request_id: str,
    body: Decision,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> AuthorityRequestPublic:
    """The unit head rejects a request."""
    return _decide(authority.reject_request, request_id, body, principal, session, context, now)


@router.get("/users/{user_id}/grants", dependencies=[requires(*READ_AUTHORITY)])
def list_grants(
    user_id: str,
    principal: CurrentPrincipal,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> RoleGrantsPage:
    """Every grant of an officer, current and revoked."""
    user = officers.get_user(session, user_id)
    unit_scope(principal, user.unit)
    rows = authority.list_grants(session, user_id=user.id, after=after_key(cursor), limit=limit + 1)
    rows, following = page_of(rows, limit, key=lambda g: (g.id,))
    return RoleGrantsPage(data=[_grant_public(g) for g in rows], next_cursor=following)
