"""Enrolment: a one-time code from an administrator, then a password and an authenticator."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import pyotp
from sqlmodel import Session

from access.audit import service as audit
from access.context import AuditContext
from access.crypto.contexts import totp_context
from access.crypto.envelope import read_sealed, write_sealed
from access.crypto.hashing import digest, new_secret
from access.db import as_utc
from access.officers import service as officers
from access.officers.models import User
from access.runtime import Runtime
from access.signin import totp
from servicekit.errors import Conflict, Problem, field_error


def issue_enrollment(user: User, *, runtime: Runtime, now: datetime) -> str:
    """A fresh one-time enrolment code (only its digest is kept), valid for the configured TTL."""
    code = new_secret(24)
    user.enrollment_digest = digest(code)
    user.enrollment_expires_at = now + timedelta(seconds=runtime.settings.enrollment_ttl)
    return code


def reissue_enrollment(
    session: Session,
    *,
    user: User,
    reason: str,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> str:
    """Reset password and TOTP (lost authenticator); the officer enrols again."""
    user.password_hash = None
    user.totp_enabled = False
    user.totp_last_step = None
    write_sealed(user, None)
    code = issue_enrollment(user, runtime=runtime, now=now)
    session.add(user)
    audit.record(
        session,
        context=context,
        action="officer.enrollment_reissued",
        target=f"user:{user.id}",
        reason=reason,
        occurred_at=now,
    )
    return code


def _enrolling_user(
    session: Session, *, username: str, enrollment_code: str, now: datetime
) -> User:
    user = officers.find_by_username(session, username)
    if (
        user is None
        or user.enrollment_digest is None
        or user.enrollment_expires_at is None
        or not hmac.compare_digest(user.enrollment_digest, digest(enrollment_code))
        or as_utc(user.enrollment_expires_at) <= now
        or not user.active
    ):
        raise Problem(401, "Unauthorized", "the enrolment code is not valid or has expired")
    return user


def check_password_policy(password: str, user: User, runtime: Runtime) -> None:
    if len(password) < runtime.settings.password_min_length:
        raise field_error(
            "body.password",
            f"must be at least {runtime.settings.password_min_length} characters",
        )
    if user.username in password.lower():
        raise field_error("body.password", "must not contain the username")


def start_enrollment(
    session: Session,
    *,
    username: str,
    enrollment_code: str,
    password: str,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> tuple[str, str]:
    """Set the password and a fresh TOTP secret; returns (secret, otpauth provisioning URI)."""
    user = _enrolling_user(session, username=username, enrollment_code=enrollment_code, now=now)
    check_password_policy(password, user, runtime)
    user.password_hash = runtime.passwords.hash(password)
    secret = pyotp.random_base32()
    write_sealed(user, runtime.envelope.seal(secret.encode(), context=totp_context(user.id)))
    user.totp_enabled = False
    session.add(user)
    audit.record(
        session,
        context=context,
        action="officer.enrollment_started",
        target=f"user:{user.id}",
        occurred_at=now,
        actor=f"user:{user.id}",
    )
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name=runtime.settings.totp_issuer
    )
    return secret, uri


def finish_enrollment(
    session: Session,
    *,
    username: str,
    enrollment_code: str,
    code: str,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> User:
    """Confirm the authenticator with a first code; the account can then sign in."""
    user = _enrolling_user(session, username=username, enrollment_code=enrollment_code, now=now)
    if user.password_hash is None or read_sealed(user) is None:
        raise Conflict("start the enrolment (password and authenticator) first")
    step = totp.match_totp(user, code, runtime=runtime, now=now)
    if step is None:
        raise field_error("body.code", "the code does not match the authenticator")
    user.totp_last_step = step
    user.totp_enabled = True
    user.enrollment_digest = None
    user.enrollment_expires_at = None
    session.add(user)
    audit.record(
        session,
        context=context,
        action="officer.enrolled",
        target=f"user:{user.id}",
        occurred_at=now,
        actor=f"user:{user.id}",
    )
    return user


def provision_officer(
    session: Session,
    *,
    username: str,
    full_name: str,
    unit: str,
    password: str,
    totp_secret_value: str,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> User:
    """An enrolled officer in one step (operator bootstrap and demo seeding only)."""
    user = officers.create_user(
        session, username=username, full_name=full_name, unit=unit, context=context, now=now
    )
    check_password_policy(password, user, runtime)
    user.password_hash = runtime.passwords.hash(password)
    write_sealed(
        user, runtime.envelope.seal(totp_secret_value.encode(), context=totp_context(user.id))
    )
    user.totp_enabled = True
    user.enrollment_digest = None
    user.enrollment_expires_at = None
    session.add(user)
    audit.record(
        session,
        context=context,
        action="officer.provisioned",
        target=f"user:{user.id}",
        occurred_at=now,
        details={"username": user.username},
    )
    return user
