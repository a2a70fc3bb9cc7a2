"""Officer sign-in (password, then TOTP), enrolment, and step-up."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response

from access.deps import AuditContextDep, NowDep, RuntimeDep
from access.officers import service as officers
from access.refusals import keep_refusals
from access.responses import NO_STORE
from access.signin import enrollment, service
from access.signin.models import (
    EnrollmentFinish,
    EnrollmentSecret,
    EnrollmentStart,
    SigninStart,
    SigninState,
    SigninTotp,
    StepUp,
    StepUpState,
)
from servicekit.auth import CurrentPrincipal
from servicekit.db import SessionDep

public = APIRouter(tags=["sign-in"])
protected = APIRouter(tags=["officers"])


@public.post("/signin", responses={401: {}, 403: {}, 423: {"description": "locked out"}})
def signin(
    body: SigninStart,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> SigninState:
    """Step 1: username and password; returns a transaction that needs the TOTP code next."""
    with keep_refusals(session):
        transaction, token = service.start_signin(
            session,
            username=body.username,
            password=body.password,
            runtime=runtime,
            context=context,
            now=now,
        )
    session.commit()
    response.headers.update(NO_STORE)
    return SigninState(
        transaction=token, stage=transaction.stage, next="totp", expires_at=transaction.expires_at
    )


@public.post("/signin/totp", responses={401: {}, 423: {"description": "locked out"}})
def signin_totp(
    body: SigninTotp,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> SigninState:
    """Step 2: the authenticator code; then open /oauth/authorize with `signin=<transaction>`."""
    with keep_refusals(session):
        transaction = service.verify_signin_totp(
            session,
            token=body.transaction,
            code=body.code,
            runtime=runtime,
            context=context,
            now=now,
        )
    session.commit()
    response.headers.update(NO_STORE)
    return SigninState(
        transaction=body.transaction,
        stage=transaction.stage,
        next="authorize",
        expires_at=transaction.expires_at,
    )


@public.post("/signin/enrollment", responses={401: {}})
def start_enrollment(
    body: EnrollmentStart,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> EnrollmentSecret:
    """Enrolment step 1: the one-time code and a new password; returns the TOTP secret."""
    secret, uri = enrollment.start_enrollment(
        session,
        username=body.username,
        enrollment_code=body.enrollment_code,
        password=body.password,
        runtime=runtime,
        context=context,
        now=now,
    )
    session.commit()
    response.headers.update(NO_STORE)
    return EnrollmentSecret(totp_secret=secret, provisioning_uri=uri)


@public.post(
    "/signin/enrollment/confirm",
    status_code=204,
    responses={401: {}, 409: {"description": "the enrolment was not started"}},
)
def confirm_enrollment(
    body: EnrollmentFinish,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> None:
    """Enrolment step 2: a first code from the authenticator; the account can then sign in."""
    enrollment.finish_enrollment(
        session,
        username=body.username,
        enrollment_code=body.enrollment_code,
        code=body.code,
        runtime=runtime,
        context=context,
        now=now,
    )
    session.commit()


# Signed-in officers -------------------------------------------------------------------------


@protected.post("/step-up", responses={401: {}, 423: {"description": "locked out"}})
def step_up(
    body: StepUp,
    principal: CurrentPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> StepUpState:
    """Re-check the second factor; vault reveals need this within the last few minutes."""
    user = officers.current_user(session, principal)
    with keep_refusals(session):
        at = service.step_up(
            session,
            user=user,
            code=body.code,
            runtime=runtime,
            context=context,
            now=now,
        )
    session.commit()
    return StepUpState(
        step_up_at=at, valid_until=at + timedelta(seconds=runtime.settings.step_up_window)
    )
