"""Authority-code requests (prepare / approve / reject), grants, and EPE assignments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Protocol

from fastapi import APIRouter, Query, Request
from sqlmodel import Session

from access.authority import service as authority
from access.authority.models import (
    Assignment,
    AssignmentCreate,
    AssignmentPublic,
    AssignmentsPage,
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
from access.context import AuditContext, request_audit_context
from access.officers import service as officers
from access.officers.models import User
from access.pagination import CursorQuery, LimitQuery, decode_cursor, next_cursor
from access.permissions import (
    HEADS,
    READ_ASSIGNMENTS,
    READ_AUTHORITY,
    USER_ADMINS,
    ensure_own_unit,
    ensure_person,
    requires,
)
from access.runtime import Runtime, RuntimeDep
from servicekit.auth import CurrentPrincipal, Principal, Role
from servicekit.db import SessionDep
from servicekit.errors import Forbidden
from servicekit.units import UNIT_MAX_LENGTH

router = APIRouter(tags=["authority"])


def _request_public(row: AuthorityRequest) -> AuthorityRequestPublic:
    return AuthorityRequestPublic.model_validate(row, from_attributes=True)


def _grant_public(row: RoleGrant) -> RoleGrantPublic:
    return RoleGrantPublic.model_validate(row, from_attributes=True)


def _assignment_public(row: Assignment) -> AssignmentPublic:
    return AssignmentPublic.model_validate(row, from_attributes=True)


def _unit_scope(principal: Principal, unit: str | None) -> str | None:
    """Administrators and auditors see every unit; heads only their own."""
    if principal.has(Role.USER_ADMINISTRATOR, Role.AUDITOR):
        return unit
    if unit is not None and unit != principal.unit:
        raise Forbidden("heads of sub-department see their own unit only")
    return principal.unit


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
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
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
        context=request_audit_context(request, principal),
        now=runtime.clock(),
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
        unit=_unit_scope(principal, unit),
        status=status,
        after=decode_cursor(cursor),
        limit=limit,
    )
    return AuthorityRequestsPage(
        data=[_request_public(r) for r in rows],
        next_cursor=next_cursor([r.id for r in rows], limit),
    )


@router.get("/authority/requests/{request_id}", dependencies=[requires(*READ_AUTHORITY)])
def get_request(
    request_id: str, principal: CurrentPrincipal, session: SessionDep
) -> AuthorityRequestPublic:
    """One request."""
    row = authority.get_request(session, request_id)
    _unit_scope(principal, row.unit)
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
    request: Request,
    session: Session,
    runtime: Runtime,
) -> AuthorityRequestPublic:
    """The head's decision (`authority.approve_request` or `reject_request`), committed."""
    ensure_person(principal)
    row = decide(
        session,
        request=authority.get_request(session, request_id),
        approver_id=principal.subject,
        note=body.note,
        context=request_audit_context(request, principal),
        now=runtime.clock(),
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
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AuthorityRequestPublic:
    """The unit head approves (never their own request or one about themselves)."""
    return _decide(
        authority.approve_request, request_id, body, principal, request, session, runtime
    )


@router.post(
    "/authority/requests/{request_id}/reject",
    dependencies=[requires(*HEADS)],
    responses={409: {"description": "already decided"}},
)
def reject_request(
    request_id: str,
    body: Decision,
    principal: CurrentPrincipal,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AuthorityRequestPublic:
    """The unit head rejects a request."""
    return _decide(authority.reject_request, request_id, body, principal, request, session, runtime)


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
    _unit_scope(principal, user.unit)
    rows = authority.list_grants(session, user_id=user.id, after=decode_cursor(cursor), limit=limit)
    return RoleGrantsPage(
        data=[_grant_public(g) for g in rows], next_cursor=next_cursor([g.id for g in rows], limit)
    )


# Assignments --------------------------------------------------------------------------------


@router.post(
    "/assignments",
    status_code=201,
    dependencies=[requires(*HEADS)],
    responses={409: {"description": "not an officer, EPE closed, or already assigned"}},
)
def assign(
    body: AssignmentCreate,
    principal: CurrentPrincipal,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AssignmentPublic:
    """The head assigns an officer of the unit to an EPE of the unit."""
    ensure_person(principal)
    row = authority.assign(
        session,
        head_id=principal.subject,
        officer_id=body.officer_id,
        epe_id=body.epe_id,
        context=request_audit_context(request, principal),
        now=runtime.clock(),
    )
    session.commit()
    return _assignment_public(row)


@router.post(
    "/assignments/{assignment_id}/end",
    dependencies=[requires(*HEADS)],
    responses={409: {"description": "the assignment has already ended"}},
)
def end_assignment(
    assignment_id: str,
    principal: CurrentPrincipal,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AssignmentPublic:
    """The head ends an assignment."""
    ensure_person(principal)
    row = authority.end_assignment(
        session,
        assignment_id=assignment_id,
        head_id=principal.subject,
        context=request_audit_context(request, principal),
        now=runtime.clock(),
    )
    session.commit()
    return _assignment_public(row)


@router.get("/assignments/me", responses={404: {"description": "the caller is not an officer"}})
def my_assignments(
    principal: CurrentPrincipal,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> AssignmentsPage:
    """The EPEs the signed-in officer is assigned to (the SPA's first page)."""
    ensure_person(principal)
    rows = authority.active_assignments(
        session, officer_id=principal.subject, after=decode_cursor(cursor), limit=limit
    )
    return AssignmentsPage(
        data=[_assignment_public(a) for a in rows],
        next_cursor=next_cursor([a.id for a in rows], limit),
    )


@router.get("/assignments", dependencies=[requires(*READ_ASSIGNMENTS)])
def list_assignments(
    principal: CurrentPrincipal,
    session: SessionDep,
    unit: Annotated[str | None, Query(max_length=UNIT_MAX_LENGTH)] = None,
    epe_id: Annotated[str | None, Query(max_length=64)] = None,
    officer_id: Annotated[str | None, Query(max_length=36)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> AssignmentsPage:
    """Assignments in force; heads see their unit only."""
    rows = authority.active_assignments(
        session,
        unit=_unit_scope(principal, unit),
        epe_id=epe_id,
        officer_id=officer_id,
        after=decode_cursor(cursor),
        limit=limit,
    )
    return AssignmentsPage(
        data=[_assignment_public(a) for a in rows],
        next_cursor=next_cursor([a.id for a in rows], limit),
    )
