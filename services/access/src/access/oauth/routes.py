"""OAuth 2 / OIDC endpoints: discovery, JWKS, authorize, token, revoke, introspect, userinfo,
and the device authorization grant (RFC 8628) with the person's approval."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import OAuth2Error
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ConfigDict

from access.audit import service as audit
from access.clients.service import DEVICE_CODE_GRANT_TYPE
from access.context import AuditContext
from access.deps import AuditContextDep, NowDep, RuntimeDep
from access.keys import service as signing
from access.oauth import device, tokens
from access.oauth.models import (
    DeviceCodeEntry,
    DeviceDecision,
    DeviceDecisionPublic,
    DeviceRequestPublic,
)
from access.oauth.server import (
    StarletteOAuth2Request,
    build_server,
    oauth_error_body,
    user_info,
)
from access.officers import service as officers
from access.permissions import ensure_person
from access.refusals import keep_refusals
from access.responses import NO_STORE
from access.signin import service as signin_service
from servicekit.auth import CurrentPrincipal, Principal
from servicekit.db import SessionDep
from servicekit.errors import Forbidden, problem_response
from servicekit.ids import new_id
from servicekit.inputs import refuse_control_characters
from servicekit.openapi import ProblemDocument

public = APIRouter(tags=["oauth"])
protected = APIRouter(tags=["oauth"])

VSCHAR = r"^[\x20-\x7e]*$"
"""Printable ASCII, as RFC 6749 appendix A allows in these parameters."""


class OAuthProblem(ProblemDocument):
    """An RFC 6749 error (JSON, as the RFC requires) that is also an RFC 9457 problem."""

    model_config = ConfigDict(title="OAuthProblem", extra="allow")

    error: str
    error_description: str | None = None


OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OAuthProblem, "description": "RFC 6749 error with problem members"},
    401: {"model": OAuthProblem, "description": "client authentication failed"},
}


@public.get("/.well-known/openid-configuration")
def openid_configuration(runtime: RuntimeDep) -> dict[str, Any]:
    """OIDC discovery: where the endpoints are and what they support."""
    settings = runtime.settings
    return {
        "issuer": settings.oidc_issuer,
        "authorization_endpoint": settings.endpoint("/oauth/authorize"),
        "token_endpoint": settings.endpoint("/oauth/token"),
        "revocation_endpoint": settings.endpoint("/oauth/revoke"),
        "introspection_endpoint": settings.endpoint("/oauth/introspect"),
        "userinfo_endpoint": settings.endpoint("/userinfo"),
        "jwks_uri": settings.endpoint(settings.jwks_path),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "device_authorization_endpoint": settings.endpoint("/oauth/device_authorization"),
        "grant_types_supported": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            DEVICE_CODE_GRANT_TYPE,
        ],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "none",
            "client_secret_basic",
            "client_secret_post",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "none",
            "client_secret_basic",
            "client_secret_post",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "scopes_supported": ["openid", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [signing.ALGORITHM],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "amr",
            "nonce",
            "name",
            "preferred_username",
            "unit",
            "roles",
            "epe_id",
            "client_id",
        ],
        "camwatch_signin_endpoint": settings.endpoint("/signin"),
        "camwatch_signin_totp_endpoint": settings.endpoint("/signin/totp"),
    }


@public.get("/.well-known/jwks.json")
def jwks(session: SessionDep, runtime: RuntimeDep, now: NowDep) -> JSONResponse:
    """Public signing keys: the current one, pre-published and recently retired ones."""
    body = signing.jwks(session, runtime=runtime, now=now)
    session.commit()
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=60"})


def malformed() -> Response:
    """An RFC 6749 invalid_request for parameters Authlib cannot even describe."""
    body = oauth_error_body(
        400, {"error": "invalid_request", "error_description": "malformed parameters"}
    )
    return JSONResponse(body, status_code=400, headers=NO_STORE)


def _redirect_error(redirect_uri: str, error: str, description: str, state: str | None) -> Response:
    params = {"error": error, "error_description": description}
    if state:
        params["state"] = state
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + separator + urlencode(params), status_code=302)


@public.get(
    "/oauth/authorize",
    status_code=302,
    response_class=RedirectResponse,
    responses={
        302: {
            "description": "back to redirect_uri with code (or error) and state",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
        400: {"description": "no valid client or redirect URI to send the error back to"},
    },
)
def authorize(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    response_type: Annotated[str, Query(max_length=20, pattern=r"^[a-z_ ]+$")],
    client_id: Annotated[str, Query(max_length=64, pattern=VSCHAR)],
    context: AuditContextDep,
    now: NowDep,
    redirect_uri: Annotated[str | None, Query(max_length=1000, pattern=VSCHAR)] = None,
    scope: Annotated[str | None, Query(max_length=200, pattern=VSCHAR)] = None,
    state: Annotated[str | None, Query(max_length=500, pattern=VSCHAR)] = None,
    code_challenge: Annotated[
        str | None, Query(max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")
    ] = None,
    code_challenge_method: Annotated[
        str | None, Query(max_length=10, pattern=r"^[A-Za-z0-9]+$")
    ] = None,
    nonce: Annotated[str | None, Query(max_length=255, pattern=VSCHAR)] = None,
    prompt: Annotated[str | None, Query(max_length=50, pattern=r"^[a-z_ ]+$")] = None,
    signin: Annotated[
        str | None,
        Query(max_length=200, description="an authenticated sign-in transaction (see /signin)"),
    ] = None,
) -> Response:
    """Authorization code + PKCE (S256); the officer authenticates first through /signin."""
    params = {
        k: v
        for k, v in {
            "response_type": response_type,
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": code_challenge_method,
            "nonce": nonce,
            "prompt": prompt,
        }.items()
        if v is not None
    }
    oauth_request = StarletteOAuth2Request(
        method="GET",
        uri=runtime.settings.endpoint("/oauth/authorize"),
        headers=dict(request.headers),
        params=params,
    )
    server = build_server(session=session, runtime=runtime, context=context)
    try:
        grant = server.get_consent_grant(oauth_request)
    except ValueError:  # Authlib refuses to echo characters RFC 6749 forbids in errors
        return problem_response(400, "Invalid authorization request", "malformed parameters")
    except OAuth2Error as error:
        if error.redirect_uri:
            return server.handle_error_response(oauth_request, error)  # type: ignore[no-any-return]
        status, body, _ = error()
        return problem_response(
            status,
            "Invalid authorization request",
            body.get("error_description") or body.get("error"),
            error=body.get("error"),
        )
    target = grant.redirect_uri
    transaction = (
        signin_service.consume_signin(session, token=signin, now=server.now) if signin else None
    )
    if transaction is None or transaction.authenticated_at is None:
        session.commit()
        return _redirect_error(target, "login_required", "sign in through /signin first", state)
    user = officers.get_user(session, transaction.user_id)
    grantee = tokens.Grantee(
        user=user,
        auth_time=int(transaction.authenticated_at.timestamp()),
        amr=list(transaction.amr),
        family_id=new_id(),
        nonce=nonce,
    )
    response = server.create_authorization_response(oauth_request, grant_user=grantee, grant=grant)
    if response.status_code == 302 and "code=" in response.headers.get("location", ""):
        server.audit(
            "authorize.code_issued",
            target=f"user:{user.id}",
            details={"client_id": client_id, "scope": scope or ""},
        )
    session.commit()
    return response  # type: ignore[no-any-return]


def _form_request(
    request: Request, runtime: RuntimeDep, path: str, params: dict[str, str | None]
) -> StarletteOAuth2Request:
    """The OAuth request; a ValueError (answered `invalid_request`) if a parameter holds a
    control character, which PostgreSQL cannot compare or store."""
    for value in params.values():
        if value is not None:
            refuse_control_characters(value)
    return StarletteOAuth2Request(
        method="POST",
        uri=runtime.settings.endpoint(path),
        headers=request.headers,  # type: ignore[arg-type]
        params={k: v for k, v in params.items() if v is not None},
    )


FormStr = Annotated[str | None, Form(max_length=2000)]


@public.post("/oauth/token", responses=OAUTH_ERRORS)
def token(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    grant_type: Annotated[str, Form(max_length=100)],
    context: AuditContextDep,
    code: FormStr = None,
    redirect_uri: FormStr = None,
    code_verifier: FormStr = None,
    refresh_token: FormStr = None,
    device_code: FormStr = None,
    scope: FormStr = None,
    client_id: FormStr = None,
    client_secret: FormStr = None,
) -> Response:
    """Token endpoint: authorization_code (+PKCE), refresh_token (rotating), client_credentials,
    and the device code (RFC 8628) a command-line tool polls with."""
    server = build_server(session=session, runtime=runtime, context=context)
    try:
        oauth_request = _form_request(
            request,
            runtime,
            "/oauth/token",
            {
                "grant_type": grant_type,
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
                "refresh_token": refresh_token,
                "device_code": device_code,
                "scope": scope,
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )
        response: Response = server.create_token_response(oauth_request)
    except ValueError:  # control characters, or ones Authlib refuses to echo in errors
        session.rollback()
        return malformed()
    if response.status_code >= 400 and not _still_waiting(response):
        server.audit(
            "token.refused",
            target=f"client:{client_id}" if client_id else None,
            outcome=audit.FAILURE,
            details={"grant_type": grant_type, "status": response.status_code},
        )
    session.commit()
    response.headers.update(NO_STORE)
    return response


def _still_waiting(response: Response) -> bool:
    """A device-code poll before the person decided: a normal answer, not a refused attempt
    (a tool polls every few seconds; each is not worth an audit record)."""
    if response.status_code != 400:
        return False
    try:
        error = json.loads(bytes(response.body)).get("error")
    except ValueError:
        return False
    return error in ("authorization_pending", "slow_down")


@public.post("/oauth/device_authorization", responses=OAUTH_ERRORS)
def device_authorization(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    client_id: FormStr = None,
    scope: FormStr = None,
) -> Response:
    """RFC 8628 device authorization: a device code for the tool, a user code and the SPA page
    (`verification_uri`) where the person approves it."""
    server = build_server(session=session, runtime=runtime, context=context)
    try:
        oauth_request = _form_request(
            request,
            runtime,
            "/oauth/device_authorization",
            {"client_id": client_id, "scope": scope},
        )
        response: Response = server.create_endpoint_response("device_authorization", oauth_request)
    except ValueError:  # control characters, or ones Authlib refuses to echo in errors
        session.rollback()
        return malformed()
    session.commit()
    response.headers.update(NO_STORE)
    return response


def _device_caller(principal: Principal, runtime: RuntimeDep) -> None:
    """People only, and not with a token a command-line sign-in gave: one tool's token must not
    approve the sign-in of another."""
    ensure_person(principal)
    if principal.client_id == runtime.settings.cli_client_id:
        raise Forbidden("approve command-line sign-ins from the SPA, not from another tool")


DEVICE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no pending sign-in has this code (counted as a wrong code)"},
    409: {"description": "the sign-in was approved or denied meanwhile"},
    429: {"description": "too many wrong codes: paused (Retry-After)"},
}


@protected.post("/oauth/device/verifications", responses=DEVICE_ERRORS)
def verify_device_code(
    body: DeviceCodeEntry,
    principal: CurrentPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> DeviceRequestPublic:
    """Which client a user code stands for, so the person knows what they approve."""
    _device_caller(principal, runtime)
    with keep_refusals(session):
        pending = device.find_pending(
            session,
            user_code=body.user_code,
            principal=principal,
            runtime=runtime,
            context=context,
            now=now,
        )
    session.commit()
    return DeviceRequestPublic(
        client_id=pending.client.client_id,
        client_name=pending.client.name,
        scope=pending.row.scope,
        expires_at=pending.row.expires_at,
    )


@protected.post("/oauth/device/decisions", responses=DEVICE_ERRORS)
def decide_device_code(
    body: DeviceDecision,
    principal: CurrentPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> DeviceDecisionPublic:
    """Approve or deny a command-line tool's sign-in; an approved tool gets this person's token
    (their roles and unit, the factors of this session) at its next poll."""
    _device_caller(principal, runtime)
    with keep_refusals(session):
        pending = device.find_pending(
            session,
            user_code=body.user_code,
            principal=principal,
            runtime=runtime,
            context=context,
            now=now,
        )
    row = device.decide(
        session,
        pending=pending,
        approve=body.decision == "approve",
        principal=principal,
        context=context,
        now=now,
    )
    session.commit()
    return DeviceDecisionPublic(
        client_id=pending.client.client_id,
        client_name=pending.client.name,
        scope=row.scope,
        expires_at=row.expires_at,
        decision=body.decision,
        decided_at=now,
    )


def _token_endpoint_response(
    endpoint: str,
    path: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContext,
    *,
    token: str,
    token_type_hint: str | None,
    client_id: str | None,
    client_secret: str | None,
) -> Response:
    """Authlib's `revocation` or `introspection` endpoint on a token, committed."""
    server = build_server(session=session, runtime=runtime, context=context)
    try:
        oauth_request = _form_request(
            request,
            runtime,
            path,
            {
                "token": token,
                "token_type_hint": token_type_hint,
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )
        response: Response = server.create_endpoint_response(endpoint, oauth_request)
    except ValueError:  # control characters, or ones Authlib refuses to echo in errors
        session.rollback()
        return malformed()
    session.commit()
    return response


@public.post("/oauth/revoke", responses=OAUTH_ERRORS)
def revoke(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    token: Annotated[str, Form(max_length=4000)],
    token_type_hint: FormStr = None,
    client_id: FormStr = None,
    client_secret: FormStr = None,
) -> Response:
    """RFC 7009: revoke an access or refresh token (a refresh token ends its whole family)."""
    return _token_endpoint_response(
        "revocation",
        "/oauth/revoke",
        request,
        session,
        runtime,
        context,
        token=token,
        token_type_hint=token_type_hint,
        client_id=client_id,
        client_secret=client_secret,
    )


@public.post("/oauth/introspect", responses=OAUTH_ERRORS)
def introspect(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    token: Annotated[str, Form(max_length=4000)],
    token_type_hint: FormStr = None,
    client_id: FormStr = None,
    client_secret: FormStr = None,
) -> Response:
    """RFC 7662 for confidential clients: whether a token is active, and its claims."""
    response = _token_endpoint_response(
        "introspection",
        "/oauth/introspect",
        request,
        session,
        runtime,
        context,
        token=token,
        token_type_hint=token_type_hint,
        client_id=client_id,
        client_secret=client_secret,
    )
    response.headers.update(NO_STORE)
    return response


@protected.get("/userinfo", responses={404: {"description": "the caller is not an officer"}})
def userinfo(principal: CurrentPrincipal, session: SessionDep) -> dict[str, Any]:
    """OIDC userinfo of the signed-in officer (name, unit, current roles)."""
    ensure_person(principal)
    user = officers.get_user(session, principal.subject)
    if not user.active:
        raise Forbidden("the account is deactivated")
    return dict(user_info(session, user))
