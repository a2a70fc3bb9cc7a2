"""Authority codes: prepare, approve (by the unit head, never one's own), separation of duties,
and the revocations and cancellations an officer's move or deactivation causes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from access.audit import service as audit
from access.authority.events import GrantApproved, GrantRevoked
from access.authority.models import (
    ADMINISTRATIVE_DATA_ROLES,
    OFFICER_GRANTABLE_ROLES,
    AuthorityRequest,
    RequestAction,
    RequestStatus,
    RoleGrant,
)
from access.context import AuditContext
from access.officers import service as officers
from access.officers.models import User
from servicekit.auth import Role
from servicekit.errors import Conflict, Forbidden, NotFound, Problem, field_error
from servicekit.events import add_event

SOD_PROBLEM = "https://camwatch.customs.gov.vn/problems/separation-of-duties"


def active_grants(session: Session, user: User) -> list[RoleGrant]:
    """The grants in force for an officer: not revoked and in their current unit."""
    return list(
        session.exec(
            select(RoleGrant)
            .where(RoleGrant.user_id == user.id)
            .where(RoleGrant.unit == user.unit)
            .where(col(RoleGrant.revoked_at).is_(None))
            .order_by(col(RoleGrant.granted_at))
        ).all()
    )


def active_roles(session: Session, user: User) -> list[str]:
    """The roles that go into an officer's tokens."""
    if not user.active:
        return []
    return sorted({g.role for g in active_grants(session, user)})


def holds(session: Session, user: User, role: str, *, unit: str | None = None) -> bool:
    """Whether the officer currently holds a role (in a given unit when asked)."""
    if unit is not None and user.unit != unit:
        return False
    return role in active_roles(session, user)


def deciding_head(session: Session, user_id: str, *, unit: str, subject: str) -> User:
    """The officer deciding a maker-checker item: a current head of the item's unit, or refused.

    Authority requests and data corrections share this rule; each adds its own preparer check.
    """
    person = session.get(User, user_id)
    if person is None or not holds(session, person, Role.HEAD_OF_SUBDEPARTMENT, unit=unit):
        raise Forbidden(f"only the head of {unit} may decide this {subject}")
    return person


def check_separation_of_duties(roles: Iterable[str], *, username: str) -> None:
    """Refuse it_operator together with an administrative data role (seed 2 section 3)."""
    held = set(roles)
    conflicting = sorted(held & ADMINISTRATIVE_DATA_ROLES)
    if Role.IT_OPERATOR in held and conflicting:
        raise Problem(
            409,
            "Separation of duties",
            f"{username} cannot hold it_operator together with {', '.join(conflicting)}: "
            "network/system operators must not administer or review the data (seed 2 s3)",
            type_=SOD_PROBLEM,
            errors=[{"field": "body.role", "message": "conflicts with a role already held"}],
        )


def _grant(
    session: Session,
    *,
    user: User,
    role: str,
    approved_by: str,
    prepared_by: str | None,
    request_id: str | None,
    context: AuditContext,
    now: datetime,
) -> RoleGrant:
    grant = RoleGrant(
        user_id=user.id,
        role=role,
        unit=user.unit,
        request_id=request_id,
        granted_at=now,
        approved_by=approved_by,
    )
    session.add(grant)
    session.flush()
    add_event(
        session,
        GrantApproved(
            grant_id=grant.id,
            request_id=request_id,
            user_id=user.id,
            role=role,
            unit=user.unit,
            prepared_by=prepared_by,
            approved_by=approved_by,
            approved_at=now,
        ),
        subject=user.id,
    )
    audit.record(
        session,
        context=context,
        action="grant.effective",
        target=f"user:{user.id}",
        occurred_at=now,
        details={"role": role, "unit": user.unit, "grant_id": grant.id, "request_id": request_id},
    )
    return grant


def revoke_grant(
    session: Session,
    grant: RoleGrant,
    *,
    cause: str,
    by: str,
    reason: str,
    context: AuditContext,
    now: datetime,
) -> None:
    """End a grant now (an approved revocation, a move or a deactivation), with its event."""
    grant.revoked_at = now
    grant.revoked_by = by
    grant.revoke_reason = reason
    session.add(grant)
    add_event(
        session,
        GrantRevoked(
            grant_id=grant.id,
            user_id=grant.user_id,
            role=grant.role,
            unit=grant.unit,
            cause=cause,
            revoked_by=by,
            revoked_at=now,
        ),
        subject=grant.user_id,
    )
    audit.record(
        session,
        context=context,
        action="grant.revoked",
        target=f"user:{grant.user_id}",
        reason=reason,
        occurred_at=now,
        details={"role": grant.role, "unit": grant.unit, "grant_id": grant.id, "cause": cause},
    )


def grant_directly(
    session: Session,
    *,
    user: User,
    role: Role,
    approved_by: str,
    reason: str,
    context: AuditContext,
    now: datetime,
) -> RoleGrant:
    """Operator path (CLI bootstrap, appointing a unit's first head): audited, SoD-checked."""
    current = active_roles(session, user)
    if role in current:
        raise Conflict(f"{user.username} already holds {role}")
    check_separation_of_duties([*current, role], username=user.username)
    audit.record(
        session,
        context=context,
        action="grant.appointed",
        target=f"user:{user.id}",
        reason=reason,
        occurred_at=now,
        details={"role": str(role), "unit": user.unit},
    )
    return _grant(
        session,
        user=user,
        role=role,
        approved_by=approved_by,
        prepared_by=None,
        request_id=None,
        context=context,
        now=now,
    )


# Requests -----------------------------------------------------------------------------------


def prepare_request(
    session: Session,
    *,
    user_id: str,
    action: RequestAction,
    role: Role,
    reason: str,
    preparer: str,
    context: AuditContext,
    now: datetime,
) -> AuthorityRequest:
    """A user administrator prepares a grant or revocation; it waits for the unit head."""
    if role not in OFFICER_GRANTABLE_ROLES:
        raise field_error("body.role", f"{role} is a machine-client role, not an authority code")
    user = session.get(User, user_id)
    if user is None:
        raise field_error("body.user_id", "unknown officer")
    if not user.active:
        raise Conflict(f"{user.username} is deactivated")
    current = active_roles(session, user)
    if action is RequestAction.GRANT:
        if role in current:
            raise Conflict(f"{user.username} already holds {role}")
        check_separation_of_duties([*current, role], username=user.username)
    elif role not in current:
        raise Conflict(f"{user.username} does not hold {role}")
    duplicate = session.exec(
        select(AuthorityRequest)
        .where(AuthorityRequest.user_id == user.id)
        .where(AuthorityRequest.role == role)
        .where(AuthorityRequest.status == RequestStatus.PENDING)
    ).first()
    if duplicate is not None:
        raise Conflict(f"a request for {role} of {user.username} is already pending")
    request = AuthorityRequest(
        user_id=user.id,
        action=action,
        role=role,
        unit=user.unit,
        status=RequestStatus.PENDING,
        reason=reason,
        prepared_by=preparer,
        prepared_at=now,
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        context=context,
        action=f"authority.{action}.prepared",
        target=f"user:{user.id}",
        reason=reason,
        occurred_at=now,
        details={"request_id": request.id, "role": str(role), "unit": user.unit},
    )
    return request


def get_request(session: Session, request_id: str) -> AuthorityRequest:
    """A request by id (404 when unknown)."""
    request = session.get(AuthorityRequest, request_id)
    if request is None:
        raise NotFound("authority request")
    return request


def _check_decider(session: Session, request: AuthorityRequest, decider_id: str) -> User:
    decider = deciding_head(session, decider_id, unit=request.unit, subject="request")
    if decider_id in (request.prepared_by, request.user_id):
        raise Forbidden("nobody may decide a request they prepared or that concerns themselves")
    if request.status != RequestStatus.PENDING:
        raise Conflict(f"the request is already {request.status}")
    return decider


def _record_decision(
    session: Session,
    request: AuthorityRequest,
    status: RequestStatus,
    *,
    by: str,
    note: str | None,
    now: datetime,
) -> None:
    """The head's decision on a pending request: who, when, with what note."""
    request.status = status
    request.decided_by = by
    request.decided_at = now
    request.decision_note = note
    session.add(request)


def approve_request(
    session: Session,
    *,
    request: AuthorityRequest,
    approver_id: str,
    note: str | None,
    context: AuditContext,
    now: datetime,
) -> AuthorityRequest:
    """The unit head approves: the grant or revocation takes effect now."""
    _check_decider(session, request, approver_id)
    user = officers.get_user(session, request.user_id)
    if user.unit != request.unit or not user.active:
        raise Conflict("the officer has left this unit or was deactivated; prepare anew")
    current = active_roles(session, user)
    if request.action == RequestAction.GRANT:
        if request.role in current:
            raise Conflict(f"{user.username} already holds {request.role}")
        check_separation_of_duties([*current, request.role], username=user.username)
    _record_decision(session, request, RequestStatus.APPROVED, by=approver_id, note=note, now=now)
    audit.record(
        session,
        context=context,
        action=f"authority.{request.action}.approved",
        target=f"user:{user.id}",
        reason=note,
        occurred_at=now,
        details={"request_id": request.id, "role": request.role, "unit": request.unit},
    )
    if request.action == RequestAction.GRANT:
        _grant(
            session,
            user=user,
            role=request.role,
            approved_by=approver_id,
            prepared_by=request.prepared_by,
            request_id=request.id,
            context=context,
            now=now,
        )
    else:
        for grant in active_grants(session, user):
            if grant.role == request.role:
                revoke_grant(
                    session,
                    grant,
                    cause="approved_request",
                    by=approver_id,
                    reason=request.reason,
                    context=context,
                    now=now,
                )
    return request


def reject_request(
    session: Session,
    *,
    request: AuthorityRequest,
    approver_id: str,
    note: str | None,
    context: AuditContext,
    now: datetime,
) -> AuthorityRequest:
    """The unit head rejects the request; nothing changes."""
    _check_decider(session, request, approver_id)
    _record_decision(session, request, RequestStatus.REJECTED, by=approver_id, note=note, now=now)
    audit.record(
        session,
        context=context,
        action=f"authority.{request.action}.rejected",
        target=f"user:{request.user_id}",
        reason=note,
        occurred_at=now,
        details={"request_id": request.id, "role": request.role},
    )
    return request


def list_requests(
    session: Session,
    *,
    unit: str | None,
    status: str | None,
    after: str | None,
    limit: int,
) -> list[AuthorityRequest]:
    """Requests ordered by id, optionally of one unit and status."""
    query = select(AuthorityRequest)
    if unit is not None:
        query = query.where(AuthorityRequest.unit == unit)
    if status is not None:
        query = query.where(AuthorityRequest.status == status)
    if after is not None:
        query = query.where(AuthorityRequest.id > after)
    return list(session.exec(query.order_by(col(AuthorityRequest.id)).limit(limit)).all())


def list_grants(
    session: Session, *, user_id: str, after: str | None, limit: int
) -> list[RoleGrant]:
    """Every grant (current and past) of an officer."""
    query = select(RoleGrant).where(RoleGrant.user_id == user_id)
    if after is not None:
        query = query.where(RoleGrant.id > after)
    return list(session.exec(query.order_by(col(RoleGrant.id)).limit(limit)).all())


def end_authority(
    session: Session,
    *,
    user: User,
    cause: str,
    by: str,
    reason: str,
    context: AuditContext,
    now: datetime,
) -> None:
    """Revoke every grant in force and cancel every pending request of an officer."""
    for grant in active_grants(session, user):
        revoke_grant(session, grant, cause=cause, by=by, reason=reason, context=context, now=now)
    for request in session.exec(
        select(AuthorityRequest)
        .where(AuthorityRequest.user_id == user.id)
        .where(AuthorityRequest.status == RequestStatus.PENDING)
    ).all():
        request.status = RequestStatus.CANCELLED
        request.decided_at = now
        request.decision_note = f"cancelled: {cause}"
        session.add(request)
