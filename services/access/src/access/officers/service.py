"""Officers: customs units and accounts (sign-in and enrolment live in `access.signin`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from access.audit import service as audit
from access.context import AuditContext
from access.officers.models import Unit, User
from access.permissions import ensure_person
from servicekit.auth import Principal
from servicekit.errors import Conflict, Forbidden, NotFound, field_error

# Units ----------------------------------------------------------------------------------------


def ensure_unit(session: Session, *, code: str, name: str, now: datetime) -> Unit:
    """The unit with this code, created when missing."""
    unit = session.get(Unit, code)
    if unit is None:
        unit = Unit(code=code, name=name, created_at=now)
        session.add(unit)
        session.flush()
    return unit


def get_unit(session: Session, code: str) -> Unit:
    """A unit or a 422 naming the field (units are referenced from request bodies)."""
    unit = session.get(Unit, code)
    if unit is None:
        raise field_error("body.unit", f"unknown customs unit {code}")
    return unit


# Accounts -------------------------------------------------------------------------------------


def get_user(session: Session, user_id: str) -> User:
    """An officer by id (404 when unknown)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("officer")
    return user


def current_user(session: Session, principal: Principal) -> User:
    """The officer behind a token (403 for machine clients and deactivated accounts)."""
    ensure_person(principal)
    user = session.get(User, principal.subject)
    if user is None or not user.active:
        raise Forbidden("the account is unknown or deactivated")
    return user


def find_by_username(session: Session, username: str) -> User | None:
    """An officer by username."""
    return session.exec(select(User).where(User.username == username.lower())).first()


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    unit: str,
    context: AuditContext,
    now: datetime,
) -> User:
    """A new officer without roles (they enrol with a code from `signin.enrollment`)."""
    get_unit(session, unit)
    if find_by_username(session, username) is not None:
        raise Conflict(f"the username {username} is taken")
    user = User(
        username=username.lower(),
        full_name=full_name,
        unit=unit,
        created_at=now,
        created_by=context.actor,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        context=context,
        action="officer.created",
        target=f"user:{user.id}",
        occurred_at=now,
        details={"username": user.username, "unit": unit},
    )
    return user


def list_users(session: Session, *, unit: str | None, after: str | None, limit: int) -> list[User]:
    """Officers ordered by username, optionally of one unit."""
    query = select(User)
    if unit is not None:
        query = query.where(User.unit == unit)
    if after is not None:
        query = query.where(User.username > after)
    return list(session.exec(query.order_by(col(User.username)).limit(limit)).all())


def list_units(session: Session, *, after: str | None, limit: int) -> list[Unit]:
    """Units ordered by code."""
    query = select(Unit)
    if after is not None:
        query = query.where(Unit.code > after)
    return list(session.exec(query.order_by(col(Unit.code)).limit(limit)).all())
