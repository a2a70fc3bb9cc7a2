"""Authlib's authorization server, integrated with FastAPI/Starlette requests and our tables.

A server is assembled per request (it is cheap) around the request's database session, so
Authlib's callbacks (`query_client`, `save_authorization_code`, ...) use that transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Payload,
    OAuth2Request,
    UnauthorizedClientError,
    grants,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc8628 import (
    DeviceAuthorizationEndpoint,
    DeviceCodeGrant,
    DeviceCredentialMixin,
)
from authlib.oidc.core import OpenIDCode, UserInfo
from fastapi.responses import JSONResponse, Response
from sqlalchemy import update
from sqlmodel import Session, col, select

from access.audit import service as audit
from access.authority import service as authority
from access.clients.service import RegisteredClient, find_client, unit_mismatch
from access.context import AuditContext
from access.crypto.hashing import digest
from access.db import as_utc
from access.keys import service as signing
from access.oauth import tokens
from access.oauth.device import user_code_digest
from access.oauth.models import (
    AuthorizationCode,
    DeviceCode,
    DeviceStatus,
    IssuedAccessToken,
    RefreshToken,
)
from access.officers.models import Unit, User
from access.runtime import Runtime
from servicekit.errors import PROBLEM_BASE
from servicekit.ids import new_id
from servicekit.inputs import refuse_control_characters


class FormPayload(OAuth2Payload):  # type: ignore[misc]
    """Parameters of an OAuth request (query for GET, form body for POST)."""

    def __init__(self, data: dict[str, str]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in self._data.items():
            values[key].append(value)
        return values


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]
    """An OAuth2Request built from a Starlette request's already-parsed parameters.

    Transport security is enforced where TLS terminates (the gateway/ingress; the issuer must
    be https in production), so Authlib's per-request URL check is not repeated here.
    """

    def __init__(
        self, *, method: str, uri: str, headers: dict[str, str], params: dict[str, str]
    ) -> None:
        self.method = method
        self.uri = uri
        self.headers = headers
        self._body = None
        self.payload = FormPayload(params)
        self._params = params
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None

    @property
    def args(self) -> dict[str, str]:
        return self._params if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self._params if self.method != "GET" else {}


# Authlib model adapters -------------------------------------------------------------------------


class CodeRecord:
    """AuthorizationCodeMixin (and the OIDC extras) over an `oauth_codes` row."""

    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri or None

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return self.row.auth_time

    def get_amr(self) -> list[str]:
        return list(self.row.amr)

    def get_acr(self) -> str | None:
        return None


class TokenRecord:
    """TokenMixin over a refresh token or an issued access token."""

    def __init__(
        self,
        *,
        kind: str,
        client_id: str,
        scope: str,
        expires_at: datetime,
        revoked: bool,
        now: datetime,
        refresh: RefreshToken | None = None,
        access: IssuedAccessToken | None = None,
        claims: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.client_id = client_id
        self.scope = scope
        self.expires_at = as_utc(expires_at)
        self.revoked = revoked
        self.now = now
        self.refresh = refresh
        self.access = access
        self.claims = claims or {}

    def check_client(self, client: ClientMixin) -> bool:
        return bool(self.client_id == client.get_client_id())

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.expires_at - self.now).total_seconds()))

    def is_expired(self) -> bool:
        return self.expires_at <= self.now

    def is_revoked(self) -> bool:
        return self.revoked


# Grants ----------------------------------------------------------------------------------------


class PkceS256(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only; mandatory for public clients already at /authorize."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        client: RegisteredClient = grant.request.client
        if client.public and not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256)")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """Authorization code grant over `oauth_codes`; codes are hashed and single-use."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]
    server: AccessAuthorizationServer

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        server = self.server
        grantee: tokens.Grantee = request.user
        data = request.payload.data
        server.session.add(
            AuthorizationCode(
                digest=digest(code),
                client_id=request.client.get_client_id(),
                user_id=grantee.user.id,
                redirect_uri=request.payload.redirect_uri or "",
                scope=request.scope or "",
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                nonce=data.get("nonce"),
                auth_time=grantee.auth_time,
                amr=list(grantee.amr),
                family_id=grantee.family_id,
                created_at=server.now,
                expires_at=server.now
                + timedelta(seconds=server.runtime.settings.authorization_code_ttl),
            )
        )

    def query_authorization_code(self, code: str, client: ClientMixin) -> CodeRecord | None:
        server = self.server
        row = server.session.get(AuthorizationCode, digest(code))
        if row is None or row.client_id != client.get_client_id():
            return None
        if row.used_at is not None:
            # RFC 6749 4.1.2: a code used twice revokes what was issued from it.
            tokens.revoke_family(
                server.session, family_id=row.family_id, now=server.now, reason="code_reused"
            )
            server.audit(
                "token.code_reused",
                target=f"user:{row.user_id}",
                outcome=audit.REFUSED,
                details={"client_id": row.client_id, "family_id": row.family_id},
            )
            return None
        if as_utc(row.expires_at) <= server.now:
            return None
        return CodeRecord(row)

    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        authorization_code.row.used_at = self.server.now
        self.server.session.add(authorization_code.row)

    def authenticate_user(self, authorization_code: CodeRecord) -> tokens.Grantee | None:
        row = authorization_code.row
        user = self.server.session.get(User, row.user_id)
        if user is None or not user.active:
            return None
        return tokens.Grantee(
            user=user,
            auth_time=row.auth_time,
            amr=list(row.amr),
            family_id=row.family_id,
            nonce=row.nonce,
        )


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """Refresh with rotation; a rotated-out token presented again revokes its whole family."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: AccessAuthorizationServer

    def authenticate_refresh_token(self, refresh_token: str) -> TokenRecord | None:
        server = self.server
        found = tokens.lookup_refresh_token(server.session, token=refresh_token, now=server.now)
        if found.token is None:
            return None
        row = found.token
        if found.reused:
            tokens.revoke_family(
                server.session, family_id=row.family_id, now=server.now, reason="refresh_reused"
            )
            server.audit(
                "token.refresh_reused",
                target=f"user:{row.user_id}",
                outcome=audit.REFUSED,
                details={"client_id": row.client_id, "family_id": row.family_id},
            )
            return None
        return TokenRecord(
            kind="refresh_token",
            client_id=row.client_id,
            scope=row.scope,
            expires_at=row.expires_at,
            revoked=False,
            now=server.now,
            refresh=row,
        )

    def authenticate_user(self, refresh_token: TokenRecord) -> tokens.Grantee | None:
        row = refresh_token.refresh
        assert row is not None
        user = self.server.session.get(User, row.user_id)
        if user is None or not user.active:
            return None
        return tokens.Grantee(
            user=user, auth_time=row.auth_time, amr=list(row.amr), family_id=row.family_id
        )

    def revoke_old_credential(self, refresh_token: TokenRecord) -> None:
        row = refresh_token.refresh
        assert row is not None
        row.used_at = self.server.now
        self.server.session.add(row)


class ClientCredentials(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """Machine clients (customs systems, EPE vendor software) authenticate with their secret."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self) -> None:
        """Also refuse an EPE vendor client bound to another unit than the registry gives its
        EPE: its tokens would carry the wrong unit (see docs/access.md)."""
        super().validate_token_request()
        client: RegisteredClient = self.request.client
        registered = unit_mismatch(
            self.server.session, kind=client.kind, epe_id=client.epe_id, unit=client.unit
        )
        if registered is not None:
            raise UnauthorizedClientError(
                f"the registry places EPE {client.epe_id} under {registered}, not {client.unit}; "
                "a user administrator must give the EPE a client bound to that unit"
            )


class DeviceAuthorization(DeviceAuthorizationEndpoint):  # type: ignore[misc]
    """RFC 8628 section 3.1-3.2: a device code and a user code (`XXXX-XXXX`, Authlib's
    consonant alphabet) for a client allowed the grant; both stored only as digests."""

    CLIENT_AUTH_METHODS = ["none"]
    server: AccessAuthorizationServer

    def __init__(self, server: AccessAuthorizationServer) -> None:
        super().__init__(server)
        settings = server.runtime.settings
        self.EXPIRES_IN = settings.device_code_ttl
        self.INTERVAL = settings.device_code_interval

    def authenticate_client(self, request: OAuth2Request) -> RegisteredClient:
        client: RegisteredClient = super().authenticate_client(request)
        if not client.check_grant_type(DeviceCodeGrant.GRANT_TYPE):
            raise UnauthorizedClientError("this client may not use the device authorization grant")
        return client

    def get_verification_uri(self) -> str:
        return self.server.runtime.settings.verification_uri

    def save_device_credential(
        self, client_id: str, scope: str | None, data: dict[str, Any]
    ) -> None:
        server = self.server
        client = server.query_client(client_id)
        assert client is not None  # authenticated just before
        granted = client.get_allowed_scope(scope)
        server.session.add(
            DeviceCode(
                digest=digest(data["device_code"]),
                user_code_digest=user_code_digest(data["user_code"]),
                client_id=client_id,
                scope=granted,
                interval=self.INTERVAL,
                created_at=server.now,
                expires_at=server.now + timedelta(seconds=self.EXPIRES_IN),
            )
        )
        server.audit(
            "device.requested",
            target=f"client:{client_id}",
            details={"client_id": client_id, "scope": granted},
        )


class DeviceRecord(DeviceCredentialMixin):  # type: ignore[misc]
    """DeviceCredentialMixin over an `oauth_device_codes` row. Only digests are stored, so the
    "user code" Authlib hands back to `query_user_grant` is the row's user-code digest."""

    def __init__(self, row: DeviceCode, now: datetime) -> None:
        self.row = row
        self.now = now

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_user_code(self) -> str:
        return self.row.user_code_digest

    def is_expired(self) -> bool:
        return as_utc(self.row.expires_at) <= self.now


class DeviceGrant(DeviceCodeGrant):  # type: ignore[misc]
    """RFC 8628 section 3.4-3.5 over `oauth_device_codes`: pending, slow_down (the interval
    grows by 5 s for good), access_denied, expired_token; a device code gives one token."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]
    SLOW_DOWN_STEP = 5
    server: AccessAuthorizationServer

    def query_device_credential(self, device_code: str) -> DeviceRecord | None:
        row = self.server.session.get(DeviceCode, digest(device_code))
        if row is None:
            return None
        if row.used_at is not None:
            raise InvalidGrantError("this device code was already used")
        return DeviceRecord(row, self.server.now)

    def query_user_grant(self, user_code: str) -> tuple[tokens.Grantee | None, bool] | None:
        server = self.server
        row = server.session.exec(
            select(DeviceCode).where(DeviceCode.user_code_digest == user_code)
        ).first()
        if row is None or row.status == DeviceStatus.PENDING or row.user_id is None:
            return None
        user = server.session.get(User, row.user_id)
        if row.status == DeviceStatus.DENIED or user is None or not user.active:
            return None, False
        grantee = tokens.Grantee(
            user=user,
            auth_time=row.auth_time or int(server.now.timestamp()),
            amr=list(row.amr),
            family_id=new_id(),
        )
        return grantee, True

    def should_slow_down(self, credential: DeviceRecord) -> bool:
        row, now = credential.row, self.server.now
        last, row.last_polled_at = row.last_polled_at, now
        too_soon = last is not None and (now - as_utc(last)).total_seconds() < row.interval
        if too_soon:
            row.interval += self.SLOW_DOWN_STEP
        self.server.session.add(row)
        return too_soon

    def create_token_response(self) -> tuple[int, Any, Any]:
        """Issue the approving person's token once: the device code is spent with it."""
        record: DeviceRecord = self.request.credential
        spent = self.server.session.execute(  # two polls at once: only one spends the code
            update(DeviceCode)
            .where(col(DeviceCode.digest) == record.row.digest)
            .where(col(DeviceCode.used_at).is_(None))
            .values(used_at=self.server.now)
        )
        if getattr(spent, "rowcount", 0) != 1:
            raise InvalidGrantError("this device code was already used")
        result: tuple[int, Any, Any] = super().create_token_response()
        self.server.audit(
            "device.token_issued",
            target=f"user:{record.row.user_id}",
            details={"client_id": record.row.client_id},
        )
        return result


class OpenIDTokens(OpenIDCode):  # type: ignore[misc]
    """ID tokens for the SPA (scope openid), signed with the current signing key."""

    def __init__(self, server: AccessAuthorizationServer) -> None:
        super().__init__(require_nonce=False)
        self.server = server

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        found = self.server.session.exec(
            select(AuthorizationCode)
            .where(AuthorizationCode.nonce == nonce)
            .where(AuthorizationCode.client_id == request.payload.client_id)
        ).first()
        return found is not None

    def resolve_client_private_key(self, client: ClientMixin) -> Any:
        return self.server.signing_key().key

    def get_client_algorithm(self, client: ClientMixin) -> str:
        return signing.ALGORITHM

    def get_encode_header(self, client: ClientMixin) -> dict[str, str]:
        return {"alg": signing.ALGORITHM, "kid": self.server.signing_key().kid}

    def get_client_claims(self, client: ClientMixin) -> dict[str, Any]:
        issued = int(self.server.now.timestamp())
        return {
            "iss": self.server.runtime.settings.oidc_issuer,
            "aud": [client.get_client_id()],
            "iat": issued,
            "exp": issued + self.server.runtime.settings.access_token_ttl,
        }

    def generate_user_info(self, user: tokens.Grantee, scope: str) -> UserInfo:
        return user_info(self.server.session, user.user)


def user_info(session: Session, user: User) -> UserInfo:
    """OIDC claims about an officer (also served by /userinfo)."""
    unit = session.get(Unit, user.unit)
    return UserInfo(
        sub=user.id,
        name=user.full_name,
        preferred_username=user.username,
        unit=user.unit,
        unit_name=unit.name if unit else None,
        roles=authority.active_roles(session, user),
    )


# Revocation and introspection ------------------------------------------------------------------


def _find_token(
    server: AccessAuthorizationServer, value: str, hint: str | None
) -> TokenRecord | None:
    session, now = server.session, server.now
    if hint != "access_token":
        row = session.get(RefreshToken, digest(value))
        if row is not None:
            return TokenRecord(
                kind="refresh_token",
                client_id=row.client_id,
                scope=row.scope,
                expires_at=row.expires_at,
                revoked=row.revoked_at is not None or row.used_at is not None,
                now=now,
                refresh=row,
            )
    if hint != "refresh_token" and value.count(".") == 2:
        claims = tokens.decode_access_token(session, value, runtime=server.runtime, now=now)
        if claims is not None:
            record = tokens.access_token_record(session, str(claims.get("jti", "")))
            if record is not None:
                return TokenRecord(
                    kind="access_token",
                    client_id=record.client_id,
                    scope=record.scope,
                    expires_at=record.expires_at,
                    revoked=record.revoked_at is not None,
                    now=now,
                    access=record,
                    claims=claims,
                )
    return None


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009: revoking a refresh token ends its family; an access token just itself."""

    CLIENT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]
    server: AccessAuthorizationServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRecord | None:
        return _find_token(self.server, token_string, token_type_hint)

    def revoke_token(self, token: TokenRecord, request: OAuth2Request) -> None:
        server = self.server
        if token.refresh is not None:
            tokens.revoke_family(
                server.session, family_id=token.refresh.family_id, now=server.now, reason="revoked"
            )
            target = f"user:{token.refresh.user_id}"
        else:
            assert token.access is not None
            tokens.revoke_access_token(server.session, row=token.access, now=server.now)
            target = f"token:{token.access.jti}"
        server.audit("token.revoked", target=target, details={"token_type": token.kind})


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    """RFC 7662 for confidential clients: their own tokens; resource servers any token."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    server: AccessAuthorizationServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRecord | None:
        return _find_token(self.server, token_string, token_type_hint)

    def check_permission(self, token: TokenRecord, client: RegisteredClient, request: Any) -> bool:
        return client.kind == "resource_server" or token.client_id == client.client_id

    def introspect_token(self, token: TokenRecord) -> dict[str, Any]:
        settings = self.server.runtime.settings
        body: dict[str, Any] = {
            "active": True,
            "token_type": token.kind,
            "client_id": token.client_id,
            "scope": token.scope,
            "exp": int(token.expires_at.timestamp()),
            "iss": settings.oidc_issuer,
        }
        if token.access is not None:
            claims = token.claims
            body.update(
                {
                    "sub": claims.get("sub"),
                    "aud": claims.get("aud"),
                    "iat": claims.get("iat"),
                    "jti": claims.get("jti"),
                    "roles": claims.get("roles", []),
                    "unit": claims.get("unit"),
                }
            )
            if "epe_id" in claims:
                body["epe_id"] = claims["epe_id"]
        elif token.refresh is not None:
            body.update(
                {"sub": token.refresh.user_id, "iat": int(token.refresh.issued_at.timestamp())}
            )
        return body


# The server ------------------------------------------------------------------------------------


class AccessAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """The camwatch authorization server bound to one request's session and time."""

    def __init__(
        self, *, session: Session, runtime: Runtime, context: AuditContext, now: datetime
    ) -> None:
        super().__init__(scopes_supported=["openid", "profile"])
        self.session = session
        self.runtime = runtime
        self.context = context
        self.now = now
        self._signing_key: signing.ActiveKey | None = None
        self.register_token_generator("default", self.generate_bearer_token)
        self.register_grant(CodeGrant, [PkceS256(required=True), OpenIDTokens(self)])
        self.register_grant(RefreshGrant)
        self.register_grant(ClientCredentials)
        self.register_grant(DeviceGrant)
        self.register_endpoint(DeviceAuthorization(self))
        self.register_endpoint(Revocation(self))
        self.register_endpoint(Introspection(self))

    def signing_key(self) -> signing.ActiveKey:
        if self._signing_key is None:
            self._signing_key = signing.active_key(self.session, runtime=self.runtime, now=self.now)
        return self._signing_key

    def audit(
        self,
        action: str,
        *,
        target: str | None,
        outcome: str = audit.SUCCESS,
        details: dict[str, Any] | None = None,
    ) -> None:
        audit.record(
            self.session,
            context=self.context,
            action=action,
            target=target,
            outcome=outcome,
            occurred_at=self.now,
            details=details,
        )

    def query_client(self, client_id: str) -> RegisteredClient | None:
        """The client, or None; an id with control characters (HTTP Basic is decoded by Authlib,
        past the route's checks) is unknown without asking the database."""
        try:
            refuse_control_characters(client_id)
        except ValueError:
            return None
        return find_client(self.session, client_id, runtime=self.runtime)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Tokens are recorded while they are generated (see generate_bearer_token)."""

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        raise TypeError("build a StarletteOAuth2Request in the route")

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError("no JSON endpoints")

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's signals are not used; everything is audited explicitly."""

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        header_map = dict(headers)
        if isinstance(body, dict):
            if "error" in body:
                body = oauth_error_body(status, body)
            header_map.pop("Content-Type", None)
            return JSONResponse(body, status_code=status, headers=header_map)
        return Response(body or b"", status_code=status, headers=header_map)

    def generate_bearer_token(
        self,
        grant_type: str,
        client: RegisteredClient,
        user: tokens.Grantee | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """Access token (JWT), refresh token (rotating family) for the SPA, scope."""
        scope = client.get_allowed_scope(scope)
        if user is not None:
            roles = authority.active_roles(self.session, user.user)
            subject = tokens.TokenSubject(
                subject=user.user.id,
                client_id=client.client_id,
                roles=roles,
                unit=user.user.unit,
                name=user.user.full_name,
                username=user.user.username,
                auth_time=user.auth_time,
                amr=user.amr,
                family_id=user.family_id,
            )
        else:
            subject = tokens.TokenSubject(
                subject=client.client_id,
                client_id=client.client_id,
                roles=list(client.roles),
                unit=client.unit,
                epe_id=client.epe_id,
                auth_time=int(self.now.timestamp()),
            )
        access_token, ttl = tokens.mint_access_token(
            self.session, subject=subject, scope=scope, runtime=self.runtime, now=self.now
        )
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access_token,
            "expires_in": ttl,
        }
        if scope:
            body["scope"] = scope
        if user is not None and include_refresh_token:
            body["refresh_token"] = tokens.issue_refresh_token(
                self.session,
                grantee=user,
                client_id=client.client_id,
                scope=scope,
                runtime=self.runtime,
                now=self.now,
            )
        self.audit(
            "token.issued",
            target=f"user:{subject.subject}" if user is not None else f"client:{client.client_id}",
            details={
                "grant_type": grant_type,
                "client_id": client.client_id,
                "roles": subject.roles,
            },
        )
        return body


def oauth_error_body(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """RFC 6749 error members plus RFC 9457 problem members, so both kinds of client cope."""
    error = str(body.get("error"))
    return {
        **body,
        "type": PROBLEM_BASE + "oauth/" + error.replace("_", "-"),
        "title": error.replace("_", " ").capitalize(),
        "status": status,
        "detail": body.get("error_description") or error,
    }


def build_server(
    *, session: Session, runtime: Runtime, context: AuditContext
) -> AccessAuthorizationServer:
    """A server for one request."""
    return AccessAuthorizationServer(
        session=session, runtime=runtime, context=context, now=runtime.clock.now()
    )
