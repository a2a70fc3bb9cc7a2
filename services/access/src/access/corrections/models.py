"""Direct data corrections (seed 2 §3): a plan an IT operator prepares, the head approves, the
operator applies against the target service's database after a verified backup, with minutes.

The plan is data (service, table, primary key, `{column: {"from": old, "to": new}}`), so what
is approved is exactly what is applied: the kit's `python -m servicekit.corrections apply`
refuses the change unless every `from` value still holds.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import pydantic
from pydantic import BaseModel
from sqlalchemy import JSON, Column, LargeBinary
from sqlmodel import Field

from access.db import AccessModel
from servicekit.columns import UTCDateTime
from servicekit.ids import new_id
from servicekit.inputs import CleanStr, InputModel
from servicekit.services import SERVICES
from servicekit.units import UNIT_MAX_LENGTH

IDENTIFIER = r"^[a-z_][a-z0-9_]{0,62}$"
"""A table or column name as the services write them (no quoting, no schema prefix)."""

Column_ = Annotated[str, pydantic.StringConstraints(pattern=IDENTIFIER)]

Scalar = str | int | float | bool | None
"""A value as it goes through JSON: what a column holds before and after the change."""


class CorrectionStatus(StrEnum):
    PENDING = "pending"  # prepared, waiting for the head
    APPROVED = "approved"
    REFUSED = "refused"
    APPLYING = "applying"  # the operator's apply command has started (backup under way)
    APPLIED = "applied"
    FAILED = "failed"  # the apply command refused or failed: nothing changed


class DataCorrection(AccessModel, table=True):
    """One correction: the plan, the head's decision, and what the apply command reported."""

    __tablename__ = "data_corrections"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    unit: str = Field(max_length=UNIT_MAX_LENGTH, index=True)
    status: str = Field(max_length=20, index=True)
    service: str = Field(max_length=40)
    table_name: str = Field(max_length=63)
    primary_key: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    changes: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    reason: str = Field(max_length=2000)
    supervisors: list[dict[str, str]] = Field(sa_column=Column(JSON, nullable=False))
    prepared_by: str = Field(max_length=36)
    prepared_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=36)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, max_length=2000)
    applied_by: str | None = Field(default=None, max_length=36)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    backup_id: str | None = Field(default=None, max_length=200)
    backup_sha256: str | None = Field(default=None, max_length=64)
    rows_touched: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    failure: str | None = Field(default=None, max_length=2000)
    minutes_pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    minutes_sha256: str | None = Field(default=None, max_length=64)


# API schemas ---------------------------------------------------------------------------------


class Supervisor(InputModel):
    """A supervising representative present while the change is applied."""

    name: CleanStr = pydantic.Field(min_length=2, max_length=200)
    position: CleanStr = pydantic.Field(min_length=2, max_length=200)


class ChangeValue(InputModel):
    """One column's value now (`from`, checked before changing) and after (`to`)."""

    from_: Scalar = pydantic.Field(alias="from")
    to: Scalar


class DataCorrectionCreate(InputModel):
    """The IT operator's plan: which row of which service's table, the exact change, why, and
    who supervises."""

    service: str = pydantic.Field(pattern=rf"^({'|'.join(SERVICES)})$")
    table: str = pydantic.Field(pattern=IDENTIFIER)
    primary_key: dict[Column_, Scalar] = pydantic.Field(min_length=1, max_length=4)
    changes: dict[Column_, ChangeValue] = pydantic.Field(min_length=1, max_length=20)
    reason: CleanStr = pydantic.Field(min_length=10, max_length=2000)
    supervisors: list[Supervisor] = pydantic.Field(min_length=1, max_length=10)


class DataCorrectionDecision(InputModel):
    """The head's note on an approval or refusal."""

    note: CleanStr | None = pydantic.Field(default=None, max_length=2000)


class AppliedReport(InputModel):
    """What the apply command did: the verified backup, the rows touched, before and after."""

    backup_id: str = pydantic.Field(min_length=1, max_length=200)
    backup_sha256: str = pydantic.Field(pattern=r"^[0-9a-f]{64}$")
    rows_touched: int = pydantic.Field(ge=0, le=1)
    before: dict[str, Scalar]
    after: dict[str, Scalar]


class FailedReport(InputModel):
    """Why the apply command changed nothing (a `from` no longer holds, the backup failed)."""

    reason: CleanStr = pydantic.Field(min_length=3, max_length=2000)
    backup_id: str | None = pydantic.Field(default=None, max_length=200)


class SupervisorPublic(BaseModel):
    name: str
    position: str


class CorrectionPublic(BaseModel):
    id: str
    unit: str
    status: str
    service: str
    table: str
    primary_key: dict[str, Any]
    changes: dict[str, Any]
    reason: str
    supervisors: list[SupervisorPublic]
    prepared_by: str
    prepared_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    applied_by: str | None
    started_at: datetime | None
    finished_at: datetime | None
    backup_id: str | None
    backup_sha256: str | None
    rows_touched: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    failure: str | None
    minutes_sha256: str | None


class CorrectionsPage(BaseModel):
    data: list[CorrectionPublic]
    next_cursor: str | None
