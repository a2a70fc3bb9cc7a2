"""Two-step sign-in (password, then TOTP) consumed once by /oauth/authorize, and step-up."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from access.audit import service as audit
from access.context import AuditContext
from access.crypto.hashing import digest, new_secret
from access.db import as_utc
from access.officers import service as officers
from access.officers.models import User
from access.refusals import Refusal
from access.runtime import Runtime
from access.signin import lockout, totp
from access.signin.models import SigninTransaction
from servicekit.errors import Forbidden, Problem

STAGE_PASSWORD = "password"  # noqa: S105 (a stage name, not a password)
STAGE_AUTHENTICATED = "authenticated"
STAGE_CONSUMED = "consumed"
STAGE_FAILED = "failed"


def invalid_credentials() -> Problem:
    """The same answer for an unknown user and a wrong password."""
    return Problem(401, "Unauthorized", "the username or password is not correct")


def start_signin(
    session: Session,
    *,
    username: str,
    password: str,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> tuple[SigninTransaction, str]:
    """Check the password; returns a transaction that now needs the TOTP code."""
    user = officers.find_by_username(session, username)
    if user is None or not user.active:
        runtime.passwords.verify(None, password)  # same work as for a real account
        audit.record(
            session,
            context=context,
            action="signin.failed",
            target=f"username:{username}",
            outcome=audit.FAILURE,
            occurred_at=now,
            details={"step": "password", "cause": "unknown or inactive account"},
        )
        raise Refusal(invalid_credentials())
    lockout.refuse_if_locked(session, user, context=context, now=now, step="password")
    if not runtime.passwords.verify(user.password_hash, password):
        lockout.register_failure(user, runtime=runtime, now=now)
        session.add(user)
        audit.record(
            session,
            context=context,
            action="signin.failed",
            target=f"user:{user.id}",
            outcome=audit.FAILURE,
            occurred_at=now,
            details={"step": "password", "failed_attempts": user.failed_attempts},
        )
        raise Refusal(invalid_credentials())
    if not user.totp_enabled:
        audit.record(
            session,
            context=context,
            action="signin.failed",
            target=f"user:{user.id}",
            outcome=audit.REFUSED,
            occurred_at=now,
            details={"step": "password", "cause": "enrolment not finished"},
        )
        raise Refusal(Forbidden("finish enrolment (authenticator app) before signing in"))
    if user.password_hash and runtime.passwords.needs_rehash(user.password_hash):
        user.password_hash = runtime.passwords.hash(password)
        session.add(user)
    token = new_secret()
    transaction = SigninTransaction(
        digest=digest(token),
        user_id=user.id,
        stage=STAGE_PASSWORD,
        amr=["pwd"],
        created_at=now,
        expires_at=now + timedelta(seconds=runtime.settings.signin_transaction_ttl),
    )
    session.add(transaction)
    audit.record(
        session,
        context=context,
        action="signin.password_verified",
        target=f"user:{user.id}",
        occurred_at=now,
    )
    return transaction, token


def _open_transaction(session: Session, token: str, now: datetime) -> SigninTransaction | None:
    transaction = session.exec(
        select(SigninTransaction).where(SigninTransaction.digest == digest(token))
    ).first()
    if transaction is None or as_utc(transaction.expires_at) <= now:
        return None
    return transaction


def verify_signin_totp(
    session: Session,
    *,
    token: str,
    code: str,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> SigninTransaction:
    """Check the TOTP code of a transaction; the transaction becomes authenticated."""
    transaction = _open_transaction(session, token, now)
    if transaction is None or transaction.stage != STAGE_PASSWORD:
        raise Problem(401, "Unauthorized", "the sign-in transaction is not valid or has expired")
    user = officers.get_user(session, transaction.user_id)
    lockout.refuse_if_locked(session, user, context=context, now=now, step="totp")
    step = totp.match_totp(user, code, runtime=runtime, now=now)
    if step is None:
        transaction.totp_attempts += 1
        if transaction.totp_attempts >= runtime.settings.signin_totp_attempts:
            transaction.stage = STAGE_FAILED
        lockout.register_failure(user, runtime=runtime, now=now)
        session.add_all([transaction, user])
        audit.record(
            session,
            context=context,
            action="signin.failed",
            target=f"user:{user.id}",
            outcome=audit.FAILURE,
            occurred_at=now,
            details={"step": "totp", "failed_attempts": user.failed_attempts},
        )
        raise Refusal(Problem(401, "Unauthorized", "the code is not correct"))
    user.totp_last_step = step
    user.failed_attempts = 0
    user.locked_until = None
    user.last_signin_at = now
    user.step_up_at = now
    transaction.stage = STAGE_AUTHENTICATED
    transaction.amr = ["pwd", "otp"]
    transaction.authenticated_at = now
    session.add_all([transaction, user])
    audit.record(
        session,
        context=context,
        action="signin.succeeded",
        target=f"user:{user.id}",
        occurred_at=now,
        actor=f"user:{user.id}",
        details={"amr": ["pwd", "otp"]},
    )
    return transaction


def consume_signin(session: Session, *, token: str, now: datetime) -> SigninTransaction | None:
    """Take an authenticated transaction for /oauth/authorize (once); None if not usable."""
    transaction = _open_transaction(session, token, now)
    if transaction is None or transaction.stage != STAGE_AUTHENTICATED:
        return None
    user = session.get(User, transaction.user_id)
    if user is None or not user.active:
        return None
    transaction.stage = STAGE_CONSUMED
    session.add(transaction)
    return transaction


def step_up(
    session: Session,
    *,
    user: User,
    code: str,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> datetime:
    """Re-check the second factor; sensitive actions require it within the step-up window."""
    lockout.refuse_if_locked(session, user, context=context, now=now, step="step_up")
    step = totp.match_totp(user, code, runtime=runtime, now=now)
    if step is None:
        lockout.register_failure(user, runtime=runtime, now=now)
        session.add(user)
        audit.record(
            session,
            context=context,
            action="step_up.failed",
            target=f"user:{user.id}",
            outcome=audit.FAILURE,
            occurred_at=now,
            details={"failed_attempts": user.failed_attempts},
        )
        raise Refusal(Problem(401, "Unauthorized", "the code is not correct"))
    user.totp_last_step = step
    user.failed_attempts = 0
    user.step_up_at = now
    session.add(user)
    audit.record(
        session,
        context=context,
        action="step_up.succeeded",
        target=f"user:{user.id}",
        occurred_at=now,
    )
    return now


def step_up_fresh(user: User, *, runtime: Runtime, now: datetime) -> bool:
    """Whether the officer re-checked their second factor within the window."""
    if user.step_up_at is None:
        return False
    return now - as_utc(user.step_up_at) <= timedelta(seconds=runtime.settings.step_up_window)
