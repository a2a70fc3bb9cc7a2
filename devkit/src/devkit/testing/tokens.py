"""Mint access tokens signed by a throw-away key, as the access service would, for route tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from servicekit.auth import Role, TokenVerifier

ISSUER = "http://camwatch.test/api/access"
AUDIENCE = "camwatch"


class TokenFactory:
    """Signs tokens with an ES256 key and hands out a verifier that trusts only that key."""

    def __init__(
        self, *, issuer: str = ISSUER, audience: str = AUDIENCE, kid: str | None = None
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.kid = kid or uuid.uuid4().hex[:12]
        self.key = ECKey.generate_key("P-256", parameters={"kid": self.kid})

    @property
    def key_set(self) -> KeySet:
        return KeySet([self.key])

    def jwks(self) -> dict[str, Any]:
        """The public JWKS document."""
        return {"keys": [self.key.as_dict(private=False)]}

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(issuer=self.issuer, audience=self.audience, keys=self.key_set)

    def issue(
        self,
        *,
        subject: str = "officer-1",
        roles: Iterable[str] = (Role.SUPERVISORY_OFFICER,),
        unit: str | None = "HQ-KCX",
        epe_id: str | None = None,
        ttl: int = 300,
        **extra: Any,
    ) -> str:
        """A signed access token with the claims the access service puts in its tokens."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            "roles": sorted(str(r) for r in roles),
            "unit": unit,
            "auth_time": now,
            **extra,
        }
        if epe_id is not None:
            claims["epe_id"] = epe_id
        return jwt.encode({"alg": "ES256", "kid": self.kid}, claims, self.key)

    def headers(self, **kwargs: Any) -> dict[str, str]:
        """An Authorization header for `issue(**kwargs)`."""
        return {"Authorization": f"Bearer {self.issue(**kwargs)}"}
