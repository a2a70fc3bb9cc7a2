"""Officers: units, accounts, enrolment, two-step sign-in with TOTP, lockout and step-up."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import pyotp
from sqlmodel import Session, col, select

from access.audit import service as audit
from access.context import AuditContext
from access.crypto.contexts import totp_context
from access.crypto.envelope import read_sealed, write_sealed
from access.crypto.hashing import digest, new_secret
from access.db import as_utc
from access.officers.models import SigninTransaction, Unit, User
from access.refusals import Refusal
from access.runtime import Runtime
from servicekit.errors import Conflict, Forbidden, NotFound, Problem, field_error

STAGE_PASSWORD = "password"  # noqa: S105 (a stage name, not a password)
STAGE_AUTHENTICATED = "authenticated"
STAGE_CONSUMED = "consumed"
STAGE_FAILED = "failed"


def invalid_credentials() -> Problem:
    """The same answer for an unknown user and a wrong password."""
    return Problem(401, "Unauthorized", "the username or password is not correct")


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


def find_by_username(session: Session, username: str) -> User | None:
    """An officer by username."""
    return session.exec(select(User).where(User.username == username.lower())).first()


def _issue_enrollment(user: User, *, runtime: Runtime, now: datetime) -> str:
    code = new_secret(24)
    user.enrollment_digest = digest(code)
    user.enrollment_expires_at = now + timedelta(seconds=runtime.settings.enrollment_ttl)
    return code


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    unit: str,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> tuple[User, str]:
    """A new officer without roles; returns the one-time enrolment code."""
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
    code = _issue_enrollment(user, runtime=runtime, now=now)
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
    return user, code


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
    code = _issue_enrollment(user, runtime=runtime, now=now)
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
    user = find_by_username(session, username)
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


def _check_password_policy(password: str, user: User, runtime: Runtime) -> None:
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
    _check_password_policy(password, user, runtime)
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
    step = match_totp(user, code, runtime=runtime, now=now)
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


def totp_secret(user: User, *, runtime: Runtime) -> str | None:
    """The officer's TOTP secret, unsealed (only in memory, never returned after enrolment)."""
    sealed = read_sealed(user)
    if sealed is None:
        return None
    return runtime.envelope.open(sealed, context=totp_context(user.id)).decode()


def match_totp(user: User, code: str, *, runtime: Runtime, now: datetime) -> int | None:
    """The time step a code matches (one step of drift either way), never a used one."""
    secret = totp_secret(user, runtime=runtime)
    if secret is None:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# Lockout ----------------------------------------------------------------------------------------


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


def _refuse_if_locked(
    session: Session, user: User, *, context: AuditContext, now: datetime, step: str
) -> None:
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


# Sign-in ----------------------------------------------------------------------------------------


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
    user = find_by_username(session, username)
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
    _refuse_if_locked(session, user, context=context, now=now, step="password")
    if not runtime.passwords.verify(user.password_hash, password):
        register_failure(user, runtime=runtime, now=now)
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
    user = get_user(session, transaction.user_id)
    _refuse_if_locked(session, user, context=context, now=now, step="totp")
    step = match_totp(user, code, runtime=runtime, now=now)
    if step is None:
        transaction.totp_attempts += 1
        if transaction.totp_attempts >= runtime.settings.signin_totp_attempts:
            transaction.stage = STAGE_FAILED
        register_failure(user, runtime=runtime, now=now)
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


# Step-up ----------------------------------------------------------------------------------------


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
    _refuse_if_locked(session, user, context=context, now=now, step="step_up")
    step = match_totp(user, code, runtime=runtime, now=now)
    if step is None:
        register_failure(user, runtime=runtime, now=now)
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
    user, _ = create_user(
        session,
        username=username,
        full_name=full_name,
        unit=unit,
        runtime=runtime,
        context=context,
        now=now,
    )
    _check_password_policy(password, user, runtime)
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
