"""Follow-up updates and their API schemas."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Field

from incidents.db import IncidentsModel, append_only
from incidents.schemas import Text
from servicekit.columns import UTCDateTime
from servicekit.inputs import InputModel
from servicekit.pagination import Page


@append_only
class FollowUp(IncidentsModel, table=True):
    """A troubleshooting update an officer recorded on a given (local) day."""

    __tablename__ = "incident_follow_up"

    id: str = Field(primary_key=True, max_length=36)
    incident_id: str = Field(index=True, max_length=36)
    day: date = Field(index=True)
    note: str = Field(max_length=4000)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class FollowUpIn(InputModel):
    """The situation of the repair today, as the officer found it."""

    note: Text


class FollowUpPublic(BaseModel):
    """A recorded follow-up."""

    id: str
    incident_id: str
    day: date
    working_day: bool
    note: str
    recorded_by: str
    recorded_at: datetime


class FollowUpPage(Page[FollowUpPublic]):
    """Follow-ups, oldest first."""

    next_cursor: str | None  # always present in the published shape
