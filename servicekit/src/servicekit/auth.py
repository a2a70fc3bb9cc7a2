"""Access tokens (verified with Authlib's joserfc against the access service's JWKS), principals.

Every route depends on `CurrentPrincipal`; role and scope checks live here so each service
states *what* it requires and never re-implements *how* it is checked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel, Field

from servicekit.errors import Forbidden, Problem
from servicekit.events.revocations import RevocationList
from servicekit.telemetry import internal_client

ALGORITHMS = ["ES256", "RS256"]


class Role(StrEnum):
    """Authority codes (seed 2 section 4); granted by the access service on approval."""

    SUPERVISORY_OFFICER = "supervisory_officer"
    HEAD_OF_SUBDEPARTMENT = "head_of_subdepartment"
    USER_ADMINISTRATOR = "user_administrator"
    IT_OPERATOR = "it_operator"
    AUDITOR = "auditor"
    EPE_CLIENT = "epe_client"
    CUSTOMS_SYSTEM = "customs_system"


OFFICER_ROLES = frozenset(
    {Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT, Role.USER_ADMINISTRATOR, Role.AUDITOR}
)


class Principal(BaseModel):
    """Who is calling: a person (officer) or a machine client (EPE vendor, customs system)."""

    subject: str
    roles: frozenset[str] = Field(default_factory=frozenset)
    unit: str | None = None
    epe_id: str | None = None
    client_id: str | None = None
    token_id: str | None = None
    auth_time: int | None = None
    amr: tuple[str, ...] = ()
    name: str | None = None

    def has(self, *roles: str) -> bool:
        """Whether the principal holds any of the roles."""
        return any(r in self.roles for r in roles)

    @property
    def is_epe(self) -> bool:
        return Role.EPE_CLIENT in self.roles

    @property
    def is_officer(self) -> bool:
        return bool(self.roles & OFFICER_ROLES)

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        """Map JWT claims (see the access service's token contract) to a principal."""
        return cls(
            subject=str(claims["sub"]),
            roles=frozenset(claims.get("roles", ())),
            unit=claims.get("unit"),
            epe_id=claims.get("epe_id"),
            client_id=claims.get("client_id") or claims.get("azp"),
            token_id=claims.get("jti"),
            auth_time=claims.get("auth_time"),
            amr=tuple(claims.get("amr", ())),
            name=claims.get("name"),
        )


def unauthorized(detail: str) -> Problem:
    """401 with the bearer challenge the OAuth 2 spec asks for."""
    return Problem(
        401, "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="camwatch"'}
    )


class TokenVerifier:
    """Verifies access tokens against a JWKS, caching keys and refetching on an unknown kid."""

    def __init__(
        self,
        *,
        jwks_url: str | None = None,
        issuer: str | None,
        audience: str | None,
        keys: KeySet | None = None,
        refresh_interval: float = 300.0,
        min_refetch_interval: float = 10.0,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self._keys = keys
        self._fetched_at = 0.0 if keys is None else float("inf")
        self._refresh_interval = refresh_interval
        self._min_refetch = min_refetch_interval
        self._lock = asyncio.Lock()

    async def _load_keys(self, *, force: bool = False) -> KeySet:
        now = time.monotonic()
        stale = now - self._fetched_at > self._refresh_interval
        if self._keys is not None and not stale and not force:
            return self._keys
        async with self._lock:
            if self._keys is not None and time.monotonic() - self._fetched_at < self._min_refetch:
                return self._keys
            if self.jwks_url is None:
                raise unauthorized("no key set is configured to verify tokens")
            try:
                async with internal_client(timeout=5.0) as client:
                    response = await client.get(self.jwks_url)
                    response.raise_for_status()
            except httpx.HTTPError as exc:
                if self._keys is not None:
                    return self._keys
                raise Problem(503, "Service Unavailable", "token keys cannot be fetched") from exc
            self._keys = KeySet.import_key_set(response.json())
            self._fetched_at = time.monotonic()
            return self._keys

    def _decode(self, token: str, keys: KeySet) -> dict[str, Any]:
        options: dict[str, Any] = {"exp": {"essential": True}, "sub": {"essential": True}}
        if self.issuer:
            options["iss"] = {"essential": True, "value": self.issuer}
        if self.audience:
            options["aud"] = {"essential": True, "value": self.audience}
        decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(leeway=5, **options).validate(decoded.claims)
        return dict(decoded.claims)

    async def verify(self, token: str) -> dict[str, Any]:
        """Return the token's validated claims or raise a 401 problem."""
        keys = await self._load_keys()
        try:
            return self._decode(token, keys)
        except InvalidKeyIdError:
            # Unknown kid: the access service may have rotated keys since we fetched.
            keys = await self._load_keys(force=True)
            try:
                return self._decode(token, keys)
            except (JoseError, ValueError, TypeError, KeyError) as exc:
                raise unauthorized("access token is not valid") from exc
        except JoseError as exc:
            raise unauthorized(f"access token is not valid: {exc.error}") from exc
        except (ValueError, TypeError, KeyError) as exc:  # malformed header or claims
            raise unauthorized("access token is malformed") from exc


def bearer_token(request: Request) -> str:
    """The bearer token of the request, or a 401."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("a bearer access token is required")
    return token.strip()


async def get_principal(request: Request) -> Principal:
    """FastAPI dependency: verify the bearer token, refuse it if revoked (the app's
    `RevocationList`, fed by the event runtime), and return the caller."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    verifier: TokenVerifier = request.app.state.token_verifier
    claims = await verifier.verify(bearer_token(request))
    revocations: RevocationList | None = getattr(request.app.state, "revocations", None)
    if revocations is not None and revocations.refuses(claims):
        raise unauthorized("access token has been revoked")
    principal = Principal.from_claims(claims)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Dependency factory: the caller must hold at least one of the roles."""

    async def _check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(*roles):
            raise Forbidden(f"this action requires one of the roles: {', '.join(roles)}")
        return principal

    return _check


def ensure_epe_access(principal: Principal, *, epe_id: str, unit: str | None) -> None:
    """An EPE client sees only itself; an officer only EPEs of their unit; customs systems all."""
    if principal.is_epe:
        if principal.epe_id != epe_id:
            raise Forbidden("an EPE client may act only on its own enterprise")
        return
    if principal.has(Role.CUSTOMS_SYSTEM):
        return
    if principal.is_officer or principal.has(Role.IT_OPERATOR):
        if unit is None or principal.unit != unit:
            raise Forbidden("this enterprise is supervised by another customs unit")
        return
    raise Forbidden("the caller has no role that may see enterprise data")
