"""Notices of planned maintenance and breakdowns of camwatch (seed 2 §2), and their updates.

Planned maintenance is announced at least five days ahead; a shorter notice is an emergency the
head of sub-department approves before anyone is told. A breakdown is announced at once and
updated until it is resolved. Updates are appended, never edited.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import pydantic
from pydantic import BaseModel, model_validator
from sqlmodel import Field

from access.db import AccessModel
from servicekit.appendonly import append_only
from servicekit.columns import UTCDateTime
from servicekit.ids import new_id
from servicekit.inputs import CleanStr, InputModel, Instant
from servicekit.services import SERVICES

AFFECTED = (*SERVICES, "gateway", "all")


class NoticeKind(StrEnum):
    PLANNED = "planned"
    BREAKDOWN = "breakdown"


class NoticeState(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"  # an emergency the head has not approved yet
    REFUSED = "refused"
    ANNOUNCED = "announced"  # planned, not started
    IN_PROGRESS = "in_progress"  # planned work under way, or a breakdown not resolved
    COMPLETED = "completed"  # planned work done, or a breakdown resolved
    CANCELLED = "cancelled"


OPEN_STATES = (NoticeState.ANNOUNCED, NoticeState.IN_PROGRESS)
FOLLOWING: dict[NoticeState, tuple[NoticeState, ...]] = {
    NoticeState.ANNOUNCED: (NoticeState.IN_PROGRESS, NoticeState.COMPLETED, NoticeState.CANCELLED),
    NoticeState.IN_PROGRESS: (NoticeState.IN_PROGRESS, NoticeState.COMPLETED),
}
"""Which states an update may move an open notice to (in_progress to itself: a progress note)."""


class MaintenanceNotice(AccessModel, table=True):
    """One announcement; its state follows the updates."""

    __tablename__ = "maintenance_notices"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    kind: str = Field(max_length=20)
    title: str = Field(max_length=200)
    description: str = Field(max_length=4000)
    affects: str = Field(max_length=200, description="comma-separated service names, or all")
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    emergency: bool = False
    emergency_reason: str | None = Field(default=None, max_length=2000)
    state: str = Field(max_length=20, index=True)
    announced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=200)


@append_only("maintenance notice updates are append-only: add another update")
class MaintenanceUpdate(AccessModel, table=True):
    """A step of a notice: announced, approved or refused, progress, completion, cancellation."""

    __tablename__ = "maintenance_updates"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    notice_id: str = Field(foreign_key="maintenance_notices.id", index=True, max_length=36)
    state: str = Field(max_length=20)
    text: str = Field(max_length=4000)
    by: str = Field(max_length=200)
    at: datetime = Field(sa_type=UTCDateTime)


# API schemas ---------------------------------------------------------------------------------

Affected = pydantic.constr(pattern=rf"^({'|'.join(AFFECTED)})$")


class NoticeCreate(InputModel):
    """An IT operator's announcement (planned: at least 5 days ahead unless an emergency)."""

    kind: NoticeKind
    title: CleanStr = pydantic.Field(min_length=3, max_length=200)
    description: CleanStr = pydantic.Field(min_length=3, max_length=4000)
    affects: list[Affected] = pydantic.Field(min_length=1, max_length=len(AFFECTED))  # type: ignore[valid-type]
    starts_at: Instant | None = pydantic.Field(
        default=None, description="planned: required; breakdown: when it began (default now)"
    )
    ends_at: Instant | None = pydantic.Field(default=None, description="planned: required")
    emergency: bool = False
    emergency_reason: CleanStr | None = pydantic.Field(default=None, min_length=3, max_length=2000)

    @model_validator(mode="after")
    def _consistent(self) -> NoticeCreate:
        if self.kind is NoticeKind.PLANNED:
            if self.starts_at is None or self.ends_at is None:
                raise ValueError("planned maintenance needs starts_at and ends_at")
            if self.ends_at <= self.starts_at:
                raise ValueError("ends_at must be after starts_at")
        elif self.emergency:
            raise ValueError("a breakdown is announced at once; emergency is for planned work")
        if self.emergency and not self.emergency_reason:
            raise ValueError("an emergency needs emergency_reason")
        return self


class NoticeDecision(InputModel):
    """The head's decision on an emergency (short-notice) maintenance."""

    approve: bool
    reason: CleanStr = pydantic.Field(min_length=3, max_length=2000)


class NoticeUpdateCreate(InputModel):
    """Progress, completion (or resolution) or cancellation, with what to tell users."""

    state: NoticeState
    text: CleanStr = pydantic.Field(min_length=3, max_length=4000)


class UpdatePublic(BaseModel):
    state: str
    text: str
    by: str
    at: datetime


class NoticePublic(BaseModel):
    id: str
    kind: str
    title: str
    description: str
    affects: list[str]
    starts_at: datetime
    ends_at: datetime | None
    emergency: bool
    emergency_reason: str | None
    state: str
    announced_at: datetime | None
    created_at: datetime
    updates: list[UpdatePublic]


class NoticesPage(BaseModel):
    data: list[NoticePublic]
    next_cursor: str | None
