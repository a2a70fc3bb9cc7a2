"""Verifying this service's own access tokens straight from its database (no HTTP to itself),
and refusing revoked ones (other services see revocation through introspection or expiry)."""

from __future__ import annotations

import time
from typing import Any, cast

from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from access.keys import service as signing
from access.oauth import tokens
from access.runtime import Runtime
from servicekit.auth import TokenVerifier, unauthorized


class LocalTokenVerifier(TokenVerifier):
    """A TokenVerifier whose key set is read from the signing-key table (cached briefly)."""

    def __init__(self, *, engine: Engine, runtime: Runtime, cache_seconds: float = 5.0) -> None:
        settings = runtime.settings
        super().__init__(issuer=settings.oidc_issuer, audience=settings.token_audience)
        self.engine = engine
        self.runtime = runtime
        self.cache_seconds = cache_seconds
        self._cached: KeySet | None = None
        self._cached_at = 0.0

    def _read_keys(self) -> KeySet:
        with Session(self.engine) as session:
            document = signing.jwks(session, runtime=self.runtime, now=self.runtime.clock.now())
        return KeySet.import_key_set(cast(Any, document))

    async def _load_keys(self, *, force: bool = False) -> KeySet:
        fresh = time.monotonic() - self._cached_at < self.cache_seconds
        if self._cached is None or force or not fresh:
            self._cached = await run_in_threadpool(self._read_keys)
            self._cached_at = time.monotonic()
        return self._cached

    def _decode(self, token: str, keys: KeySet) -> dict[str, Any]:
        """Signature and claims, checked against this service's own clock."""
        options: dict[str, Any] = {
            "exp": {"essential": True},
            "sub": {"essential": True},
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": self.audience},
        }
        decoded = jwt.decode(token, keys, algorithms=[signing.ALGORITHM])
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self.runtime.clock.now().timestamp()), leeway=5, **options
        )
        registry.validate(decoded.claims)
        return dict(decoded.claims)

    def _revoked(self, jti: str | None) -> bool:
        with Session(self.engine) as session:
            return tokens.is_revoked(session, jti)

    async def verify(self, token: str) -> dict[str, Any]:
        claims = await super().verify(token)
        if await run_in_threadpool(self._revoked, claims.get("jti")):
            raise unauthorized("the access token has been revoked")
        return claims
