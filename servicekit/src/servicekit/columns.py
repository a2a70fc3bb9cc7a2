"""The UTC timestamp column every service's tables use.

Values are stored in UTC. PostgreSQL gets them aware (``timestamptz``); SQLite has no zone
type, so they are written naive in UTC: SQLAlchemy's SQLite ``DATETIME`` drops the offset
anyway, so rows written by any earlier variant read back the same, and text comparisons in
SQL stay correct because every stored value is in the one zone. Naive values are refused on
the way in: a naive Vietnam local time silently taken as UTC would be seven hours off.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError("a datetime is required")
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a time zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


def utc_field(*, nullable: bool = False, index: bool = False, default: Any = ...) -> Any:
    """A SQLModel field stored as a UTC timestamp column."""
    column: Column[datetime] = Column(UTCDateTime(), nullable=nullable, index=index)
    if default is ...:
        return Field(sa_column=column)
    return Field(default=default, sa_column=column)
