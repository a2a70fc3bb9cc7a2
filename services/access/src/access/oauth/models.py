"""Authorization codes, refresh-token families and issued access tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field

from access.db import AccessModel
from servicekit.columns import UTCDateTime


class AuthorizationCode(AccessModel, table=True):
    """A one-time code bound to client, redirect URI and PKCE challenge (stored hashed)."""

    __tablename__ = "oauth_codes"

    digest: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64)
    user_id: str = Field(max_length=36)
    redirect_uri: str = Field(max_length=1000)
    scope: str = Field(default="", max_length=500)
    code_challenge: str | None = Field(default=None, max_length=128)
    code_challenge_method: str | None = Field(default=None, max_length=10)
    nonce: str | None = Field(default=None, max_length=255)
    auth_time: int
    amr: list[str] = Field(default_factory=list, sa_type=JSON)
    family_id: str = Field(max_length=36)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RefreshToken(AccessModel, table=True):
    """One refresh token of a family; using it rotates it, reusing it revokes the family."""

    __tablename__ = "oauth_refresh_tokens"

    digest: str = Field(primary_key=True, max_length=64)
    family_id: str = Field(index=True, max_length=36)
    client_id: str = Field(max_length=64)
    user_id: str = Field(index=True, max_length=36)
    scope: str = Field(default="", max_length=500)
    auth_time: int
    amr: list[str] = Field(default_factory=list, sa_type=JSON)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, max_length=200)


class IssuedAccessToken(AccessModel, table=True):
    """Every JWT access token issued (by jti), so it can be introspected and revoked."""

    __tablename__ = "oauth_access_tokens"

    jti: str = Field(primary_key=True, max_length=64)
    family_id: str | None = Field(default=None, index=True, max_length=36)
    client_id: str = Field(max_length=64)
    subject: str = Field(index=True, max_length=64)
    scope: str = Field(default="", max_length=500)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
