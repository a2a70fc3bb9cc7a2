"""The incidents service's own tables: a private SQLModel registry keeps its metadata apart."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import registry
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from servicekit.events import attach_event_tables


class IncidentsModel(SQLModel, registry=registry()):
    """Base of every table the incidents service owns."""


metadata = IncidentsModel.metadata
attach_event_tables(metadata)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite drops the zone; we restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class AppendOnlyViolation(RuntimeError):
    """Raised when code tries to change or delete a record that is kept as written (seed 2 §3)."""


def append_only(model: type[Any]) -> type[Any]:
    """Class decorator: rows of this table are inserted, never updated or deleted."""

    def _refuse(_mapper: Any, _connection: Any, target: Any) -> None:
        raise AppendOnlyViolation(f"{type(target).__name__} records are append-only")

    event.listen(model, "before_update", _refuse)
    event.listen(model, "before_delete", _refuse)
    return model


def utc_now() -> datetime:
    """Now in UTC (use the injected clock in domain code; this is for defaults only)."""
    return datetime.now(UTC)
