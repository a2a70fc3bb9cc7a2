"""Officer sign-in (password, then TOTP), enrolment, step-up, and account administration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlmodel import Session

from access.audit import service as audit
from access.authority import service as authority
from access.deps import AuditContextDep, CursorQuery, LimitQuery, NowDep, RuntimeDep, after_key
from access.officers import lifecycle
from access.officers import service as officers
from access.officers.models import (
    ReasonBody,
    Unit,
    UnitCreate,
    UnitPublic,
    UnitsPage,
    User,
    UserCreate,
    UserCreated,
    UserMove,
    UserPublic,
    UsersPage,
)
from access.permissions import READ_USERS, USER_ADMINS, ensure_own_unit, requires
from access.responses import NO_STORE
from access.signin import enrollment, lockout
from servicekit.auth import CurrentPrincipal, Principal, Role
from servicekit.db import SessionDep
from servicekit.errors import Conflict, Forbidden
from servicekit.pagination import page_of
from servicekit.units import UNIT_MAX_LENGTH

protected = APIRouter(tags=["officers"])


def user_public(session: Session, user: User) -> UserPublic:
    """An officer with their current roles."""
    return UserPublic(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        unit=user.unit,
        active=user.active,
        enrolled=user.totp_enabled,
        locked_until=user.locked_until,
        roles=authority.active_roles(session, user),
        created_at=user.created_at,
    )


# Signed-in officers -------------------------------------------------------------------------


# Administration -------------------------------------------------------------------------------


@protected.post(
    "/units",
    status_code=201,
    dependencies=[requires(*USER_ADMINS)],
    responses={409: {"description": "the unit exists"}},
)
def create_unit(
    body: UnitCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> UnitPublic:
    """Register a customs unit (sub-department)."""
    if session.get(Unit, body.code) is not None:
        raise Conflict(f"unit {body.code} exists")
    unit = officers.ensure_unit(session, code=body.code, name=body.name, now=now)
    audit.record(
        session,
        context=context,
        action="unit.created",
        target=f"unit:{unit.code}",
        occurred_at=now,
        details={"name": unit.name},
    )
    session.commit()
    return UnitPublic(code=unit.code, name=unit.name)


@protected.get("/units")
def list_units(
    principal: CurrentPrincipal,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> UnitsPage:
    """Customs units (any signed-in caller)."""
    rows = officers.list_units(session, after=after_key(cursor), limit=limit + 1)
    rows, following = page_of(rows, limit, key=lambda u: (u.code,))
    return UnitsPage(
        data=[UnitPublic(code=u.code, name=u.name) for u in rows],
        next_cursor=following,
    )


def _enrollment_issued(session: Session, response: Response, user: User, code: str) -> UserCreated:
    """The officer with their one-time enrolment code (never cached)."""
    response.headers.update(NO_STORE)
    assert user.enrollment_expires_at is not None
    return UserCreated(
        user=user_public(session, user),
        enrollment_code=code,
        enrollment_expires_at=user.enrollment_expires_at,
    )


@protected.post(
    "/users",
    status_code=201,
    dependencies=[requires(*USER_ADMINS)],
    responses={409: {"description": "the username is taken"}},
)
def create_user(
    body: UserCreate,
    principal: CurrentPrincipal,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> UserCreated:
    """Create an officer of the administrator's unit (no roles yet); the enrolment code is
    shown only here."""
    ensure_own_unit(principal, body.unit)
    user = officers.create_user(
        session,
        username=body.username,
        full_name=body.full_name,
        unit=body.unit,
        context=context,
        now=now,
    )
    code = enrollment.issue_enrollment(user, runtime=runtime, now=now)
    session.add(user)
    session.commit()
    return _enrollment_issued(session, response, user, code)


def _visible_user(session: Session, principal: Principal, user_id: str) -> User:
    user = officers.get_user(session, user_id)
    if principal.has(Role.USER_ADMINISTRATOR, Role.AUDITOR) or principal.subject == user.id:
        return user
    if principal.has(Role.HEAD_OF_SUBDEPARTMENT) and principal.unit == user.unit:
        return user
    raise Forbidden("this officer belongs to another unit")


@protected.get("/users", dependencies=[requires(*READ_USERS)])
def list_users(
    principal: CurrentPrincipal,
    session: SessionDep,
    unit: Annotated[str | None, Query(max_length=UNIT_MAX_LENGTH)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> UsersPage:
    """Officers; heads see their own unit only."""
    if not principal.has(Role.USER_ADMINISTRATOR, Role.AUDITOR):
        if unit is not None and unit != principal.unit:
            raise Forbidden("heads of sub-department see their own unit only")
        unit = principal.unit
    rows = officers.list_users(session, unit=unit, after=after_key(cursor), limit=limit + 1)
    rows, following = page_of(rows, limit, key=lambda u: (u.username,))
    return UsersPage(
        data=[user_public(session, u) for u in rows],
        next_cursor=following,
    )


@protected.get("/users/me", responses={404: {"description": "the caller is not an officer"}})
def me(principal: CurrentPrincipal, session: SessionDep) -> UserPublic:
    """The signed-in officer."""
    return user_public(session, officers.current_user(session, principal))


@protected.get("/users/{user_id}", dependencies=[requires(*READ_USERS)])
def get_user(user_id: str, principal: CurrentPrincipal, session: SessionDep) -> UserPublic:
    """One officer."""
    return user_public(session, _visible_user(session, principal, user_id))


@protected.post("/users/{user_id}/move", dependencies=[requires(*USER_ADMINS)])
def move_user(
    user_id: str,
    body: UserMove,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> UserPublic:
    """Move an officer to another unit: grants, assignments and sign-ins there end now."""
    user = officers.get_user(session, user_id)
    ensure_own_unit(principal, user.unit)
    lifecycle.move_user(
        session,
        user=user,
        unit=body.unit,
        reason=body.reason,
        by=principal.subject,
        context=context,
        now=now,
    )
    session.commit()
    return user_public(session, user)


@protected.post(
    "/users/{user_id}/deactivate",
    dependencies=[requires(*USER_ADMINS)],
    responses={409: {"description": "already deactivated"}},
)
def deactivate_user(
    user_id: str,
    body: ReasonBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> UserPublic:
    """Deactivate an account: no sign-in; grants, assignments and tokens end."""
    user = officers.get_user(session, user_id)
    ensure_own_unit(principal, user.unit)
    lifecycle.deactivate_user(
        session,
        user=user,
        reason=body.reason,
        by=principal.subject,
        context=context,
        now=now,
    )
    session.commit()
    return user_public(session, user)


@protected.post("/users/{user_id}/unlock", dependencies=[requires(*USER_ADMINS)])
def unlock_user(
    user_id: str,
    body: ReasonBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> UserPublic:
    """Clear a sign-in lockout."""
    user = officers.get_user(session, user_id)
    ensure_own_unit(principal, user.unit)
    lockout.unlock(
        session,
        user=user,
        reason=body.reason,
        context=context,
        now=now,
    )
    session.commit()
    return user_public(session, user)


@protected.post("/users/{user_id}/enrollment", dependencies=[requires(*USER_ADMINS)])
def reissue_enrollment(
    user_id: str,
    body: ReasonBody,
    principal: CurrentPrincipal,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> UserCreated:
    """Reset password and authenticator (e.g. a lost phone); a new enrolment code is shown once."""
    user = officers.get_user(session, user_id)
    ensure_own_unit(principal, user.unit)
    code = enrollment.reissue_enrollment(
        session,
        user=user,
        reason=body.reason,
        runtime=runtime,
        context=context,
        now=now,
    )
    session.commit()
    return _enrollment_issued(session, response, user, code)
