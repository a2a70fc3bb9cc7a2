"""Authorization codes, device codes, refresh-token families and issued access tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import pydantic
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from access.db import AccessModel
from servicekit.columns import UTCDateTime
from servicekit.inputs import InputModel

USER_CODE_PATTERN = r"^[A-Za-z]{4}[- ]?[A-Za-z]{4}$"
"""What a person may type for a user code: `XXXX-XXXX`, the dash optional, any case."""


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


class DeviceStatus:
    """Where a device authorization stands (RFC 8628 section 3.5 answers follow from it)."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class DeviceCode(AccessModel, table=True):
    """A command-line tool's device authorization: both codes stored hashed, single use.

    The person who approves it is recorded with the factors of their session, so the tool's
    token is theirs (roles read at issue, `amr` of the approving session)."""

    __tablename__ = "oauth_device_codes"

    digest: str = Field(primary_key=True, max_length=64)
    user_code_digest: str = Field(unique=True, max_length=64)
    client_id: str = Field(max_length=64)
    scope: str = Field(default="", max_length=500)
    status: str = Field(default=DeviceStatus.PENDING, max_length=10)
    interval: int
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    last_polled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_id: str | None = Field(default=None, max_length=36)
    auth_time: int | None = None
    amr: list[str] = Field(default_factory=list, sa_type=JSON)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeviceCodeAttempts(AccessModel, table=True):
    """Wrong user codes a person entered in a row; too many pause them (brute force)."""

    __tablename__ = "oauth_device_attempts"

    user_id: str = Field(primary_key=True, max_length=36)
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeviceCodeEntry(InputModel):
    """The user code a person typed (or the `verification_uri_complete` link filled in)."""

    user_code: str = pydantic.Field(pattern=USER_CODE_PATTERN, examples=["BDFG-HJKL"])


class DeviceDecision(DeviceCodeEntry):
    """The person's answer to a command-line tool's sign-in."""

    decision: Literal["approve", "deny"]


class DeviceRequestPublic(SQLModel):
    """Which client asks to sign in as the person, and until when the code is valid."""

    client_id: str
    client_name: str
    scope: str
    expires_at: datetime


class DeviceDecisionPublic(DeviceRequestPublic):
    """The decision recorded; the tool learns it at its next poll."""

    decision: Literal["approve", "deny"]
    decided_at: datetime
