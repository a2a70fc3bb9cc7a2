"""Assignments of officers to the EPEs they supervise (made and ended by the unit head)."""

from __future__ import annotations

from datetime import datetime

import pydantic
from pydantic import BaseModel
from sqlmodel import Field

from access.clients.models import EPE_ID_PATTERN
from access.db import AccessModel
from servicekit.columns import UTCDateTime
from servicekit.ids import new_id
from servicekit.inputs import InputModel
from servicekit.units import UNIT_MAX_LENGTH


class Assignment(AccessModel, table=True):
    """An officer assigned by the unit head to supervise one EPE."""

    __tablename__ = "epe_assignments"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    officer_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    epe_id: str = Field(max_length=64, index=True)
    unit: str = Field(max_length=UNIT_MAX_LENGTH)
    assigned_by: str = Field(max_length=36)
    assigned_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by: str | None = Field(default=None, max_length=200)


# API schemas ---------------------------------------------------------------------------------


class AssignmentCreate(InputModel):
    """Assign an officer of the head's unit to an EPE of that unit."""

    officer_id: str = pydantic.Field(min_length=1, max_length=36)
    epe_id: str = pydantic.Field(pattern=EPE_ID_PATTERN)


class AssignmentPublic(BaseModel):
    id: str
    officer_id: str
    epe_id: str
    unit: str
    assigned_by: str
    assigned_at: datetime
    ended_at: datetime | None


class AssignmentsPage(BaseModel):
    data: list[AssignmentPublic]
    next_cursor: str | None
