"""Lockout after failed factors: exponential back-off, 423 with Retry-After, administrators'
unlock."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from access.audit import service as audit
from access.context import AuditContext
from access.db import as_utc
from access.officers.models import User
from access.refusals import Refusal
from access.runtime import Runtime
from servicekit.errors import Problem


def _locked(user: User, now: datetime) -> int | None:
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        return max(1, int((as_utc(user.locked_until) - now).total_seconds()) + 1)
    return None


def locked_problem(retry_after: int) -> Problem:
    """423 with Retry-After while an account is locked."""
    return Problem(
        423,
        "Locked",
        f"too many failed attempts; try again in {retry_after} seconds",
        headers={"Retry-After": str(retry_after)},
    )


def register_failure(user: User, *, runtime: Runtime, now: datetime) -> None:
    """Count a failed factor; from the threshold on, lock with exponential back-off."""
    settings = runtime.settings
    user.failed_attempts += 1
    over = user.failed_attempts - settings.lockout_threshold
    if over >= 0:
        seconds = min(settings.lockout_base_seconds * (2**over), settings.lockout_max_seconds)
        user.locked_until = now + timedelta(seconds=seconds)


def refuse_if_locked(
    session: Session, user: User, *, context: AuditContext, now: datetime, step: str
) -> None:
    """Refuse (and audit) a factor while the account is locked."""
    retry_after = _locked(user, now)
    if retry_after is not None:
        audit.record(
            session,
            context=context,
            action="signin.locked_out",
            target=f"user:{user.id}",
            outcome=audit.REFUSED,
            occurred_at=now,
            details={"step": step, "retry_after": retry_after},
        )
        raise Refusal(locked_problem(retry_after))


def unlock(
    session: Session, *, user: User, reason: str, context: AuditContext, now: datetime
) -> None:
    """Clear a lockout (user administrators, e.g. after a phone call)."""
    user.failed_attempts = 0
    user.locked_until = None
    session.add(user)
    audit.record(
        session,
        context=context,
        action="officer.unlocked",
        target=f"user:{user.id}",
        reason=reason,
        occurred_at=now,
    )
