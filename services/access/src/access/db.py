"""The access service's own tables (a private SQLModel registry keeps its metadata apart)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from servicekit.events import attach_event_tables


def as_utc(value: datetime) -> datetime:
    """A timezone-aware UTC datetime (naive values are taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class AccessModel(SQLModel, registry=registry()):
    """Base of every table the access service owns."""


metadata = AccessModel.metadata
attach_event_tables(metadata)
