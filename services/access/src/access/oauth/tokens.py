"""Issuing and tracking tokens: JWT access tokens, rotating refresh-token families."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from access.crypto.hashing import digest, new_secret
from access.db import as_utc
from access.keys import service as signing
from access.oauth.models import IssuedAccessToken, RefreshToken
from access.officers.models import User
from access.runtime import Runtime
from servicekit.events import add_event
from servicekit.events.revocations import TokensRevoked


@dataclass
class Grantee:
    """The signed-in officer an authorization code or refresh token stands for."""

    user: User
    auth_time: int
    amr: list[str]
    family_id: str
    roles: list[str] = field(default_factory=list)
    nonce: str | None = None

    def get_user_id(self) -> str:
        return self.user.id


@dataclass
class TokenSubject:
    """Everything that goes into an access token."""

    subject: str
    client_id: str
    roles: list[str]
    unit: str | None
    epe_id: str | None = None
    name: str | None = None
    username: str | None = None
    auth_time: int | None = None
    amr: list[str] = field(default_factory=list)
    family_id: str | None = None


def mint_access_token(
    session: Session, *, subject: TokenSubject, scope: str, runtime: Runtime, now: datetime
) -> tuple[str, int]:
    """A signed ES256 JWT with the claims `servicekit.auth.Principal.from_claims` reads."""
    settings = runtime.settings
    ttl = settings.access_token_ttl
    key = signing.active_key(session, runtime=runtime, now=now)
    issued = int(now.timestamp())
    jti = uuid.uuid4().hex
    claims: dict[str, Any] = {
        "iss": settings.oidc_issuer,
        "aud": settings.token_audience,
        "sub": subject.subject,
        "iat": issued,
        "exp": issued + ttl,
        "jti": jti,
        "client_id": subject.client_id,
        "roles": sorted(subject.roles),
        "unit": subject.unit,
        "auth_time": subject.auth_time if subject.auth_time is not None else issued,
    }
    if subject.epe_id is not None:
        claims["epe_id"] = subject.epe_id
    if subject.amr:
        claims["amr"] = list(subject.amr)
    if subject.name:
        claims["name"] = subject.name
    if subject.username:
        claims["preferred_username"] = subject.username
    if scope:
        claims["scope"] = scope
    token = jwt.encode({"alg": signing.ALGORITHM, "kid": key.kid, "typ": "at+jwt"}, claims, key.key)
    session.add(
        IssuedAccessToken(
            jti=jti,
            family_id=subject.family_id,
            client_id=subject.client_id,
            subject=subject.subject,
            scope=scope,
            issued_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    return token, ttl


def issue_refresh_token(
    session: Session,
    *,
    grantee: Grantee,
    client_id: str,
    scope: str,
    runtime: Runtime,
    now: datetime,
) -> str:
    """A new refresh token in the grantee's family; the family ends one shift after sign-in."""
    token = new_secret(32)
    family_end = datetime.fromtimestamp(grantee.auth_time, tz=now.tzinfo) + timedelta(
        seconds=runtime.settings.refresh_token_ttl
    )
    session.add(
        RefreshToken(
            digest=digest(token),
            family_id=grantee.family_id,
            client_id=client_id,
            user_id=grantee.user.id,
            scope=scope,
            auth_time=grantee.auth_time,
            amr=list(grantee.amr),
            issued_at=now,
            expires_at=max(family_end, now),
        )
    )
    return token


@dataclass
class RefreshLookup:
    """What presenting a refresh token found."""

    token: RefreshToken | None
    reused: bool = False


def lookup_refresh_token(session: Session, *, token: str, now: datetime) -> RefreshLookup:
    """The usable refresh token, or why not; a rotated-out token means reuse (theft)."""
    row = session.get(RefreshToken, digest(token))
    if row is None:
        return RefreshLookup(None)
    if row.used_at is not None and row.revoked_at is None:
        return RefreshLookup(row, reused=True)
    if row.revoked_at is not None or as_utc(row.expires_at) <= now:
        return RefreshLookup(None)
    return RefreshLookup(row)


def _unexpired(now: datetime) -> SelectOfScalar[IssuedAccessToken]:
    return (
        select(IssuedAccessToken)
        .where(col(IssuedAccessToken.revoked_at).is_(None))
        .where(col(IssuedAccessToken.expires_at) > now)
    )


def _publish_token_ids(
    session: Session, rows: list[IssuedAccessToken], *, cause: str, now: datetime
) -> None:
    """Tell every service to refuse these access tokens (they verify JWTs on their own)."""
    if rows:
        add_event(
            session,
            TokensRevoked(
                cause=cause,
                token_ids=[row.jti for row in rows],
                revoked_at=now,
                expires_at=max(as_utc(row.expires_at) for row in rows),
            ),
            subject=rows[0].family_id or rows[0].jti,
        )


def _publish_subject(session: Session, subject: str, *, cause: str, now: datetime) -> None:
    """Tell every service to refuse every token of `subject` issued until now."""
    latest = session.exec(
        _unexpired(now)
        .where(col(IssuedAccessToken.subject) == subject)
        .order_by(col(IssuedAccessToken.expires_at).desc())
        .limit(1)
    ).first()
    if latest is not None:
        add_event(
            session,
            TokensRevoked(
                cause=cause,
                subject=subject,
                issued_before=now,
                revoked_at=now,
                expires_at=as_utc(latest.expires_at),
            ),
            subject=subject,
        )


def revoke_access_token(session: Session, *, row: IssuedAccessToken, now: datetime) -> None:
    """Revoke one access token (RFC 7009), here and in every other service."""
    if row.revoked_at is None and as_utc(row.expires_at) > now:
        _publish_token_ids(session, [row], cause="revoked", now=now)
    row.revoked_at = now
    session.add(row)


def revoke_family(session: Session, *, family_id: str, now: datetime, reason: str) -> None:
    """End a sign-in: every refresh token and access token of the family is revoked."""
    live = list(
        session.exec(_unexpired(now).where(col(IssuedAccessToken.family_id) == family_id)).all()
    )
    _publish_token_ids(session, live, cause=reason, now=now)
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id)
        .where(col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    session.execute(
        update(IssuedAccessToken)
        .where(col(IssuedAccessToken.family_id) == family_id)
        .where(col(IssuedAccessToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )


def revoke_user_tokens(session: Session, *, user_id: str, now: datetime, reason: str) -> None:
    """End every sign-in of an officer (moved unit, deactivated)."""
    _publish_subject(session, user_id, cause=reason, now=now)
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id)
        .where(col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    session.execute(
        update(IssuedAccessToken)
        .where(col(IssuedAccessToken.subject) == user_id)
        .where(col(IssuedAccessToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )


def revoke_client_tokens(
    session: Session, *, client_id: str, now: datetime, reason: str = "client_unbound"
) -> None:
    """Revoke every unexpired access token a machine client holds (its binding went stale,
    or it was deactivated)."""
    _publish_subject(session, client_id, cause=reason, now=now)
    session.execute(
        update(IssuedAccessToken)
        .where(col(IssuedAccessToken.subject) == client_id)
        .where(col(IssuedAccessToken.client_id) == client_id)
        .where(col(IssuedAccessToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )


def decode_access_token(
    session: Session, token: str, *, runtime: Runtime, now: datetime
) -> dict[str, Any] | None:
    """The claims of an access token this service signed (signature only), or None."""
    keys = KeySet.import_key_set(cast(Any, signing.jwks(session, runtime=runtime, now=now)))
    try:
        decoded = jwt.decode(token, keys, algorithms=[signing.ALGORITHM])
    except (JoseError, ValueError, TypeError, KeyError):
        return None
    return dict(decoded.claims)


def access_token_record(session: Session, jti: str) -> IssuedAccessToken | None:
    """The issuance record of an access token."""
    return session.get(IssuedAccessToken, jti)


def is_revoked(session: Session, jti: str | None) -> bool:
    """Whether an access token was revoked (unknown jtis count as revoked)."""
    if not jti:
        return True
    row = session.exec(select(IssuedAccessToken).where(IssuedAccessToken.jti == jti)).first()
    return row is None or row.revoked_at is not None
