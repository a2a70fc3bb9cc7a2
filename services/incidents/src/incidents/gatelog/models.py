"""Gate log entries and their API schemas."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column
from sqlmodel import Field

from incidents.db import IncidentsModel, append_only
from incidents.schemas import Instant, Text
from servicekit.columns import UTCDateTime
from servicekit.inputs import InputModel
from servicekit.pagination import Page
from servicekit.vehicles import normalise_container_number, normalise_plate


class Direction(StrEnum):
    """Whether the vehicle came in or went out."""

    ENTRY = "entry"
    EXIT = "exit"


@append_only
class GateLogEntry(IncidentsModel, table=True):
    """One vehicle movement through the EPE's gate while its camera was down."""

    __tablename__ = "gate_log_entry"

    id: str = Field(primary_key=True, max_length=36)
    incident_id: str = Field(index=True, max_length=36)
    epe_id: str = Field(index=True, max_length=64)
    plate: str = Field(max_length=20)
    container_numbers: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    direction: str = Field(max_length=10)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    note: str | None = Field(default=None, max_length=4000)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


Plate = Annotated[str, PydanticField(min_length=4, max_length=20), AfterValidator(normalise_plate)]
ContainerNumber = Annotated[
    str, PydanticField(min_length=11, max_length=20), AfterValidator(normalise_container_number)
]


class GateLogIn(InputModel):
    """A vehicle entry or exit: plate, containers (ISO 6346), direction and time."""

    plate: Plate = PydanticField(description="Vietnamese plate, e.g. 51C-123.45 or 29A-1234")
    container_numbers: list[ContainerNumber] = PydanticField(
        default_factory=list, max_length=4, description="ISO 6346 numbers, e.g. CSQU3054383"
    )
    direction: Direction
    occurred_at: Instant
    note: Text | None = None


class GateLogPublic(BaseModel):
    """A recorded gate log entry."""

    id: str
    incident_id: str
    epe_id: str
    plate: str
    container_numbers: list[str]
    direction: Direction
    occurred_at: datetime
    note: str | None
    recorded_by: str
    recorded_at: datetime


class GateLogPage(Page[GateLogPublic]):
    """Gate log entries in time order."""

    next_cursor: str | None  # always present in the published shape
