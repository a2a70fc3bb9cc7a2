"""The incidents service's own tables: a private SQLModel registry keeps its metadata apart."""

from __future__ import annotations

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from servicekit.appendonly import append_only as kept_as_written
from servicekit.events import attach_event_tables


class IncidentsModel(SQLModel, registry=registry()):
    """Base of every table the incidents service owns."""


metadata = IncidentsModel.metadata
attach_event_tables(metadata)


append_only = kept_as_written("records are append-only: add a new record instead")
"""Class decorator for incidents tables kept as written (seed 2 §3): servicekit.appendonly."""
