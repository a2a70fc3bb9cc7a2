"""Customs units and officers (argon2id password, sealed TOTP secret, lockout)."""

from __future__ import annotations

from datetime import datetime

import pydantic
from pydantic import BaseModel
from sqlmodel import Field

from access.db import AccessModel
from servicekit.columns import UTCDateTime
from servicekit.ids import new_id
from servicekit.inputs import InputModel
from servicekit.units import UNIT_MAX_LENGTH

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
UNIT_PATTERN = rf"^[A-Z0-9][A-Z0-9-]{{1,{UNIT_MAX_LENGTH - 1}}}$"


class Unit(AccessModel, table=True):
    """A customs sub-department (the `unit` claim of officers' tokens)."""

    __tablename__ = "units"

    code: str = Field(primary_key=True, max_length=UNIT_MAX_LENGTH)
    name: str = Field(max_length=300)
    created_at: datetime = Field(sa_type=UTCDateTime)


class User(AccessModel, table=True):
    """An officer account; roles come from approved grants (see authority)."""

    __tablename__ = "users"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    username: str = Field(unique=True, index=True, max_length=64)
    full_name: str = Field(max_length=200)
    unit: str = Field(foreign_key="units.code", index=True, max_length=UNIT_MAX_LENGTH)
    password_hash: str | None = Field(default=None, max_length=300)
    # the TOTP secret, sealed under the master key (context: crypto.contexts.totp_context)
    key_version: int | None = None
    wrapped_key: bytes | None = None
    nonce: bytes | None = None
    ciphertext: bytes | None = None
    totp_enabled: bool = False
    totp_last_step: int | None = None
    active: bool = True
    failed_attempts: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_signin_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    step_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    enrollment_digest: str | None = Field(default=None, max_length=64, index=True)
    enrollment_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)


# API schemas ---------------------------------------------------------------------------------


class UnitCreate(InputModel):
    """A new customs unit."""

    code: str = pydantic.Field(pattern=UNIT_PATTERN, examples=["HQ-KCX-BN"])
    name: str = pydantic.Field(min_length=3, max_length=300)


class UnitPublic(BaseModel):
    """A customs unit."""

    code: str
    name: str


class UnitsPage(BaseModel):
    data: list[UnitPublic]
    next_cursor: str | None


class UserCreate(InputModel):
    """A new officer; they finish enrolment (password + TOTP) with the code returned once."""

    username: str = pydantic.Field(pattern=USERNAME_PATTERN, examples=["nguyen.van.a"])
    full_name: str = pydantic.Field(min_length=2, max_length=200)
    unit: str = pydantic.Field(pattern=UNIT_PATTERN, examples=["HQ-KCX-BN"])


class UserPublic(BaseModel):
    """An officer as administrators see them (no secrets)."""

    id: str
    username: str
    full_name: str
    unit: str
    active: bool
    enrolled: bool
    locked_until: datetime | None
    roles: list[str]
    created_at: datetime


class UsersPage(BaseModel):
    data: list[UserPublic]
    next_cursor: str | None


class UserCreated(BaseModel):
    """The new officer and their one-time enrolment code (shown only in this response)."""

    user: UserPublic
    enrollment_code: str
    enrollment_expires_at: datetime


class UserMove(InputModel):
    """Move an officer to another unit: their grants and assignments there end."""

    unit: str = pydantic.Field(pattern=UNIT_PATTERN)
    reason: str = pydantic.Field(min_length=3, max_length=1000)


class ReasonBody(InputModel):
    """A stated reason (recorded in the audit log)."""

    reason: str = pydantic.Field(min_length=3, max_length=1000)
