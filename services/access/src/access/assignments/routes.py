"""The head's assignments of officers to EPEs, and who supervises what."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from access.assignments import service as assignments
from access.assignments.models import (
    Assignment,
    AssignmentCreate,
    AssignmentPublic,
    AssignmentsPage,
)
from access.deps import AuditContextDep, CursorQuery, LimitQuery, NowDep, after_key
from access.permissions import HEADS, READ_ASSIGNMENTS, ensure_person, requires, unit_scope
from servicekit.auth import CurrentPrincipal
from servicekit.db import SessionDep
from servicekit.pagination import page_of
from servicekit.units import UNIT_MAX_LENGTH

router = APIRouter(tags=["authority"])


def _assignment_public(row: Assignment) -> AssignmentPublic:
    return AssignmentPublic.model_validate(row, from_attributes=True)


@router.post(
    "/assignments",
    status_code=201,
    dependencies=[requires(*HEADS)],
    responses={409: {"description": "not an officer, EPE closed, or already assigned"}},
)
def assign(
    body: AssignmentCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> AssignmentPublic:
    """The head assigns an officer of the unit to an EPE of the unit."""
    ensure_person(principal)
    row = assignments.assign(
        session,
        head_id=principal.subject,
        officer_id=body.officer_id,
        epe_id=body.epe_id,
        context=context,
        now=now,
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
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> AssignmentPublic:
    """The head ends an assignment."""
    ensure_person(principal)
    row = assignments.end_assignment(
        session,
        assignment_id=assignment_id,
        head_id=principal.subject,
        context=context,
        now=now,
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
    rows = assignments.active_assignments(
        session, officer_id=principal.subject, after=after_key(cursor), limit=limit + 1
    )
    rows, following = page_of(rows, limit, key=lambda a: (a.id,))
    return AssignmentsPage(
        data=[_assignment_public(a) for a in rows],
        next_cursor=following,
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
    rows = assignments.active_assignments(
        session,
        unit=unit_scope(principal, unit),
        epe_id=epe_id,
        officer_id=officer_id,
        after=after_key(cursor),
        limit=limit + 1,
    )
    rows, following = page_of(rows, limit, key=lambda a: (a.id,))
    return AssignmentsPage(
        data=[_assignment_public(a) for a in rows],
        next_cursor=following,
    )
