"""Authority codes (seed 2 section 4): requests and approved grants."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import pydantic
from pydantic import BaseModel
from sqlmodel import Field

from access.db import AccessModel
from servicekit.auth import Role
from servicekit.columns import UTCDateTime
from servicekit.ids import new_id
from servicekit.inputs import InputModel
from servicekit.units import UNIT_MAX_LENGTH


class RequestAction(StrEnum):
    GRANT = "grant"
    REVOKE = "revoke"


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


OFFICER_GRANTABLE_ROLES = (
    Role.SUPERVISORY_OFFICER,
    Role.HEAD_OF_SUBDEPARTMENT,
    Role.USER_ADMINISTRATOR,
    Role.IT_OPERATOR,
    Role.AUDITOR,
)
"""Roles a person can hold; epe_client and customs_system belong to machine clients."""

ADMINISTRATIVE_DATA_ROLES = frozenset({Role.USER_ADMINISTRATOR, Role.AUDITOR})
"""Roles that administer or review the system's data: never held with it_operator (seed 2 s3)."""


class AuthorityRequest(AccessModel, table=True):
    """A grant or revocation prepared by a user administrator, awaiting the unit head."""

    __tablename__ = "authority_requests"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    action: str = Field(max_length=10)
    role: str = Field(max_length=40)
    unit: str = Field(max_length=UNIT_MAX_LENGTH, index=True)
    status: str = Field(max_length=20, index=True)
    reason: str = Field(max_length=1000)
    prepared_by: str = Field(max_length=36)
    prepared_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=36)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, max_length=1000)


class RoleGrant(AccessModel, table=True):
    """A role a person holds in a unit, from an approved request until revoked."""

    __tablename__ = "role_grants"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    role: str = Field(max_length=40)
    unit: str = Field(max_length=UNIT_MAX_LENGTH)
    request_id: str | None = Field(default=None, max_length=36)
    granted_at: datetime = Field(sa_type=UTCDateTime)
    approved_by: str = Field(max_length=200)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None, max_length=200)
    revoke_reason: str | None = Field(default=None, max_length=1000)


# API schemas ---------------------------------------------------------------------------------


class AuthorityRequestCreate(InputModel):
    """Prepare a grant or revocation of a role for a person (in their current unit)."""

    user_id: str = pydantic.Field(min_length=1, max_length=36)
    action: RequestAction = RequestAction.GRANT
    role: Role
    reason: str = pydantic.Field(min_length=3, max_length=1000)


class Decision(InputModel):
    """The head's note on an approval or rejection."""

    note: str | None = pydantic.Field(default=None, max_length=1000)


class AuthorityRequestPublic(BaseModel):
    id: str
    user_id: str
    action: str
    role: str
    unit: str
    status: str
    reason: str
    prepared_by: str
    prepared_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None


class AuthorityRequestsPage(BaseModel):
    data: list[AuthorityRequestPublic]
    next_cursor: str | None


class RoleGrantPublic(BaseModel):
    id: str
    user_id: str
    role: str
    unit: str
    granted_at: datetime
    approved_by: str
    revoked_at: datetime | None
    revoke_reason: str | None


class RoleGrantsPage(BaseModel):
    data: list[RoleGrantPublic]
    next_cursor: str | None
