"""Sign-in transactions, and the bodies of enrolment, sign-in and step-up."""

from __future__ import annotations

from datetime import datetime

import pydantic
from pydantic import BaseModel, field_validator
from sqlalchemy import JSON
from sqlmodel import Field

from access.db import AccessModel
from access.officers.models import USERNAME_PATTERN
from servicekit.columns import UTCDateTime
from servicekit.ids import new_id
from servicekit.inputs import InputModel


class SigninTransaction(AccessModel, table=True):
    """A sign-in in progress: password checked, then TOTP, then consumed by /oauth/authorize."""

    __tablename__ = "signin_transactions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    digest: str = Field(unique=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    stage: str = Field(max_length=20)  # password | authenticated | consumed | failed
    totp_attempts: int = 0
    amr: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    authenticated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# API schemas ---------------------------------------------------------------------------------


class EnrollmentStart(InputModel):
    """Step 1 of enrolment: the one-time code and a new password."""

    enrollment_code: str = pydantic.Field(min_length=10, max_length=200)
    username: str = pydantic.Field(pattern=USERNAME_PATTERN)
    password: str = pydantic.Field(min_length=1, max_length=1024)


class EnrollmentSecret(BaseModel):
    """The TOTP secret to load into the officer's authenticator app (shown once)."""

    totp_secret: str
    provisioning_uri: str


class EnrollmentFinish(InputModel):
    """Step 2 of enrolment: prove the authenticator works."""

    enrollment_code: str = pydantic.Field(min_length=10, max_length=200)
    username: str = pydantic.Field(pattern=USERNAME_PATTERN)
    code: str = pydantic.Field(pattern=r"^[0-9]{6}$")


class SigninStart(InputModel):
    """Step 1 of sign-in: username and password."""

    username: str = pydantic.Field(min_length=1, max_length=64)
    password: str = pydantic.Field(min_length=1, max_length=1024)

    @field_validator("username")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class SigninTotp(InputModel):
    """Step 2 of sign-in: the TOTP code for the transaction from step 1."""

    transaction: str = pydantic.Field(min_length=10, max_length=200)
    code: str = pydantic.Field(pattern=r"^[0-9]{6}$")


class SigninState(BaseModel):
    """A sign-in transaction: pass it as `signin` to /oauth/authorize once authenticated."""

    transaction: str
    stage: str
    next: str | None
    expires_at: datetime


class StepUp(InputModel):
    """A fresh TOTP code, required shortly before sensitive actions (vault reveals)."""

    code: str = pydantic.Field(pattern=r"^[0-9]{6}$")


class StepUpState(BaseModel):
    """When the second factor was last re-checked and until when it counts."""

    step_up_at: datetime
    valid_until: datetime
