"""Token checks at the edge: verified tokens are cached until they expire, public paths pass.

Verifying an ES256/RS256 signature costs far more than proxying a small request, and a
client sends the same token many times, so the gateway verifies a token once and keeps the
result (bounded LRU, each entry dropped at the token's `exp`). The services verify the
token again (defence in depth); the gateway's job is to refuse unauthenticated traffic
before it reaches them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cachetools import TLRUCache
from pydantic import ValidationError

from servicekit.auth import Principal, TokenVerifier, unauthorized
from servicekit.errors import Problem
from servicekit.events.revocations import RevocationList


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller as far as the gateway needs to know it."""

    subject: str
    client_id: str | None
    expires_at: float
    principal: Principal
    """Roles, unit and EPE of the token: what the live channel filters by."""
    revocation_claims: dict[str, Any]
    """`sub`, `jti` and `iat`: what `RevocationList.refuses` looks at."""


def _expiry(_key: str, caller: Caller, _now: float) -> float:
    return caller.expires_at


class CachedTokenVerifier:
    """Wraps `servicekit.auth.TokenVerifier` with a cache keyed by the token string."""

    def __init__(
        self,
        verifier: TokenVerifier,
        *,
        maxsize: int,
        clock: Callable[[], float] = time.time,
        revocations: RevocationList | None = None,
    ) -> None:
        self.verifier = verifier
        self.revocations = revocations
        self._cache: TLRUCache[str, Caller] | None = (
            TLRUCache(maxsize=maxsize, ttu=_expiry, timer=clock) if maxsize > 0 else None
        )

    async def verify(self, token: str) -> Caller:
        """The caller the token belongs to, or a 401 problem (also for a revoked token)."""
        cache = self._cache
        caller = cache.get(token) if cache is not None else None
        if caller is None:
            claims = await self.verifier.verify(token)
            caller = caller_from_claims(claims)
            if cache is not None:
                cache[token] = caller
        if self.refuses(caller):
            raise unauthorized("access token has been revoked")
        return caller

    def refuses(self, caller: Caller) -> bool:
        """Whether the access service revoked the caller's token (two dictionary lookups;
        nothing at all while no revocation is pending)."""
        revocations = self.revocations
        return (
            bool(revocations)
            and revocations is not None
            and revocations.refuses(caller.revocation_claims)
        )

    def __len__(self) -> int:
        return 0 if self._cache is None else len(self._cache)


def caller_from_claims(claims: dict[str, Any]) -> Caller:
    """The cached part of a verified token's claims."""
    try:
        return Caller(
            subject=str(claims["sub"]),
            client_id=claims.get("client_id") or claims.get("azp"),
            expires_at=float(claims["exp"]),
            principal=Principal.from_claims(claims),
            revocation_claims={k: claims[k] for k in ("sub", "jti", "iat") if k in claims},
        )
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        raise Problem(
            401,
            "Unauthorized",
            "access token is malformed",
            headers={"WWW-Authenticate": 'Bearer realm="camwatch"'},
        ) from exc


def bearer(value: bytes) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value, if it is one."""
    scheme, _, token = value.partition(b" ")
    if scheme.lower() != b"bearer":
        return None
    token = token.strip()
    return token.decode("latin-1") if token else None


def compile_public_paths(patterns: Iterable[str]) -> re.Pattern[str]:
    """One regex for every public path pattern: `*` stays within a segment, `**` does not."""
    parts = []
    for pattern in patterns:
        pieces = [
            ".*" if piece == "**" else "[^/]*" if piece == "*" else re.escape(piece)
            for piece in re.split(r"(\*\*|\*)", pattern)
            if piece
        ]
        parts.append("".join(pieces))
    if not parts:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile("(?:" + "|".join(parts) + r")\Z")
