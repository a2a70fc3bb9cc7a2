"""The camera system's logbook (I.1.1.e.2): append-only; corrections are new entries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import Index
from sqlmodel import Field as SQLField

from registry.db import RegistryModel
from registry.types import json_field
from servicekit.columns import utc_field
from servicekit.inputs import InputModel


class EntryKind(StrEnum):
    """What happened to the camera system."""

    POWER_FAILURE = "power_failure"
    INACTIVITY = "inactivity"
    REPAIR = "repair"
    MAINTENANCE = "maintenance"
    OTHER = "other"


class LogbookEntry(RegistryModel, table=True):
    """One logbook line; the database refuses UPDATE and DELETE on this table."""

    __tablename__ = "logbook_entries"
    __table_args__ = (Index("ix_logbook_entries_epe_start", "epe_id", "started_at"),)

    id: str = SQLField(primary_key=True, max_length=36)
    epe_id: str = SQLField(foreign_key="epes.id", max_length=64)
    kind: str = SQLField(max_length=32)
    started_at: datetime = utc_field()
    ended_at: datetime | None = utc_field(nullable=True, default=None)
    camera_numbers: list[str] = json_field()
    positions: str | None = SQLField(default=None, max_length=500)
    description: str = SQLField(max_length=4000)
    corrects_id: str | None = SQLField(
        default=None, foreign_key="logbook_entries.id", max_length=36, index=True
    )
    author: str = SQLField(max_length=200)
    author_client: str | None = SQLField(default=None, max_length=200)
    recorded_at: datetime = utc_field()


class EntryCreate(InputModel):
    """Write a logbook entry (or a correction of one, with `corrects`)."""

    kind: EntryKind
    started_at: datetime
    ended_at: datetime | None = None
    camera_numbers: list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=5000
    )
    positions: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, description="positions on the diagram, in words"
    )
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)
    ]
    corrects: str | None = Field(
        default=None, max_length=36, description="id of the entry this one corrects"
    )


class EntryPublic(BaseModel):
    """A logbook entry, with the entry correcting it if any."""

    id: str
    epe_id: str
    kind: EntryKind
    started_at: datetime
    ended_at: datetime | None
    camera_numbers: list[str]
    positions: str | None
    description: str
    corrects: str | None
    corrected_by: list[str]
    author: str
    recorded_at: datetime
    recorded_at_local: str


from registry.types import table_of  # noqa: E402
from servicekit.appendonly import protect_table  # noqa: E402

LOGBOOK_APPEND_ONLY = "the logbook is append-only: write a correcting entry instead"
protect_table(table_of(LogbookEntry), LOGBOOK_APPEND_ONLY)
