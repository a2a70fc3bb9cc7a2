"""Gate events as received: reads are kept raw (a misread is repaired by matching, not here)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field

from risk.db import RiskModel
from servicekit.columns import utc_field
from servicekit.inputs import InputModel, Instant


class Direction(StrEnum):
    """Whether the vehicle came in or went out."""

    ENTRY = "entry"
    EXIT = "exit"


class Origin(StrEnum):
    """Who reported the movement."""

    CAMERA = "camera"
    """EPE vendor software reading a gate camera."""
    MANUAL = "manual"
    """The EPE's manual gate log while the camera was down (incidents service)."""


class GateEvent(RiskModel, table=True):
    """One vehicle movement through an EPE gate."""

    __tablename__ = "gate_event"
    __table_args__ = (UniqueConstraint("epe_id", "origin", "reference"),)

    id: str = Field(primary_key=True, max_length=36)
    epe_id: str = Field(index=True, max_length=64)
    origin: str = Field(max_length=10)
    reference: str = Field(max_length=100, description="vendor event id or gate log entry id")
    camera_id: str | None = Field(default=None, max_length=64)
    incident_id: str | None = Field(default=None, max_length=36)
    direction: str = Field(max_length=10)
    occurred_at: datetime = utc_field(index=True)
    plate: str | None = Field(default=None, max_length=20)
    container_numbers: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    confidence: float | None = None
    image_ref: str | None = Field(default=None, max_length=500)
    digest: str = Field(max_length=64)
    source: str = Field(max_length=200)
    received_at: datetime = utc_field()


Read = Annotated[
    str,
    PydanticField(min_length=4, max_length=20, pattern=r"^[A-Za-z0-9][A-Za-z0-9 .\-]*$"),
]
"""A plate or container number as the camera read it: possibly wrong, so not validated."""


class GateEventIn(InputModel):
    """What vendor software read at a gate camera of its EPE."""

    event_id: str = PydanticField(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        description="the vendor's id of the read: a resend with the same id is unchanged",
    )
    camera_id: str = PydanticField(min_length=1, max_length=64)
    direction: Direction
    occurred_at: Instant
    plate: Read | None = None
    container_numbers: list[Read] = PydanticField(default_factory=list, max_length=4)
    confidence: float | None = PydanticField(default=None, ge=0, le=1, allow_inf_nan=False)
    image_ref: str | None = PydanticField(
        default=None, min_length=1, max_length=500, description="the image in the vendor's store"
    )


class GateEventPublic(BaseModel):
    """A stored gate event."""

    id: str
    epe_id: str
    origin: Origin
    reference: str
    camera_id: str | None
    incident_id: str | None
    direction: Direction
    occurred_at: datetime
    plate: str | None
    container_numbers: list[str]
    confidence: float | None
    image_ref: str | None
    received_at: datetime
    blind_cameras: list[str] = PydanticField(
        default_factory=list, description="gate cameras of the EPE without picture at that time"
    )
    outcome: str = PydanticField(description="created or unchanged")


class GateBatchIn(BaseModel):
    """Gate events, each checked on its own (see `BatchIn` of customs data)."""

    model_config = ConfigDict(extra="forbid")

    records: list[dict[str, Any]] = PydanticField(min_length=1, max_length=5000)
