"""The person's side of the device authorization grant (RFC 8628 section 3.3): finding the
request a user code names, approving or denying it, and pausing people who guess codes.

User codes have 8 characters of Authlib's RFC 8628 alphabet (20 consonants, no vowels or
digits, so no words and nothing to confuse): about 2^34 values for the 10 minutes a code lives.
Counting a person's wrong codes keeps an insider from trying them at speed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from access.audit import service as audit
from access.clients.service import RegisteredClient, find_client
from access.context import AuditContext
from access.crypto.hashing import digest
from access.db import as_utc
from access.oauth.models import DeviceCode, DeviceCodeAttempts, DeviceStatus
from access.refusals import Refusal
from access.runtime import Runtime
from servicekit.auth import Principal
from servicekit.errors import Conflict, NotFound, Problem

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
"""Authlib's `create_string_user_code` alphabet (RFC 8628 section 6.1)."""

USER_CODE_LENGTH = 8


def normalize_user_code(value: str) -> str:
    """The code as stored: upper case, without the dash or spaces people type (RFC 8628
    section 6.1 asks servers to be lenient about them)."""
    return "".join(ch for ch in value.upper() if ch not in "- \t")


def user_code_digest(value: str) -> str:
    """Digest of a user code as typed or as issued (`XXXX-XXXX`)."""
    return digest(normalize_user_code(value))


@dataclass(frozen=True)
class PendingRequest:
    """A device authorization waiting for the person's decision."""

    row: DeviceCode
    client: RegisteredClient


def _attempts(session: Session, user_id: str) -> DeviceCodeAttempts:
    row = session.get(DeviceCodeAttempts, user_id)
    return row if row is not None else DeviceCodeAttempts(user_id=user_id)


def _paused(retry_after: int) -> Problem:
    return Problem(
        429,
        "Too Many Requests",
        f"too many wrong codes; try again in {retry_after} seconds",
        headers={"Retry-After": str(retry_after)},
    )


def _refuse_wrong_code(
    session: Session,
    attempts: DeviceCodeAttempts,
    *,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> Refusal:
    """Count a wrong code (audited); from the threshold on, the person is paused."""
    settings = runtime.settings
    attempts.failures += 1
    audit.record(
        session,
        context=context,
        action="device.code_refused",
        target=f"user:{attempts.user_id}",
        outcome=audit.FAILURE,
        occurred_at=now,
        details={"failures": attempts.failures},
    )
    problem: Problem = NotFound(
        "device authorization", "no pending sign-in has this code; check it and try again"
    )
    if attempts.failures >= settings.device_code_attempts:
        attempts.failures = 0
        attempts.locked_until = now + timedelta(seconds=settings.device_code_lockout_seconds)
        audit.record(
            session,
            context=context,
            action="device.locked_out",
            target=f"user:{attempts.user_id}",
            outcome=audit.REFUSED,
            occurred_at=now,
            details={"seconds": settings.device_code_lockout_seconds},
        )
        problem = _paused(settings.device_code_lockout_seconds)
    session.add(attempts)
    return Refusal(problem)


def find_pending(
    session: Session,
    *,
    user_code: str,
    principal: Principal,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> PendingRequest:
    """The pending, unexpired request the code names. A wrong code counts against the person
    (a `Refusal`: the count commits); while paused, nothing is even looked up (429)."""
    attempts = _attempts(session, principal.subject)
    if attempts.locked_until is not None and as_utc(attempts.locked_until) > now:
        retry_after = max(1, int((as_utc(attempts.locked_until) - now).total_seconds()) + 1)
        raise _paused(retry_after)
    row = _by_user_code(session, user_code)
    client = find_client(session, row.client_id, runtime=runtime) if row is not None else None
    if (
        row is None
        or client is None
        or row.status != DeviceStatus.PENDING
        or as_utc(row.expires_at) <= now
    ):
        raise _refuse_wrong_code(session, attempts, runtime=runtime, context=context, now=now)
    if attempts.failures:
        attempts.failures = 0
        session.add(attempts)
    return PendingRequest(row=row, client=client)


def _by_user_code(session: Session, user_code: str) -> DeviceCode | None:
    return session.exec(
        select(DeviceCode).where(DeviceCode.user_code_digest == user_code_digest(user_code))
    ).first()


def decide(
    session: Session,
    *,
    pending: PendingRequest,
    approve: bool,
    principal: Principal,
    context: AuditContext,
    now: datetime,
) -> DeviceCode:
    """Approve (the tool's token will be this person's, with their session's factors) or deny.
    Only a request still pending is decided (a conditional update, so two answers at once
    cannot both stand): otherwise 409."""
    row = pending.row
    status = DeviceStatus.APPROVED if approve else DeviceStatus.DENIED
    decided = session.execute(
        update(DeviceCode)
        .where(col(DeviceCode.digest) == row.digest)
        .where(col(DeviceCode.status) == DeviceStatus.PENDING)
        .values(
            status=status,
            user_id=principal.subject,
            auth_time=principal.auth_time,
            amr=list(principal.amr),
            decided_at=now,
        )
    )
    if getattr(decided, "rowcount", 0) != 1:
        raise Conflict("this sign-in was approved or denied meanwhile")
    session.refresh(row)
    audit.record(
        session,
        context=context,
        action="device.approved" if approve else "device.denied",
        target=f"client:{row.client_id}",
        occurred_at=now,
        details={"client_id": row.client_id, "scope": row.scope},
    )
    return row
