"""What officers send and what officers and vendors see about requests."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from servicekit.inputs import CleanStr, InputModel
from servicekit.pagination import Page

Text = Annotated[CleanStr, Field(min_length=1, max_length=4000)]
Ident = Annotated[CleanStr, Field(min_length=1, max_length=64)]


class TimeRange(InputModel):
    """A span of footage, start included, end excluded (UTC on the wire)."""

    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class RequestIn(InputModel):
    """Cameras of one EPE, time ranges, why, and what motivates it (incident / warning ids)."""

    epe_id: Ident
    cameras: list[Ident] = Field(min_length=1, max_length=100)
    time_ranges: list[TimeRange] = Field(min_length=1, max_length=50)
    reason: Text
    incident_ids: list[Ident] = Field(default=[], max_length=50)
    warning_ids: list[Ident] = Field(default=[], max_length=50)
    due_working_days: int | None = Field(
        default=None, ge=1, le=60, description="working days to answer; the service default"
    )


class CancelIn(InputModel):
    """Why the request no longer needs an answer."""

    reason: Text


class RangeOut(BaseModel):
    """A requested span of footage."""

    start: datetime
    end: datetime


class RequestPublic(BaseModel):
    """A request as officers and the EPE's vendor see it."""

    id: str
    epe_id: str
    unit: str | None
    cameras: list[str]
    time_ranges: list[RangeOut]
    reason: str
    incident_ids: list[str]
    warning_ids: list[str]
    due_working_days: int
    due_at: datetime = Field(description="24:00 Vietnam time of the last working day, in UTC")
    state: str
    requested_by: str
    requested_at: datetime
    updated_at: datetime
    cancel_reason: str | None


class RequestsPage(Page[RequestPublic]):
    """A page of requests, oldest first."""

    next_cursor: str | None
